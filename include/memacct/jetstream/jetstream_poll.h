/* jetstream_poll: one JetStream poll over a transport (js_transport.h) into
 * a snapshot (jetstream_model.h) (jetstream_poll.c, with the consumer step
 * in jetstream_poll_consumers.c), and the background poller that runs it
 * every interval and publishes the result (jetstream_poller.c). A scrape or the /explain page
 * takes a reference to the last snapshot under a short lock: it never waits
 * on NATS. main owns the poller and lends it out; the poller owns its
 * transport and its name filter.
 *
 * Why the raw API and not cnats's js_Streams(): measured against
 * nats-server 2.9.10 on loopback, one listing of 2,000 file streams took
 * js_Streams 0.2-2.3 s (erratic) and $JS.API.STREAM.LIST paged by hand with
 * json-c 0.06-0.13 s; of 10,000 memory streams 0.9-1.1 s against 0.4-0.6 s.
 * Besides, js_Streams puts all pages under one Wait budget, says
 * NATS_NOT_FOUND for zero streams and has no account name or reserved
 * bytes; by hand each page has its own timeout and is decoded as it
 * arrives. */
#ifndef MEMACCT_JETSTREAM_POLL_H
#define MEMACCT_JETSTREAM_POLL_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/jetstream/jetstream_model.h"
#include "memacct/jetstream/js_transport.h"
#include "memacct/util/errmsg.h"
#include "memacct/util/log.h"
#include "memacct/util/name_filter.h"

/* What one poll may take, whatever the server sends. A reply larger than
 * JS_REPLY_MAX (a 256-stream page of nats-server 2.9 is about 160 KiB), a
 * reply whose decoding would take more than JS_JSON_TREE_MAX
 * (jetstream_json.h), more than JS_MAX_PAGES pages of streams (262,144
 * streams at 256 a page) or of consumers past each stream's first, a page
 * seen earlier in the same poll, or more streams or consumers kept than
 * the caps (jetstream_model.h) end the poll with an error, and the poller
 * counts which limit it hit. With them, one poll holds at most JS_REPLY_MAX
 * of replies in flight plus the one being read, one decoded page, 2 x
 * --nats.max-streams streams and 2 x --nats.max-consumers consumers. */
#define JS_REPLY_MAX ((size_t)4 << 20)
#define JS_MAX_PAGES 1024u

enum js_limit {
	JS_LIMIT_NONE,
	JS_LIMIT_REPLY_BYTES,	/* "reply_bytes" */
	JS_LIMIT_REPLY_DECODE,	/* "reply_decode" */
	JS_LIMIT_PAGES,		/* "pages" */
	JS_LIMIT_REPEATED_PAGE, /* "repeated_page" */
	JS_LIMIT_STREAMS,	/* "streams": JS_MAX_STREAMS_HARD without a cap */
	JS_LIMIT_CONSUMERS,	/* "consumers": JS_MAX_CONSUMERS_HARD without a cap */
	JS_LIMIT_COUNT
};
const char *js_limit_name(enum js_limit l);

/* State that lives from poll to poll (the account name of the current
 * connection, the reply buffer). Poller-thread only. */
struct js_poll_state {
	const char *api_prefix; /* "$JS.API" (NULL or ""), "$JS.<domain>.API", ... */
	uint64_t polls;		/* polls begun: whose turn it is to refresh consumers */
	uint64_t generation;	/* connection the account name belongs to */
	bool account_known;	/* user info asked on this connection */
	char account[256];
	const char *account_hint;	     /* used when the server does not say; may be NULL */
	struct mbuf *reply;		     /* max: JS_REPLY_MAX */
	enum js_limit limit;		     /* the limit that ended the last poll, if one did */
	uint64_t fingerprints[JS_MAX_PAGES]; /* of this poll's pages so far */
	unsigned n_fingerprints;
};

/* One poll: connect if needed (within the budget too), who am I (once per
 * connection), account info, every stream page, the kept streams'
 * consumers. prev is the last good snapshot (NULL: none), which lends a
 * missing stream its state and an unchanged stream its consumers. On
 * success *out is a new finished snapshot (refs 1). timeout_ms bounds the
 * whole poll. Returns 0 or -errno with e: -ETIMEDOUT when the poll ran past
 * timeout_ms, -EFBIG or -ELOOP when it hit a limit (st->limit says
 * which). */
int js_poll_once(const struct js_transport *t, struct js_poll_state *st, const struct js_filter *f,
		 const struct js_snapshot *prev, unsigned timeout_ms, struct js_snapshot **out,
		 struct errmsg *e);

struct js_poller_config {
	struct js_transport transport;	    /* taken: closed when the poller is freed */
	struct name_filter *names;	    /* taken (heap, freed with the poller); NULL: all */
	unsigned max_streams;		    /* --nats.max-streams; 0: up to JS_MAX_STREAMS_HARD */
	struct name_filter *consumer_names; /* taken, as names */
	unsigned max_consumers; /* --nats.max-consumers; 0: up to JS_MAX_CONSUMERS_HARD */
	const char *api_prefix; /* NULL: "$JS.API" (copied) */
	unsigned interval_s;	/* between poll starts; 0: 15 */
	unsigned timeout_s;	/* per poll; 0: 10 */
	unsigned stale_after_s; /* 0: serve the last values forever */
	const char *urls;	/* for log lines only (copied) */
	/* The account name when the server does not say (the creds'); may be
	 * NULL (copied). */
	const char *account_hint;
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
	uint64_t dropped_total;		  /* streams left out by max-streams, summed over polls */
	uint64_t consumers_dropped_total; /* consumers left out by max-consumers, over polls */
	uint64_t limit_hits[JS_LIMIT_COUNT]; /* polls ended by each limit */
};

struct js_poller;

/* Builds the poller; no thread yet. Takes ownership of cfg->transport and
 * cfg->names, also when it fails. log is borrowed (NULL: silent). Returns 0
 * or -ENOMEM. */
int js_poller_new(struct js_poller **out, const struct js_poller_config *cfg, struct logger *log);
/* Starts the thread; its first poll begins at once. The thread (and the
 * threads the transport starts) takes no signals. 0 or pthread_create's
 * -errno. */
int js_poller_start(struct js_poller *p);
/* Stops the thread (interrupting a poll in flight), closes the transport
 * and frees everything; views still held must have been released. NULL is
 * a no-op. Returns within 1.5 s: a thread that has not stopped by then is
 * left running (and its memory held) for the process's exit. */
void js_poller_free(struct js_poller *p);

/* Thread-safe; never waits on NATS (only on the short swap lock). */
void js_poller_view(struct js_poller *p, struct js_view *v);
void js_poller_release(struct js_poller *p, struct js_view *v);

#endif
