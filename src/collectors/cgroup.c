/* cgroup collector: walks every memory cgroup below the root and exports the
 * usage split, working set, limits, events, PSI and page-cache activity
 * counters, in families that --collector.cgroup.families turns on, plus
 * memacct_cgroup_info (1 per cgroup, with qos and runtime) always, for the
 * levels --collector.cgroup.levels selects. The README's "What it exports"
 * is the reference for the names. Reading is cgroup_mem.c's job, labelling
 * cgroup_labels.c's; this file only maps numbers to metric families. It does
 * not read /proc (the process collector does). */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/cgroup/cgroup_mem.h"
#include "memacct/cgroup/cgroup_scan.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/collectors/collector.h"

struct cgroup_state {
	const struct cgroup_scope *scope; /* borrowed from main */
	struct cgroup_cache *cache;	  /* borrowed from main; may be NULL */
	const char *procfs;		  /* for the v2 root's usage (meminfo) */
	uint64_t wanted;		  /* cgroup_mem_read's: the families' fields */
	atomic_ulong read_errors; /* cgroups skipped for an unreadable/malformed file */
};

/* Families of one scrape, looked up once; NULL when their group is off
 * (adding to NULL is a no-op). */
struct fams {
	struct family *info;
	struct family *split, *usage, *ws, *limit, *high, *low, *min, *peak, *swap;
	struct family *mapped, *dirty, *writeback, *events, *failcnt, *psi_waiting, *psi_stalled;
	struct family *refault_file, *refault_anon, *activate_file, *activate_anon;
	struct family *pgscan, *pgsteal, *pgmajfault;
};

struct visit {
	struct cgroup_state *st;
	struct registry *reg;
	struct fams f;
	struct readbuf buf;
	unsigned long errors;
	struct errmsg first_error;
};


static void lookup_families(struct registry *r, const struct cgroup_scope *scope,
			    struct fams *f)
{
/* The family when its group is on, else NULL. */
#define FAM(group, name, type, help)                                                               \
	(cgroup_scope_family_on(scope, CGROUP_##group) ? registry_family(r, name, type, help) : NULL)
	f->info = registry_family(
	    r, "memacct_cgroup_info", METRIC_GAUGE,
	    "1 per exported cgroup, with its level, pod UID, container id, QoS class and runtime "
	    "(qos and runtime are on no other series: join on cgroup).");
	f->split = FAM(
	    FAM_SPLIT, "memacct_cgroup_memory_bytes", METRIC_GAUGE,
	    "Cgroup memory usage split into disjoint components that sum to usage_bytes: "
	    "anon (excl. shmem), shmem, file_active and file_inactive page cache, kernel, and "
	    "other (usage minus the rest).");
	f->usage = FAM(
	    FAM_USAGE, "memacct_cgroup_memory_usage_bytes", METRIC_GAUGE,
	    "Memory charged to the cgroup (v2 memory.current, v1 memory.usage_in_bytes).");
	f->ws = FAM(
	    FAM_USAGE, "memacct_cgroup_memory_working_set_bytes", METRIC_GAUGE,
	    "Usage minus inactive file pages, floored at 0: the kubelet and cAdvisor working set "
	    "(container_memory_working_set_bytes).");
	f->limit = FAM(
	    FAM_LIMITS, "memacct_cgroup_memory_limit_bytes", METRIC_GAUGE,
	    "Hard memory limit (v2 memory.max, v1 memory.limit_in_bytes); absent when unlimited.");
	f->high = FAM(FAM_LIMITS, "memacct_cgroup_memory_high_bytes", METRIC_GAUGE,
		      "Throttling limit (v2 memory.high); absent when max.");
	f->low = FAM(FAM_LIMITS, "memacct_cgroup_memory_low_bytes", METRIC_GAUGE,
		     "Best-effort protection (v2 memory.low); absent when 0.");
	f->min = FAM(FAM_LIMITS, "memacct_cgroup_memory_min_bytes", METRIC_GAUGE,
		     "Hard protection (v2 memory.min); absent when 0.");
	f->peak = FAM(
	    FAM_PEAK, "memacct_cgroup_memory_peak_bytes", METRIC_GAUGE,
	    "Highest usage recorded (v2 memory.peak, v1 memory.max_usage_in_bytes).");
	f->swap = FAM(FAM_SWAP, "memacct_cgroup_memory_swap_bytes", METRIC_GAUGE,
		      "Swap used by the cgroup (v2 memory.swap.current, v1 total_swap).");
	f->mapped = FAM(FAM_FILE, "memacct_cgroup_memory_file_mapped_bytes", METRIC_GAUGE,
			"Page cache mapped into process address spaces (v2 "
			"file_mapped, v1 total_mapped_file).");
	f->dirty = FAM(
	    FAM_FILE, "memacct_cgroup_memory_file_dirty_bytes", METRIC_GAUGE,
	    "Page cache waiting to be written back (v2 file_dirty, v1 total_dirty).");
	f->writeback = FAM(
	    FAM_FILE, "memacct_cgroup_memory_file_writeback_bytes", METRIC_GAUGE,
	    "Page cache being written back (v2 file_writeback, v1 total_writeback).");
	f->events = FAM(
	    FAM_EVENTS, "memacct_cgroup_memory_events_total", METRIC_COUNTER,
	    "v2 memory.events: times usage went over low/high/max, OOM and OOM kills.");
	f->failcnt = FAM(FAM_EVENTS, "memacct_cgroup_memory_failcnt_total", METRIC_COUNTER,
			 "v1 memory.failcnt: times usage hit the limit.");
	f->psi_waiting = FAM(
	    FAM_PRESSURE, "memacct_cgroup_memory_pressure_waiting_seconds_total", METRIC_COUNTER,
	    "Time at least one task of the cgroup waited for memory (PSI some, v2 "
	    "memory.pressure).");
	f->psi_stalled = FAM(
	    FAM_PRESSURE, "memacct_cgroup_memory_pressure_stalled_seconds_total", METRIC_COUNTER,
	    "Time every non-idle task of the cgroup stalled on memory at once (PSI full, v2 "
	    "memory.pressure); part of the waiting time.");
	f->refault_file = FAM(
	    FAM_PRESSURE, "memacct_cgroup_memory_workingset_refault_file_total", METRIC_COUNTER,
	    "Evicted file pages faulted back in (workingset_refault_file): high means the cache "
	    "is too small, not too big.");
	f->refault_anon = FAM(
	    FAM_RECLAIM, "memacct_cgroup_memory_workingset_refault_anon_total", METRIC_COUNTER,
	    "Evicted (swapped) anonymous pages faulted back in (workingset_refault_anon).");
	f->activate_file = FAM(
	    FAM_RECLAIM, "memacct_cgroup_memory_workingset_activate_file_total", METRIC_COUNTER,
	    "Refaulted file pages activated immediately (workingset_activate_file): hot pages "
	    "being thrashed.");
	f->activate_anon = FAM(
	    FAM_RECLAIM, "memacct_cgroup_memory_workingset_activate_anon_total", METRIC_COUNTER,
	    "Refaulted anonymous pages activated immediately (workingset_activate_anon).");
	f->pgscan = FAM(FAM_RECLAIM, "memacct_cgroup_memory_pgscan_total", METRIC_COUNTER,
			"Pages scanned by reclaim in the cgroup (v2 pgscan).");
	f->pgsteal = FAM(FAM_RECLAIM, "memacct_cgroup_memory_pgsteal_total", METRIC_COUNTER,
			 "Pages reclaimed from the cgroup (v2 pgsteal).");
	f->pgmajfault = FAM(FAM_RECLAIM, "memacct_cgroup_memory_pgmajfault_total", METRIC_COUNTER,
			    "Major page faults in the cgroup (pgmajfault).");
#undef FAM
}

static void put(struct family *f, const struct labels *l, const struct cgroup_mem *m,
		enum cgroup_mem_field field, const char *key, const char *val)
{
	if (cgroup_mem_has(m, field))
		metric_u64(f, l, key, val, m->v[field]);
}

static void emit(struct visit *v, const struct labels *l, const struct labels *info,
		 const struct cgroup_mem *m)
{
	const struct fams *f = &v->f;
	metric_u64(f->info, info, NULL, NULL, 1);
	if (m->has_split)
		for (int i = 0; i < COMP_N; i++)
			metric_u64(f->split, l, "component", mem_component_names[i], m->comp[i]);
	put(f->usage, l, m, CM_USAGE, NULL, NULL);
	put(f->ws, l, m, CM_WORKING_SET, NULL, NULL);
	put(f->limit, l, m, CM_LIMIT, NULL, NULL);
	put(f->high, l, m, CM_HIGH, NULL, NULL);
	put(f->low, l, m, CM_LOW, NULL, NULL);
	put(f->min, l, m, CM_MIN, NULL, NULL);
	put(f->peak, l, m, CM_PEAK, NULL, NULL);
	put(f->swap, l, m, CM_SWAP, NULL, NULL);
	put(f->mapped, l, m, CM_FILE_MAPPED, NULL, NULL);
	put(f->dirty, l, m, CM_FILE_DIRTY, NULL, NULL);
	put(f->writeback, l, m, CM_FILE_WRITEBACK, NULL, NULL);
	put(f->events, l, m, CM_EV_LOW, "event", "low");
	put(f->events, l, m, CM_EV_HIGH, "event", "high");
	put(f->events, l, m, CM_EV_MAX, "event", "max");
	put(f->events, l, m, CM_EV_OOM, "event", "oom");
	put(f->events, l, m, CM_EV_OOM_KILL, "event", "oom_kill");
	put(f->failcnt, l, m, CM_FAILCNT, NULL, NULL);
	if (cgroup_mem_has(m, CM_PSI_SOME_US))
		metric_f64(f->psi_waiting, l, NULL, NULL, (double)m->v[CM_PSI_SOME_US] / 1e6);
	if (cgroup_mem_has(m, CM_PSI_FULL_US))
		metric_f64(f->psi_stalled, l, NULL, NULL, (double)m->v[CM_PSI_FULL_US] / 1e6);
	put(f->refault_file, l, m, CM_REFAULT_FILE, NULL, NULL);
	put(f->refault_anon, l, m, CM_REFAULT_ANON, NULL, NULL);
	put(f->activate_file, l, m, CM_ACTIVATE_FILE, NULL, NULL);
	put(f->activate_anon, l, m, CM_ACTIVATE_ANON, NULL, NULL);
	put(f->pgscan, l, m, CM_PGSCAN, NULL, NULL);
	put(f->pgsteal, l, m, CM_PGSTEAL, NULL, NULL);
	put(f->pgmajfault, l, m, CM_PGMAJFAULT, NULL, NULL);
}

static int visit_cgroup(void *arg, struct cgroup_dir *d)
{
	struct visit *v = arg;
	struct cgroup_mem m;
	const char *bad = NULL;
	const char *path = d->path;
	int rc = cgroup_mem_read(d, v->st->scope->root.mode, v->st->wanted, &v->buf, &m, &bad);
	if (rc == 0) /* the v2 root's usage is the node's (meminfo) */
		rc = cgroup_mem_fill_v2_root(&m, v->st->procfs, &v->buf, &bad);
	if (rc == -ENOENT)
		return 0; /* removed while we walked: normal churn */
	if (rc) {
		if (!v->errors++)
			errmsg_set(&v->first_error, "%s%s/%s: %s", v->st->scope->root.path,
				   strcmp(path, "/") ? path : "", bad ? bad : "?", readfile_strerror(rc));
		return 0;
	}
	const struct labels *labels, *info;
	if (cgroup_dir_labels(d, &labels, &info))
		return -ENOMEM;
	emit(v, labels, info, &m);
	return registry_error(v->reg);
}

/* The fields of cgroup_mem_read that the families on need from files of
 * their own (memory.stat and usage are always read). */
static uint64_t wanted_fields(const struct cgroup_scope *scope)
{
#define F(x) (UINT64_C(1) << (x))
	uint64_t w = 0;
	if (cgroup_scope_family_on(scope, CGROUP_FAM_LIMITS))
		w |= F(CM_LIMIT) | F(CM_HIGH) | F(CM_LOW) | F(CM_MIN);
	if (cgroup_scope_family_on(scope, CGROUP_FAM_PRESSURE))
		w |= F(CM_PSI_SOME_US) | F(CM_PSI_FULL_US);
	if (cgroup_scope_family_on(scope, CGROUP_FAM_EVENTS))
		w |= CGROUP_MEM_EVENTS | F(CM_FAILCNT);
	if (cgroup_scope_family_on(scope, CGROUP_FAM_PEAK))
		w |= F(CM_PEAK);
	if (cgroup_scope_family_on(scope, CGROUP_FAM_SWAP))
		w |= F(CM_SWAP);
#undef F
	return w;
}

static int cgroup_collect(void *state, struct scrape_ctx *ctx, struct registry *reg,
			  struct errmsg *e)
{
	struct cgroup_state *st = state;
	struct visit v = {.st = st, .reg = reg};
	lookup_families(reg, st->scope, &v.f);
	readbuf_init(&v.buf, 1 << 20);
	struct cgroup_walk_stats ws = {0, 0};
	int rc = cgroup_scan_visit(ctx ? ctx->scan : NULL, st->scope, visit_cgroup, &v, &ws, e);
	readbuf_free(&v.buf);
	if (ws.too_long) {
		/* Not visited at all (nor their descendants): an error, not churn. */
		if (!v.errors)
			errmsg_set(&v.first_error,
				   "%lu cgroup(s) below %s have a path longer than PATH_MAX (%d)",
				   ws.too_long, st->scope->root.path, PATH_MAX);
		v.errors += ws.too_long;
	}
	if (v.errors)
		atomic_fetch_add(&st->read_errors, v.errors);
	metric_u64(
	    registry_family(reg, "memacct_cgroup_read_errors_total", METRIC_COUNTER,
			    "Cgroups skipped because a memory file was unreadable, malformed or "
			    "not a regular file, or because the cgroup's path is longer than "
			    "PATH_MAX (vanished cgroups are not counted)."),
	    NULL, NULL, NULL, atomic_load(&st->read_errors));
	if (st->cache) {
		struct cgroup_cache_stats cs;
		cgroup_cache_get_stats(st->cache, &cs);
		metric_u64(registry_family(reg, "memacct_cgroup_files_open", METRIC_GAUGE,
					   "Cgroup files held open across scrapes and re-read with "
					   "pread (at most --collector.cgroup.max-open-files)."),
			   NULL, NULL, NULL, (uint64_t)cs.files_open);
		metric_u64(registry_family(reg, "memacct_cgroup_files_uncached_total",
					   METRIC_COUNTER,
					   "Cgroup file reads done with open/read/close because "
					   "--collector.cgroup.max-open-files or RLIMIT_NOFILE allowed "
					   "no more files held open."),
			   NULL, NULL, NULL, cs.uncached_reads);
	}
	if (rc)
		return rc;
	if (v.errors) {
		errmsg_set(e, "%lu cgroup(s) skipped; first: %s", v.errors, v.first_error.msg);
		return -EIO;
	}
	return 0;
}

static int cgroup_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	if (!env->scope) {
		errmsg_set(e, "no cgroup scope was set up");
		return -EINVAL;
	}
	struct cgroup_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->scope = env->scope;
	st->cache = env->cgroup_cache;
	st->wanted = wanted_fields(env->scope);
	st->procfs = env->cfg && env->cfg->procfs ? env->cfg->procfs : "/proc";
	atomic_init(&st->read_errors, 0);
	*state = st;
	return 0;
}

const struct collector collector_cgroup = {
    .name = "cgroup",
    .default_on = true,
    .init = cgroup_init,
    .collect = cgroup_collect,
    .fini = free,
};
