/* jetstream: the JetStream collector's data model (one poll's snapshot), the
 * decoding of the JetStream API's JSON replies into it (jetstream_json.c),
 * and the background poller that fills it (jetstream_poll.c). The collector
 * (collectors/jetstream.c) turns a snapshot into metrics; nothing here
 * knows the output format, and nothing here includes cnats (nats_client.h).
 *
 * Why the raw API and not cnats's js_Streams(): measured against
 * nats-server 2.9.10 on loopback, one listing of 2,000 file streams took
 * js_Streams 0.2-2.3 s (erratic) and $JS.API.STREAM.LIST paged by hand with
 * json-c 0.06-0.13 s; of 10,000 memory streams 0.9-1.1 s against 0.4-0.6 s.
 * Besides, js_Streams puts all pages under one Wait budget, says
 * NATS_NOT_FOUND for zero streams and has no account name or reserved
 * bytes; by hand each page has its own timeout and is decoded as it
 * arrives.
 * json-c rather than jansson: jansson rejects integers above INT64_MAX,
 * which the server writes for unset uint64 fields. */
#ifndef MEMACCT_JETSTREAM_H
#define MEMACCT_JETSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memacct/util/errmsg.h"
#include "memacct/util/log.h"
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

/* One completed poll. Immutable once published: readers share it through
 * the poller's reference count. */
struct js_snapshot {
	struct js_account account;
	struct js_stream *streams; /* sorted by name, unique, filtered and capped */
	size_t n_streams, cap_streams;
	uint64_t seen;	   /* streams listed by the server */
	uint64_t filtered; /* left out by --nats.stream-include/exclude */
	uint64_t dropped;  /* left out by --nats.max-streams */
	unsigned refs;	   /* guarded by the poller's lock */
};

/* Hard cap on streams held by one poll, whatever --nats.max-streams says. */
#define JS_MAX_STREAMS_HARD 1000000

/* --- derived values (pure) --- */

/* A limits-retention stream with no max_age, no max_bytes and no max_msgs
 * grows forever; a sealed stream cannot grow, so it is never unbounded. */
bool js_stream_unbounded(const struct js_stream *s);
/* A limits-retention, unsealed stream bounded by max_age only (no max_bytes,
 * no max_msgs): its size follows the traffic of the last max_age. */
bool js_stream_time_bounded_only(const struct js_stream *s);

/* --- JSON (jetstream_json.c); each returns 0 or -errno with e set --- */

/* Parses Go's RFC 3339 timestamps ("2024-05-01T10:00:00.123456789Z", or an
 * offset such as "+02:00") into Unix nanoseconds. Go's zero time
 * ("0001-01-01T00:00:00Z") and any year before 1970 give 0. -EINVAL when
 * malformed, -ERANGE past year 2262. */
int js_parse_time(const char *s, int64_t *ns);

/* A JetStream API error reply ({"error":{"code":..,"description":..}}) is
 * -EREMOTEIO with e = "JetStream API error CODE: DESCRIPTION". */

/* $JS.API.INFO reply into a (name untouched). -EINVAL when not JSON. */
int js_parse_account_info(const char *json, size_t len, struct js_account *a, struct errmsg *e);

/* $SYS.REQ.USER.INFO reply: copies data.account into name (cap bytes).
 * -ENOENT when the reply has none. */
int js_parse_user_account(const char *json, size_t len, char *name, size_t cap, struct errmsg *e);

/* The account a .creds file's user belongs to: its JWT's
 * nats.issuer_account (signing keys) or else iss, an account public key
 * ("A..."), the name the server gives the account. 0, -EINVAL when no user
 * JWT is found, -ENOMEM. Does not check signatures. */
int js_parse_creds_account(const char *text, size_t len, char *name, size_t cap);

/* One $JS.API.STREAM.LIST page: appends its streams to snap (owning their
 * names), and sets *total (the server's stream count) and *count (streams in
 * this page, including any skipped as malformed). -EFBIG past
 * JS_MAX_STREAMS_HARD. */
int js_parse_stream_page(const char *json, size_t len, struct js_snapshot *snap, uint64_t *total,
			 size_t *count, struct errmsg *e);

/* --- snapshot --- */

struct js_snapshot *js_snapshot_new(void);
void js_snapshot_free(struct js_snapshot *s);
/* Appends a copy of st; takes ownership of st->name. -ENOMEM, -EFBIG. */
int js_snapshot_add(struct js_snapshot *s, struct js_stream *st);

/* Which streams a poll keeps: names (--nats.stream-include/exclude; NULL:
 * all), then at most max_streams (0 keeps all). */
struct js_filter {
	const struct name_filter *names;
	unsigned max_streams;
};

/* After the last page: sorts by name, removes duplicates (paging while
 * streams are created or deleted can repeat one), derives the reserved bytes
 * when the server gave none, sets seen, then applies the filter (filtered)
 * and the cap (dropped; the first max_streams names in byte order stay). */
void js_snapshot_finish(struct js_snapshot *s, const struct js_filter *f);

/* --- poller (jetstream_poll.c) --- */

/* One request: send data to subject, wait up to timeout_ms, put the reply
 * in reply. The real one is nats_client_request(); tests pass a fake. */
struct mbuf;
struct js_transport {
	void *ctx;
	/* 0 when connected (connecting if needed), else -errno with e. */
	int (*connect)(void *ctx, struct errmsg *e);
	/* Changes when the connection is new (redo per-connection work). */
	uint64_t (*generation)(void *ctx);
	int (*request)(void *ctx, const char *subject, const char *data, size_t len,
		       unsigned timeout_ms, struct mbuf *reply, struct errmsg *e);
};

/* State that lives from poll to poll (the account name of the current
 * connection, the reply buffer). Poller-thread only. */
struct js_poll_state {
	uint64_t generation; /* connection the account name belongs to */
	bool account_known;  /* user info asked on this connection */
	char account[256];
	const char *account_hint; /* used when the server does not say; may be NULL */
	struct mbuf *reply;
};

/* One poll: connect if needed, who am I (once per connection), account
 * info, every stream page. On success *out is a new finished snapshot
 * (refs 1). timeout_ms bounds the whole poll. Returns 0 or -errno with e
 * (-ETIMEDOUT when the poll ran past timeout_ms). */
int js_poll_once(const struct js_transport *t, struct js_poll_state *st, const struct js_filter *f,
		 unsigned timeout_ms, struct js_snapshot **out, struct errmsg *e);

struct js_poller_config {
	const struct js_transport *transport; /* borrowed; outlives the poller */
	struct js_filter filter;	      /* names borrowed */
	unsigned interval_s;		      /* between poll starts; 0: 15 */
	unsigned timeout_s;		      /* per poll; 0: 10 */
	unsigned stale_after_s;		      /* 0: serve the last values forever */
	const char *urls;		      /* for log lines only */
	/* The account name when the server does not say (the creds'); may be
	 * NULL. */
	const char *account_hint;
	/* Called with transport->ctx; may be NULL. interrupt unblocks a
	 * request in flight at stop; log_events runs on the poller thread
	 * after each poll to report connection events (it owns its back-off). */
	void (*interrupt)(void *ctx);
	void (*log_events)(void *ctx, struct logger *log);
};

/* What a scrape sees: the health of the poller and, when there are values to
 * serve, a reference to the last good snapshot (release it). */
struct js_view {
	struct js_snapshot *snap; /* NULL: none yet, or dropped by stale_after */
	bool up;		  /* the last poll succeeded */
	bool stale;		  /* snap is from an earlier poll than the last */
	bool polled;		  /* at least one poll has finished */
	double last_success_s;	  /* Unix seconds; 0: never */
	double last_duration_s;	  /* of the last poll, success or not */
	uint64_t errors_total;
	uint64_t dropped_total; /* streams left out by max-streams, summed over polls */
	uint64_t seen, exported, filtered, dropped; /* of the last good poll */
};

struct js_poller;

/* Starts the thread; its first poll begins at once. log is borrowed (NULL:
 * silent). Returns 0, -ENOMEM, or pthread_create's -errno. */
int js_poller_start(struct js_poller **out, const struct js_poller_config *cfg, struct logger *log);
/* Stops the thread (interrupting a poll in flight) and frees everything;
 * views still held must have been released. */
void js_poller_stop(struct js_poller *p);

/* Thread-safe; never waits on NATS (only on the short swap lock). */
void js_poller_view(struct js_poller *p, struct js_view *v);
void js_poller_release(struct js_poller *p, struct js_view *v);

/* The /explain page's stream rows from the jetstream collector's state
 * (collector_jetstream's opaque state; see scraper_collector_state()):
 * an explain_streams_fn. Thread-safe. */
struct explain_stream_sink;
int jetstream_explain_streams(void *collector_state, struct explain_stream_sink *sink);

#endif
