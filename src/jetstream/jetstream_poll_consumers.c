/* jetstream_poll_consumers: the consumer step of one JetStream poll (see
 * jetstream_poll_consumers.h). After the stream list, it walks the kept
 * streams in name order and, for each with consumers, asks
 * $JS.API.CONSUMER.LIST.<stream> (every page), or takes them from the poll
 * before when the stream did not change and its consumers were settled
 * (js_consumer_settled: none can change without a client acting; at least
 * every JS_CONSUMER_REFRESH_POLLS-th poll it asks anyway, staggered by
 * stream name), or from the poll before when the server could not reach
 * the stream (missing). Requests go in windows of up to JS_BATCH_MAX at
 * once (the transport's request_many), sized so that the replies in flight
 * stay near WINDOW_BYTES. Once the kept consumers reach --nats.max-consumers
 * the remaining streams are not asked: their consumers are counted as
 * dropped from the stream list's counts. It does not connect, log or
 * format. */
#include "memacct/jetstream/jetstream_poll_consumers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/jetstream/jetstream_json.h"
#include "memacct/util/fnv1a.h"
#include "memacct/util/mbuf.h"
#include "memacct/util/mono.h"

/* nats-server's page size for consumer lists (JSApiListLimit). */
#define CONSUMER_PAGE 256
/* Replies expected in flight in one window, at about 1 KiB a consumer. */
#define WINDOW_BYTES ((size_t)1 << 20)
#define EST_PER_CONSUMER 1024
#define EST_PER_REPLY 512

/* One request of a window: a page of one stream's consumer list. */
struct job {
	uint32_t stream;
	uint64_t offset;      /* 0: the first page */
	unsigned pages;	      /* pages of this stream before this one */
	uint64_t fingerprint; /* of the page before, to tell a repeated one */
};

struct window {
	const struct js_poll_ctx *ctx;
	struct js_snapshot *snap;
	struct job jobs[JS_BATCH_MAX];
	char subjects[JS_BATCH_MAX][JS_SUBJECT_MAX];
	char bodies[JS_BATCH_MAX][48];
	struct js_request reqs[JS_BATCH_MAX];
	size_t n;
	struct job next[JS_BATCH_MAX]; /* follow-up pages for the next window */
	size_t n_next;
	unsigned extra_pages; /* pages past the first, this poll */
};

bool js_subject_token_ok(const char *name)
{
	if (!name || !*name)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '.' || *p == '*' || *p == '>')
			return false;
	return true;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* n of stream st's consumers were not obtained this poll. */
static void count_missing(struct js_snapshot *snap, struct js_stream *st, uint64_t n)
{
	st->consumers_complete = false;
	snap->consumers_missing += n;
}

/* Adds a request for job to the window. -ENAMETOOLONG when the subject
 * does not fit (the stream's consumers are then missing). */
static int add_job(struct window *w, const struct job *j)
{
	const struct js_stream *st = &w->snap->streams[j->stream];
	size_t i = w->n;
	int n = snprintf(w->subjects[i], sizeof(w->subjects[i]), "%s.CONSUMER.LIST.%s", w->ctx->api,
			 st->name);
	if (n < 0 || (size_t)n >= sizeof(w->subjects[i]))
		return -ENAMETOOLONG;
	int len = j->offset ? snprintf(w->bodies[i], sizeof(w->bodies[i]), "{\"offset\":%llu}",
				       (unsigned long long)j->offset)
			    : 0;
	w->jobs[i] = *j;
	w->reqs[i] = (struct js_request){
	    .subject = w->subjects[i], .data = w->bodies[i], .len = (size_t)len};
	w->n++;
	return 0;
}

static size_t estimate(const struct js_stream *st, uint64_t offset)
{
	uint64_t n = sat_sub(st->consumers, offset);
	return (size_t)(n > CONSUMER_PAGE ? CONSUMER_PAGE : n) * EST_PER_CONSUMER + EST_PER_REPLY;
}

/* A reply to w->jobs[i]. Failures of one stream (no responder, an API
 * error such as a stream deleted meanwhile) count its consumers as
 * missing; a reply over a limit or malformed fails the poll. */
static int on_reply(void *arg, size_t i, int rc, const struct mbuf *reply, struct errmsg *e)
{
	struct window *w = arg;
	struct js_snapshot *snap = w->snap;
	const struct job *j = &w->jobs[i];
	struct js_stream *st = &snap->streams[j->stream];
	struct js_poll_state *ps = w->ctx->st;
	struct js_page page;

	if (rc == -EFBIG) {
		ps->limit = JS_LIMIT_REPLY_BYTES;
		return rc;
	}
	if (rc == 0)
		rc = js_parse_consumer_page(reply->data, reply->len, snap, j->stream, &page, e);
	if (rc == -ENOENT || rc == -EREMOTEIO) {
		count_missing(snap, st, sat_sub(st->consumers, j->offset));
		return 0;
	}
	if (rc == -EFBIG)
		ps->limit = snap->n_consumers >= JS_MAX_CONSUMERS_HARD ? JS_LIMIT_CONSUMERS
								       : JS_LIMIT_REPLY_DECODE;
	if (rc < 0)
		return rc;
	snap->consumers_missing += page.missing;
	if (page.count == 0 || j->offset + page.count >= page.total)
		return 0;
	if (j->pages > 0 && page.fingerprint == j->fingerprint) {
		ps->limit = JS_LIMIT_REPEATED_PAGE;
		errmsg_set(e,
			   "%s: the page at offset %llu repeats the one before; the server ignores "
			   "the offset, the poll stops there",
			   w->subjects[i], (unsigned long long)j->offset);
		return -ELOOP;
	}
	if (++w->extra_pages > JS_MAX_PAGES) {
		ps->limit = JS_LIMIT_PAGES;
		errmsg_set(e, "more than %u consumer list pages past the first of each stream",
			   JS_MAX_PAGES);
		return -EFBIG;
	}
	w->next[w->n_next++] = (struct job){.stream = j->stream,
					    .offset = j->offset + page.count,
					    .pages = j->pages + 1,
					    .fingerprint = page.fingerprint};
	return 0;
}

/* Sends the window's requests, at once when the transport can. */
static int send_window(struct window *w, uint64_t deadline_ns, struct errmsg *e)
{
	const struct js_transport *t = w->ctx->t;
	struct mbuf *reply = w->ctx->st->reply;
	unsigned to = mono_left_ms(deadline_ns);
	int rc;

	if (to == 0) {
		errmsg_set(e, "poll ran out of its %u ms listing consumers", w->ctx->timeout_ms);
		return -ETIMEDOUT;
	}
	w->snap->requests += w->n;
	if (t->ops->request_many) {
		rc = t->ops->request_many(t->ctx, w->reqs, w->n, to, reply, on_reply, w, e);
	} else {
		rc = 0;
		for (size_t i = 0; i < w->n && rc == 0; i++) {
			to = mono_left_ms(deadline_ns);
			int one = to ? t->ops->request(t->ctx, w->reqs[i].subject, w->reqs[i].data,
						       w->reqs[i].len, to, reply, e)
				     : -ETIMEDOUT;
			rc = one == 0 || one == -ENOENT || one == -EFBIG
				 ? on_reply(w, i, one, reply, e)
				 : one;
		}
	}
	if (rc == -ETIMEDOUT)
		errmsg_set(e, "consumer lists: no reply within the poll's %u ms (%s ...)",
			   w->ctx->timeout_ms, w->reqs[0].subject);
	if (rc == -EFBIG && w->ctx->st->limit == JS_LIMIT_NONE)
		w->ctx->st->limit = JS_LIMIT_REPLY_BYTES; /* replies dropped in flight */
	return rc;
}

/* What to do with stream i's consumers before asking: 1 when settled
 * (none, taken from prev, or counted missing), 0 to ask, < 0 an error. */
static int settle(struct window *w, size_t i, const struct js_snapshot *prev)
{
	struct js_snapshot *snap = w->snap;
	struct js_stream *st = &snap->streams[i];
	int rc;

	st->consumers_complete = false;
	if (st->missing) {
		/* The server has no state for it now: its consumers as they were. */
		rc = js_snapshot_reuse_consumers(snap, i, prev);
		if (rc == 0)
			snap->consumer_lists_reused++;
		else if (rc == -ENOENT)
			count_missing(snap, st, st->consumers);
		return rc == -ENOENT ? 1 : rc < 0 ? rc : 1;
	}
	if (st->consumers == 0) {
		st->consumers_complete = true;
		return 1;
	}
	if (!js_subject_token_ok(st->name)) {
		count_missing(snap, st, st->consumers);
		return 1;
	}
	if ((w->ctx->st->polls + fnv1a64(FNV1A64_BASIS, st->name, strlen(st->name))) % JS_CONSUMER_REFRESH_POLLS != 0 &&
	    js_snapshot_consumers_unchanged(snap, i, prev)) {
		rc = js_snapshot_reuse_consumers(snap, i, prev);
		if (rc < 0)
			return rc;
		st->consumers_complete = true;
		snap->consumer_lists_reused++;
		return 1;
	}
	st->consumers_complete = true; /* until a page fails or the cap cuts */
	return 0;
}

/* The kept consumers reached the cap: the streams from i on are not asked;
 * their consumers, as the stream list counts them, are dropped. */
static void drop_rest(struct js_snapshot *snap, size_t i)
{
	for (; i < snap->n_streams; i++) {
		snap->streams[i].consumers_complete = false;
		snap->consumers_dropped += snap->streams[i].consumers;
	}
}

int js_poll_consumers(const struct js_poll_ctx *ctx, struct js_snapshot *snap,
		      const struct js_snapshot *prev, struct errmsg *e)
{
	struct window *w = calloc(1, sizeof(*w));
	unsigned cap = snap->filter ? snap->filter->max_consumers : 0;
	size_t pos = 0;
	int rc = 0;

	if (!w)
		return -ENOMEM;
	w->ctx = ctx;
	w->snap = snap;
	while (rc == 0 && (pos < snap->n_streams || w->n_next > 0)) {
		/* Pages still due of streams asked already come first in name
		 * order: they are fetched even past the cap, which the finish
		 * applies in order. */
		if (cap && snap->n_consumers >= cap && w->n_next == 0) {
			drop_rest(snap, pos);
			break;
		}
		/* Follow-up pages first, then streams in order. */
		struct job next[JS_BATCH_MAX];
		size_t n_next = w->n_next, bytes = 0;
		memcpy(next, w->next, n_next * sizeof(*next));
		w->n = 0;
		w->n_next = 0;
		for (size_t k = 0; k < n_next && rc == 0; k++) {
			bytes += estimate(&snap->streams[next[k].stream], next[k].offset);
			rc = add_job(w, &next[k]);
		}
		/* Consumers the window's new streams may add: once the kept
		 * ones and these reach the cap, no more streams are added
		 * (the filter may leave fewer: the next window goes on). */
		uint64_t expected = 0;
		while (rc == 0 && pos < snap->n_streams && w->n < JS_BATCH_MAX &&
		       bytes < WINDOW_BYTES && !(cap && snap->n_consumers + expected >= cap)) {
			size_t i = pos++;
			rc = settle(w, i, prev);
			if (rc == 1) {
				rc = 0;
				continue;
			}
			if (rc < 0)
				break;
			struct job j = {.stream = (uint32_t)i};
			bytes += estimate(&snap->streams[i], 0);
			rc = add_job(w, &j);
			if (rc == -ENAMETOOLONG) {
				count_missing(snap, &snap->streams[i], snap->streams[i].consumers);
				rc = 0;
				continue;
			}
			snap->consumer_lists_asked++;
			expected += snap->streams[i].consumers;
		}
		if (rc == 0 && w->n > 0)
			rc = send_window(w, ctx->deadline_ns, e);
	}
	free(w);
	return rc;
}
