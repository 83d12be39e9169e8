/* jetstream_poller: the background thread that runs a JetStream poll
 * (jetstream_poll.c) every interval and publishes the result as a
 * reference-counted snapshot (jetstream_poll.h). A scrape only takes a
 * reference under a short lock: it never waits on NATS. The thread logs its
 * failures and the transport's connection events through back-offs;
 * nothing else here logs. It does not format metrics (collectors/jetstream.c
 * does) and does not know cnats (nats_client.c) or the flags
 * (jetstream_setup.c).
 *
 * Staleness: a failed poll keeps the last good snapshot (served, with
 * memacct_jetstream_up 0 and the last success time unchanged) until
 * stale_after_s has passed since that success, when the values are dropped
 * and only the poller's health is served. stale_after_s 0 keeps them. The
 * last good snapshot is also the one the next poll takes unchanged
 * consumers and missing streams' state from. */
#include "memacct/jetstream/jetstream_poll.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memacct/util/mbuf.h"
#include "memacct/util/mono.h"

#define LOG_MIN_INTERVAL_S 60
/* The reply buffer is kept from poll to poll up to this size; a larger one
 * (a rare large reply) is given back after the poll. */
#define REPLY_KEEP_BYTES ((size_t)1 << 20)
/* How long js_poller_free waits for the thread after interrupting it. Every
 * NATS call returns within a few tens of ms of an interrupt; this is the
 * safety net that keeps a SIGTERM under 2 s whatever got stuck. */
#define STOP_WAIT_MS 1500

static int64_t mono_ms(void)
{
	return (int64_t)(mono_now_ns() / 1000000);
}

struct js_poller {
	struct js_poller_config cfg; /* urls, account_hint, api_prefix point at the copies below */
	struct js_filter filter;
	char *urls, *account_hint, *api_prefix;
	struct logger *log;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	/* published, under lock */
	struct js_snapshot *snap;
	bool up, polled;
	double last_success_s, last_duration_s;
	uint64_t errors_total, dropped_total, consumers_dropped_total;
	uint64_t limit_hits[JS_LIMIT_COUNT];

	/* poller thread only */
	struct js_poll_state ps;
	struct mbuf reply;
	struct log_backoff backoff[9]; /* one per kind of failure, see fail_kind() */
	struct log_backoff events_backoff;
	unsigned long failures;
	bool ever_ok;
};

static void snap_unref(struct js_poller *p, struct js_snapshot *s)
{
	bool last;
	if (!s)
		return;
	pthread_mutex_lock(&p->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&p->lock);
	if (last)
		js_snapshot_free(s);
}

static const char *fail_kind(int rc, enum js_limit limit, unsigned *idx)
{
	if (limit != JS_LIMIT_NONE) {
		*idx = 8;
		return "limit";
	}
	static const struct {
		int rc;
		const char *kind;
	} kinds[] = {
	    {-EACCES, "auth"},	     {-ECONNREFUSED, "connect"}, {-EAGAIN, "reconnecting"},
	    {-ETIMEDOUT, "timeout"}, {-EREMOTEIO, "api"},	 {-EPROTO, "tls"},
	    {-EINVAL, "reply"},
	};
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].rc == rc) {
			*idx = i;
			return kinds[i].kind;
		}
	*idx = 7;
	return "other";
}

static void log_result(struct js_poller *p, int rc, const struct errmsg *e,
		       const struct js_snapshot *s, double dur)
{
	char a[32], b[32], c[32], d[32];
	time_t now = time(NULL);

	if (rc == 0) {
		if (p->failures > 0 || !p->ever_ok) {
			snprintf(a, sizeof(a), "%zu", s->n_streams);
			snprintf(b, sizeof(b), "%.3f", dur);
			snprintf(c, sizeof(c), "%lu", p->failures);
			snprintf(d, sizeof(d), "%zu", s->n_consumers);
			log_kv(p->log, LOG_INFO,
			       p->ever_ok ? "JetStream poll recovered" : "JetStream poll succeeded",
			       "url", p->urls, "account", s->account.name, "streams", a,
			       "consumers", d, "duration_seconds", b, "failed_polls", c, NULL);
		}
		p->ever_ok = true;
		p->failures = 0;
		for (size_t i = 0; i < sizeof(p->backoff) / sizeof(p->backoff[0]); i++)
			log_backoff_clear(&p->backoff[i]);
		return;
	}

	p->failures++;
	/* Each kind of failure has its own back-off: a new kind (refused,
	 * then auth) is news and logs at once, the same kind again only once
	 * per interval, and kinds that alternate cannot flood either. */
	unsigned idx;
	const char *kind = fail_kind(rc, p->ps.limit, &idx);
	unsigned long suppressed = 0;
	if (!log_backoff_due(&p->backoff[idx], now, &suppressed))
		return;
	snprintf(a, sizeof(a), "%lu", suppressed);
	snprintf(b, sizeof(b), "%lu", p->failures);
	log_kv(p->log, rc == -EACCES ? LOG_ERROR : LOG_WARN,
	       rc == -EACCES ? "JetStream poll failed: NATS authentication or authorization refused"
			     : "JetStream poll failed",
	       "url", p->urls, "kind", kind, "err", e->msg, "failed_polls", b, "suppressed", a,
	       NULL);
}

/* Connection drops and reconnects, one line per back-off interval at most
 * (the poll failures themselves are logged by log_result). */
static void log_events(struct js_poller *p)
{
	const struct js_transport *t = &p->cfg.transport;
	struct js_transport_events ev;
	unsigned long suppressed = 0;

	if (!t->ops->take_events)
		return;
	memset(&ev, 0, sizeof(ev));
	t->ops->take_events(t->ctx, &ev);
	if (ev.auth_retries) {
		/* cnats 3.4.1 fails ~1 in 256 creds/nkey logins; a retry at
		 * once absorbed it. Worth a debug line, not a warning. */
		char n[24];
		snprintf(n, sizeof(n), "%lu", ev.auth_retries);
		log_kv(p->log, LOG_DEBUG, "NATS login retried after an auth failure", "url",
		       p->urls, "retries", n, NULL);
	}
	if (!ev.disconnects && !ev.reconnects && !ev.async_errors)
		return;
	if (!log_backoff_due(&p->events_backoff, time(NULL), &suppressed))
		return;
	char d[24], r[24], a[24], s[24];
	snprintf(d, sizeof(d), "%lu", ev.disconnects);
	snprintf(r, sizeof(r), "%lu", ev.reconnects);
	snprintf(a, sizeof(a), "%lu", ev.async_errors);
	snprintf(s, sizeof(s), "%lu", suppressed);
	log_kv(p->log, LOG_WARN, "NATS connection events", "url", p->urls, "connected_to", ev.url,
	       "disconnects", d, "reconnects", r, "async_errors", a, "err", ev.last_error,
	       "suppressed", s, NULL);
}

static void *poller_main(void *arg)
{
	struct js_poller *p = arg;
	unsigned interval_ms = (p->cfg.interval_s ? p->cfg.interval_s : 15) * 1000u;
	unsigned timeout_ms = (p->cfg.timeout_s ? p->cfg.timeout_s : 10) * 1000u;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool stop = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;

		int64_t t0 = mono_ms();
		struct errmsg e = {{0}};
		struct js_snapshot *s = NULL;
		/* p->snap changes only here, on this thread: no lock to read it. */
		int rc = js_poll_once(&p->cfg.transport, &p->ps, &p->filter, p->snap, timeout_ms,
				      &s, &e);
		double dur = (double)(mono_ms() - t0) / 1000.0;
		double now = wall_now_s();
		struct js_snapshot *old = NULL;

		pthread_mutex_lock(&p->lock);
		if (p->stop && rc < 0) {
			/* Interrupted by js_poller_stop(): not a failure. */
			pthread_mutex_unlock(&p->lock);
			break;
		}
		p->polled = true;
		p->last_duration_s = dur;
		if (rc == 0) {
			old = p->snap;
			p->snap = s;
			p->up = true;
			p->last_success_s = now;
			p->dropped_total += s->dropped;
			p->consumers_dropped_total += s->consumers_dropped;
		} else {
			p->up = false;
			p->errors_total++;
			if (p->ps.limit != JS_LIMIT_NONE)
				p->limit_hits[p->ps.limit]++;
			if (p->cfg.stale_after_s && p->snap &&
			    now - p->last_success_s > (double)p->cfg.stale_after_s) {
				old = p->snap;
				p->snap = NULL;
			}
		}
		pthread_mutex_unlock(&p->lock);
		snap_unref(p, old);
		if (p->reply.cap > REPLY_KEEP_BYTES) {
			mbuf_free(&p->reply);
			mbuf_init(&p->reply, JS_REPLY_MAX);
		}

		log_events(p);
		log_result(p, rc, &e, s, dur);

		int64_t next = t0 + interval_ms;
		pthread_mutex_lock(&p->lock);
		while (!p->stop) {
			int64_t left = next - mono_ms();
			if (left <= 0)
				break;
			struct timespec ts = mono_after_ms((long)left);
			pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

static void close_owned(const struct js_poller_config *cfg)
{
	if (cfg->transport.ops && cfg->transport.ops->close)
		cfg->transport.ops->close(cfg->transport.ctx);
	struct name_filter *filters[] = {cfg->names, cfg->consumer_names};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (filters[i]) {
			name_filter_fini(filters[i]);
			free(filters[i]);
		}
}

int js_poller_new(struct js_poller **out, const struct js_poller_config *cfg, struct logger *log)
{
	struct js_poller *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p) {
		close_owned(cfg);
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->urls = strdup(cfg->urls ? cfg->urls : "");
	p->account_hint = cfg->account_hint ? strdup(cfg->account_hint) : NULL;
	p->api_prefix = cfg->api_prefix ? strdup(cfg->api_prefix) : NULL;
	if (!p->urls || (cfg->account_hint && !p->account_hint) ||
	    (cfg->api_prefix && !p->api_prefix)) {
		free(p->urls);
		free(p->account_hint);
		free(p->api_prefix);
		free(p);
		close_owned(cfg);
		return -ENOMEM;
	}
	p->cfg.urls = p->urls;
	p->cfg.account_hint = p->account_hint;
	p->cfg.api_prefix = p->api_prefix;
	p->filter = (struct js_filter){.names = cfg->names,
				       .max_streams = cfg->max_streams,
				       .consumer_names = cfg->consumer_names,
				       .max_consumers = cfg->max_consumers};
	p->log = log;
	unsigned iv = cfg->interval_s ? cfg->interval_s : 15;
	for (size_t i = 0; i < sizeof(p->backoff) / sizeof(p->backoff[0]); i++)
		p->backoff[i].interval_s = iv > LOG_MIN_INTERVAL_S ? iv : LOG_MIN_INTERVAL_S;
	p->events_backoff.interval_s = LOG_MIN_INTERVAL_S;
	mbuf_init(&p->reply, JS_REPLY_MAX);
	p->ps.reply = &p->reply;
	p->ps.account_hint = p->account_hint;
	p->ps.api_prefix = p->api_prefix;
	p->ps.generation = UINT64_MAX;
	pthread_mutex_init(&p->lock, NULL);
	mono_cond_init(&p->cond); /* its timed waits are on CLOCK_MONOTONIC */
	*out = p;
	return 0;
}

int js_poller_start(struct js_poller *p)
{
	sigset_t all, old;

	/* The thread (and the cnats threads it starts) takes no signals:
	 * main handles SIGTERM. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&p->thread, NULL, poller_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -rc;
	p->started = true;
	return 0;
}

void js_poller_free(struct js_poller *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (p->cfg.transport.ops->interrupt)
			p->cfg.transport.ops->interrupt(p->cfg.transport.ctx);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += STOP_WAIT_MS / 1000;
		until.tv_nsec += (long)(STOP_WAIT_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(p->thread, NULL, &until) != 0) {
			/* Stuck in a call that ignored the interrupt (a DNS
			 * lookup): leave it, and everything it uses, to the
			 * process's exit rather than free it under its feet. */
			log_kv(p->log, LOG_WARN,
			       "JetStream poller did not stop in time; left running", "url",
			       p->urls, NULL);
			return;
		}
	}
	snap_unref(p, p->snap);
	close_owned(&p->cfg);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	mbuf_free(&p->reply);
	free(p->urls);
	free(p->account_hint);
	free(p->api_prefix);
	free(p);
}

void js_poller_view(struct js_poller *p, struct js_view *v)
{
	double now = wall_now_s();
	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&p->lock);
	v->up = p->up;
	v->polled = p->polled;
	v->last_success_s = p->last_success_s;
	v->last_duration_s = p->last_duration_s;
	v->errors_total = p->errors_total;
	v->dropped_total = p->dropped_total;
	v->consumers_dropped_total = p->consumers_dropped_total;
	memcpy(v->limit_hits, p->limit_hits, sizeof(v->limit_hits));
	struct js_snapshot *s = p->snap;
	/* The poller drops stale values after its next failed poll; a scrape
	 * between the deadline and that poll must not serve them either. */
	if (s && !p->up && p->cfg.stale_after_s &&
	    now - p->last_success_s > (double)p->cfg.stale_after_s)
		s = NULL;
	if (s) {
		s->refs++;
		v->snap = s;
		v->stale = !p->up;
	}
	pthread_mutex_unlock(&p->lock);
}

void js_poller_release(struct js_poller *p, struct js_view *v)
{
	snap_unref(p, v->snap);
	v->snap = NULL;
}
