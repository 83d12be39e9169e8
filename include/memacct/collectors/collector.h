/* collector: the interface every source implements (one file each under
 * src/collectors/). A collector knows where its numbers come from; it never
 * sees the output format (it adds samples to a registry, see expfmt.h).
 *
 * Contract:
 *  - init() runs once at start-up with what main set up once and lends to
 *    every collector (struct collector_env); it validates what it needs
 *    and returns 0 or -errno with e naming the flag or path. *state is the
 *    collector's own (opaque to everyone else); NULL means "not configured".
 *  - collect() runs once per scrape, possibly in several threads at once:
 *    state must be read-only there or guarded by the collector's own lock.
 *    ctx holds what the collectors of one scrape share (it may be NULL,
 *    e.g. in unit tests: then nothing is shared).
 *    It returns 0, or -errno with e set when the collector as a whole failed
 *    (its success metric becomes 0). Partial failures (one vanished cgroup)
 *    are skipped and are not errors.
 *  - fini() frees state; it may be NULL. */
#ifndef MEMACCT_COLLECTOR_H
#define MEMACCT_COLLECTOR_H

#include <stdbool.h>

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/cgroup/cgroup_scan.h"
struct js_poller;

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/util/errmsg.h"
#include "memacct/expo/expfmt.h"
#include "memacct/cli/flags.h"
#include "memacct/util/log.h"

/* What the collectors of one scrape share; owned by the scrape, valid during
 * collect() only, used by one thread. */
struct scrape_ctx {
	/* The cgroup tree, walked once per scrape by the first collector that
	 * visits it (cgroup_scan.h); NULL: each collector walks on its own. */
	struct cgroup_scan *scan;
};

/* What main sets up once and lends to every collector. All borrowed: it
 * outlives the scraper. */
struct collector_env {
	const struct config *cfg;
	struct logger *log; /* for background work only */
	/* The cgroup root, filter and pod names (cgroup_scope.h), shared by
	 * the cgroup and process collectors and explain; NULL when neither
	 * cgroup collector is on. */
	const struct cgroup_scope *scope;
	/* The JetStream poller (jetstream_poll.h), read by the jetstream
	 * collector and /explain; NULL without --nats.url. */
	struct js_poller *poller;
	/* What scrapes keep of each cgroup between them: held files, label
	 * sets (cgroup_cache.h). NULL: nothing is kept (each scrape reads
	 * with open/read/close and labels afresh). */
	struct cgroup_cache *cgroup_cache;
};

struct collector {
	const char *name;
	bool default_on;
	int (*init)(const struct collector_env *env, void **state, struct errmsg *e);
	int (*collect)(void *state, struct scrape_ctx *ctx, struct registry *reg, struct errmsg *e);
	void (*fini)(void *state);
};

extern const struct collector collector_cgroup;
extern const struct collector collector_process;
extern const struct collector collector_node;
extern const struct collector collector_jetstream;
extern const struct collector collector_self;
extern const struct collector collector_pagecache;

/* The /explain page's stream rows from the JetStream poller: an
 * explain_streams_fn (explain.h) whose arg is the struct js_poller. Takes a
 * reference to the last poll, never waits on NATS; thread-safe. */
struct explain_stream_sink;
int jetstream_explain_streams(void *poller, struct explain_stream_sink *sink);

#endif
