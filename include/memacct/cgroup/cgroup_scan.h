/* cgroup_scan: one scrape's walk of the cgroup tree over the cgroup cache
 * (cgroup_cache.h). The first collector of a scrape that asks walks the
 * tree once (openat on directory fds, the --collector.cgroup.include/
 * exclude/max-depth filter), picking up each cgroup's cache node; every
 * collector then visits the same exported cgroups, of the levels
 * --collector.cgroup.levels selects, in walk order (parents first), and
 * reads their files through the nodes. New cgroups are found by the walk
 * and removed ones dropped from the cache after it (cgroup_cache_sweep).
 *
 * On a cgroup filesystem the walk lists only directories with
 * subdirectories (kernfs sets a directory's link count to 2 + its
 * subdirectories; one fstatat per cgroup tells) and opens no leaf: listing
 * a cgroup directory (every one of its files) is the costliest part of a
 * walk. Elsewhere (a fixture tree) every directory is opened and listed.
 *
 * One scan per scrape, used by one thread; scans of concurrent scrapes
 * share the cache. */
#ifndef MEMACCT_CGROUP_SCAN_H
#define MEMACCT_CGROUP_SCAN_H

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/util/errmsg.h"

struct cgroup_scan;

/* A scan of scope's tree through cache (both borrowed); cache NULL: a
 * private cache that holds no file, freed with the scan. NULL on ENOMEM. */
struct cgroup_scan *cgroup_scan_new(const struct cgroup_scope *scope, struct cgroup_cache *cache);
/* Lets go of the scan's nodes. */
void cgroup_scan_free(struct cgroup_scan *s);

/* Called for each exported cgroup; d is valid during the call only. A
 * non-zero return stops the visit and is returned by cgroup_scan_visit(). */
typedef int (*cgroup_scan_fn)(void *arg, struct cgroup_dir *d);

/* What the walk could not visit (as cgroup_walk.h counts it). */
struct cgroup_walk_stats {
	unsigned long skipped; /* vanished or unopenable directories (silent churn) */
	/* Directories whose path would pass PATH_MAX: never visited, so the
	 * caller must count them as errors rather than lose them silently. */
	unsigned long too_long;
};

/* Walks (on the scan's first call), then calls fn for each exported cgroup.
 * s NULL: a scan of its own for this call, through a private cache.
 * Returns 0, fn's stop value, -ENOMEM, or -errno when the root cannot be
 * opened (e names it). stats may be NULL. */
int cgroup_scan_visit(struct cgroup_scan *s, const struct cgroup_scope *scope, cgroup_scan_fn fn,
		      void *arg, struct cgroup_walk_stats *stats, struct errmsg *e);

#endif
