/* scrape: the collector table, their lifetime, the collect[] filter, and one
 * scrape with the per-collector duration and success metrics. It knows no
 * HTTP (routes.c hands it the query arguments and streams the registry it
 * returns) and no file formats. */
#include "memacct/collectors/scrape.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memacct/collectors/collector.h"
#include "memacct/util/mono.h"

static const struct collector *const all_collectors[] = {
	&collector_cgroup, &collector_process, &collector_node, &collector_jetstream,
	&collector_self, &collector_pagecache,
};
#define N_COLLECTORS (sizeof(all_collectors) / sizeof(all_collectors[0]))

struct active {
	const struct collector *c;
	void *state;
	pthread_mutex_t lock; /* guards complain */
	struct log_backoff complain;
};

struct scraper {
	struct logger *log;
	const struct cgroup_scope *scope;  /* borrowed from main; NULL: no cgroup collector */
	struct cgroup_cache *cgroup_cache; /* borrowed from main; may be NULL */
	struct active act[N_COLLECTORS];
	size_t n;
};

static int check_toggles(const struct config *cfg, struct errmsg *e)
{
	for (size_t t = 0; t < cfg->n_toggles; t++) {
		size_t i;
		for (i = 0; i < N_COLLECTORS; i++)
			if (strcmp(cfg->toggles[t].name, all_collectors[i]->name) == 0)
				break;
		if (i == N_COLLECTORS) {
			errmsg_set(e,
				   "--%scollector.%s: no such collector (cgroup, process, node, "
				   "jetstream, self, pagecache)",
				   cfg->toggles[t].on ? "" : "no-", cfg->toggles[t].name);
			return -EINVAL;
		}
	}
	return 0;
}

bool scraper_collector_on(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < N_COLLECTORS; i++)
		if (strcmp(all_collectors[i]->name, name) == 0)
			return flags_collector_on(cfg, name, all_collectors[i]->default_on);
	return false;
}

int scraper_new(const struct collector_env *env, struct scraper **out, struct errmsg *e)
{
	const struct config *cfg = env->cfg;
	int rc = check_toggles(cfg, e);
	if (rc)
		return rc;
	struct scraper *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->log = env->log;
	s->scope = env->scope;
	s->cgroup_cache = env->cgroup_cache;
	for (size_t i = 0; i < N_COLLECTORS; i++) {
		const struct collector *c = all_collectors[i];
		if (!flags_collector_on(cfg, c->name, c->default_on))
			continue;
		void *state = NULL;
		struct errmsg ce = {{0}};
		rc = c->init(env, &state, &ce);
		if (rc) {
			errmsg_set(e, "collector %s: %s", c->name, ce.msg[0] ? ce.msg : strerror(-rc));
			scraper_free(s);
			return rc;
		}
		if (!state)
			continue; /* not configured (e.g. jetstream without --nats.url) */
		struct active *a = &s->act[s->n++];
		a->c = c;
		a->state = state;
		a->complain.interval_s = 300;
		pthread_mutex_init(&a->lock, NULL);
	}
	*out = s;
	return 0;
}

void scraper_free(struct scraper *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->act[i].c->fini)
			s->act[i].c->fini(s->act[i].state);
		pthread_mutex_destroy(&s->act[i].lock);
	}
	free(s);
}

int scraper_filter_arg(const struct scraper *s, struct scrape_filter *f, const char *key,
		       const char *value, struct errmsg *e)
{
	if (strcmp(key, "collect[]") != 0)
		return 0;
	if (!value || !*value) {
		errmsg_set(e, "collect[] needs a collector name");
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->act[i].c->name, value) == 0) {
			f->active |= UINT32_C(1) << i;
			return 0;
		}
	}
	char active[128];
	size_t k = 0;
	active[0] = '\0';
	for (size_t i = 0; i < s->n && k < sizeof(active); i++)
		k += (size_t)snprintf(active + k, sizeof(active) - k, "%s%s", i ? ", " : "",
				      s->act[i].c->name);
	errmsg_set(e, "collect[]=%.64s: no such collector, or it is off (on: %s)", value, active);
	return -EINVAL;
}


/* Logs a failure: at once the first time, then at most every interval, and
 * once more when it recovers. */
static void report(struct scraper *s, struct active *a, int rc, const struct errmsg *ce)
{
	pthread_mutex_lock(&a->lock);
	if (rc) {
		unsigned long suppressed = 0;
		if (log_backoff_due(&a->complain, time(NULL), &suppressed)) {
			char n[24];
			snprintf(n, sizeof(n), "%lu", suppressed);
			log_kv(s->log, LOG_WARN, "collector failed", "collector", a->c->name, "err",
			       ce->msg[0] ? ce->msg : strerror(-rc), "suppressed_since_last", n,
			       NULL);
		}
	} else if (a->complain.last) {
		log_kv(s->log, LOG_INFO, "collector recovered", "collector", a->c->name, NULL);
		log_backoff_clear(&a->complain);
	}
	pthread_mutex_unlock(&a->lock);
}

/* Whether the scrape runs the i-th active collector. */
static bool selected(const struct scrape_filter *f, size_t i)
{
	return !f || !f->active || (f->active >> i) & 1u;
}

int scraper_collect(struct scraper *s, const struct scrape_filter *f, struct registry **out)
{
	*out = NULL;
	struct registry *reg = registry_new(SCRAPE_MAX_BYTES);
	if (!reg)
		return -ENOMEM;
	struct scrape_ctx ctx = {.scan = s->scope ? cgroup_scan_new(s->scope, s->cgroup_cache)
						  : NULL};
	double dur[N_COLLECTORS] = {0};
	int ok[N_COLLECTORS] = {0};
	for (size_t i = 0; i < s->n; i++) {
		struct active *a = &s->act[i];
		struct errmsg ce = {{0}};
		if (!selected(f, i))
			continue;
		double t0 = mono_now_s();
		int rc = a->c->collect(a->state, &ctx, reg, &ce);
		dur[i] = mono_now_s() - t0;
		ok[i] = rc == 0;
		if (registry_error(reg))
			break;
		report(s, a, rc, &ce);
	}
	struct family *fd = registry_family(reg, "memacct_scrape_collector_duration_seconds",
					    METRIC_GAUGE, "How long a collector took in this scrape.");
	struct family *fs = registry_family(reg, "memacct_scrape_collector_success", METRIC_GAUGE,
					    "Whether a collector succeeded in this scrape (1) or "
					    "failed (0); see the exporter's log for why.");
	for (size_t i = 0; i < s->n; i++) {
		if (!selected(f, i))
			continue;
		metric_f64(fd, NULL, "collector", s->act[i].c->name, dur[i]);
		metric_u64(fs, NULL, "collector", s->act[i].c->name, (uint64_t)ok[i]);
	}
	cgroup_scan_free(ctx.scan);
	int rc = registry_error(reg);
	if (rc) {
		registry_free(reg);
		return rc;
	}
	*out = reg;
	return 0;
}

int scraper_scrape(struct scraper *s, const struct scrape_filter *f, struct mbuf *out,
		   enum expfmt_format fmt)
{
	struct registry *reg;
	int rc = scraper_collect(s, f, &reg);
	if (rc)
		return rc;
	rc = registry_write(reg, out, fmt);
	registry_free(reg);
	return rc;
}
