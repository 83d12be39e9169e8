/* pagecache_run: measures the files of a pagecache_set under its limits:
 * the largest files first, so a cap or the deadline leaves out the ones that
 * can hold the least, each opened again from the way it was found and
 * checked to be the same inode. Listing and measuring are separate calls, so
 * a process may exit in between: its files are then reached by path where
 * that still names them, else counted as gone. It does not list or rank. */
#ifndef MEMACCT_PAGECACHE_RUN_H
#define MEMACCT_PAGECACHE_RUN_H

#include "memacct/pagecache/pagecache_set.h"

/* Measures every file of s whose rc is still PAGECACHE_NOT_MEASURED with
 * method m (pagecache_measure.h), filling each file's rc, cached, dirty,
 * method and shmem and s->measure. At most limits.max_measured files are
 * opened (0: all); none after limits.deadline_ns. procfd is the procfs
 * directory. Returns 0 or -ENOMEM; per-file errors are in the files. */
int pagecache_measure_set(struct pagecache_set *s, int procfd, enum pagecache_method m);

/* Opens f again, read-only and without following it into anything but a
 * regular file: O_RDONLY|O_NONBLOCK|O_CLOEXEC and O_NOATIME where allowed,
 * through /proc/PID/fd/FD, /proc/PID/map_files/RANGE or its path, whichever
 * first opens the same (dev, ino). Returns the fd (the caller closes it),
 * -ENOENT when none does (gone, or the fd now names another file), -EACCES
 * or -EPERM when refused. */
int pagecache_open_file(int procfd, const struct pagecache_file *f);

#endif
