/* cgroup_scope: sets up and tears down the root, filter, levels, families
 * and podlogs listing the cgroup and process collectors share. No per-scrape work but
 * the level check. */
#include "memacct/cgroup/cgroup_scope.h"

#include "memacct/cgroup/cgroup_labels.h"

const char *const cgroup_family_names[CGROUP_FAM_N] = {
    [CGROUP_FAM_SPLIT] = "split",     [CGROUP_FAM_USAGE] = "usage",
    [CGROUP_FAM_LIMITS] = "limits",   [CGROUP_FAM_PRESSURE] = "pressure",
    [CGROUP_FAM_EVENTS] = "events",   [CGROUP_FAM_RECLAIM] = "reclaim",
    [CGROUP_FAM_FILE] = "file",	      [CGROUP_FAM_PEAK] = "peak",
    [CGROUP_FAM_SWAP] = "swap",
};

int cgroup_scope_init(struct cgroup_scope *s, const struct config *cfg, struct errmsg *e)
{
	s->podlogs = NULL;
	int rc = cgroup_fs_root(cfg, &s->root, e);
	if (rc)
		return rc;
	rc = flags_name_list("collector.cgroup.levels", cfg->cgroup_levels ? cfg->cgroup_levels : "all",
			     cgroup_level_names, CGROUP_LEVEL_N, &s->levels, e);
	if (rc)
		return rc;
	rc = flags_name_list("collector.cgroup.families",
			     cfg->cgroup_families ? cfg->cgroup_families
						  : FLAGS_DEFAULT_CGROUP_FAMILIES,
			     cgroup_family_names, CGROUP_FAM_N, &s->families, e);
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

bool cgroup_scope_level_on(const struct cgroup_scope *s, const char *path,
			   struct cgroup_identity *id)
{
	cgroup_id_parse(path, id);
	return (s->levels >> id->level) & 1u;
}
