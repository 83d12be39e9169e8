/* proc_mem: sums one cgroup's processes' memory from /proc/<pid>/status and,
 * optionally, /proc/<pid>/smaps_rollup (Documentation/filesystems/proc.rst).
 * Processes that exit mid-read are skipped and counted. It does not walk
 * cgroups or format metrics. */
#include "memacct/proc/proc_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "memacct/util/parse.h"

enum { P_RSS_ANON, P_RSS_FILE, P_RSS_SHMEM, P_SWAP, P_N };

static const struct keyed_field status_fields[] = {
	{"RssAnon", P_RSS_ANON},
	{"RssFile", P_RSS_FILE},
	{"RssShmem", P_RSS_SHMEM},
	{"VmSwap", P_SWAP},
};

/* a + b, saturating: a hostile status (or procfs copy) with values near
 * 2^64 must not wrap a cgroup's sum back to a small number. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int proc_mem_parse_status(const char *text, struct proc_mem *out)
{
	uint64_t v[P_N] = {0}, seen;
	int rc = parse_keyed(text, status_fields, sizeof(status_fields) / sizeof(status_fields[0]),
			     v, &seen);
	/* Kernel threads have no Rss* lines: they count as processes with 0. */
	out->rss_anon = add_sat(out->rss_anon, v[P_RSS_ANON]);
	out->rss_file = add_sat(out->rss_file, v[P_RSS_FILE]);
	out->rss_shmem = add_sat(out->rss_shmem, v[P_RSS_SHMEM]);
	out->swap = add_sat(out->swap, v[P_SWAP]);
	return rc;
}

static int read_pss(int procfd, int pid, struct readbuf *buf, struct proc_mem *out)
{
	static const struct keyed_field pss_field[] = {{"Pss", 0}};
	char name[32];
	snprintf(name, sizeof(name), "%d/smaps_rollup", pid);
	int rc = readfile_at(procfd, name, buf);
	if (rc)
		return rc;
	uint64_t v = 0, seen;
	rc = parse_keyed(buf->data, pss_field, 1, &v, &seen);
	out->pss = add_sat(out->pss, v);
	return rc;
}

int proc_open_root(const char *procfs, struct errmsg *e)
{
	int fd = open(procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		errmsg_set(e, "--path.procfs: cannot open %s: %s", procfs, strerror(err));
		return -err;
	}
	return fd;
}

int proc_mem_read_cgroup(struct cgroup_dir *cg, int procfd, bool pss, struct readbuf *listbuf,
			 struct readbuf *filebuf, struct proc_mem *out)
{
	int rc = cgroup_dir_read(cg, CGF_PROCS, listbuf);
	if (rc == -EOPNOTSUPP)
		return 0; /* a threaded cgroup: no processes of its own */
	if (rc)
		return rc;
	const char *p = listbuf->data;
	int pid;
	int bad = 0;
	while ((rc = parse_next_pid(&p, &pid)) != 0) {
		if (rc < 0) {
			bad = rc;
			continue;
		}
		char name[32];
		snprintf(name, sizeof(name), "%d/status", pid);
		rc = readfile_at(procfd, name, filebuf);
		if (rc == -ENOENT || rc == -ESRCH) {
			out->vanished++;
			continue;
		}
		if (rc) {
			out->unreadable++;
			continue;
		}
		out->processes++;
		proc_mem_parse_status(filebuf->data, out);
		if (pss) {
			rc = read_pss(procfd, pid, filebuf, out);
			if (rc == -EACCES || rc == -EPERM)
				out->pss_denied++;
		}
	}
	return bad;
}
