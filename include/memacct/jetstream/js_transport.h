/* js_transport: what the JetStream poller needs from a NATS connection, as
 * a table of functions over an opaque context: connect, request/reply,
 * interrupt, the connection events to log, close. nats_client.c implements
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
