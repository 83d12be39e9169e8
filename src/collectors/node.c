/* node collector: host-wide memory from <procfs>/meminfo, <procfs>/vmstat and
 * <procfs>/pressure/memory, read fresh at every scrape. The meminfo gauges are
 * node_exporter's node_memory_<Field>_bytes set, in bytes, but named in
 * snake_case (memacct_node_memory_mem_total_bytes for MemTotal): the kernel's
 * CamelCase fails `promtool check metrics`, which the spec wants silent. Each
 * HELP names the kernel field. It does not look at cgroups or processes
 * (cgroup.c and process.c do), keeps no numbers between scrapes, and never
 * logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memacct/collectors/collector.h"
#include "memacct/util/parse.h"
#include "memacct/util/readfile.h"

/* meminfo is ~1.5 KiB and vmstat ~5 KiB on current kernels; the cap only
 * keeps a broken or hostile file from growing the buffer without bound. */
#define NODE_READ_MAX (256 * 1024)

struct node_state {
	char *procfs; /* owned copy of --path.procfs */
};

/* ---- /proc/meminfo (Documentation/filesystems/proc.rst, "meminfo") ---- */

struct meminfo_metric {
	const char *key; /* the field as /proc/meminfo spells it */
	const char *name;
	const char *help;
};

static const struct meminfo_metric meminfo_metrics[] = {
    {"MemTotal", "memacct_node_memory_mem_total_bytes",
     "Usable RAM: physical memory minus reserved pages and the kernel image (MemTotal in "
     "/proc/meminfo). The denominator of node memory ratios."},
    {"MemAvailable", "memacct_node_memory_mem_available_bytes",
     "The kernel's estimate of memory that new workloads can get without swapping: free pages "
     "plus the reclaimable part of page cache and slab (MemAvailable in /proc/meminfo)."},
    {"Cached", "memacct_node_memory_cached_bytes",
     "Page cache in RAM, shmem and tmpfs included, swap cache excluded (Cached in "
     "/proc/meminfo). Mostly reclaimable; it is what inflates container working sets."},
    {"Active(file)", "memacct_node_memory_active_file_bytes",
     "File-backed page cache on the active LRU list, recently used and reclaimed last "
     "(Active(file) in /proc/meminfo). Counted in the kubelet's working set."},
    {"Inactive(file)", "memacct_node_memory_inactive_file_bytes",
     "File-backed page cache on the inactive LRU list, the first reclaimed under pressure "
     "(Inactive(file) in /proc/meminfo). The part the working set subtracts from usage."},
    {"Shmem", "memacct_node_memory_shmem_bytes",
     "Shared memory: tmpfs (/dev/shm included), SysV and shared anonymous mappings (Shmem in "
     "/proc/meminfo). Counted in Cached, yet reclaimable only by swapping."},
    {"Dirty", "memacct_node_memory_dirty_bytes",
     "Page cache modified but not yet written back to disk (Dirty in /proc/meminfo); it "
     "cannot be dropped before writeback."},
    {"Writeback", "memacct_node_memory_writeback_bytes",
     "Page cache being written back to disk right now (Writeback in /proc/meminfo)."},
    {"AnonPages", "memacct_node_memory_anon_pages_bytes",
     "Anonymous (not file-backed) pages mapped into user page tables: heaps, stacks, private "
     "mappings (AnonPages in /proc/meminfo). Reclaimable only by swapping."},
    {"SReclaimable", "memacct_node_memory_slab_reclaimable_bytes",
     "Kernel slab memory that can be reclaimed under pressure, mostly dentry and inode caches "
     "(SReclaimable in /proc/meminfo)."},
    {"SUnreclaim", "memacct_node_memory_slab_unreclaimable_bytes",
     "Kernel slab memory that cannot be reclaimed under pressure (SUnreclaim in "
     "/proc/meminfo)."},
    {"KernelStack", "memacct_node_memory_kernel_stack_bytes",
     "Memory used by the kernel stacks of all threads (KernelStack in /proc/meminfo)."},
    {"PageTables", "memacct_node_memory_page_tables_bytes",
     "Memory used by the page tables that map user virtual memory (PageTables in "
     "/proc/meminfo)."},
    {"SwapTotal", "memacct_node_memory_swap_total_bytes",
     "Total swap space (SwapTotal in /proc/meminfo); 0 when the host has no swap."},
    {"SwapFree", "memacct_node_memory_swap_free_bytes",
     "Swap space not in use (SwapFree in /proc/meminfo)."},
};

#define N_MEMINFO (sizeof(meminfo_metrics) / sizeof(meminfo_metrics[0]))

/* ---- /proc/vmstat (no format document; "name value" lines, see
 * mm/vmstat.c and Documentation/admin-guide/mm/workingset, cgroup-v2.rst's
 * memory.stat for the meaning of the shared counter names) ---- */

enum vmstat_slot {
	VM_REFAULT_FILE,
	VM_REFAULT_ANON,
	VM_REFAULT_OLD, /* before 5.9: workingset_refault, file pages only */
	VM_ACTIVATE_FILE,
	VM_ACTIVATE_ANON,
	VM_ACTIVATE_OLD,
	VM_PGSCAN_KSWAPD,
	VM_PGSCAN_DIRECT,
	VM_PGSTEAL_KSWAPD,
	VM_PGSTEAL_DIRECT,
	VM_PGMAJFAULT,
	VM_N,
};

static const struct keyed_field vmstat_fields[] = {
    {"workingset_refault_file", VM_REFAULT_FILE},
    {"workingset_refault_anon", VM_REFAULT_ANON},
    {"workingset_refault", VM_REFAULT_OLD},
    {"workingset_activate_file", VM_ACTIVATE_FILE},
    {"workingset_activate_anon", VM_ACTIVATE_ANON},
    {"workingset_activate", VM_ACTIVATE_OLD},
    {"pgscan_kswapd", VM_PGSCAN_KSWAPD},
    {"pgscan_direct", VM_PGSCAN_DIRECT},
    {"pgsteal_kswapd", VM_PGSTEAL_KSWAPD},
    {"pgsteal_direct", VM_PGSTEAL_DIRECT},
    {"pgmajfault", VM_PGMAJFAULT},
};

static const char help_refault_file[] =
    "File pages faulted back in shortly after reclaim evicted them (workingset_refault_file in "
    "/proc/vmstat; before Linux 5.9 workingset_refault). A rising rate means cache is being "
    "reclaimed while still in use: the working set does not fit.";
static const char help_refault_anon[] =
    "Anonymous pages faulted back in (from swap) shortly after reclaim evicted them "
    "(workingset_refault_anon in /proc/vmstat, Linux 5.9 and later).";
static const char help_activate_file[] =
    "Refaulted file pages that went straight to the active LRU list because they were evicted "
    "recently enough to count as hot (workingset_activate_file in /proc/vmstat; before Linux "
    "5.9 workingset_activate).";
static const char help_activate_anon[] =
    "Refaulted anonymous pages that went straight to the active LRU list "
    "(workingset_activate_anon in /proc/vmstat, Linux 5.9 and later).";
static const char help_pgscan[] =
    "Pages scanned by reclaim, by the kswapd background thread (mode=kswapd) or by allocating "
    "tasks themselves (mode=direct; pgscan_kswapd, pgscan_direct in /proc/vmstat). Direct scans "
    "mean allocations stalled on reclaim.";
static const char help_pgsteal[] =
    "Pages reclaimed, by kswapd (mode=kswapd) or by allocating tasks (mode=direct; "
    "pgsteal_kswapd, pgsteal_direct in /proc/vmstat). pgsteal over pgscan is reclaim "
    "efficiency.";
static const char help_pgmajfault[] =
    "Major page faults: faults that had to read the page from disk or swap (pgmajfault in "
    "/proc/vmstat).";
static const char help_psi_waiting[] =
    "Total time at least one runnable task waited for memory: reclaim, refaults, swap-in "
    "(the \"some\" line of /proc/pressure/memory, in seconds). Absent on kernels without PSI.";
static const char help_psi_stalled[] =
    "Total time every non-idle task stalled on memory at once (the \"full\" line of "
    "/proc/pressure/memory, in seconds; part of the waiting time). Absent on kernels without "
    "PSI.";

static int node_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	const struct config *cfg = env ? env->cfg : NULL;
	/* Only the path is kept: whether the files are there is collect()'s
	 * business, so a procfs that appears later (or a test tree) works. */
	struct node_state *st = calloc(1, sizeof(*st));
	const char *procfs = cfg && cfg->procfs ? cfg->procfs : "/proc";
	if (!st || !(st->procfs = strdup(procfs))) {
		free(st);
		errmsg_set(e, "node collector: out of memory");
		return -ENOMEM;
	}
	*state = st;
	return 0;
}

static void node_fini(void *state)
{
	struct node_state *st = state;
	if (!st)
		return;
	free(st->procfs);
	free(st);
}

/* Adds the meminfo gauges. Fails only when the file cannot be read or yields
 * none of the wanted fields; a single malformed field is skipped. */
static int collect_meminfo(const struct node_state *st, int dirfd, struct readbuf *rb,
			   struct registry *reg, struct errmsg *e)
{
	struct keyed_field fields[N_MEMINFO];
	uint64_t vals[N_MEMINFO];
	uint64_t seen = 0;
	int rc = readfile_at(dirfd, "meminfo", rb);
	if (rc) {
		errmsg_set(e, "cannot read %s/meminfo: %s", st->procfs, strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < N_MEMINFO; i++) {
		fields[i].key = meminfo_metrics[i].key;
		fields[i].slot = i;
	}
	rc = parse_keyed(rb->data, fields, N_MEMINFO, vals, &seen);
	if (!seen) {
		errmsg_set(e, "%s/meminfo: none of the expected fields could be parsed",
			   st->procfs);
		return rc ? rc : -EINVAL;
	}
	for (unsigned i = 0; i < N_MEMINFO; i++) {
		if (!(seen & (UINT64_C(1) << i)))
			continue;
		const struct meminfo_metric *m = &meminfo_metrics[i];
		metric_u64(registry_family(reg, m->name, METRIC_GAUGE, m->help), NULL, NULL, NULL,
			   vals[i]);
	}
	return 0;
}

static bool has_slot(uint64_t seen, enum vmstat_slot s)
{
	return (seen & (UINT64_C(1) << s)) != 0;
}

/* Adds one labelled sample of a vmstat counter when the kernel has it. */
static void vmstat_sample(struct family *f, const char *key, const char *val, uint64_t seen,
			  const uint64_t *v, enum vmstat_slot s)
{
	if (has_slot(seen, s))
		metric_u64(f, NULL, key, val, v[s]);
}

/* Adds the vmstat counters. A kernel without a counter simply lacks its
 * series; the file itself is always there on Linux, so not reading it fails. */
static int collect_vmstat(const struct node_state *st, int dirfd, struct readbuf *rb,
			  struct registry *reg, struct errmsg *e)
{
	uint64_t v[VM_N];
	uint64_t seen = 0;
	int rc = readfile_at(dirfd, "vmstat", rb);
	if (rc) {
		errmsg_set(e, "cannot read %s/vmstat: %s", st->procfs, strerror(-rc));
		return rc;
	}
	rc = parse_keyed(rb->data, vmstat_fields, sizeof(vmstat_fields) / sizeof(vmstat_fields[0]),
			 v, &seen);
	if (rc && !seen) {
		errmsg_set(e, "%s/vmstat: none of the expected fields could be parsed", st->procfs);
		return rc;
	}
	/* Before 5.9 the kernel tracked refaults of file pages only, under the
	 * unsuffixed names; they are the same quantity as the _file ones. */
	if (!has_slot(seen, VM_REFAULT_FILE) && has_slot(seen, VM_REFAULT_OLD)) {
		v[VM_REFAULT_FILE] = v[VM_REFAULT_OLD];
		seen |= UINT64_C(1) << VM_REFAULT_FILE;
	}
	if (!has_slot(seen, VM_ACTIVATE_FILE) && has_slot(seen, VM_ACTIVATE_OLD)) {
		v[VM_ACTIVATE_FILE] = v[VM_ACTIVATE_OLD];
		seen |= UINT64_C(1) << VM_ACTIVATE_FILE;
	}

	struct family *f = registry_family(reg, "memacct_node_workingset_refault_file_total",
					   METRIC_COUNTER, help_refault_file);
	vmstat_sample(f, NULL, NULL, seen, v, VM_REFAULT_FILE);
	f = registry_family(reg, "memacct_node_workingset_refault_anon_total", METRIC_COUNTER,
			    help_refault_anon);
	vmstat_sample(f, NULL, NULL, seen, v, VM_REFAULT_ANON);
	f = registry_family(reg, "memacct_node_workingset_activate_file_total", METRIC_COUNTER,
			    help_activate_file);
	vmstat_sample(f, NULL, NULL, seen, v, VM_ACTIVATE_FILE);
	f = registry_family(reg, "memacct_node_workingset_activate_anon_total", METRIC_COUNTER,
			    help_activate_anon);
	vmstat_sample(f, NULL, NULL, seen, v, VM_ACTIVATE_ANON);
	f = registry_family(reg, "memacct_node_pgscan_total", METRIC_COUNTER, help_pgscan);
	vmstat_sample(f, "mode", "kswapd", seen, v, VM_PGSCAN_KSWAPD);
	vmstat_sample(f, "mode", "direct", seen, v, VM_PGSCAN_DIRECT);
	f = registry_family(reg, "memacct_node_pgsteal_total", METRIC_COUNTER, help_pgsteal);
	vmstat_sample(f, "mode", "kswapd", seen, v, VM_PGSTEAL_KSWAPD);
	vmstat_sample(f, "mode", "direct", seen, v, VM_PGSTEAL_DIRECT);
	f = registry_family(reg, "memacct_node_pgmajfault_total", METRIC_COUNTER, help_pgmajfault);
	vmstat_sample(f, NULL, NULL, seen, v, VM_PGMAJFAULT);
	return 0;
}

/* Adds the PSI counters (Documentation/accounting/psi.rst). The file is
 * missing on kernels built without PSI and refuses to open (EOPNOTSUPP) when
 * booted with psi=0: both mean "no series", not a failure. A malformed line
 * drops its own series only. */
static int collect_psi(const struct node_state *st, int dirfd, struct readbuf *rb,
		       struct registry *reg, struct errmsg *e)
{
	struct psi_totals t;
	int rc = readfile_at(dirfd, "pressure/memory", rb);
	if (rc == -ENOENT || rc == -EOPNOTSUPP || rc == -ENOTDIR)
		return 0;
	if (rc) {
		errmsg_set(e, "cannot read %s/pressure/memory: %s", st->procfs, strerror(-rc));
		return rc;
	}
	(void)parse_psi(rb->data, &t);
	if (t.has_some)
		metric_f64(registry_family(reg, "memacct_node_memory_pressure_waiting_seconds_total",
					   METRIC_COUNTER, help_psi_waiting),
			   NULL, NULL, NULL, (double)t.some_us / 1e6);
	if (t.has_full)
		metric_f64(registry_family(reg, "memacct_node_memory_pressure_stalled_seconds_total",
					   METRIC_COUNTER, help_psi_stalled),
			   NULL, NULL, NULL, (double)t.full_us / 1e6);
	return 0;
}

static int node_collect(void *state, struct scrape_ctx *ctx, struct registry *reg, struct errmsg *e)
{
	(void)ctx;
	const struct node_state *st = state;
	struct readbuf rb;
	int rc;
	readbuf_init(&rb, NODE_READ_MAX); /* per call: scrapes may run at once */
	int dirfd = open(st->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = -errno;
		errmsg_set(e, "cannot open --path.procfs %s: %s", st->procfs, strerror(errno));
		goto out;
	}
	rc = collect_meminfo(st, dirfd, &rb, reg, e);
	if (rc)
		goto out;
	rc = collect_vmstat(st, dirfd, &rb, reg, e);
	int prc = collect_psi(st, dirfd, &rb, reg, rc ? NULL : e);
	if (!rc)
		rc = prc;
out:
	if (dirfd >= 0)
		close(dirfd);
	readbuf_free(&rb);
	return rc;
}

const struct collector collector_node = {
    .name = "node",
    .default_on = true,
    .init = node_init,
    .collect = node_collect,
    .fini = node_fini,
};
