/* pagecache collector (off by default: --collector.pagecache): for every
 * container cgroup (level container) of the cgroup scope, the top
 * --collector.pagecache.top files by bytes in page cache among those its
 * processes hold open or map, as
 * memacct_cgroup_page_cache_file_bytes{<cgroup labels>, file}. The listing
 * and measuring are the pagecache subsystem's (the same as explain
 * --files); this file walks, bounds the scrape and maps to metrics. Off, it
 * is not initialised and costs no syscall. Cardinality: at most top series
 * per container. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scan.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/collectors/collector.h"
#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_report.h"
#include "memacct/pagecache/pagecache_run.h"
#include "memacct/proc/proc_mem.h"

/* One scrape's budget for listing and measuring, all containers together,
 * and the files measured per container (the largest first). */
#define PAGECACHE_SCRAPE_BUDGET_MS 2000
#define PAGECACHE_MAX_MEASURED_PER_CGROUP 2000

struct pagecache_state {
	const struct cgroup_scope *scope; /* borrowed from main */
	const char *procfs;
	unsigned top;
	atomic_ulong cut_short; /* scrapes whose budget ran out */
};

struct visit {
	struct pagecache_state *st;
	struct registry *reg;
	struct family *bytes;
	int procfd;
	uint64_t deadline_ns;
	bool cut_short;
};

static int visit_cgroup(void *arg, struct cgroup_dir *d)
{
	struct visit *v = arg;
	if (cgroup_dir_identity(d)->level != CGROUP_LEVEL_CONTAINER)
		return 0;
	if (pagecache_deadline_passed(v->deadline_ns)) {
		v->cut_short = true;
		return 0;
	}
	struct pagecache_limits lim = {.deadline_ns = v->deadline_ns,
				       .max_measured = PAGECACHE_MAX_MEASURED_PER_CGROUP,
				       .max_depth = 8};
	struct pagecache_set set;
	struct pagecache_report rep = {0};
	pagecache_set_init(&set, &lim);
	int rc = cgroup_dir_fd(d);
	if (rc >= 0)
		rc = pagecache_list_cgroup(&set, rc, v->procfd);
	if (rc == 0)
		rc = pagecache_measure_set(&set, v->procfd, PAGECACHE_AUTO);
	if (rc == 0)
		rc = pagecache_report_build(&set, v->st->top, 0, &rep);
	if (set.list.cut_short || set.measure.over_time)
		v->cut_short = true;
	if (rc == 0 && rep.nrows) {
		const struct labels *l, *info;
		rc = cgroup_dir_labels(d, &l, &info);
		for (size_t i = 0; rc == 0 && i < rep.nrows; i++)
			metric_u64(v->bytes, l, "file", rep.rows[i]->path, rep.rows[i]->cached);
		if (rc == 0)
			rc = registry_error(v->reg);
	}
	pagecache_report_free(&rep);
	pagecache_set_free(&set);
	/* A container gone mid-walk is churn; -ENOMEM stops the scrape. */
	return rc == -ENOMEM ? rc : 0;
}

static int pagecache_collect(void *state, struct scrape_ctx *ctx, struct registry *reg,
			     struct errmsg *e)
{
	struct pagecache_state *st = state;
	struct visit v = {.st = st, .reg = reg};
	v.procfd = proc_open_root(st->procfs, e);
	if (v.procfd < 0)
		return v.procfd;
	v.deadline_ns = pagecache_deadline_after_ms(PAGECACHE_SCRAPE_BUDGET_MS);
	v.bytes = registry_family(
	    reg, "memacct_cgroup_page_cache_file_bytes", METRIC_GAUGE,
	    "Bytes in page cache of one of the top --collector.pagecache.top files the "
	    "container's processes hold open or map (cachestat, or mincore on older kernels "
	    "and overlayfs); the same as explain --files.");
	int rc = cgroup_scan_visit(ctx ? ctx->scan : NULL, st->scope, visit_cgroup, &v, NULL, e);
	close(v.procfd);
	if (v.cut_short)
		atomic_fetch_add(&st->cut_short, 1);
	metric_u64(registry_family(reg, "memacct_pagecache_scrapes_cut_short_total", METRIC_COUNTER,
				   "Scrapes whose page-cache-per-file budget (2 s) ran out before "
				   "every container was measured."),
		   NULL, NULL, NULL, atomic_load(&st->cut_short));
	return rc;
}

static int pagecache_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	if (!env->scope) {
		errmsg_set(e, "no cgroup scope was set up");
		return -EINVAL;
	}
	struct pagecache_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->scope = env->scope;
	st->procfs = env->cfg->procfs ? env->cfg->procfs : "/proc";
	st->top = env->cfg->pagecache_top ? env->cfg->pagecache_top : 5;
	atomic_init(&st->cut_short, 0);
	*state = st;
	return 0;
}

const struct collector collector_pagecache = {
    .name = "pagecache",
    .default_on = false,
    .init = pagecache_init,
    .collect = pagecache_collect,
    .fini = free,
};
