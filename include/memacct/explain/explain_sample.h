/* explain_sample: one sample of the split for explain and /explain: every
 * cgroup (or the ones a target names) read with the collectors' readers
 * (cgroup_mem.c for the memory files, proc_mem.c for the processes), each
 * cgroup's processes summed into its ancestors so RSS compares with
 * hierarchical usage, rows sorted by working set. It knows nothing of
 * diagnosis or rendering. */
#ifndef MEMACCT_EXPLAIN_SAMPLE_H
#define MEMACCT_EXPLAIN_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "memacct/cgroup/cgroup_id.h"
#include "memacct/cgroup/cgroup_mem.h"
#include "memacct/cgroup/podlogs.h"
#include "memacct/proc/proc_mem.h"
#include "memacct/util/errmsg.h"

struct cgroup_scope;
struct config;

/* What every sample reads from: the cgroup root, the include/exclude filter
 * and pod names (main's cgroup scope, the one the collectors use) and /proc.
 * Read-only, so samples may be taken in several threads at once. */
struct explain_ctx {
	const struct cgroup_scope *scope; /* borrowed */
	const char *procfs;		  /* borrowed from the config */
};

void explain_ctx_init(struct explain_ctx *ctx, const struct config *cfg,
		      const struct cgroup_scope *scope);

struct explain_row {
	char *path; /* below the cgroupfs root, "/" for the root; owned */
	struct cgroup_identity id;
	struct podlogs_names names; /* valid when has_names */
	bool has_names;
	struct cgroup_mem mem;	   /* mem.has_split is true for every row */
	struct proc_mem procs_own; /* this cgroup's own processes */
	struct proc_mem procs;	   /* this cgroup's and its descendants' */
	bool procs_ok;		   /* cgroup.procs of it and below were read */
};

/* RSS of the row's processes and its descendants': anon + file + shmem. */
static inline uint64_t explain_row_rss(const struct explain_row *r)
{
	return r->procs.rss_anon + r->procs.rss_file + r->procs.rss_shmem;
}

/* One sample: every cgroup with a usage split (a v2 root has none), sorted
 * by working set, largest first (ties by path). */
struct explain_snapshot {
	struct explain_row *rows;
	size_t n, cap;
	struct explain_row **by_path; /* rows sorted by path, for _find() */
	size_t matched_total;	      /* rows before max_rows cut the list */
	struct timespec taken;	      /* CLOCK_REALTIME */
	unsigned long skipped;	      /* cgroups that could not be opened or read */
};

/* Rows kept at most; anything past it is counted in matched_total. */
#define EXPLAIN_MAX_ROWS 100000

/* Takes a sample. target: NULL for every cgroup, else a cgroup path (exact,
 * with or without the leading '/'), a container id (64 hex, or a prefix of
 * at least 12 that names one container), or a pod UID (dashes or
 * underscores: the pod's cgroup and its containers'). max_rows: keep the
 * largest n only (0: EXPLAIN_MAX_ROWS). Returns 0; -ENOENT when the target
 * matches nothing, -EINVAL when it is ambiguous or cannot be one of these
 * (e says which); -ENOMEM. */
int explain_snapshot_take(const struct explain_ctx *ctx, const char *target, size_t max_rows,
			  struct explain_snapshot *s, struct errmsg *e);
void explain_snapshot_free(struct explain_snapshot *s);
/* The row of s with this path, or NULL. */
const struct explain_row *explain_snapshot_find(const struct explain_snapshot *s, const char *path);

#endif
