/* cgroup_walk: visits every cgroup directory below a root with openat on
 * directory fds (no libcgroup, no path re-resolution), applying the
 * --collector.cgroup.include/exclude/max-depth filter. It does not read any
 * cgroup file: the visitor does, relative to the dirfd it is given.
 * A directory that vanishes during the walk is skipped silently. */
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

/* A walk recorded once and replayed: the directories one cgroup_walk_cached()
 * call found below a root (to the filter's max depth), in walk order. Reading
 * a kernfs directory is the costliest part of a walk (it lists every file of
 * the cgroup), so the second collector of a scrape re-opens the recorded
 * paths with openat() from the root instead of listing them again. One cache
 * per scrape; not thread-safe. */
struct cgroup_walk_cache;
struct cgroup_walk_cache *cgroup_walk_cache_new(void);
void cgroup_walk_cache_free(struct cgroup_walk_cache *c);

/* What a walk could not visit. */
struct cgroup_walk_stats {
	unsigned long skipped; /* vanished or unopenable directories (silent churn) */
	/* Directories whose path would pass PATH_MAX: never visited, so the
	 * caller must count them as errors rather than lose them silently. */
	unsigned long too_long;
};

/* Like cgroup_walk(), through cache c (NULL: a plain cgroup_walk()). The
 * first call for a root and max depth walks and records; later ones replay
 * (a directory gone since is skipped silently, as in a walk; too_long is
 * the recorded walk's). The filter's include/exclude is applied on every
 * call. stats may be NULL. */
int cgroup_walk_cached(struct cgroup_walk_cache *c, const char *root_path,
		       const struct cgroup_filter *f, cgroup_visit_fn fn, void *arg,
		       struct cgroup_walk_stats *stats, struct errmsg *e);

#endif
