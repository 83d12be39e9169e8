/* jetstream_poll: one JetStream poll over a js_transport (jetstream_poll.h):
 * connect, who am I (once per connection), account info, every page of the
 * stream list, then the streams' consumers (jetstream_poll_consumers.c),
 * into a new snapshot, all within one budget and the limits on what a poll
 * may take. The background thread that runs it is jetstream_poller.c. It
 * does not log, format metrics or know cnats. */
#include "memacct/jetstream/jetstream_poll.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/jetstream/jetstream_json.h"
#include "memacct/jetstream/jetstream_poll_consumers.h"
#include "memacct/util/mbuf.h"
#include "memacct/util/mono.h"

#define USER_INFO_TIMEOUT_MS 2000 /* old servers do not answer; do not wait long */

const char *js_limit_name(enum js_limit l)
{
	static const char *const names[JS_LIMIT_COUNT] = {
	    [JS_LIMIT_NONE] = "none",
	    [JS_LIMIT_REPLY_BYTES] = "reply_bytes",
	    [JS_LIMIT_REPLY_DECODE] = "reply_decode",
	    [JS_LIMIT_PAGES] = "pages",
	    [JS_LIMIT_REPEATED_PAGE] = "repeated_page",
	    [JS_LIMIT_STREAMS] = "streams",
	    [JS_LIMIT_CONSUMERS] = "consumers",
	};
	return (unsigned)l < JS_LIMIT_COUNT ? names[l] : "none";
}

/* A request to the API ("<prefix>.<what>"). Its -EFBIG is a reply over the
 * cap (reply->max). */
static int api_request(const struct js_poll_ctx *c, struct js_snapshot *snap, const char *what,
		       const char *data, size_t len, unsigned timeout_ms, struct errmsg *e)
{
	char subject[JS_SUBJECT_MAX];
	snprintf(subject, sizeof(subject), "%s.%s", c->api, what);
	snap->requests++;
	int rc = c->t->ops->request(c->t->ctx, subject, data, len, timeout_ms, c->st->reply, e);
	if (rc == -EFBIG)
		c->st->limit = JS_LIMIT_REPLY_BYTES;
	return rc;
}

/* Who am I: servers from 2.10 name the account; older ones have no
 * responder (-ENOENT): then the creds' account, else "". Asked once per
 * connection, with at most a quarter of the budget. */
static int ask_account(const struct js_transport *t, struct js_poll_state *st, unsigned left,
		       struct errmsg *e)
{
	uint64_t gen = t->ops->generation ? t->ops->generation(t->ctx) : 0;
	if (gen != st->generation) {
		st->generation = gen;
		st->account_known = false;
		st->account[0] = '\0';
	}
	if (st->account_known)
		return 0;
	unsigned to = left / 4;
	if (to > USER_INFO_TIMEOUT_MS)
		to = USER_INFO_TIMEOUT_MS;
	struct errmsg ue;
	int rc = t->ops->request(t->ctx, "$SYS.REQ.USER.INFO", "", 0, to, st->reply, &ue);
	if (rc == -ENOTCONN || rc == -ENOMEM) {
		errmsg_set(e, "%s", ue.msg);
		return rc;
	}
	if (rc != 0 || js_parse_user_account(st->reply->data, st->reply->len, st->account,
					     sizeof(st->account), &ue) < 0) {
		st->account[0] = '\0';
		if (st->account_hint)
			snprintf(st->account, sizeof(st->account), "%s", st->account_hint);
	}
	st->account_known = true;
	return 0;
}

/* Whether fp was seen earlier in this poll (else remembers it). */
static bool page_seen(struct js_poll_state *st, uint64_t fp)
{
	for (unsigned i = 0; i < st->n_fingerprints; i++)
		if (st->fingerprints[i] == fp)
			return true;
	if (st->n_fingerprints < JS_MAX_PAGES)
		st->fingerprints[st->n_fingerprints++] = fp;
	return false;
}

/* Every page of the stream list into snap. The list ends at an empty page
 * or when the pages have covered the server's total; a page seen before in
 * this poll (a server that ignores the offset), JS_MAX_PAGES pages or the
 * deadline end the poll with an error. */
static int list_streams(const struct js_poll_ctx *c, struct js_snapshot *snap, struct errmsg *e)
{
	struct js_poll_state *st = c->st;
	unsigned timeout_ms = c->timeout_ms;
	uint64_t offset = 0;
	char body[64];

	st->n_fingerprints = 0;
	for (unsigned pages = 0;; pages++) {
		unsigned to = mono_left_ms(c->deadline_ns);
		if (to == 0) {
			errmsg_set(e, "poll ran out of its %u ms after %llu streams", timeout_ms,
				   (unsigned long long)offset);
			return -ETIMEDOUT;
		}
		if (pages == JS_MAX_PAGES) {
			st->limit = JS_LIMIT_PAGES;
			errmsg_set(e,
				   "$JS.API.STREAM.LIST: more than %u pages (%llu streams) without "
				   "reaching the end; the poll stops there",
				   JS_MAX_PAGES, (unsigned long long)offset);
			return -EFBIG;
		}
		int n =
		    snprintf(body, sizeof(body), "{\"offset\":%llu}", (unsigned long long)offset);
		int rc = api_request(c, snap, "STREAM.LIST", body, (size_t)n, to, e);
		if (rc == -ETIMEDOUT)
			errmsg_set(e,
				   "%s.STREAM.LIST: no reply within the poll's %u ms (%llu "
				   "streams read)",
				   c->api, timeout_ms, (unsigned long long)offset);
		if (rc < 0)
			return rc;
		struct js_page page;
		rc = js_parse_stream_page(st->reply->data, st->reply->len, snap, &page, e);
		if (rc == -EFBIG)
			st->limit = snap->n_streams >= JS_MAX_STREAMS_HARD ? JS_LIMIT_STREAMS
									   : JS_LIMIT_REPLY_DECODE;
		if (rc < 0)
			return rc;
		if (page.count == 0)
			return 0;
		if (page_seen(st, page.fingerprint)) {
			st->limit = JS_LIMIT_REPEATED_PAGE;
			errmsg_set(
			    e,
			    "$JS.API.STREAM.LIST: the page at offset %llu repeats an earlier "
			    "one; the server ignores the offset, the poll stops there",
			    (unsigned long long)offset);
			return -ELOOP;
		}
		offset += page.count;
		if (offset >= page.total)
			return 0;
	}
}

int js_poll_once(const struct js_transport *t, struct js_poll_state *st, const struct js_filter *f,
		 const struct js_snapshot *prev, unsigned timeout_ms, struct js_snapshot **out,
		 struct errmsg *e)
{
	if (timeout_ms == 0)
		timeout_ms = 10000;
	struct js_poll_ctx c = {
	    .t = t,
	    .st = st,
	    .api = st->api_prefix && *st->api_prefix ? st->api_prefix : "$JS.API",
	    .deadline_ns = mono_now_ns() + (uint64_t)timeout_ms * 1000000,
	    .timeout_ms = timeout_ms,
	};
	struct js_snapshot *snap = NULL;
	int rc;

	*out = NULL;
	st->limit = JS_LIMIT_NONE;
	st->polls++;
	rc = t->ops->connect(t->ctx, mono_left_ms(c.deadline_ns), e);
	if (rc == 0)
		rc = ask_account(t, st, mono_left_ms(c.deadline_ns), e);
	if (rc < 0)
		return rc;

	snap = js_snapshot_new(f);
	if (!snap)
		return -ENOMEM;
	memcpy(snap->account.name, st->account, sizeof(snap->account.name));

	rc = api_request(&c, snap, "INFO", "", 0, mono_left_ms(c.deadline_ns), e);
	if (rc == -ENOENT) {
		errmsg_set(e,
			   "%s.INFO: no responder: JetStream is not enabled on the server "
			   "or for this account%s",
			   c.api, strcmp(c.api, "$JS.API") ? ", or not in this domain" : "");
		rc = -EREMOTEIO;
	}
	if (rc == 0) {
		rc = js_parse_account_info(st->reply->data, st->reply->len, &snap->account, e);
		if (rc == -EFBIG)
			st->limit = JS_LIMIT_REPLY_DECODE;
	}
	if (rc == 0)
		rc = list_streams(&c, snap, e);
	if (rc == 0) {
		js_snapshot_finish_streams(snap);
		js_snapshot_lend_missing(snap, prev);
		rc = js_poll_consumers(&c, snap, prev, e);
	}
	if (rc < 0) {
		js_snapshot_free(snap);
		return rc;
	}
	js_snapshot_finish(snap);
	*out = snap;
	return 0;
}
