/* cgroup_scope: what every cgroup-walking collector sets up the same way at
 * start-up: the cgroup root (cgroup_fs.h), the include/exclude/max-depth
 * filter (cgroup_walk.h) and, with --path.podlogs, the pod-name listing
 * (podlogs.h). It does not walk or read anything per scrape. */
#ifndef MEMACCT_CGROUP_SCOPE_H
#define MEMACCT_CGROUP_SCOPE_H

#include "memacct/cgroup/cgroup_fs.h"
#include "memacct/cgroup/cgroup_walk.h"
#include "memacct/cgroup/podlogs.h"

struct cgroup_scope {
	struct cgroup_root root;
	struct cgroup_filter filter;
	struct podlogs *podlogs; /* NULL without --path.podlogs */
};

/* 0, or -errno with e naming the flag or path; on error nothing is held. */
int cgroup_scope_init(struct cgroup_scope *s, const struct config *cfg, struct errmsg *e);
void cgroup_scope_fini(struct cgroup_scope *s);

#endif
