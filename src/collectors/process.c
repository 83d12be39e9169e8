/* process collector: for every exported cgroup (of the levels
 * --collector.cgroup.levels selects), the number of its own
 * processes (cgroup.procs, not descendants') and their summed RSS parts and
 * (with the swap family of --collector.cgroup.families) swap from
 * /proc/<pid>/status, PSS from smaps_rollup behind
 * --collector.process.pss (SPEC section 2). Reading is proc_mem.c's job; this
 * file walks and maps numbers to families. It does not read memory.* files. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scan.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/collectors/collector.h"
#include "memacct/proc/proc_mem.h"

struct process_state {
	const struct cgroup_scope *scope; /* borrowed from main */
	const char *procfs; /* borrowed from the config */
	bool pss;
	atomic_ulong vanished; /* processes gone between listing and reading */
	atomic_ulong pss_denied;
	atomic_ulong unreadable; /* status unreadable or not a regular file */
};

struct visit {
	struct process_state *st;
	struct registry *reg;
	int procfd;
	struct family *procs, *rss, *swap, *pss;
	struct readbuf listbuf, filebuf;
	unsigned long vanished, pss_denied, unreadable, errors;
	struct errmsg first_error;
};

static int visit_cgroup(void *arg, struct cgroup_dir *d)
{
	struct visit *v = arg;
	struct proc_mem pm = {0};
	const char *path = d->path;
	int rc = proc_mem_read_cgroup(d, v->procfd, v->st->pss, &v->listbuf, &v->filebuf, &pm);
	v->vanished += pm.vanished;
	v->pss_denied += pm.pss_denied;
	v->unreadable += pm.unreadable;
	if (rc == -ENOENT)
		return 0; /* the cgroup itself vanished */
	if (rc) {
		if (!v->errors++)
			errmsg_set(&v->first_error, "%s%s/cgroup.procs or a process in it: %s",
				   v->st->scope->root.path, strcmp(path, "/") ? path : "",
				   strerror(-rc));
		return 0;
	}
	const struct labels *l, *info;
	if (cgroup_dir_labels(d, &l, &info))
		return -ENOMEM;
	metric_u64(v->procs, l, NULL, NULL, pm.processes);
	metric_u64(v->rss, l, "component", "anon", pm.rss_anon);
	metric_u64(v->rss, l, "component", "file", pm.rss_file);
	metric_u64(v->rss, l, "component", "shmem", pm.rss_shmem);
	metric_u64(v->swap, l, NULL, NULL, pm.swap); /* NULL when the swap family is off */
	if (v->st->pss)
		metric_u64(v->pss, l, NULL, NULL, pm.pss);
	return registry_error(v->reg);
}

static int process_collect(void *state, struct scrape_ctx *ctx, struct registry *reg,
			   struct errmsg *e)
{
	struct process_state *st = state;
	struct visit v = {.st = st, .reg = reg};
	v.procfd = proc_open_root(st->procfs, e);
	if (v.procfd < 0)
		return v.procfd;
	v.procs = registry_family(
	    reg, "memacct_cgroup_processes", METRIC_GAUGE,
	    "Processes in the cgroup itself (cgroup.procs; descendants not included).");
	v.rss = registry_family(
	    reg, "memacct_cgroup_process_rss_bytes", METRIC_GAUGE,
	    "Summed resident memory of the cgroup's own processes from /proc/PID/status "
	    "(RssAnon, RssFile, RssShmem). Working set minus this is memory charged to the "
	    "cgroup that no process maps.");
	v.swap = cgroup_scope_family_on(st->scope, CGROUP_FAM_SWAP)
		     ? registry_family(reg, "memacct_cgroup_process_swap_bytes", METRIC_GAUGE,
				       "Summed VmSwap of the cgroup's own processes.")
		     : NULL;
	v.pss = registry_family(
	    reg, "memacct_cgroup_process_pss_bytes", METRIC_GAUGE,
	    "Summed proportional set size (smaps_rollup Pss) of the cgroup's own processes.");
	readbuf_init(&v.listbuf, 16 << 20);
	readbuf_init(&v.filebuf, 1 << 20);
	int rc = cgroup_scan_visit(ctx ? ctx->scan : NULL, st->scope, visit_cgroup, &v, NULL, e);
	close(v.procfd);
	readbuf_free(&v.listbuf);
	readbuf_free(&v.filebuf);
	atomic_fetch_add(&st->vanished, v.vanished);
	atomic_fetch_add(&st->pss_denied, v.pss_denied);
	atomic_fetch_add(&st->unreadable, v.unreadable);
	metric_u64(registry_family(reg, "memacct_process_vanished_total", METRIC_COUNTER,
				   "Processes listed in a cgroup that exited before their status "
				   "could be read (skipped)."),
		   NULL, NULL, NULL, atomic_load(&st->vanished));
	metric_u64(registry_family(reg, "memacct_process_read_errors_total", METRIC_COUNTER,
				   "Processes listed in a cgroup whose status file was unreadable or "
				   "not a regular file (skipped; the rest of the cgroup is still "
				   "summed)."),
		   NULL, NULL, NULL, atomic_load(&st->unreadable));
	if (st->pss)
		metric_u64(registry_family(reg, "memacct_process_pss_denied_total", METRIC_COUNTER,
					   "smaps_rollup reads refused (the exporter needs "
					   "CAP_SYS_PTRACE for other users' processes)."),
			   NULL, NULL, NULL, atomic_load(&st->pss_denied));
	if (rc)
		return rc;
	if (v.errors) {
		errmsg_set(e, "%lu cgroup(s) skipped; first: %s", v.errors, v.first_error.msg);
		return -EIO;
	}
	return 0;
}

static int process_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	const struct config *cfg = env->cfg;
	if (!env->scope) {
		errmsg_set(e, "no cgroup scope was set up");
		return -EINVAL;
	}
	struct process_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->scope = env->scope;
	st->procfs = cfg->procfs;
	st->pss = cfg->process_pss;
	atomic_init(&st->vanished, 0);
	atomic_init(&st->pss_denied, 0);
	atomic_init(&st->unreadable, 0);
	*state = st;
	return 0;
}

const struct collector collector_process = {
    .name = "process",
    .default_on = true,
    .init = process_init,
    .collect = process_collect,
    .fini = free,
};
