/* readfile: whole-file reads of pseudo-files into a reused, capped buffer.
 * One non-blocking openat() relative to a directory fd, an fstat() that
 * refuses anything but a regular file (a FIFO, socket or device where a
 * file should be must never block a scrape), one read loop, NUL-terminated;
 * too large is -EFBIG, never a silent truncation. It does not parse. */
#include "memacct/util/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void readbuf_init(struct readbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void readbuf_free(struct readbuf *b)
{
	free(b->data);
	readbuf_init(b, b->max);
}

static int readbuf_grow(struct readbuf *b)
{
	if (b->cap >= b->max + 1)
		return -EFBIG;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

const char *readfile_strerror(int rc)
{
	if (rc == READFILE_NOT_REGULAR)
		return "not a regular file";
	if (rc == -EFBIG)
		return "larger than the cap";
	return strerror(-rc);
}

int readfile_at(int dirfd, const char *name, struct readbuf *b)
{
	int rc = 0;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) /* a cgroup being removed can answer ENODEV already at open */
		return errno == ENODEV ? -ENOENT : -errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = READFILE_NOT_REGULAR;
		goto out;
	}
	b->len = 0;
	for (;;) {
		ssize_t n;
		/* Keep one byte for the NUL; a full buffer means "maybe more". */
		if (b->len + 1 >= b->cap && b->cap < b->max + 1) {
			rc = readbuf_grow(b);
			if (rc)
				goto out;
		}
		if (b->len + 1 >= b->cap) {
			/* Full at the cap: only EOF now proves the file fits;
			 * one more byte means it is larger than max. */
			char probe;
			n = read(fd, &probe, 1);
			if (n > 0) {
				rc = -EFBIG;
				goto out;
			}
		} else {
			n = read(fd, b->data + b->len, b->cap - 1 - b->len);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A cgroup removed while open reads as ENODEV. */
			rc = errno == ENODEV ? -ENOENT : -errno;
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
out:
	close(fd);
	return rc;
}
