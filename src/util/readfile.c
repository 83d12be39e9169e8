/* readfile: whole-file reads of pseudo-files into a reused, capped buffer.
 * One non-blocking openat() relative to a directory fd, an fstat() that
 * refuses anything but a regular file (a FIFO, socket or device where a
 * file should be must never block a scrape), one pread loop from offset 0
 * (also on files kept open by the caller), NUL-terminated; too large is
 * -EFBIG, never a silent truncation. It does not parse. */
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

int readfile_open(int dirfd, const char *name, int *fd)
{
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	int f = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f < 0) /* a cgroup being removed can answer ENODEV already at open */
		return errno == ENODEV ? -ENOENT : -errno;
	struct stat st;
	int rc = 0;
	if (fstat(f, &st) != 0)
		rc = -errno;
	else if (S_ISDIR(st.st_mode))
		rc = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		rc = READFILE_NOT_REGULAR;
	if (rc) {
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

/* Reads from offset b->len on, to the end. */
static int read_rest(int fd, struct readbuf *b)
{
	for (;;) {
		ssize_t n;
		int rc;
		/* Keep one byte for the NUL; a full buffer means "maybe more". */
		if (b->len + 1 >= b->cap && b->cap < b->max + 1) {
			rc = readbuf_grow(b);
			if (rc)
				return rc;
		}
		if (b->len + 1 >= b->cap) {
			/* Full at the cap: only EOF now proves the file fits;
			 * one more byte means it is larger than max. */
			char probe;
			n = pread(fd, &probe, 1, (off_t)b->len);
			if (n > 0)
				return -EFBIG;
		} else {
			n = pread(fd, b->data + b->len, b->cap - 1 - b->len, (off_t)b->len);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* A cgroup removed while open reads as ENODEV. */
			return errno == ENODEV ? -ENOENT : -errno;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	return 0;
}

int readfile_fd(int fd, struct readbuf *b)
{
	b->len = 0;
	return read_rest(fd, b);
}

int readfile_fd_record(int fd, struct readbuf *b)
{
	b->len = 0;
	if (b->cap < 2) /* no buffer yet: the loop makes one */
		return read_rest(fd, b);
	ssize_t n;
	do
		n = pread(fd, b->data, b->cap - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ENODEV ? -ENOENT : -errno;
	b->len = (size_t)n;
	if (b->len + 1 >= b->cap) /* filled: there may be more */
		return read_rest(fd, b);
	b->data[b->len] = '\0';
	return 0;
}

int readfile_at(int dirfd, const char *name, struct readbuf *b)
{
	int fd;
	int rc = readfile_open(dirfd, name, &fd);
	if (rc)
		return rc;
	rc = readfile_fd(fd, b);
	close(fd);
	return rc;
}
