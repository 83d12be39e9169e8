/* cgroup_walk: visits every cgroup directory below a root with openat on
 * directory fds (no libcgroup, no path re-resolution), applying the
 * --collector.cgroup.include/exclude/max-depth filter. It does not read any
 * cgroup file: the visitor does, relative to the dirfd it is given.
 * A directory that vanishes during the walk is skipped silently. Explain
 * walks with it; the collectors walk through cgroup_scan.h. */
#ifndef MEMACCT_CGROUP_WALK_H
#define MEMACCT_CGROUP_WALK_H

#include <stdbool.h>
#include <stddef.h>

#include "memacct/util/errmsg.h"
#include "memacct/cli/flags.h"
#include "memacct/util/name_filter.h"

struct cgroup_filter {
	struct name_filter names; /* on the path ("/a/b") */
	int max_depth;		  /* -1: unlimited */
};

/* Compiles the regexes of cfg; -EINVAL with e naming the flag. */
int cgroup_filter_init(struct cgroup_filter *f, const struct config *cfg, struct errmsg *e);
void cgroup_filter_fini(struct cgroup_filter *f);
/* Whether path ("/a/b") is exported (include and not exclude). */
bool cgroup_filter_match(const struct cgroup_filter *f, const char *path);

/* Called for each exported cgroup, parents before children. dirfd is the
 * cgroup's directory (valid during the call only); path is "/" for the root,
 * else "/a/b" (no trailing slash). A non-zero return stops the walk and is
 * returned by cgroup_walk(). */
typedef int (*cgroup_visit_fn)(void *arg, int dirfd, const char *path, int depth);

/* Walks root_path. Returns 0, the visitor's stop value, or -errno when the
 * root itself cannot be opened (e names it). Directories below the root that
 * cannot be opened (vanished, permission) or whose path would pass PATH_MAX
 * are skipped and counted in *skipped when skipped is non-NULL. */
int cgroup_walk(const char *root_path, const struct cgroup_filter *f, cgroup_visit_fn fn,
		void *arg, unsigned long *skipped, struct errmsg *e);

#endif
