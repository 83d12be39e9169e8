/* cgroup_scope: sets up and tears down the root, filter and podlogs listing
 * the cgroup and process collectors share. No per-scrape work. */
#include "memacct/cgroup/cgroup_scope.h"

#include "memacct/cgroup/cgroup_labels.h"

int cgroup_scope_init(struct cgroup_scope *s, const struct config *cfg, struct errmsg *e)
{
	s->podlogs = NULL;
	int rc = cgroup_fs_root(cfg, &s->root, e);
	if (rc)
		return rc;
	rc = cgroup_filter_init(&s->filter, cfg, e);
	if (rc)
		return rc;
	if (cfg->podlogs) {
		rc = podlogs_open(cfg->podlogs, PODLOGS_REFRESH_S, &s->podlogs, e);
		if (rc) {
			cgroup_filter_fini(&s->filter);
			return rc;
		}
	}
	return 0;
}

void cgroup_scope_fini(struct cgroup_scope *s)
{
	cgroup_filter_fini(&s->filter);
	podlogs_free(s->podlogs);
	s->podlogs = NULL;
}
