/* cgroup_mem: reads one cgroup's v1 or v2 memory files and derives the
 * disjoint split and the working set (SPEC section 2). File formats:
 * Documentation/admin-guide/cgroup-v2.rst ("Memory Interface Files") and
 * Documentation/admin-guide/cgroup-v1/memory.rst (section 5.2, the
 * hierarchical total_* fields). It does not walk, label or format. */
#include "memacct/cgroup/cgroup_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "memacct/util/parse.h"

const char *const mem_component_names[COMP_N] = {
	"anon", "shmem", "file_active", "file_inactive", "kernel", "other",
};

/* memory.stat slots (indexes into a local array, not CM_*). */
enum stat_slot {
	S_ANON,
	S_SHMEM,
	S_ACTIVE_FILE,
	S_INACTIVE_FILE,
	S_KERNEL,
	S_KERNEL_STACK,
	S_PAGETABLES,
	S_SEC_PAGETABLES,
	S_PERCPU,
	S_SLAB,
	S_VMALLOC,
	S_FILE_MAPPED,
	S_FILE_DIRTY,
	S_FILE_WRITEBACK,
	S_SWAP, /* v1 total_swap */
	S_REFAULT_FILE,
	S_REFAULT_ANON,
	S_REFAULT_OLD, /* pre-5.9 single workingset_refault: file */
	S_ACTIVATE_FILE,
	S_ACTIVATE_ANON,
	S_ACTIVATE_OLD,
	S_PGSCAN,
	S_PGSTEAL,
	S_PGMAJFAULT,
	S_N
};

static const struct keyed_field v2_stat[] = {
	{"anon", S_ANON},
	{"shmem", S_SHMEM},
	{"active_file", S_ACTIVE_FILE},
	{"inactive_file", S_INACTIVE_FILE},
	{"kernel", S_KERNEL},
	{"kernel_stack", S_KERNEL_STACK},
	{"pagetables", S_PAGETABLES},
	{"sec_pagetables", S_SEC_PAGETABLES},
	{"percpu", S_PERCPU},
	{"slab", S_SLAB},
	{"vmalloc", S_VMALLOC},
	{"file_mapped", S_FILE_MAPPED},
	{"file_dirty", S_FILE_DIRTY},
	{"file_writeback", S_FILE_WRITEBACK},
	{"workingset_refault_file", S_REFAULT_FILE},
	{"workingset_refault_anon", S_REFAULT_ANON},
	{"workingset_refault", S_REFAULT_OLD},
	{"workingset_activate_file", S_ACTIVATE_FILE},
	{"workingset_activate_anon", S_ACTIVATE_ANON},
	{"workingset_activate", S_ACTIVATE_OLD},
	{"pgscan", S_PGSCAN},
	{"pgsteal", S_PGSTEAL},
	{"pgmajfault", S_PGMAJFAULT},
};

static const struct keyed_field v1_stat[] = {
	{"total_rss", S_ANON},
	{"total_shmem", S_SHMEM},
	{"total_active_file", S_ACTIVE_FILE},
	{"total_inactive_file", S_INACTIVE_FILE},
	{"total_mapped_file", S_FILE_MAPPED},
	{"total_dirty", S_FILE_DIRTY},
	{"total_writeback", S_FILE_WRITEBACK},
	{"total_swap", S_SWAP},
	{"total_workingset_refault_file", S_REFAULT_FILE},
	{"total_workingset_refault_anon", S_REFAULT_ANON},
	{"total_workingset_refault", S_REFAULT_OLD},
	{"total_workingset_activate_file", S_ACTIVATE_FILE},
	{"total_workingset_activate_anon", S_ACTIVATE_ANON},
	{"total_workingset_activate", S_ACTIVATE_OLD},
	{"total_pgmajfault", S_PGMAJFAULT},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(s) (UINT64_C(1) << (s))
/* Every memory.stat has these (v1: total_*); without them the file was cut
 * short and the split and working set would be silently wrong. */
#define STAT_REQUIRED (BIT(S_ANON) | BIT(S_ACTIVE_FILE) | BIT(S_INACTIVE_FILE))

static void set(struct cgroup_mem *m, enum cgroup_mem_field f, uint64_t v)
{
	m->v[f] = v;
	m->has |= BIT(f);
}

/* Reads a file that must parse; ENOENT is reported as absent (1). */
static int read_at(struct cgroup_dir *d, enum cgroup_file f, struct readbuf *buf, const char **bad)
{
	int rc = cgroup_dir_read(d, f, buf);
	if (rc == -ENOENT)
		return 1;
	if (rc)
		*bad = cgroup_file_names[f];
	return rc;
}

/* A single-number file; is_max_ok allows "max". Absent: 1. */
static int read_single(struct cgroup_dir *d, enum cgroup_file f, struct readbuf *buf,
		       uint64_t *v, bool *is_max, const char **bad)
{
	int rc = read_at(d, f, buf, bad);
	if (rc)
		return rc;
	rc = parse_single_u64(buf->data, v, is_max);
	if (rc)
		*bad = cgroup_file_names[f];
	return rc;
}

/* Whether any of fields is wanted. */
static bool want(uint64_t wanted, uint64_t fields)
{
	return (wanted & fields) != 0;
}

/* Copies a stat slot into a field when memory.stat had it. */
static void take(struct cgroup_mem *m, const uint64_t *st, uint64_t seen, enum stat_slot s,
		 enum cgroup_mem_field f)
{
	if (seen & BIT(s))
		set(m, f, st[s]);
}

static void take_stat_fields(struct cgroup_mem *m, const uint64_t *st, uint64_t seen)
{
	take(m, st, seen, S_FILE_MAPPED, CM_FILE_MAPPED);
	take(m, st, seen, S_FILE_DIRTY, CM_FILE_DIRTY);
	take(m, st, seen, S_FILE_WRITEBACK, CM_FILE_WRITEBACK);
	take(m, st, seen, S_REFAULT_OLD, CM_REFAULT_FILE);
	take(m, st, seen, S_REFAULT_FILE, CM_REFAULT_FILE);
	take(m, st, seen, S_REFAULT_ANON, CM_REFAULT_ANON);
	take(m, st, seen, S_ACTIVATE_OLD, CM_ACTIVATE_FILE);
	take(m, st, seen, S_ACTIVATE_FILE, CM_ACTIVATE_FILE);
	take(m, st, seen, S_ACTIVATE_ANON, CM_ACTIVATE_ANON);
	take(m, st, seen, S_PGSCAN, CM_PGSCAN);
	take(m, st, seen, S_PGSTEAL, CM_PGSTEAL);
	take(m, st, seen, S_PGMAJFAULT, CM_PGMAJFAULT);
}

/* The split: components from memory.stat, other = usage - the rest (>= 0),
 * working set = usage - inactive_file (>= 0). */
/* The split: each component from memory.stat, given out of usage in order of
 * trust (anon, shmem, active file, inactive file, kernel) and capped by what
 * is left, so the components always sum to usage exactly, even when v1's
 * per-CPU-batched usage trails memory.stat by a few pages (then the excess
 * comes off kernel first, then inactive file, ...) and whatever the numbers
 * (no overflow). other = what is left. Working set = usage - inactive_file,
 * floored at 0 (inactive_file as the kernel reports it). */
static void derive(struct cgroup_mem *m)
{
	static const enum mem_component order[] = {COMP_ANON, COMP_SHMEM, COMP_FILE_ACTIVE,
						   COMP_FILE_INACTIVE, COMP_KERNEL};
	uint64_t usage = m->v[CM_USAGE], left = usage;
	for (size_t i = 0; i < NELEM(order); i++) {
		uint64_t want = m->stat_parts[order[i]];
		uint64_t c = want < left ? want : left;
		m->comp[order[i]] = c;
		left -= c;
	}
	m->comp[COMP_OTHER] = left;
	m->has_split = true;
	uint64_t inactive = m->stat_parts[COMP_FILE_INACTIVE];
	set(m, CM_WORKING_SET, usage > inactive ? usage - inactive : 0);
}

/* What memory.stat says of each component (kernel: computed by the caller). */
static void keep_stat_parts(struct cgroup_mem *m, const uint64_t *st, uint64_t kernel)
{
	m->stat_parts[COMP_ANON] = st[S_ANON];
	m->stat_parts[COMP_SHMEM] = st[S_SHMEM];
	m->stat_parts[COMP_FILE_ACTIVE] = st[S_ACTIVE_FILE];
	m->stat_parts[COMP_FILE_INACTIVE] = st[S_INACTIVE_FILE];
	m->stat_parts[COMP_KERNEL] = kernel;
	m->stat_parts[COMP_OTHER] = 0;
}

int cgroup_mem_set_root_usage(struct cgroup_mem *m, uint64_t usage)
{
	if (m->mode != CGROUP_V2 || m->has_split || cgroup_mem_has(m, CM_USAGE))
		return -EINVAL;
	set(m, CM_USAGE, usage);
	derive(m);
	return 0;
}

int cgroup_mem_meminfo_used(const char *meminfo, uint64_t *used)
{
	static const struct keyed_field f[] = {{"MemTotal", 0}, {"MemFree", 1}};
	uint64_t v[2] = {0, 0}, seen = 0;
	int rc = parse_keyed(meminfo, f, NELEM(f), v, &seen);
	if (rc)
		return rc;
	if (seen != 3 || v[1] > v[0])
		return -EINVAL;
	*used = v[0] - v[1]; /* the parser took " kB" into account */
	return 0;
}

static int read_v2(struct cgroup_dir *d, uint64_t wanted, struct readbuf *buf,
		   struct cgroup_mem *m, const char **bad)
{
	uint64_t st[S_N] = {0}, seen = 0, v;
	bool is_max;
	int rc = read_at(d, CGF_STAT, buf, bad);
	if (rc == 1)
		return -ENOENT;
	if (rc)
		return rc;
	rc = parse_keyed(buf->data, v2_stat, NELEM(v2_stat), st, &seen);
	if (rc == 0 && (seen & STAT_REQUIRED) != STAT_REQUIRED)
		rc = -EINVAL;
	if (rc) {
		*bad = "memory.stat";
		return rc;
	}
	take_stat_fields(m, st, seen);
	uint64_t kernel = st[S_KERNEL];
	if (!(seen & BIT(S_KERNEL)))
		kernel = st[S_KERNEL_STACK] + st[S_PAGETABLES] + st[S_SEC_PAGETABLES] + st[S_PERCPU] +
			 st[S_SLAB] + st[S_VMALLOC];
	keep_stat_parts(m, st, kernel);

	rc = read_single(d, CGF_V2_CURRENT, buf, &v, NULL, bad);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		set(m, CM_USAGE, v);
		derive(m);
	}

	static const struct {
		enum cgroup_file file;
		enum cgroup_mem_field field;
		bool max_ok, zero_is_unset;
	} singles[] = {
		{CGF_V2_MAX, CM_LIMIT, true, false},  {CGF_V2_HIGH, CM_HIGH, true, false},
		{CGF_V2_LOW, CM_LOW, true, true},     {CGF_V2_MIN, CM_MIN, true, true},
		{CGF_V2_PEAK, CM_PEAK, false, false}, {CGF_V2_SWAP, CM_SWAP, false, false},
	};
	for (size_t i = 0; i < NELEM(singles); i++) {
		if (!want(wanted, BIT(singles[i].field)))
			continue;
		rc = read_single(d, singles[i].file, buf, &v, singles[i].max_ok ? &is_max : NULL,
				 bad);
		if (rc < 0)
			return rc;
		if (rc == 1 || (singles[i].max_ok && is_max) || (singles[i].zero_is_unset && !v))
			continue;
		set(m, singles[i].field, v);
	}

	static const struct keyed_field events[] = {
		{"low", CM_EV_LOW}, {"high", CM_EV_HIGH}, {"max", CM_EV_MAX},
		{"oom", CM_EV_OOM}, {"oom_kill", CM_EV_OOM_KILL},
	};
	rc = want(wanted, CGROUP_MEM_EVENTS) ? read_at(d, CGF_V2_EVENTS, buf, bad) : 1;
	if (rc < 0)
		return rc;
	if (rc == 0) {
		uint64_t ev_seen;
		rc = parse_keyed(buf->data, events, NELEM(events), m->v, &ev_seen);
		if (rc) {
			*bad = "memory.events";
			return rc;
		}
		m->has |= ev_seen;
	}

	rc = want(wanted, BIT(CM_PSI_SOME_US) | BIT(CM_PSI_FULL_US))
		 ? read_at(d, CGF_V2_PRESSURE, buf, bad)
		 : 1;
	if (rc < 0)
		return rc == -EOPNOTSUPP ? 0 : rc; /* PSI disabled at boot */
	if (rc == 0) {
		struct psi_totals psi;
		rc = parse_psi(buf->data, &psi);
		if (rc) {
			*bad = "memory.pressure";
			return rc;
		}
		if (psi.has_some)
			set(m, CM_PSI_SOME_US, psi.some_us);
		if (psi.has_full)
			set(m, CM_PSI_FULL_US, psi.full_us);
	}
	return 0;
}

static int read_v1(struct cgroup_dir *d, uint64_t wanted, struct readbuf *buf,
		   struct cgroup_mem *m, const char **bad)
{
	uint64_t st[S_N] = {0}, seen = 0, v, kmem = 0;
	int rc = read_at(d, CGF_STAT, buf, bad);
	if (rc == 1)
		return -ENOENT;
	if (rc)
		return rc;
	rc = parse_keyed(buf->data, v1_stat, NELEM(v1_stat), st, &seen);
	if (rc == 0 && (seen & STAT_REQUIRED) != STAT_REQUIRED)
		rc = -EINVAL;
	if (rc) {
		*bad = "memory.stat";
		return rc;
	}
	take_stat_fields(m, st, seen);

	rc = read_single(d, CGF_V1_KMEM, buf, &v, NULL, bad);
	if (rc < 0 && rc != -EOPNOTSUPP)
		return rc;
	if (rc == 0)
		kmem = v;
	rc = read_single(d, CGF_V1_USAGE, buf, &v, NULL, bad);
	if (rc == 1)
		return -ENOENT;
	if (rc)
		return rc;
	set(m, CM_USAGE, v);
	keep_stat_parts(m, st, kmem);
	derive(m);

	rc = want(wanted, BIT(CM_LIMIT)) ? read_single(d, CGF_V1_LIMIT, buf, &v, NULL, bad) : 1;
	if (rc < 0)
		return rc;
	if (rc == 0 && v < CGROUP_V1_UNLIMITED_MIN)
		set(m, CM_LIMIT, v);
	rc = want(wanted, BIT(CM_PEAK)) ? read_single(d, CGF_V1_MAX_USAGE, buf, &v, NULL, bad) : 1;
	if (rc < 0)
		return rc;
	if (rc == 0)
		set(m, CM_PEAK, v);
	rc = want(wanted, BIT(CM_FAILCNT)) ? read_single(d, CGF_V1_FAILCNT, buf, &v, NULL, bad) : 1;
	if (rc < 0)
		return rc;
	if (rc == 0)
		set(m, CM_FAILCNT, v);
	if (seen & BIT(S_SWAP)) {
		set(m, CM_SWAP, st[S_SWAP]);
	} else if (want(wanted, BIT(CM_SWAP))) {
		/* Without total_swap (swap accounting off), memsw - usage. */
		rc = read_single(d, CGF_V1_MEMSW, buf, &v, NULL, bad);
		if (rc < 0 && rc != -EOPNOTSUPP)
			return rc;
		if (rc == 0)
			set(m, CM_SWAP, v > m->v[CM_USAGE] ? v - m->v[CM_USAGE] : 0);
	}
	return 0;
}

int cgroup_mem_fill_v2_root(struct cgroup_mem *m, const char *procfs, struct readbuf *buf,
			    const char **bad_file)
{
	if (m->mode != CGROUP_V2 || m->has_split || cgroup_mem_has(m, CM_USAGE))
		return 0;
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/meminfo", procfs) >= sizeof(path))
		return -ENAMETOOLONG;
	int rc = readfile_at(AT_FDCWD, path, buf);
	uint64_t used = 0;
	if (rc == 0)
		rc = cgroup_mem_meminfo_used(buf->data, &used);
	if (rc == 0)
		rc = cgroup_mem_set_root_usage(m, used);
	if (rc && bad_file)
		*bad_file = "meminfo";
	/* A missing meminfo is a broken --path.procfs, not a vanished cgroup. */
	return rc == -ENOENT ? -EIO : rc;
}

int cgroup_mem_read(struct cgroup_dir *d, enum cgroup_mode mode, uint64_t wanted,
		    struct readbuf *buf, struct cgroup_mem *m, const char **bad_file)
{
	const char *bad = NULL;
	memset(m, 0, sizeof(*m));
	m->mode = mode;
	int rc = mode == CGROUP_V1 ? read_v1(d, wanted, buf, m, &bad)
				   : read_v2(d, wanted, buf, m, &bad);
	if (bad_file)
		*bad_file = rc ? bad : NULL;
	return rc;
}
