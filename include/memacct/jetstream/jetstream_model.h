/* jetstream_model: the data of one JetStream poll (the snapshot: the account
 * and its streams), how a poll builds and finishes it (order, duplicates,
 * filter, cap, derived reservations), and the per-stream judgements the
 * collector and /explain share. No I/O, no JSON (jetstream_json.h), no
 * NATS (js_transport.h), no output format.
 *
 * Extending it (consumers, clusters): add the new records beside streams in
 * struct js_snapshot with their own add/finish steps, and a step to
 * js_poll_once(); readers keep taking the snapshot through the poller. */
#ifndef MEMACCT_JETSTREAM_MODEL_H
#define MEMACCT_JETSTREAM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memacct/util/name_filter.h"

enum js_storage { JS_STORAGE_FILE, JS_STORAGE_MEMORY, JS_STORAGE_UNKNOWN };
enum js_retention {
	JS_RETENTION_LIMITS,
	JS_RETENTION_INTEREST,
	JS_RETENTION_WORKQUEUE,
	JS_RETENTION_UNKNOWN
};
enum js_discard { JS_DISCARD_OLD, JS_DISCARD_NEW, JS_DISCARD_UNKNOWN };

const char *js_storage_name(enum js_storage s);	    /* "file", "memory", "unknown" */
const char *js_retention_name(enum js_retention r); /* "limits", "interest", "workqueue" */
const char *js_discard_name(enum js_discard d);	    /* "old", "new" */

/* One stream as $JS.API.STREAM.LIST reports it. Limits are as configured:
 * max_age 0 and the others -1 (or 0) mean unlimited. Times are Unix
 * nanoseconds; 0 when the server reports none (an empty stream's first_ts is
 * Go's zero time). */
struct js_stream {
	char *name; /* owned */
	enum js_storage storage;
	enum js_retention retention;
	enum js_discard discard;
	int64_t replicas;
	bool sealed;

	uint64_t messages, bytes, first_seq, last_seq;
	int64_t first_ts_ns, last_ts_ns;
	uint64_t subjects, deleted, consumers;

	int64_t max_age_ns, max_bytes, max_msgs, max_msgs_per_subject;
};

/* The connected account, from $JS.API.INFO. The reserved bytes are the
 * server's when it reports them (newer servers), else the sum of the
 * streams' max_bytes times replicas per storage type, which is what the
 * server reserves (reserved_from_streams tells which). */
struct js_account {
	char name[256]; /* from $SYS.REQ.USER.INFO (2.10+), else the creds' account, else "" */
	uint64_t memory, storage;
	uint64_t reserved_memory, reserved_storage;
	bool has_reserved; /* the reply held reserved_*; else derived */
	int64_t streams, consumers;
	uint64_t api_total, api_errors;
	int64_t max_memory, max_storage, max_streams, max_consumers; /* -1: unlimited */
};

/* Which streams a poll keeps: names (--nats.stream-include/exclude; NULL:
 * all), then at most max_streams (0 keeps all, up to JS_MAX_STREAMS_HARD):
 * the first max_streams names in byte order. */
struct js_filter {
	const struct name_filter *names;
	unsigned max_streams;
};

/* One poll's data. While a poll builds it, the filter is applied as each
 * stream arrives, so a poll holds at most about 2 x max_streams streams
 * whatever the server lists; once finished it is immutable, and readers
 * share it through the poller's reference count. */
struct js_snapshot {
	struct js_account account;
	struct js_stream *streams; /* finished: sorted by name, unique, filtered, capped */
	size_t n_streams, cap_streams;
	uint64_t seen;	   /* streams listed by the server */
	uint64_t filtered; /* left out by --nats.stream-include/exclude */
	uint64_t dropped;  /* left out by --nats.max-streams */
	unsigned refs;	   /* guarded by the poller's lock */

	/* while building */
	const struct js_filter *filter; /* borrowed; NULL keeps all */
	/* What the streams left out reserve (max_bytes x replicas), for the
	 * account's derived reservation. */
	uint64_t reserved_memory_out, reserved_storage_out;
};

/* Hard cap on streams held by one poll when --nats.max-streams is 0. */
#define JS_MAX_STREAMS_HARD 1000000

/* --- derived values (pure) --- */

/* A limits-retention stream with no max_age, no max_bytes and no max_msgs
 * grows forever; a sealed stream cannot grow, so it is never unbounded. */
bool js_stream_unbounded(const struct js_stream *s);
/* A limits-retention, unsealed stream bounded by max_age only (no max_bytes,
 * no max_msgs): its size follows the traffic of the last max_age. */
bool js_stream_time_bounded_only(const struct js_stream *s);

/* --- snapshot --- */

/* A snapshot to build with filter f (borrowed until finish; NULL keeps
 * all). NULL when out of memory. */
struct js_snapshot *js_snapshot_new(const struct js_filter *f);
void js_snapshot_free(struct js_snapshot *s);
/* Takes st (and ownership of st->name, NULL afterwards): counted in
 * filtered when the names filter leaves it out, else kept; past
 * 2 x max_streams kept, the kept ones are sorted, made unique and cut back
 * to max_streams (the rest counted in dropped). 0, -ENOMEM, -EFBIG (more
 * than JS_MAX_STREAMS_HARD kept without a max_streams). */
int js_snapshot_add(struct js_snapshot *s, struct js_stream *st);

/* After the last page: sorts by name, removes duplicates (paging while
 * streams are created or deleted can repeat one), applies the cap, sets
 * seen (kept + filtered + dropped; a stream listed twice while left out is
 * counted twice) and derives the reserved bytes, over every listed stream,
 * when the server gave none. */
void js_snapshot_finish(struct js_snapshot *s);

#endif
