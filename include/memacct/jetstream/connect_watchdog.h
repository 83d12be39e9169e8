/* connect_watchdog: bounds a blocking connect that a library runs on the
 * calling thread and offers no way to abandon. cnats 3.4.1 reads the
 * server's answer to CONNECT with a blocking recv() and no deadline, and its
 * reader gives up only when the socket reaches end of file: a server that
 * sends INFO and never answers holds natsConnection_Connect() for good.
 *
 * The watchdog, armed by the connecting thread, sends that thread a signal
 * at the deadline (and every 50 ms after, until disarmed); the handler
 * shuts down (shutdown(2), it does not close) every TCP socket that was
 * opened since arming and is connected to one of the servers' ports
 * (and address, when the URL names an IP). The blocked recv() then reads
 * end of file, and the library fails the connect and cleans up after
 * itself. As the handler runs on the connecting thread, that socket cannot
 * be closed and its number reused under it. Anything else (an HTTP client,
 * a socket open before arming) is left alone.
 *
 * It knows nothing of NATS beyond the URL syntax and does not log. */
#ifndef MEMACCT_CONNECT_WATCHDOG_H
#define MEMACCT_CONNECT_WATCHDOG_H

#include <stdbool.h>

#include "memacct/util/errmsg.h"

struct connect_watchdog;

/* The servers as URLs ("nats://user:pw@host:4222", "tls://[::1]:4222",
 * "host", ...; the port defaults to 4222). Returns 0 or -ENOMEM. */
int connect_watchdog_new(struct connect_watchdog **out, const char *const *urls, int n_urls);
void connect_watchdog_free(struct connect_watchdog *w);

/* Arms it for the calling thread: fires after timeout_ms. The calling
 * thread must have every signal blocked (it unblocks the watchdog's own
 * until disarm). 0, or -errno with e (no timer, no handler). */
int connect_watchdog_arm(struct connect_watchdog *w, unsigned timeout_ms, struct errmsg *e);
/* Any thread: fires now if armed (shutdown: give the connect up at once). */
void connect_watchdog_fire(struct connect_watchdog *w);
/* The connecting thread, after the connect returned: blocks the signal
 * again, consumes one that fired late, and says whether it ever fired. */
bool connect_watchdog_disarm(struct connect_watchdog *w);

/* Shuts down every TCP socket of the process connected to one of the
 * servers, old or new (shutdown of the client: a call blocked on one
 * returns). */
void connect_watchdog_shutdown_all(struct connect_watchdog *w);

#endif
