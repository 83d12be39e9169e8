/* js_transport: what the JetStream poller needs from a NATS connection, as
 * a table of functions over an opaque context: connect, request/reply (one,
 * or several in flight at once), interrupt, the connection events to log,
 * close. nats_client.c implements
 * it over cnats (nats_client_transport()); unit tests pass a fake. The
 * poller depends on this interface only, never on cnats or on who built
 * the connection. */
#ifndef MEMACCT_JS_TRANSPORT_H
#define MEMACCT_JS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "memacct/util/errmsg.h"

struct mbuf;

/* Connection events since the last take_events(), for the poller to log. */
struct js_transport_events {
	unsigned long disconnects;
	unsigned long reconnects;
	unsigned long async_errors;
	unsigned long auth_retries; /* connects retried after an auth failure */
	char last_error[256];	    /* "" when none */
	char url[256];		    /* the server connected to now, "" when none */
};

/* One request of a batch. */
struct js_request {
	const char *subject;
	const char *data;
	size_t len;
};

/* Called for each reply of a batch as it arrives (in any order): i is the
 * request's index, rc 0 with the reply in reply, or -ENOENT (no
 * responders), -EFBIG (over reply->max). A negative return ends the batch
 * with that value. */
typedef int (*js_reply_fn)(void *arg, size_t i, int rc, const struct mbuf *reply, struct errmsg *e);

/* At most this many requests in one batch. */
#define JS_BATCH_MAX 64

struct js_transport_ops {
	/* 0 when connected (connecting if needed, all of it within
	 * timeout_ms), else -errno with e: -EACCES auth, -ECONNREFUSED no
	 * server reached, -ETIMEDOUT (the handshake included), -EPROTO TLS,
	 * -ECANCELED after interrupt. */
	int (*connect)(void *ctx, unsigned timeout_ms, struct errmsg *e);
	/* Changes when the connection is new (redo per-connection work). May
	 * be NULL: always the same connection. */
	uint64_t (*generation)(void *ctx);
	/* Sends data to subject and waits up to timeout_ms for one reply,
	 * which replaces reply's contents. 0, -ETIMEDOUT, -ENOENT (no
	 * responders), -ENOTCONN, -EFBIG (reply over reply->max), -EIO. */
	int (*request)(void *ctx, const char *subject, const char *data, size_t len,
		       unsigned timeout_ms, struct mbuf *reply, struct errmsg *e);
	/* Sends n (at most JS_BATCH_MAX) requests at once and hands each
	 * reply to on_reply as it arrives, waiting up to timeout_ms in all;
	 * the replies in flight are held up to reply->max bytes together.
	 * 0 when every request was answered; -ETIMEDOUT when some were not
	 * in time; -EFBIG when replies were dropped for passing that; else
	 * as request, or on_reply's negative return. Fewer round trips than
	 * n requests one after the other, and the server writes its replies
	 * in fewer, larger writes. May be NULL: the poller asks one by one. */
	int (*request_many)(void *ctx, const struct js_request *reqs, size_t n, unsigned timeout_ms,
			    struct mbuf *reply, js_reply_fn on_reply, void *arg, struct errmsg *e);
	/* Any thread: makes a connect or request in flight return and every
	 * later one fail with -ECANCELED (shutdown). May be NULL. */
	void (*interrupt)(void *ctx);
	/* Events since the last call. May be NULL. */
	void (*take_events)(void *ctx, struct js_transport_events *ev);
	/* Closes the connection and frees ctx. May be NULL. */
	void (*close)(void *ctx);
};

struct js_transport {
	const struct js_transport_ops *ops;
	void *ctx;
};

#endif
