/* readfile: one whole-file read of a pseudo-file into a reused buffer.
 * openat() relative to a directory fd (htop's linux/Compat.c idea), one read
 * loop, NUL-terminated. A file larger than the buffer's cap is -EFBIG, never
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

/* What readfile_at's error rc means, for a log line ("not a regular file",
 * "larger than the cap", else strerror). */
const char *readfile_strerror(int rc);

#endif
