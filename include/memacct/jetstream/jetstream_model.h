/* jetstream_model: the data of one JetStream poll (the snapshot: the account,
 * its streams with their replicas, and the streams' consumers), how a poll
 * builds and finishes it (order, duplicates, filters, caps, derived
 * reservations, what an earlier poll lends: the last state of a stream the
 * server could not reach, the consumers of a stream that did not change),
 * and the per-stream judgements the collector and /explain share. No I/O,
 * no JSON (jetstream_json.h), no NATS (js_transport.h), no output format.
 * Readers take the snapshot through the poller. */
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

enum js_ack_policy { JS_ACK_NONE, JS_ACK_ALL, JS_ACK_EXPLICIT, JS_ACK_UNKNOWN };
const char *js_ack_policy_name(enum js_ack_policy a); /* "none", "all", "explicit" */

/* One server holding a copy of a clustered stream, as the stream's
 * "cluster" object reports it: the leader, or a follower with its state. */
struct js_replica {
	char *name; /* the server's name; owned */
	bool leader;
	bool current;	   /* caught up (the leader always is) */
	bool offline;	   /* the leader has lost it */
	uint64_t lag;	   /* operations behind the leader */
	int64_t active_ns; /* since the leader last heard from it (0: the leader) */
};

/* At most this many replicas are kept per stream (JetStream allows 5). */
#define JS_MAX_REPLICAS 8

/* One stream as $JS.API.STREAM.LIST reports it. Limits are as configured:
 * max_age 0 and the others -1 (or 0) mean unlimited. Times are Unix
 * nanoseconds; 0 when the server reports none (an empty stream's first_ts is
 * Go's zero time). */
struct js_stream {
	char *name; /* owned */
	/* In a cluster the list names the streams whose leader did not answer
	 * in its "missing" array (nats-server 2.9 also lists them with a zeroed
	 * state) or its "offline" object (2.10+, without them): missing is
	 * set, the state is an earlier poll's when there was one (has_state),
	 * else there is none. has_config: the reply held the stream's config
	 * (not only its name). */
	bool missing, has_state, has_config;
	/* The name of the cluster the stream is placed in (owned), when the
	 * reply had a "cluster" object naming one (or, for a missing stream,
	 * the poll before had): the stream is clustered. Then peers are the
	 * servers holding a replica, the leader first (when there is one),
	 * then the followers. NULL on a single server. */
	char *cluster;
	unsigned n_peers;
	struct js_replica *peers; /* owned */
	enum js_storage storage;
	enum js_retention retention;
	enum js_discard discard;
	int64_t replicas;
	bool sealed;

	uint64_t messages, bytes, first_seq, last_seq;
	int64_t first_ts_ns, last_ts_ns;
	uint64_t subjects, deleted, consumers;

	int64_t max_age_ns, max_bytes, max_msgs, max_msgs_per_subject;

	/* This stream's consumers: consumers[first_consumer ..
	 * first_consumer + n_consumers) once the snapshot is finished;
	 * consumers_filtered were left out by the consumer filter (counted as
	 * they arrive). consumers_complete: the poll's consumer step had them
	 * all (every page, or reused whole), and the cap cut none. */
	size_t first_consumer, n_consumers;
	uint64_t consumers_filtered;
	bool consumers_complete;
};

/* One consumer as $JS.API.CONSUMER.LIST.<stream> reports it. Sequences are
 * stream sequences; last activities are Unix nanoseconds, 0 when the server
 * reports none. */
struct js_consumer {
	char *name;	 /* owned */
	uint32_t stream; /* index into the snapshot's streams */
	bool push;	 /* config.deliver_subject set; else a pull consumer */
	bool durable;	 /* config.durable_name set; else ephemeral */
	bool push_bound; /* a push consumer with a subscriber */
	enum js_ack_policy ack_policy;
	int64_t max_ack_pending; /* as configured; 0 or -1: unlimited */
	uint64_t num_pending, num_ack_pending, num_redelivered, num_waiting;
	uint64_t delivered_stream_seq, ack_floor_stream_seq;
	int64_t last_delivered_ns, last_ack_ns; /* delivered/ack_floor.last_active */
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
 * the first max_streams names in byte order. Of the kept streams'
 * consumers, likewise: consumer names (--nats.consumer-include/exclude),
 * then the first max_consumers in (stream, consumer) name order. */
struct js_filter {
	const struct name_filter *names;
	unsigned max_streams;
	const struct name_filter *consumer_names;
	unsigned max_consumers;
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
	uint64_t missing;  /* kept, but named missing or offline (their state is not this poll's) */

	/* finished: sorted by (stream, name), unique, filtered, capped */
	struct js_consumer *consumers;
	size_t n_consumers, cap_consumers;
	uint64_t consumers_seen;	/* on the kept streams: the sum of the counts below */
	uint64_t consumers_filtered;	/* left out by --nats.consumer-include/exclude */
	uint64_t consumers_dropped;	/* left out by --nats.max-consumers (asked or not) */
	uint64_t consumers_missing;	/* not listed: their stream or its leader did not answer */
	uint64_t consumer_lists_asked;	/* streams whose consumers this poll asked for */
	uint64_t consumer_lists_reused; /* streams whose consumers came from the poll before */
	uint64_t requests;		/* API requests this poll made */

	unsigned refs; /* guarded by the poller's lock */

	/* while building */
	const struct js_filter *filter; /* borrowed; NULL keeps all */
	/* What the streams left out reserve (max_bytes x replicas), for the
	 * account's derived reservation. */
	uint64_t reserved_memory_out, reserved_storage_out;
};

/* Hard caps on streams and consumers held by one poll when
 * --nats.max-streams or --nats.max-consumers is 0. */
#define JS_MAX_STREAMS_HARD 1000000
#define JS_MAX_CONSUMERS_HARD 1000000

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
/* Frees what a stream record owns (name, peers) and NULLs them. */
void js_stream_fini(struct js_stream *st);

/* Takes st (and ownership of st->name and st->peers, NULL afterwards): counted in
 * filtered when the names filter leaves it out, else kept; past
 * 2 x max_streams kept, the kept ones are sorted, made unique and cut back
 * to max_streams (the rest counted in dropped). 0, -ENOMEM, -EFBIG (more
 * than JS_MAX_STREAMS_HARD kept without a max_streams). */
int js_snapshot_add(struct js_snapshot *s, struct js_stream *st);

/* After the last page: sorts by name, removes duplicates (paging while
 * streams are created or deleted can repeat one; a record with state wins
 * over a missing one), applies the cap, sets seen (kept + filtered +
 * dropped; a stream listed twice while left out is counted twice), counts
 * the missing and derives the reserved bytes, over every listed stream,
 * when the server gave none. Idempotent; js_snapshot_finish() calls it. */
void js_snapshot_finish_streams(struct js_snapshot *s);

/* Gives each missing stream its state in prev (an earlier finished
 * snapshot; NULL: none), when prev has it with a state: has_state, and the
 * config too when the reply had only the name. */
void js_snapshot_lend_missing(struct js_snapshot *s, const struct js_snapshot *prev);

/* Takes c (and ownership of c->name, NULL afterwards) for the finished
 * stream c->stream: counted in that stream's filtered when the consumer
 * filter leaves it out, else kept; past 2 x max_consumers kept, the kept
 * ones are sorted, made unique and cut back to max_consumers (the rest
 * counted in consumers_dropped). 0, -ENOMEM, -EFBIG (more than
 * JS_MAX_CONSUMERS_HARD kept without a max_consumers). */
int js_snapshot_add_consumer(struct js_snapshot *s, struct js_consumer *c);

/* Copies the consumers that the stream named like s->streams[i] had in
 * prev (finished), and the count its filter left out, into s. 0 or
 * -ENOMEM, -EFBIG as js_snapshot_add_consumer; -ENOENT when prev has no
 * such stream. */
int js_snapshot_reuse_consumers(struct js_snapshot *s, size_t i, const struct js_snapshot *prev);

/* Whether a consumer, as last seen, can change only by a stream change or a
 * client acting: nothing waits for an ack (no ack, nak or redelivery can
 * come), and nothing can be delivered: nothing pending, or nobody to
 * deliver to (no pull request waiting, no push subscriber bound). */
bool js_consumer_settled(const struct js_consumer *c);

/* Whether the consumers of s->streams[i] can be taken from prev instead of
 * asked for: prev has the stream with the same first and last sequence,
 * message and consumer counts, its consumers were complete, and every one
 * was settled (js_consumer_settled). What this cannot see: a client that
 * starts pulling from, or subscribes to, a consumer with messages pending;
 * the count of waiting pull requests; a consumer replaced by another of the
 * same stream, or its config changed, between the polls. The poll asks
 * again at least every few polls for those. */
bool js_snapshot_consumers_unchanged(const struct js_snapshot *s, size_t i,
				     const struct js_snapshot *prev);

/* The stream in a finished snapshot named name, or NULL. */
const struct js_stream *js_snapshot_find(const struct js_snapshot *s, const char *name);

/* After the last page and the consumers: finishes the streams (above),
 * sorts the consumers by (stream, name), removes duplicates, applies the
 * consumer cap, sets each stream's consumer range and the counts. */
void js_snapshot_finish(struct js_snapshot *s);

#endif
