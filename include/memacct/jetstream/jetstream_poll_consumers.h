/* jetstream_poll_consumers: the consumer step of one JetStream poll, for
 * jetstream_poll.c: after the stream list is finished, every kept stream's
 * consumers into the snapshot, through $JS.API.CONSUMER.LIST.<stream>
 * pages in windows of requests in flight at once, or from the poll before
 * where that is known to be the same (see js_snapshot_consumers_unchanged)
 * or the only state there is (a missing stream). Within the poll's budget
 * and limits; it does not connect, log or know cnats. */
#ifndef MEMACCT_JETSTREAM_POLL_CONSUMERS_H
#define MEMACCT_JETSTREAM_POLL_CONSUMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/jetstream/jetstream_model.h"
#include "memacct/jetstream/jetstream_poll.h"
#include "memacct/jetstream/js_transport.h"
#include "memacct/util/errmsg.h"

/* The longest API subject built: a prefix and a stream name. */
#define JS_SUBJECT_MAX 512

/* An unchanged stream's settled consumers are still asked every this many
 * polls (each stream on its own turn, by its name's hash), so that what the
 * reuse cannot see (a client starting on a consumer with a backlog,
 * waiting pull requests, a consumer replaced) is at most this many polls
 * old. */
#define JS_CONSUMER_REFRESH_POLLS 4

/* What one poll's steps share. */
struct js_poll_ctx {
	const struct js_transport *t;
	struct js_poll_state *st;
	const char *api;      /* the API prefix: "$JS.API", "$JS.<domain>.API", ... */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC (mono_now_ns) */
	unsigned timeout_ms;  /* the poll's budget, for messages */
};

/* Whether name can be a subject token: not empty, no space or control
 * character, no '.', '*' or '>'. A stream named otherwise is not asked
 * for (its consumers count as missing). */
bool js_subject_token_ok(const char *name);

/* The consumers of snap's streams (finished, see
 * js_snapshot_finish_streams), prev the last good snapshot (NULL: none).
 * Returns 0, or -errno with e: -ETIMEDOUT past the deadline, -EFBIG or
 * -ELOOP at a limit (ctx->st->limit says which), a malformed reply's
 * error. One stream's failure (no responder, an API error) is not the
 * poll's: its consumers count as missing. */
int js_poll_consumers(const struct js_poll_ctx *ctx, struct js_snapshot *snap,
		      const struct js_snapshot *prev, struct errmsg *e);

#endif
