/* cgroup_mem: reads one cgroup's memory files (v1 or v2) into numbers and
 * derives the split of SPEC section 2: anon, shmem, file_active,
 * file_inactive, kernel, other, which sum to usage exactly, and the working
 * set (usage - inactive_file, floored at 0). Used by the cgroup collector and
 * by explain. It does not walk, format or label anything. */
#ifndef MEMACCT_CGROUP_MEM_H
#define MEMACCT_CGROUP_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/cgroup/cgroup_fs.h"
#include "memacct/util/readfile.h"

enum mem_component {
	COMP_ANON,
	COMP_SHMEM,
	COMP_FILE_ACTIVE,
	COMP_FILE_INACTIVE,
	COMP_KERNEL,
	COMP_OTHER,
	COMP_N
};

/* Label values of the components, in enum order. */
extern const char *const mem_component_names[COMP_N];

/* Scalar fields; each is valid only when its bit is set in has. */
enum cgroup_mem_field {
	CM_USAGE,
	CM_WORKING_SET,
	CM_LIMIT, /* absent when unlimited */
	CM_HIGH,  /* v2, absent when "max" */
	CM_LOW,	  /* v2 */
	CM_MIN,	  /* v2 */
	CM_PEAK,
	CM_SWAP,
	CM_FILE_MAPPED,
	CM_FILE_DIRTY,
	CM_FILE_WRITEBACK,
	CM_EV_LOW, /* v2 memory.events, in this order */
	CM_EV_HIGH,
	CM_EV_MAX,
	CM_EV_OOM,
	CM_EV_OOM_KILL,
	CM_FAILCNT, /* v1 */
	CM_PSI_SOME_US,
	CM_PSI_FULL_US,
	CM_REFAULT_FILE,
	CM_REFAULT_ANON,
	CM_ACTIVATE_FILE,
	CM_ACTIVATE_ANON,
	CM_PGSCAN,
	CM_PGSTEAL,
	CM_PGMAJFAULT,
	CM_N
};

struct cgroup_mem {
	enum cgroup_mode mode;
	bool has_split;		/* usage and memory.stat were both read */
	uint64_t comp[COMP_N];	/* valid when has_split */
	uint64_t stat_parts[COMP_N]; /* memory.stat's component values (other: 0) */
	uint64_t v[CM_N];
	uint64_t has;		/* bit CM_x set when v[CM_x] is valid */
};

static inline bool cgroup_mem_has(const struct cgroup_mem *m, enum cgroup_mem_field f)
{
	return (m->has >> f) & 1;
}

/* The fields of struct cgroup_mem read from files of their own (bits
 * 1 << CM_x), for cgroup_mem_read's wanted: a file is read only when one of
 * its fields is wanted. memory.stat and usage (and v1 kmem) are always read:
 * the split, the working set and every memory.stat field come from them. */
#define CGROUP_MEM_EVENTS                                                                          \
	((UINT64_C(1) << CM_EV_LOW) | (UINT64_C(1) << CM_EV_HIGH) | (UINT64_C(1) << CM_EV_MAX) |   \
	 (UINT64_C(1) << CM_EV_OOM) | (UINT64_C(1) << CM_EV_OOM_KILL))
#define CGROUP_MEM_ALL (~UINT64_C(0))

/* Reads the cgroup d (cgroup_cache.h: a cache node, or cgroup_dir_at(dirfd)),
 * the files of the fields in wanted (CGROUP_MEM_ALL: every one). buf is a
 * reused scratch buffer.
 * Returns 0; -ENOENT when the cgroup vanished (its memory.stat is gone);
 * -EINVAL/-ERANGE/-EFBIG/-EIO/-EACCES when a file is malformed or unreadable,
 * with *bad_file set to that file's name (a literal). Optional files that do
 * not exist (memory.peak on older kernels, kmem when not accounted) are just
 * absent. The root cgroup of a v2 hierarchy has no memory.current: there
 * has_split is false and only what exists is filled (see
 * cgroup_mem_set_root_usage). */
int cgroup_mem_read(struct cgroup_dir *d, enum cgroup_mode mode, uint64_t wanted,
		    struct readbuf *buf, struct cgroup_mem *m, const char **bad_file);

/* The v2 root: usage as runc and cAdvisor take it for the root cgroup
 * (MemTotal - MemFree of /proc/meminfo, everything in use on the node), then
 * the split and working set (usage - the root memory.stat's inactive_file),
 * the node working set kubelet's eviction watches. Only for an m read from a
 * root without memory.current (has_split false, CM_USAGE absent); returns
 * -EINVAL otherwise. */
int cgroup_mem_set_root_usage(struct cgroup_mem *m, uint64_t usage);

/* MemTotal - MemFree in bytes from /proc/meminfo's text (proc(5)). -EINVAL
 * when either is missing or MemFree > MemTotal. */
int cgroup_mem_meminfo_used(const char *meminfo, uint64_t *used);

/* When m is a v2 root without memory.current (and only then), reads
 * <procfs>/meminfo into buf and sets the root's usage from it
 * (cgroup_mem_set_root_usage). 0 when done or not needed; else -errno with
 * *bad_file "meminfo". */
int cgroup_mem_fill_v2_root(struct cgroup_mem *m, const char *procfs, struct readbuf *buf,
			    const char **bad_file);

/* v1 reports "unlimited" as a huge page-aligned number (PAGE_COUNTER_MAX *
 * PAGE_SIZE, 9223372036854771712 on x86-64); anything this large is no
 * limit. */
#define CGROUP_V1_UNLIMITED_MIN (UINT64_C(1) << 62)

#endif
