/* pagecache_run: opens each listed file again (checked to be the listed
 * inode) and measures it, largest first, under the set's cap and deadline.
 * It does not list, rank or print. */
#include "memacct/pagecache/pagecache_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/pagecache/pagecache_measure.h"

static bool same_file(const struct stat *st, const struct pagecache_file *f)
{
	return S_ISREG(st->st_mode) && (uint64_t)st->st_dev == f->dev &&
	       (uint64_t)st->st_ino == f->ino;
}

/* stat first (a /proc link names the inode without opening it), so nothing
 * but the listed regular file is ever opened; then open and check again.
 * follow: false for a plain path, which must not be a symlink. */
static int open_checked(int dirfd, const char *name, const struct pagecache_file *f, bool follow)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	if (!same_file(&st, f))
		return -ENOENT;
	int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOATIME | (follow ? 0 : O_NOFOLLOW);
	int fd = openat(dirfd, name, flags);
	if (fd < 0 && errno == EPERM) /* O_NOATIME: only the owner or CAP_FOWNER */
		fd = openat(dirfd, name, flags & ~O_NOATIME);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !same_file(&st, f)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* Keeps the most telling error of the ways tried: a refusal over "gone". */
static int worse(int kept, int rc)
{
	return kept == -EACCES || kept == -EPERM ? kept : rc;
}

int pagecache_open_file(int procfd, const struct pagecache_file *f)
{
	char name[64 + sizeof(f->map_range)];
	int err = -ENOENT, rc;
	if (f->fd >= 0) {
		snprintf(name, sizeof(name), "%d/fd/%d", f->pid, f->fd);
		if ((rc = open_checked(procfd, name, f, true)) >= 0)
			return rc;
		err = worse(err, rc);
	}
	if (f->map_pid) {
		snprintf(name, sizeof(name), "%d/map_files/%s", f->map_pid, f->map_range);
		if ((rc = open_checked(procfd, name, f, true)) >= 0)
			return rc;
		err = worse(err, rc);
	}
	if (!f->deleted && f->path[0] == '/') {
		if ((rc = open_checked(AT_FDCWD, f->path, f, false)) >= 0)
			return rc;
		err = worse(err, rc);
	}
	return err == -EACCES || err == -EPERM ? err : -ENOENT;
}

static int by_size_desc(const void *a, const void *b)
{
	const struct pagecache_file *fa = *(const struct pagecache_file *const *)a;
	const struct pagecache_file *fb = *(const struct pagecache_file *const *)b;
	return fa->size < fb->size ? 1 : fa->size > fb->size ? -1 : 0;
}

static void not_measured(struct pagecache_set *s, const struct pagecache_file *f, bool time)
{
	if (time)
		s->measure.over_time++;
	else
		s->measure.over_cap++;
	s->measure.unmeasured_bytes += f->size;
}

static void count_error(struct pagecache_set *s, int rc)
{
	if (rc == -ENOENT)
		s->measure.gone++;
	else if (rc == -EACCES || rc == -EPERM)
		s->measure.denied++;
	else
		s->measure.failed++;
}

int pagecache_measure_set(struct pagecache_set *s, int procfd, enum pagecache_method m)
{
	struct pagecache_file **order = malloc((s->n ? s->n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->files[i].rc == PAGECACHE_NOT_MEASURED)
			order[n++] = &s->files[i];
	qsort(order, n, sizeof(*order), by_size_desc);

	size_t opened = 0;
	for (size_t i = 0; i < n; i++) {
		struct pagecache_file *f = order[i];
		if (s->limits.max_measured && opened >= s->limits.max_measured) {
			not_measured(s, f, false);
			continue;
		}
		if (pagecache_deadline_passed(s->limits.deadline_ns)) {
			not_measured(s, f, true);
			continue;
		}
		opened++;
		int fd = pagecache_open_file(procfd, f);
		if (fd < 0) {
			f->rc = fd;
			count_error(s, fd);
			continue;
		}
		struct pagecache_counts c;
		int rc = pagecache_measure_fd(fd, m, s->limits.deadline_ns, &c);
		close(fd);
		if (rc == -ETIME) {
			not_measured(s, f, true);
			continue;
		}
		f->rc = rc;
		f->shmem = c.shmem;
		if (rc) {
			count_error(s, rc);
			continue;
		}
		f->size = c.size;
		f->cached = c.cached;
		f->dirty = c.dirty;
		f->dirty_known = c.dirty_known;
		f->method = c.method;
		s->measure.measured++;
		s->measure.by_method[c.method]++;
	}
	free(order);
	return 0;
}
