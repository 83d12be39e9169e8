/* deadline: a per-request read deadline for HTTP connections, which
 * libmicrohttpd 0.9.75 lacks (its only timer is an idle timeout that every
 * received byte restarts, so a client trickling a byte a second keeps a
 * connection for hours). Each connection must deliver its request (line,
 * headers and body) within limit_s of opening; once answered, its next
 * request is due within idle_s + limit_s of the reply (a kept-alive
 * Prometheus connection that waits between scrapes is not cut before its
 * idle timeout would close it anyway; with idle_s 0 later requests have no
 * deadline). A watchdog thread shuts down (shutdown(2), SHUT_RDWR) the
 * socket of a connection past its deadline; the server then sees end of
 * file and closes it as usual. It does not know HTTP: http.c tells it when a
 * connection opens, has its request, was answered and closes. */
#ifndef MEMACCT_DEADLINE_H
#define MEMACCT_DEADLINE_H

#include <stdint.h>

struct deadline;
struct deadline_conn;

/* Starts the watchdog (it checks every 250 ms). limit_s 0: no deadline
 * (*out is NULL and every call below accepts NULL). 0 or -errno. */
int deadline_start(unsigned limit_s, unsigned idle_s, struct deadline **out);
/* Stops the watchdog and frees. Every connection must be closed first. */
void deadline_stop(struct deadline *d);

/* A connection on fd opened: its request is due within limit_s. NULL when d
 * is NULL or out of memory (the connection then has no deadline). */
struct deadline_conn *deadline_open(struct deadline *d, int fd);
/* Its request arrived in full: no deadline while it is answered. */
void deadline_received(struct deadline *d, struct deadline_conn *c);
/* Its reply is done: the next request is due within idle_s + limit_s. */
void deadline_replied(struct deadline *d, struct deadline_conn *c);
/* It closed (call before its fd is closed): forgets it, frees c. */
void deadline_close(struct deadline *d, struct deadline_conn *c);

/* Connections cut so far. */
uint64_t deadline_cut(const struct deadline *d);

#endif
