/* pagecache_list: fills a pagecache_set with the regular files that
 * processes hold open (/proc/PID/fd) or map (/proc/PID/maps), those of a
 * cgroup's processes and its descendants', or every regular file below a
 * directory. Nothing is opened here: each candidate is stat()ed through its
 * /proc link (which names the inode without opening it), so FIFOs, sockets,
 * devices and anon inodes are counted as special and never touched. It does
 * not measure (pagecache_run.h).
 *
 * Errors per process never stop a listing: a process that exits mid-walk is
 * counted as vanished, one whose fd or maps answer EACCES/EPERM (another
 * user's process without root or CAP_SYS_PTRACE) is counted as denied and
 * its pid kept (bounded, pagecache_set.h). The deadline and max_files of the
 * set's limits bound every call (list.cut_short, list.dropped).
 * A stat() through /proc asks the file's filesystem for its attributes: a
 * hung FUSE or NFS server can block it. */
#ifndef MEMACCT_PAGECACHE_LIST_H
#define MEMACCT_PAGECACHE_LIST_H

#include <stdint.h>

#include "memacct/pagecache/pagecache_set.h"

/* One process's fds and file mappings; procfd is the procfs directory.
 * 0, -ENOENT when the process is gone (counted as vanished), -EACCES when it
 * could not be read (counted as denied), -EINVAL for pid <= 0, -ENOMEM. */
int pagecache_list_pid(struct pagecache_set *s, int procfd, int pid);

/* The processes in cgroup.procs of the cgroup directory cgfd (v1 or v2) and
 * of every cgroup below it, to limits.max_depth levels. A cgroup that
 * vanishes mid-walk is skipped; a threaded v2 cgroup has no processes of
 * its own. 0, or -errno when cgfd's own cgroup.procs cannot be read
 * (-ENOENT: the cgroup is gone), -ENOMEM. */
int pagecache_list_cgroup(struct pagecache_set *s, int cgfd, int procfd);

/* Every regular file below the directory at path (--files-under), to
 * limits.max_depth levels; symlinks are not followed, special files counted
 * and skipped. Paths are kept as path/relative/name and files are opened
 * again by that path. 0, or -errno when path itself cannot be opened as a
 * directory, -ENOMEM. */
int pagecache_list_under(struct pagecache_set *s, const char *path);

/* One line of /proc/PID/maps (Documentation/filesystems/proc.rst):
 * "start-end perms offset major:minor inode   path". */
struct pagecache_maps_line {
	uint64_t start, end;
	uint64_t dev;	       /* makedev(major, minor) */
	uint64_t ino;	       /* 0: anonymous */
	const char *path;      /* into the line; "" when none; may end in " (deleted)" */
	const char *range_end; /* end of "start-end" in the line */
};
/* Parses line (without its newline). -EINVAL when malformed. Exposed for
 * unit tests. */
int pagecache_maps_parse_line(const char *line, struct pagecache_maps_line *out);

/* Strips a trailing " (deleted)" from path in place when the file has no
 * links left (nlink 0); returns whether it did. */
bool pagecache_strip_deleted(char *path, uint64_t nlink);

#endif
