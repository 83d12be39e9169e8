/* cgroup_scope: what every cgroup-walking collector sets up the same way at
 * start-up: the cgroup root (cgroup_fs.h), the include/exclude/max-depth
 * filter (cgroup_walk.h), the hierarchy levels and metric families exported
 * (--collector.cgroup.levels, --collector.cgroup.families) and, with --path.podlogs, the pod-name listing
 * (podlogs.h). It does not walk or read anything per scrape. */
#ifndef MEMACCT_CGROUP_SCOPE_H
#define MEMACCT_CGROUP_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/cgroup/cgroup_fs.h"
#include "memacct/cgroup/cgroup_id.h"
#include "memacct/cgroup/cgroup_walk.h"
#include "memacct/cgroup/podlogs.h"

/* --collector.cgroup.families: the groups of per-cgroup metric families the
 * cgroup and process collectors export (README, "What it exports"). */
enum cgroup_family {
	CGROUP_FAM_SPLIT,    /* memacct_cgroup_memory_bytes{component} */
	CGROUP_FAM_USAGE,    /* usage, working set */
	CGROUP_FAM_LIMITS,   /* limit, high, low, min */
	CGROUP_FAM_PRESSURE, /* PSI waiting, stalled; file refaults */
	CGROUP_FAM_EVENTS,   /* memory.events, v1 failcnt */
	CGROUP_FAM_RECLAIM,  /* anon refaults, activations, pgscan, pgsteal, pgmajfault */
	CGROUP_FAM_FILE,     /* file mapped, dirty, writeback */
	CGROUP_FAM_PEAK,     /* peak */
	CGROUP_FAM_SWAP,     /* the cgroup's swap and its processes' VmSwap */
	CGROUP_FAM_N
};

/* The families' names, indexed by enum cgroup_family. */
extern const char *const cgroup_family_names[CGROUP_FAM_N];

struct cgroup_scope {
	struct cgroup_root root;
	struct cgroup_filter filter;
	struct podlogs *podlogs; /* NULL without --path.podlogs */
	uint32_t levels;	 /* bit per enum cgroup_level exported */
	uint32_t families;	 /* bit per enum cgroup_family exported */
};

/* 0, or -errno with e naming the flag or path; on error nothing is held. */
int cgroup_scope_init(struct cgroup_scope *s, const struct config *cfg, struct errmsg *e);
void cgroup_scope_fini(struct cgroup_scope *s);

/* Whether --collector.cgroup.families exports family f. */
static inline bool cgroup_scope_family_on(const struct cgroup_scope *s, enum cgroup_family f)
{
	return (s->families >> f) & 1u;
}

/* Parses path's identity into id; true when --collector.cgroup.levels
 * exports its level (the collectors skip the cgroup otherwise; the walk still
 * goes below it). */
bool cgroup_scope_level_on(const struct cgroup_scope *s, const char *path,
			   struct cgroup_identity *id);

#endif
