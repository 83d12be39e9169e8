/* jetstream collector: serves the last JetStream poll (SPEC section 4) as
 * metrics (the consumers' and replicas' series are jetstream_consumers.c's),
 * and the same poll as the /explain page's stream rows. The poll
 * runs in main's poller (jetstream_poll.c, set up by jetstream_setup.c)
 * every --nats.poll-interval over one NATS connection (nats_client.c); a
 * scrape only takes a reference to the last snapshot and formats it, so a
 * slow or dead NATS server never slows or fails a scrape. Without
 * --nats.url there is no poller: the collector is not configured and adds
 * nothing. It connects to nothing and reads no flag.
 *
 * Message ages are computed at scrape time from the stored first/last
 * message times, so they keep growing with wall time between polls (and
 * while NATS is down and the last values are served stale). */
#include <stdio.h>

#include "memacct/collectors/collector.h"
#include "memacct/collectors/jetstream_series.h"
#include "memacct/explain/explain_page.h"
#include "memacct/jetstream/jetstream_poll.h"
#include "memacct/util/mono.h"

/* --- init --- */

/* The poller is main's (env->poller, NULL without --nats.url): the
 * collector borrows it and keeps nothing else. */
static int jetstream_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	(void)e;
	*state = env->poller;
	return 0;
}

/* --- collect --- */

#define H_UNLIMITED_NEG " -1 (or 0) means unlimited."

/* The listed total, and name{result} for the disjoint results that add up
 * to it (so that sum() over them is the total): n[0] the listed total, then
 * exported, missing, filtered, dropped. */
static void poll_results(struct registry *reg, const char *listed, const char *listed_help,
			 const char *name, const char *help, const uint64_t n[5])
{
	static const char *const results[] = {"exported", "missing", "filtered", "dropped"};
	metric_u64(registry_family(reg, listed, METRIC_GAUGE, listed_help), NULL, NULL, NULL, n[0]);
	struct family *f = registry_family(reg, name, METRIC_GAUGE, help);
	for (int i = 0; i < 4; i++)
		metric_u64(f, NULL, "result", results[i], n[i + 1]);
}

static void collect_health(struct registry *reg, const struct js_view *v)
{
	metric_u64(registry_family(reg, "memacct_jetstream_up", METRIC_GAUGE,
				   "1 when the last JetStream poll succeeded, 0 when it failed or "
				   "none has finished yet; after a failure the stream and account "
				   "series keep the last good poll's values (until "
				   "--nats.stale-after, when set)."),
		   NULL, NULL, NULL, v->up ? 1 : 0);
	if (v->last_success_s > 0)
		metric_f64(registry_family(
			       reg, "memacct_jetstream_last_poll_success_timestamp_seconds",
			       METRIC_GAUGE, "Unix time of the last successful JetStream poll."),
			   NULL, NULL, NULL, v->last_success_s);
	if (v->polled)
		metric_f64(
		    registry_family(reg, "memacct_jetstream_poll_duration_seconds", METRIC_GAUGE,
				    "How long the last JetStream poll took, success or not."),
		    NULL, NULL, NULL, v->last_duration_s);
	metric_u64(registry_family(reg, "memacct_jetstream_poll_errors_total", METRIC_COUNTER,
				   "JetStream polls that failed (connect, auth, timeout, API "
				   "error); the log says why."),
		   NULL, NULL, NULL, v->errors_total);
	metric_u64(registry_family(reg, "memacct_jetstream_streams_dropped_total", METRIC_COUNTER,
				   "Streams left out because --nats.max-streams was reached, "
				   "summed over polls."),
		   NULL, NULL, NULL, v->dropped_total);
	metric_u64(registry_family(reg, "memacct_jetstream_consumers_dropped_total", METRIC_COUNTER,
				   "Consumers left out because --nats.max-consumers was reached, "
				   "summed over polls."),
		   NULL, NULL, NULL, v->consumers_dropped_total);
	struct family *lim = registry_family(
	    reg, "memacct_jetstream_poll_limit_hits_total", METRIC_COUNTER,
	    "JetStream polls stopped by a limit on what one poll may take, each also a failed "
	    "poll: a reply over 4 MiB or replies in flight past it (reply_bytes), a reply that "
	    "would take over 16 MiB to decode (reply_decode), more than 1,024 stream list "
	    "pages or consumer list pages past each stream's first (pages), a page the server "
	    "sent twice (repeated_page), more than 1,000,000 streams with "
	    "--nats.max-streams=0 (streams) or consumers with --nats.max-consumers=0 "
	    "(consumers).");
	for (int l = JS_LIMIT_NONE + 1; l < JS_LIMIT_COUNT; l++)
		metric_u64(lim, NULL, "limit", js_limit_name((enum js_limit)l), v->limit_hits[l]);
	const struct js_snapshot *s = v->snap;
	if (!s)
		return;
	poll_results(reg, "memacct_jetstream_poll_streams_listed",
		     "Streams the server listed in the last good poll.",
		     "memacct_jetstream_poll_streams",
		     "Streams in the last good poll by what became of them: exported with this "
		     "poll's state, named missing or offline by the server (exported with the "
		     "last state seen, if any), left out by --nats.stream-include/exclude "
		     "(filtered) or by --nats.max-streams (dropped); they add up to "
		     "memacct_jetstream_poll_streams_listed.",
		     (const uint64_t[]){s->seen, s->n_streams - s->missing, s->missing, s->filtered,
					s->dropped});
	poll_results(reg, "memacct_jetstream_poll_consumers_listed",
		     "Consumers of the exported streams in the last good poll, as their lists "
		     "(or, where not asked, the stream list) count them.",
		     "memacct_jetstream_poll_consumers",
		     "Consumers in the last good poll by what became of them: exported, not "
		     "obtained (missing: the stream or the consumer's leader did not answer), "
		     "left out by --nats.consumer-include/exclude (filtered) or by "
		     "--nats.max-consumers (dropped); they add up to "
		     "memacct_jetstream_poll_consumers_listed.",
		     (const uint64_t[]){s->consumers_seen, s->n_consumers, s->consumers_missing,
					s->consumers_filtered, s->consumers_dropped});
	struct family *f =
	    registry_family(reg, "memacct_jetstream_poll_consumer_lists", METRIC_GAUGE,
			    "Streams whose consumers the last good poll asked the server for "
			    "(asked), or took from the poll before because the stream had not "
			    "changed and none of its consumers could change without a client "
			    "acting, or the stream was missing (reused).");
	metric_u64(f, NULL, "result", "asked", s->consumer_lists_asked);
	metric_u64(f, NULL, "result", "reused", s->consumer_lists_reused);
	metric_u64(registry_family(reg, "memacct_jetstream_poll_requests", METRIC_GAUGE,
				   "JetStream API requests the last good poll made."),
		   NULL, NULL, NULL, s->requests);
}

static void collect_account(struct registry *reg, const struct js_account *a)
{
	struct labels ls;
	labels_init(&ls);
	labels_add(&ls, "account", a->name);

	metric_u64(registry_family(reg, "memacct_jetstream_account_storage_bytes", METRIC_GAUGE,
				   "File storage used by the account's streams."),
		   &ls, NULL, NULL, a->storage);
	metric_u64(registry_family(reg, "memacct_jetstream_account_memory_bytes", METRIC_GAUGE,
				   "Memory storage used by the account's streams."),
		   &ls, NULL, NULL, a->memory);
	metric_u64(registry_family(reg, "memacct_jetstream_account_reserved_storage_bytes",
				   METRIC_GAUGE,
				   "File storage reserved by the account's streams' max_bytes: the "
				   "server's figure when it reports one, else the sum of max_bytes "
				   "times replicas over the account's file streams."),
		   &ls, NULL, NULL, a->reserved_storage);
	metric_u64(registry_family(reg, "memacct_jetstream_account_reserved_memory_bytes",
				   METRIC_GAUGE,
				   "Memory storage reserved by the account's streams' max_bytes "
				   "(as for reserved_storage_bytes, over memory streams)."),
		   &ls, NULL, NULL, a->reserved_memory);
	metric_f64(registry_family(reg, "memacct_jetstream_account_streams", METRIC_GAUGE,
				   "Streams in the account, before --nats.stream-include/exclude "
				   "and --nats.max-streams."),
		   &ls, NULL, NULL, (double)a->streams);
	metric_f64(registry_family(reg, "memacct_jetstream_account_consumers", METRIC_GAUGE,
				   "Consumers in the account."),
		   &ls, NULL, NULL, (double)a->consumers);
	metric_u64(
	    registry_family(reg, "memacct_jetstream_account_api_requests_total", METRIC_COUNTER,
			    "JetStream API requests made in the account, as the server counts "
			    "them (reset when the server restarts)."),
	    &ls, NULL, NULL, a->api_total);
	metric_u64(registry_family(reg, "memacct_jetstream_account_api_errors_total",
				   METRIC_COUNTER,
				   "JetStream API requests in the account that returned an error."),
		   &ls, NULL, NULL, a->api_errors);
	metric_f64(
	    registry_family(reg, "memacct_jetstream_account_max_storage_bytes", METRIC_GAUGE,
			    "The account's JetStream file storage limit; -1 means unlimited."),
	    &ls, NULL, NULL, (double)a->max_storage);
	metric_f64(registry_family(reg, "memacct_jetstream_account_max_memory_bytes", METRIC_GAUGE,
				   "The account's JetStream memory storage limit; -1 means "
				   "unlimited."),
		   &ls, NULL, NULL, (double)a->max_memory);
	metric_f64(registry_family(reg, "memacct_jetstream_account_max_streams", METRIC_GAUGE,
				   "The account's limit on streams; -1 means unlimited."),
		   &ls, NULL, NULL, (double)a->max_streams);
	metric_f64(registry_family(reg, "memacct_jetstream_account_max_consumers", METRIC_GAUGE,
				   "The account's limit on consumers; -1 means unlimited."),
		   &ls, NULL, NULL, (double)a->max_consumers);
	labels_free(&ls);
}

enum sfam {
	F_BYTES,
	F_MESSAGES,
	F_FIRST_SEQ,
	F_LAST_SEQ,
	F_OLDEST,
	F_NEWEST,
	F_CONSUMERS,
	F_SUBJECTS,
	F_DELETED,
	F_MAX_AGE,
	F_MAX_BYTES,
	F_MAX_MSGS,
	F_MAX_PER_SUBJECT,
	F_INFO,
	F_UNBOUNDED,
	F_TIME_ONLY,
	F_UTIL,
	F_COUNT
};

static const struct {
	const char *name;
	const char *help;
} stream_families[F_COUNT] = {
    [F_BYTES] = {"memacct_jetstream_stream_bytes", "Bytes stored in the stream."},
    [F_MESSAGES] = {"memacct_jetstream_stream_messages", "Messages stored in the stream."},
    [F_FIRST_SEQ] = {"memacct_jetstream_stream_first_seq",
		     "Sequence number of the stream's first (oldest) message."},
    [F_LAST_SEQ] = {"memacct_jetstream_stream_last_seq",
		    "Sequence number of the stream's last (newest) message."},
    [F_OLDEST] = {"memacct_jetstream_stream_oldest_message_age_seconds",
		  "Seconds since the stream's first (oldest) message was stored, at scrape "
		  "time; absent when the stream is empty."},
    [F_NEWEST] = {"memacct_jetstream_stream_newest_message_age_seconds",
		  "Seconds since the stream's last (newest) message was stored, at scrape "
		  "time; absent when the stream is empty."},
    [F_CONSUMERS] = {"memacct_jetstream_stream_consumers", "Consumers on the stream."},
    [F_SUBJECTS] = {"memacct_jetstream_stream_subjects",
		    "Distinct subjects with messages in the stream."},
    [F_DELETED] = {"memacct_jetstream_stream_deleted_messages",
		   "Messages deleted inside the stream's sequence range (interior "
		   "deletes)."},
    [F_MAX_AGE] = {"memacct_jetstream_stream_max_age_seconds",
		   "The stream's configured max_age in seconds; 0 means unlimited."},
    [F_MAX_BYTES] = {"memacct_jetstream_stream_max_bytes",
		     "The stream's configured max_bytes;" H_UNLIMITED_NEG},
    [F_MAX_MSGS] = {"memacct_jetstream_stream_max_messages",
		    "The stream's configured max_msgs;" H_UNLIMITED_NEG},
    [F_MAX_PER_SUBJECT] = {"memacct_jetstream_stream_max_messages_per_subject",
			   "The stream's configured max_msgs_per_subject;" H_UNLIMITED_NEG},
    [F_INFO] = {"memacct_jetstream_stream_info",
		"The stream's retention, discard policy, storage, replicas and NATS cluster "
		"(nats_cluster, empty on a single server) as labels; always 1."},
    [F_UNBOUNDED] = {"memacct_jetstream_stream_retention_unbounded",
		     "1 when a limits-retention stream has no max_age, no max_bytes and no "
		     "max_msgs, so it grows until storage runs out; 0 otherwise (a sealed "
		     "stream is 0)."},
    [F_TIME_ONLY] = {"memacct_jetstream_stream_retention_time_bounded_only",
		     "1 when a limits-retention stream is bounded by max_age only (no "
		     "max_bytes, no max_msgs), so its size follows the traffic of the last "
		     "max_age; 0 otherwise."},
    [F_UTIL] = {"memacct_jetstream_stream_limit_utilization_ratio",
		"Stream bytes over max_bytes (limit=\"bytes\") and messages over max_msgs "
		"(limit=\"messages\"); absent when that limit is unset."},
};

/* now: the scrape's Unix time, for the message ages. */
static void collect_streams(struct registry *reg, const struct js_snapshot *s, double now)
{
	struct family *f[F_COUNT];
	struct labels ls, info;
	char replicas[24];

	for (int i = 0; i < F_COUNT; i++)
		f[i] = registry_family(reg, stream_families[i].name, METRIC_GAUGE,
				       stream_families[i].help);

	labels_init(&ls);
	labels_init(&info);
	for (size_t i = 0; i < s->n_streams && !registry_error(reg); i++) {
		const struct js_stream *st = &s->streams[i];
		const char *storage = js_storage_name(st->storage);
		labels_reset(&ls);
		labels_add(&ls, "stream", st->name);
		labels_add(&ls, "account", s->account.name);
		labels_add(&ls, "storage", storage);

		if (!st->has_config)
			continue; /* only its name is known: counted, and in _missing */
		if (st->has_state) {
			metric_u64(f[F_BYTES], &ls, NULL, NULL, st->bytes);
			metric_u64(f[F_MESSAGES], &ls, NULL, NULL, st->messages);
			metric_u64(f[F_FIRST_SEQ], &ls, NULL, NULL, st->first_seq);
			metric_u64(f[F_LAST_SEQ], &ls, NULL, NULL, st->last_seq);
			if (st->messages > 0 && st->first_ts_ns > 0)
				metric_f64(f[F_OLDEST], &ls, NULL, NULL,
					   jetstream_age_s(now, st->first_ts_ns));
			if (st->messages > 0 && st->last_ts_ns > 0)
				metric_f64(f[F_NEWEST], &ls, NULL, NULL,
					   jetstream_age_s(now, st->last_ts_ns));
			metric_u64(f[F_CONSUMERS], &ls, NULL, NULL, st->consumers);
			metric_u64(f[F_SUBJECTS], &ls, NULL, NULL, st->subjects);
			metric_u64(f[F_DELETED], &ls, NULL, NULL, st->deleted);
		}
		metric_f64(f[F_MAX_AGE], &ls, NULL, NULL, (double)st->max_age_ns / 1e9);
		metric_f64(f[F_MAX_BYTES], &ls, NULL, NULL, (double)st->max_bytes);
		metric_f64(f[F_MAX_MSGS], &ls, NULL, NULL, (double)st->max_msgs);
		metric_f64(f[F_MAX_PER_SUBJECT], &ls, NULL, NULL, (double)st->max_msgs_per_subject);

		labels_reset(&info);
		labels_add(&info, "stream", st->name);
		labels_add(&info, "account", s->account.name);
		labels_add(&info, "storage", storage);
		labels_add(&info, "retention", js_retention_name(st->retention));
		labels_add(&info, "discard", js_discard_name(st->discard));
		snprintf(replicas, sizeof(replicas), "%lld", (long long)st->replicas);
		labels_add(&info, "replicas", replicas);
		labels_add(&info, "nats_cluster", st->cluster ? st->cluster : "");
		metric_u64(f[F_INFO], &info, NULL, NULL, 1);

		metric_u64(f[F_UNBOUNDED], &ls, NULL, NULL, js_stream_unbounded(st) ? 1 : 0);
		metric_u64(f[F_TIME_ONLY], &ls, NULL, NULL,
			   js_stream_time_bounded_only(st) ? 1 : 0);
		if (st->has_state && st->max_bytes > 0)
			metric_f64(f[F_UTIL], &ls, "limit", "bytes",
				   (double)st->bytes / (double)st->max_bytes);
		if (st->has_state && st->max_msgs > 0)
			metric_f64(f[F_UTIL], &ls, "limit", "messages",
				   (double)st->messages / (double)st->max_msgs);
	}
	labels_free(&ls);
	labels_free(&info);
}

static int jetstream_collect(void *state, struct scrape_ctx *ctx, struct registry *reg,
			     struct errmsg *e)
{
	(void)ctx;
	(void)e;
	struct js_poller *poller = state;
	struct js_view v;

	if (!poller)
		return 0;
	js_poller_view(poller, &v);
	collect_health(reg, &v);
	if (v.snap) {
		double now = wall_now_s();
		collect_account(reg, &v.snap->account);
		collect_streams(reg, v.snap, now);
		jetstream_collect_replicas(reg, v.snap);
		jetstream_collect_consumers(reg, v.snap, now);
	}
	js_poller_release(poller, &v);
	/* NATS being down is memacct_jetstream_up 0, not a failed collector:
	 * serving the last poll always works. */
	return 0;
}

const struct collector collector_jetstream = {
    .name = "jetstream",
    .default_on = true,
    .init = jetstream_init,
    .collect = jetstream_collect,
};

int jetstream_explain_streams(void *poller_arg, struct explain_stream_sink *sink)
{
	struct js_poller *poller = poller_arg;
	struct js_view v;
	int rc = 0;
	double now = wall_now_s();
	js_poller_view(poller, &v);
	explain_stream_status(sink, v.up, v.last_success_s > 0 ? now - v.last_success_s : -1, NULL);
	for (size_t i = 0; v.snap && i < v.snap->n_streams && !rc; i++) {
		const struct js_stream *st = &v.snap->streams[i];
		if (!st->has_state)
			continue;
		struct explain_stream r = {
		    .name = st->name,
		    .account = v.snap->account.name,
		    .storage = js_storage_name(st->storage),
		    .bytes = st->bytes,
		    .messages = st->messages,
		    .has_oldest = st->messages > 0 && st->first_ts_ns > 0,
		    .oldest_age_s = jetstream_age_s(now, st->first_ts_ns),
		    .unbounded = js_stream_unbounded(st),
		    .max_bytes = st->max_bytes > 0 ? (uint64_t)st->max_bytes : 0,
		    .max_messages = st->max_msgs > 0 ? (uint64_t)st->max_msgs : 0,
		    .max_age_s = st->max_age_ns > 0 ? (double)st->max_age_ns / 1e9 : 0,
		    .consumers = st->n_consumers,
		};
		for (size_t k = 0; k < st->n_consumers; k++) {
			const struct js_consumer *c = &v.snap->consumers[st->first_consumer + k];
			if (c->num_pending > r.max_pending)
				r.max_pending = c->num_pending;
			r.ack_pending += c->num_ack_pending;
		}
		rc = explain_stream_add(sink, &r);
	}
	js_poller_release(poller, &v);
	return rc;
}
