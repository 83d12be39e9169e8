/* pagecache_cgroup: lists the files of a cgroup's processes and of its
 * descendants' (v1 or v2: cgroup.procs of each directory, walked with
 * openat from the given directory fd, never by path). It does not read any
 * memory file of the cgroup or measure. */
#include "memacct/pagecache/pagecache_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "memacct/util/parse.h"
#include "memacct/util/readfile.h"

/* cgroup.procs of a busy root cgroup: ~8 bytes a process. */
#define PROCS_MAX_BYTES (32u << 20)

/* The processes of one cgroup. 0, -ENOMEM or readfile_at's error. */
static int list_procs(struct pagecache_set *s, int cgfd, int procfd, struct readbuf *buf)
{
	int rc = readfile_at(cgfd, "cgroup.procs", buf);
	if (rc == -EOPNOTSUPP)
		return 0; /* threaded: its processes are the domain's above */
	if (rc)
		return rc;
	const char *p = buf->data;
	int pid;
	while (!s->list.cut_short && (rc = parse_next_pid(&p, &pid)) != 0) {
		if (rc < 0) {
			s->list.unreadable++;
			continue;
		}
		if (pagecache_list_pid(s, procfd, pid) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

/* Walks the cgroup open at cgfd (owned: closed here). */
static int walk(struct pagecache_set *s, int cgfd, int procfd, struct readbuf *buf, unsigned depth)
{
	s->list.cgroups++;
	int rc = list_procs(s, cgfd, procfd, buf);
	if (rc || depth >= s->limits.max_depth) {
		close(cgfd);
		return rc;
	}
	DIR *d = fdopendir(cgfd);
	if (!d) {
		close(cgfd);
		s->list.unreadable++;
		return 0;
	}
	struct dirent *de;
	while (rc != -ENOMEM && !s->list.cut_short && (de = readdir(d)) != NULL) {
		if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) ||
		    strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int sub =
		    openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			/* vanished: churn; not a directory: DT_UNKNOWN's file */
			if (errno != ENOENT && errno != ENOTDIR)
				s->list.unreadable++;
			continue;
		}
		rc = walk(s, sub, procfd, buf, depth + 1);
		if (rc && rc != -ENOMEM && rc != -ENOENT)
			s->list.unreadable++;
	}
	closedir(d);
	return rc == -ENOMEM ? rc : 0;
}

int pagecache_list_cgroup(struct pagecache_set *s, int cgfd, int procfd)
{
	/* A fresh open of the directory: its own offset, so the caller's fd
	 * is neither moved nor closed. */
	int fd = openat(cgfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct readbuf buf;
	readbuf_init(&buf, PROCS_MAX_BYTES);
	int rc = walk(s, fd, procfd, &buf, 0);
	readbuf_free(&buf);
	return rc;
}
