/* proc_mem: sums the memory of the processes listed in one cgroup's
 * cgroup.procs from /proc/<pid>/status (RssAnon, RssFile, RssShmem, whose sum
 * is VmRSS, and VmSwap) and, when asked, /proc/<pid>/smaps_rollup (Pss). A process that
 * exits between the listing and the read is skipped and counted as vanished.
 * It does not walk cgroups or format metrics. */
#ifndef MEMACCT_PROC_MEM_H
#define MEMACCT_PROC_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/util/errmsg.h"
#include "memacct/util/readfile.h"

struct proc_mem {
	uint64_t processes; /* listed in cgroup.procs and still readable */
	uint64_t rss_anon, rss_file, rss_shmem, swap;
	uint64_t pss;
	uint64_t vanished; /* listed, then gone before their status was read */
	/* listed, but their status was unreadable or not a regular file
	 * (skipped; the rest of the cgroup is still summed) */
	uint64_t unreadable;
	uint64_t pss_denied; /* smaps_rollup unreadable (EACCES: needs CAP_SYS_PTRACE) */
};

/* Sums the processes of the cgroup cg (a cgroup cache node, or
 * cgroup_dir_at(dirfd)); procfd is the procfs directory. bufs: one for cgroup.procs, one for per-process files.
 * A threaded cgroup (cgroup v2 cgroup.type "threaded": its cgroup.procs
 * answers EOPNOTSUPP, its processes belong to the threaded domain above)
 * has no processes of its own: 0 and an empty sum.
 * Returns 0, -ENOENT when the cgroup vanished, or -errno when cgroup.procs
 * cannot be read or parsed. */
int proc_mem_read_cgroup(struct cgroup_dir *cg, int procfd, bool pss, struct readbuf *listbuf,
			 struct readbuf *filebuf, struct proc_mem *out);

/* Opens the procfs directory (--path.procfs) for the *at() reads: the fd,
 * or -errno with e naming the flag and path. */
int proc_open_root(const char *procfs, struct errmsg *e);

/* One process: parses /proc/<pid>/status text into out (adds to it).
 * Exposed for unit tests and fuzzing. -EINVAL/-ERANGE on a malformed field. */
int proc_mem_parse_status(const char *text, struct proc_mem *out);

#endif
