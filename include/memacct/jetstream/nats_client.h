/* nats_client: the exporter's one NATS connection, for request/reply only
 * (the JetStream API). The only module that includes cnats: options, auth
 * (creds, nkey seed, user/password, token), TLS, reconnection, requests.
 * It implements the poller's transport (js_transport.h,
 * nats_client_transport()). It knows nothing of JetStream's JSON
 * (jetstream_json.c) and does not log: it returns -errno with a sentence in
 * errmsg, and it counts connection events for its caller to report
 * (nats_client_take_events()).
 *
 * Reconnection: cnats does not reconnect by itself (its reconnect thread
 * would do the handshake holding the connection's lock, out of any budget).
 * When the connection is lost, or the last connect failed, the next
 * nats_client_connect() builds a new one, within the budget it is given: a
 * handshake that does not finish in time is abandoned (see the watchdog in
 * nats_client.c). A connect that fails with an auth error while creds or an
 * nkey are set is retried at once, twice: cnats 3.4.1 fails such logins
 * about 1 in 256 connects, and the retry absorbs it.
 *
 * Thread-safety: one thread (the poller) calls connect/request; any thread
 * may call nats_client_interrupt() and nats_client_take_events(). The
 * connecting thread must block every signal (the poller's does) but the
 * watchdog's own, which connect unblocks while it runs. */
#ifndef MEMACCT_NATS_CLIENT_H
#define MEMACCT_NATS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memacct/jetstream/js_transport.h"
#include "memacct/util/errmsg.h"
#include "memacct/util/mbuf.h"

struct nats_client_opts {
	const char *urls;      /* comma separated; required */
	const char *creds;     /* .creds file (JWT + seed) */
	const char *nkey_seed; /* file holding a user seed "SU..." */
	const char *user;
	const char *password; /* already resolved from flag, file or env */
	const char *token;
	const char *tls_ca;
	const char *tls_cert;
	const char *tls_key;
	unsigned connect_timeout_ms; /* TCP connect per server, and write deadline; 0: 2000 */
	const char *name;	     /* client name the server shows; NULL: "memacct_exporter" */
};

struct nats_client;

/* Validates the options and builds the cnats options; does not connect.
 * Strings in o are borrowed for the call only (cnats copies what it keeps). Returns 0, -EINVAL
 * (with e naming the option: bad URL, unreadable file, not a user seed),
 * -ENOMEM. */
int nats_client_new(struct nats_client **out, const struct nats_client_opts *o, struct errmsg *e);
/* Closes the connection (pending requests fail) and frees everything. */
void nats_client_free(struct nats_client *c);

/* Makes sure there is a usable connection: 0 when connected. Otherwise:
 * -EACCES on an authentication or authorization failure (e has the server's
 * reason), -ECONNREFUSED when no server could be reached, -ETIMEDOUT when
 * the connect (TCP, TLS and the NATS handshake, over every URL) did not
 * finish within timeout_ms, -EPROTO for TLS trouble, -ECANCELED after
 * nats_client_interrupt(), -EIO otherwise. Returns within timeout_ms plus a
 * few tens of ms (a DNS lookup excepted: glibc's resolver retries its own
 * timeouts). */
int nats_client_connect(struct nats_client *c, unsigned timeout_ms, struct errmsg *e);

/* Increases each time a new connection is built (not on cnats's own
 * reconnects); lets callers redo per-connection work (e.g. who am I). */
uint64_t nats_client_generation(const struct nats_client *c);

/* Sends data[0..len) to subject and waits up to timeout_ms for one reply,
 * which replaces reply's contents (mbuf_reset, then appended, NUL-terminated).
 * Returns 0, -ETIMEDOUT, -ENOENT when nobody listens on the subject (no
 * responders), -ENOTCONN when not connected, -EFBIG when the reply exceeds
 * reply->max, -EIO otherwise. */
int nats_client_request(struct nats_client *c, const char *subject, const char *data, size_t len,
			unsigned timeout_ms, struct mbuf *reply, struct errmsg *e);

/* Several requests in flight at once, each reply handed to on_reply as it
 * arrives (js_transport.h's request_many, which says what it returns).
 * Replies come back on one subscription per connection whose pending
 * replies cnats caps at reply->max bytes. */
int nats_client_request_many(struct nats_client *c, const struct js_request *reqs, size_t n,
			     unsigned timeout_ms, struct mbuf *reply, js_reply_fn on_reply,
			     void *arg, struct errmsg *e);

/* Makes a connect or request in flight return at once, and every later
 * one fail with -ECANCELED (shutdown). Thread-safe. */
void nats_client_interrupt(struct nats_client *c);

/* Connection events since the last call, for the caller to log. */
void nats_client_take_events(struct nats_client *c, struct js_transport_events *ev);

/* The client as the poller's transport: t's functions call the ones above;
 * t's close frees c (the poller owns it from then on). */
void nats_client_transport(struct nats_client *c, struct js_transport *t);

#endif
