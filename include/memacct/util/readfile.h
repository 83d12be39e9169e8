/* readfile: one whole-file read of a pseudo-file into a reused buffer.
 * openat() relative to a directory fd (htop's linux/Compat.c idea), one pread
 * loop from offset 0, NUL-terminated; or the same loop on a file kept open
 * (pread on a shared fd is thread-safe and re-reads a kernfs or procfs file
 * from the start). A file larger than the buffer's cap is -EFBIG, never
 * silently truncated. It does not parse. */
#ifndef MEMACCT_READFILE_H
#define MEMACCT_READFILE_H

#include <errno.h>
#include <stddef.h>

struct readbuf {
	char *data; /* NUL-terminated after a successful read */
	size_t len;
	size_t cap;
	size_t max; /* cap growth stops here */
};

void readbuf_init(struct readbuf *b, size_t max);
void readbuf_free(struct readbuf *b);

/* What readfile_at returns for a FIFO, socket or device (never opened
 * blocking, never read). */
#define READFILE_NOT_REGULAR (-EBADFD)

/* Reads dirfd/name (dirfd may be AT_FDCWD) into b. Returns 0, -ENOENT when
 * the file (or its cgroup) is gone, -EFBIG when larger than b->max,
 * -EISDIR for a directory, READFILE_NOT_REGULAR for any other file that is
 * not a regular file, or another -errno. */
int readfile_at(int dirfd, const char *name, struct readbuf *b);

/* readfile_at's open alone: *fd is dirfd/name opened non-blocking and
 * close-on-exec and checked to be a regular file. Same returns; on error
 * nothing is left open. */
int readfile_open(int dirfd, const char *name, int *fd);

/* readfile_at's read alone, from offset 0 of the open file fd (pread: the
 * fd's offset is neither used nor moved). Same returns; -ENOENT also when
 * fd's cgroup was removed since it was opened (ENODEV). */
int readfile_fd(int fd, struct readbuf *b);

/* readfile_fd for a file the kernel writes as one record (a kernfs or
 * procfs seq_file with a single show: every cgroup memory.* file, not
 * cgroup.procs): a pread that does not fill the buffer has read it all, so
 * the read that would only see the end is left out. */
int readfile_fd_record(int fd, struct readbuf *b);

/* What readfile_at's error rc means, for a log line ("not a regular file",
 * "larger than the cap", else strerror). */
const char *readfile_strerror(int rc);

#endif
