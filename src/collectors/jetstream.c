/* jetstream collector: serves the last JetStream poll (SPEC section 4). The
 * poll itself runs in a background thread (jetstream_poll.c) every
 * --nats.poll-interval over one NATS connection (nats_client.c); a scrape
 * only takes a reference to the last snapshot and formats it, so a slow or
 * dead NATS server never slows or fails a scrape. Without --nats.url the
 * collector is not configured: init leaves *state NULL and adds nothing.
 *
 * Message ages are computed at scrape time from the stored first/last
 * message times, so they keep growing with wall time between polls (and
 * while NATS is down and the last values are served stale). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memacct/collectors/collector.h"
#include "memacct/explain/explain.h"
#include "memacct/jetstream/jetstream.h"
#include "memacct/jetstream/nats_client.h"

#define SECRET_FILE_MAX 4096
#define CREDS_FILE_MAX 65536

struct js_collector {
	struct nats_client *nc;
	struct js_transport transport;
	struct js_poller *poller;
	struct name_filter names; /* --nats.stream-include/exclude */
	char *password;			   /* from --nats.password-file; owned, wiped at fini */
	char *log_urls;			   /* --nats.url with any user:password@ redacted */
	char account_hint[256];		   /* the creds' account, "" when none */
	struct log_backoff events_backoff; /* poller thread only */
};

/* --- transport over nats_client --- */

static int t_connect(void *ctx, struct errmsg *e)
{
	struct js_collector *c = ctx;
	return nats_client_connect(c->nc, e);
}

static uint64_t t_generation(void *ctx)
{
	struct js_collector *c = ctx;
	return nats_client_generation(c->nc);
}

static int t_request(void *ctx, const char *subject, const char *data, size_t len,
		     unsigned timeout_ms, struct mbuf *reply, struct errmsg *e)
{
	struct js_collector *c = ctx;
	return nats_client_request(c->nc, subject, data, len, timeout_ms, reply, e);
}

static void t_interrupt(void *ctx)
{
	struct js_collector *c = ctx;
	nats_client_interrupt(c->nc);
}

/* Connection drops and cnats's reconnects, one line per back-off interval
 * at most (the poll failures themselves are logged by the poller). */
static void t_log_events(void *ctx, struct logger *log)
{
	struct js_collector *c = ctx;
	struct nats_client_events ev;
	unsigned long suppressed = 0;

	nats_client_take_events(c->nc, &ev);
	if (ev.auth_retries) {
		/* cnats 3.4.1 fails ~1 in 256 creds/nkey logins; a retry at
		 * once absorbed it. Worth a debug line, not a warning. */
		char n[24];
		snprintf(n, sizeof(n), "%lu", ev.auth_retries);
		log_kv(log, LOG_DEBUG, "NATS login retried after an auth failure", "url",
		       c->log_urls, "retries", n, NULL);
	}
	if (!ev.disconnects && !ev.reconnects && !ev.async_errors)
		return;
	if (!log_backoff_due(&c->events_backoff, time(NULL), &suppressed))
		return;
	char d[24], r[24], a[24], s[24];
	snprintf(d, sizeof(d), "%lu", ev.disconnects);
	snprintf(r, sizeof(r), "%lu", ev.reconnects);
	snprintf(a, sizeof(a), "%lu", ev.async_errors);
	snprintf(s, sizeof(s), "%lu", suppressed);
	log_kv(log, LOG_WARN, "NATS connection events", "url", c->log_urls, "connected_to", ev.url,
	       "disconnects", d, "reconnects", r, "async_errors", a, "err", ev.last_error,
	       "suppressed", s, NULL);
}

/* --- init --- */

/* Copies urls with the user-info part of each URL ("user:pass@",
 * "token@") replaced by "***@", for log lines. */
static char *redact_urls(const char *urls)
{
	size_t n = strlen(urls);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	const char *p = urls;
	while (*p) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *scheme = NULL;
		for (const char *q = p; q + 2 < end; q++)
			if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
				scheme = q + 3;
				break;
			}
		const char *at = NULL;
		if (scheme)
			for (const char *q = scheme; q < end && *q != '/'; q++)
				if (*q == '@')
					at = q;
		if (at) {
			memcpy(out + o, p, (size_t)(scheme - p));
			o += (size_t)(scheme - p);
			/* "***" is never longer than what it replaces plus '@'
			 * and the scheme: at > scheme holds one character at least. */
			size_t hidden = (size_t)(at - scheme);
			const char *mask = hidden >= 3 ? "***" : "*";
			memcpy(out + o, mask, strlen(mask));
			o += strlen(mask);
			p = at;
		}
		memcpy(out + o, p, (size_t)(end - p));
		o += (size_t)(end - p);
		p = end;
		if (*p == ',')
			out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

/* Reads a small file whole into buf (cap bytes, NUL-terminated); the file
 * must be shorter than cap. */
static int read_small(const char *flag, const char *path, char *buf, size_t cap, size_t *lenp,
		      struct errmsg *e)
{
	size_t len = 0;
	int rc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*lenp = 0;
	if (fd < 0) {
		rc = -errno;
		errmsg_set(e, "%s: cannot read %s: %s", flag, path, strerror(-rc));
		return rc;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			errmsg_set(e, "%s: cannot read %s: %s", flag, path, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap - 1) {
			rc = -EFBIG;
			errmsg_set(e, "%s: %s is larger than %zu bytes", flag, path, cap - 2);
			goto out;
		}
	}
	buf[len] = '\0';
	*lenp = len;
out:
	close(fd);
	return rc;
}

/* Reads a one-line secret (trailing newline and spaces dropped). */
static int read_secret(const char *flag, const char *path, char **out, struct errmsg *e)
{
	char buf[SECRET_FILE_MAX + 2];
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_small(flag, path, buf, sizeof(buf), &len, e);
	if (rc < 0)
		goto out;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
			   buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (len == 0) {
		rc = -EINVAL;
		errmsg_set(e, "%s: %s is empty", flag, path);
		goto out;
	}
	*out = strdup(buf);
	if (!*out)
		rc = -ENOMEM;
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* The account of the creds' user, for the account label when the server
 * cannot say (before 2.10). Unreadable or odd creds are nats_client's to
 * report; here they only leave the hint empty. */
static void creds_account(const char *path, char *out, size_t cap)
{
	size_t len = 0;
	char *buf = malloc(CREDS_FILE_MAX + 2);
	out[0] = '\0';
	if (!buf)
		return;
	if (read_small("--nats.creds", path, buf, CREDS_FILE_MAX + 2, &len, NULL) == 0 &&
	    js_parse_creds_account(buf, len, out, cap) < 0)
		out[0] = '\0';
	explicit_bzero(buf, len);
	free(buf);
}

static void jetstream_fini(void *state)
{
	struct js_collector *c = state;
	if (!c)
		return;
	js_poller_stop(c->poller);
	nats_client_free(c->nc);
	name_filter_fini(&c->names);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->log_urls);
	free(c);
}

static unsigned clamp_u(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int jetstream_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	const struct config *cfg = env->cfg;
	struct logger *log = env->log;
	struct js_collector *c;
	int rc;

	*state = NULL;
	if (!cfg->nats_urls || !*cfg->nats_urls)
		return 0; /* not configured */

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->events_backoff.interval_s = 60;
	c->log_urls = redact_urls(cfg->nats_urls);
	if (!c->log_urls) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = name_filter_init(&c->names, cfg->nats_stream_include, "--nats.stream-include",
			      cfg->nats_stream_exclude, "--nats.stream-exclude", e);
	if (rc < 0)
		goto fail;

	const char *password = cfg->nats_password;
	if (cfg->nats_password_file) {
		rc = read_secret("--nats.password-file", cfg->nats_password_file, &c->password, e);
		if (rc < 0)
			goto fail;
		password = c->password;
	}

	unsigned interval_s = cfg->nats_poll_interval_s ? cfg->nats_poll_interval_s : 15;
	unsigned timeout_s = cfg->nats_poll_timeout_s ? cfg->nats_poll_timeout_s : 10;
	struct nats_client_opts o = {
	    .urls = cfg->nats_urls,
	    .creds = cfg->nats_creds,
	    .nkey_seed = cfg->nats_nkey,
	    .user = cfg->nats_user,
	    .password = password,
	    .token = cfg->nats_token,
	    .tls_ca = cfg->nats_tls_ca,
	    .tls_cert = cfg->nats_tls_cert,
	    .tls_key = cfg->nats_tls_key,
	    .connect_timeout_ms = clamp_u(timeout_s * 1000u, 500, 5000),
	    .reconnect_max_wait_ms = clamp_u(interval_s * 1000u, 1000, 30000),
	};
	rc = nats_client_new(&c->nc, &o, e);
	if (rc < 0)
		goto fail;
	if (cfg->nats_creds)
		creds_account(cfg->nats_creds, c->account_hint, sizeof(c->account_hint));

	c->transport = (struct js_transport){
	    .ctx = c,
	    .connect = t_connect,
	    .generation = t_generation,
	    .request = t_request,
	};
	struct js_poller_config pc = {
	    .transport = &c->transport,
	    .filter = {.names = &c->names, .max_streams = cfg->nats_max_streams},
	    .interval_s = interval_s,
	    .timeout_s = timeout_s,
	    .stale_after_s = cfg->nats_stale_after_s,
	    .urls = c->log_urls,
	    .account_hint = c->account_hint[0] ? c->account_hint : NULL,
	    .interrupt = t_interrupt,
	    .log_events = t_log_events,
	};
	rc = js_poller_start(&c->poller, &pc, log);
	if (rc < 0) {
		errmsg_set(e, "cannot start the JetStream poller thread: %s", strerror(-rc));
		goto fail;
	}
	*state = c;
	return 0;
fail:
	jetstream_fini(c);
	return rc;
}

/* --- collect --- */

#define H_UNLIMITED_NEG " -1 (or 0) means unlimited."

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
	if (v->snap) {
		struct family *f = registry_family(
		    reg, "memacct_jetstream_poll_streams", METRIC_GAUGE,
		    "Streams in the last good poll: listed by the server, exported, left out "
		    "by --nats.stream-include/exclude (filtered) or by --nats.max-streams "
		    "(dropped).");
		metric_u64(f, NULL, "result", "listed", v->seen);
		metric_u64(f, NULL, "result", "exported", v->exported);
		metric_u64(f, NULL, "result", "filtered", v->filtered);
		metric_u64(f, NULL, "result", "dropped", v->dropped);
	}
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
		"The stream's retention, discard policy, storage and replicas as labels; "
		"always 1."},
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

static double age_s(double now, int64_t ts_ns)
{
	double a = now - (double)ts_ns / 1e9;
	return a > 0 ? a : 0; /* clocks of two hosts: never negative */
}

static void collect_streams(struct registry *reg, const struct js_snapshot *s)
{
	struct family *f[F_COUNT];
	struct labels ls, info;
	struct timespec ts;
	char replicas[24];

	for (int i = 0; i < F_COUNT; i++)
		f[i] = registry_family(reg, stream_families[i].name, METRIC_GAUGE,
				       stream_families[i].help);
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;

	labels_init(&ls);
	labels_init(&info);
	for (size_t i = 0; i < s->n_streams && !registry_error(reg); i++) {
		const struct js_stream *st = &s->streams[i];
		const char *storage = js_storage_name(st->storage);
		labels_reset(&ls);
		labels_add(&ls, "stream", st->name);
		labels_add(&ls, "account", s->account.name);
		labels_add(&ls, "storage", storage);

		metric_u64(f[F_BYTES], &ls, NULL, NULL, st->bytes);
		metric_u64(f[F_MESSAGES], &ls, NULL, NULL, st->messages);
		metric_u64(f[F_FIRST_SEQ], &ls, NULL, NULL, st->first_seq);
		metric_u64(f[F_LAST_SEQ], &ls, NULL, NULL, st->last_seq);
		if (st->messages > 0 && st->first_ts_ns > 0)
			metric_f64(f[F_OLDEST], &ls, NULL, NULL, age_s(now, st->first_ts_ns));
		if (st->messages > 0 && st->last_ts_ns > 0)
			metric_f64(f[F_NEWEST], &ls, NULL, NULL, age_s(now, st->last_ts_ns));
		metric_u64(f[F_CONSUMERS], &ls, NULL, NULL, st->consumers);
		metric_u64(f[F_SUBJECTS], &ls, NULL, NULL, st->subjects);
		metric_u64(f[F_DELETED], &ls, NULL, NULL, st->deleted);
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
		metric_u64(f[F_INFO], &info, NULL, NULL, 1);

		metric_u64(f[F_UNBOUNDED], &ls, NULL, NULL, js_stream_unbounded(st) ? 1 : 0);
		metric_u64(f[F_TIME_ONLY], &ls, NULL, NULL,
			   js_stream_time_bounded_only(st) ? 1 : 0);
		if (st->max_bytes > 0)
			metric_f64(f[F_UTIL], &ls, "limit", "bytes",
				   (double)st->bytes / (double)st->max_bytes);
		if (st->max_msgs > 0)
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
	struct js_collector *c = state;
	struct js_view v;
	(void)e;

	if (!c)
		return 0;
	js_poller_view(c->poller, &v);
	collect_health(reg, &v);
	if (v.snap) {
		collect_account(reg, &v.snap->account);
		collect_streams(reg, v.snap);
	}
	js_poller_release(c->poller, &v);
	/* NATS being down is memacct_jetstream_up 0, not a failed collector:
	 * serving the last poll always works. */
	return 0;
}

const struct collector collector_jetstream = {
    .name = "jetstream",
    .default_on = true,
    .init = jetstream_init,
    .collect = jetstream_collect,
    .fini = jetstream_fini,
};

int jetstream_explain_streams(void *state, struct explain_stream_sink *sink)
{
	struct js_collector *c = state;
	struct js_view v;
	struct timespec ts;
	int rc = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	js_poller_view(c->poller, &v);
	explain_stream_status(sink, v.up, v.last_success_s > 0 ? now - v.last_success_s : -1, NULL);
	for (size_t i = 0; v.snap && i < v.snap->n_streams && !rc; i++) {
		const struct js_stream *st = &v.snap->streams[i];
		struct explain_stream r = {
		    .name = st->name,
		    .account = v.snap->account.name,
		    .storage = js_storage_name(st->storage),
		    .bytes = st->bytes,
		    .messages = st->messages,
		    .has_oldest = st->messages > 0 && st->first_ts_ns > 0,
		    .oldest_age_s = age_s(now, st->first_ts_ns),
		    .unbounded = js_stream_unbounded(st),
		    .max_bytes = st->max_bytes > 0 ? (uint64_t)st->max_bytes : 0,
		    .max_messages = st->max_msgs > 0 ? (uint64_t)st->max_msgs : 0,
		    .max_age_s = st->max_age_ns > 0 ? (double)st->max_age_ns / 1e9 : 0,
		};
		rc = explain_stream_add(sink, &r);
	}
	js_poller_release(c->poller, &v);
	return rc;
}
