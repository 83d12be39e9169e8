/* Unit tests for pagecache_measure.h: the window arithmetic (boundaries, the
 * last partial window, an empty file, 5 GiB), then real files in a mkdtemp
 * directory below /var/tmp (a disk filesystem, so POSIX_FADV_DONTNEED drops
 * pages): empty, a 5 GiB sparse file with one page written at 4 GiB + 4 KiB,
 * cachestat and mincore agreeing page for page on fully, partly and not
 * cached files, dirty bytes, a file truncated under the measurement, the
 * deadline, memfd (shmem), a pipe (refused), another user's file (EPERM,
 * never a silent 0; root only) and overlayfs (auto must use
 * mincore; skipped where overlay cannot be mounted). cachestat tests skip on
 * kernels without it. It does not list processes (test_pagecache_list.c). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_measure.h"
#include "memacct/pagecache/pagecache_run.h"
#include "tmpdir_fixture.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static uint64_t page;

static bool have_cachestat(void)
{
	struct pagecache_cachestat cs;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int rc = pagecache_cachestat(fd, 0, 0, &cs);
	close(fd);
	return rc != -ENOSYS;
}

/* Creates dir/name with n bytes of a pattern, fsynced, and returns it open
 * read-only. */
static int make_file(const struct dir *d, const char *name, uint64_t n)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	char buf[65536];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? (size_t)(n - done) : sizeof(buf);
		assert_int_equal(pwrite(fd, buf, k, (off_t)done), (ssize_t)k);
		done += k;
	}
	assert_int_equal(fsync(fd), 0);
	return fd;
}

static void drop(int fd)
{
	assert_int_equal(fdatasync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
}

static void read_range(int fd, uint64_t off, uint64_t len)
{
	char buf[65536];
	while (len) {
		size_t k = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(fd, buf, k, (off_t)off);
		assert_true(n > 0);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
}

/* Cached bytes by each method; both must agree with want (bytes). */
static void expect_cached(int fd, uint64_t want)
{
	struct pagecache_counts c;
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_MINCORE, 0, &c), 0);
	assert_int_equal(c.method, PAGECACHE_MINCORE);
	assert_false(c.dirty_known);
	assert_int_equal(c.cached, want);
	if (!have_cachestat())
		return;
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_CACHESTAT, 0, &c), 0);
	assert_int_equal(c.method, PAGECACHE_CACHESTAT);
	assert_true(c.dirty_known);
	assert_int_equal(c.cached, want);
}

static void test_window_arithmetic(void **state)
{
	(void)state;
	uint64_t w = 64 * MiB, off, len;
	assert_int_equal(pagecache_window_count(0, w), 0);
	assert_int_equal(pagecache_window_count(1, w), 1);
	assert_int_equal(pagecache_window_count(w - 1, w), 1);
	assert_int_equal(pagecache_window_count(w, w), 1);
	assert_int_equal(pagecache_window_count(w + 1, w), 2);
	assert_int_equal(pagecache_window_count(5 * GiB, w), 80);
	assert_int_equal(pagecache_window_count(5 * GiB + 4096, w), 81);

	pagecache_window_at(w + 1, w, 0, &off, &len);
	assert_int_equal(off, 0);
	assert_int_equal(len, w);
	pagecache_window_at(w + 1, w, 1, &off, &len);
	assert_int_equal(off, w);
	assert_int_equal(len, 1);
	/* Past 4 GiB: offsets do not wrap at 32 bits. */
	pagecache_window_at(5 * GiB + 4096, w, 80, &off, &len);
	assert_int_equal(off, 5 * GiB);
	assert_int_equal(len, 4096);
	pagecache_window_at(5 * GiB + 4096, w, 64, &off, &len);
	assert_int_equal(off, 4 * GiB);
	assert_int_equal(len, w);

	assert_int_equal(pagecache_pages(0, 4096), 0);
	assert_int_equal(pagecache_pages(1, 4096), 1);
	assert_int_equal(pagecache_pages(4096, 4096), 1);
	assert_int_equal(pagecache_pages(4097, 4096), 2);
	assert_int_equal(pagecache_pages(w, 4096), 16384);
}

static void test_empty_file(void **state)
{
	int fd = make_file(*state, "empty", 0);
	struct pagecache_counts c;
	expect_cached(fd, 0);
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_AUTO, 0, &c), 0);
	assert_int_equal(c.size, 0);
	assert_int_equal(c.cached, 0);
	close(fd);
}

/* 5 GiB, never written: nothing cached. One page written at 4 GiB + 4 KiB,
 * dropped, read back without readahead: exactly that page, in window 64. */
static void test_sparse_huge(void **state)
{
	int fd = make_file(*state, "sparse", 0);
	assert_int_equal(ftruncate(fd, (off_t)(5 * GiB)), 0);
	struct pagecache_counts c;
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_MINCORE, 0, &c), 0);
	assert_int_equal(c.size, 5 * GiB);
	expect_cached(fd, 0);

	uint64_t at = 4 * GiB + 4096;
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pwrite(fd, buf, sizeof(buf), (off_t)at), (ssize_t)sizeof(buf));
	drop(fd);
	expect_cached(fd, 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM), 0);
	read_range(fd, at, 4096);
	expect_cached(fd, page);

	/* Which page: the one at `at`, not its neighbours. */
	uint64_t pages;
	assert_int_equal(pagecache_mincore(fd, at, page, PAGECACHE_WINDOW_BYTES, 0, &pages), 0);
	assert_int_equal(pages, 1);
	assert_int_equal(pagecache_mincore(fd, 4 * GiB, page, PAGECACHE_WINDOW_BYTES, 0, &pages),
			 0);
	assert_int_equal(pages, 0);
	assert_int_equal(pagecache_mincore(fd, at + page, 64 * MiB, 4 * MiB, 0, &pages), 0);
	assert_int_equal(pages, 0);
	/* Windows of one page each across it. */
	assert_int_equal(pagecache_mincore(fd, 4 * GiB, 8 * page, page, 0, &pages), 0);
	assert_int_equal(pages, 1);
	if (have_cachestat()) {
		struct pagecache_cachestat cs;
		assert_int_equal(pagecache_cachestat(fd, at, page, &cs), 0);
		assert_int_equal(cs.nr_cache, 1);
		assert_int_equal(pagecache_cachestat(fd, 0, at, &cs), 0);
		assert_int_equal(cs.nr_cache, 0);
	}
	close(fd);
}

/* Written, fsynced, dropped, read: both methods see every page; every
 * third page read: both see exactly those; dropped again: none. The
 * windows of 3 pages cut the file where the pattern does not. */
static void test_methods_agree(void **state)
{
	uint64_t size = 8 * MiB + 123;
	int fd = make_file(*state, "agree", size);
	drop(fd);
	read_range(fd, 0, size);
	expect_cached(fd, pagecache_pages(size, page) * page);

	drop(fd);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM), 0);
	uint64_t npages = pagecache_pages(size, page), want = 0;
	for (uint64_t p = 0; p < npages; p += 3) {
		read_range(fd, p * page, 1);
		want++;
	}
	expect_cached(fd, want * page);
	uint64_t pages;
	assert_int_equal(pagecache_mincore(fd, 0, size, 3 * page, 0, &pages), 0);
	assert_int_equal(pages, want);
	assert_int_equal(pagecache_mincore(fd, 0, size, 1 * MiB, 0, &pages), 0);
	assert_int_equal(pages, want);

	drop(fd);
	struct pagecache_counts c;
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_MINCORE, 0, &c), 0);
	assert_true(c.cached <= 2 * page);
	close(fd);
}

static void test_dirty(void **state)
{
	struct dir *d = *state;
	if (!have_cachestat())
		skip();
	char path[128];
	snprintf(path, sizeof(path), "%s/dirty", d->path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	char buf[65536];
	memset(buf, 'd', sizeof(buf));
	for (int i = 0; i < 16; i++)
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	struct pagecache_counts c;
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_AUTO, 0, &c), 0);
	assert_int_equal(c.method, PAGECACHE_CACHESTAT);
	assert_int_equal(c.cached, 1 * MiB);
	assert_true(c.dirty_known);
	assert_true(c.dirty > 0 && c.dirty <= c.cached);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_AUTO, 0, &c), 0);
	assert_int_equal(c.dirty, 0);
	assert_int_equal(c.cached, 1 * MiB);
	close(fd);
}

/* Measured with the size it had before a truncate: pages past the new end
 * read as not cached and nothing faults (no SIGBUS). */
static void test_truncated_under_measure(void **state)
{
	int fd = make_file(*state, "trunc", 8 * MiB);
	read_range(fd, 0, 8 * MiB);
	assert_int_equal(ftruncate(fd, (off_t)(1 * MiB)), 0);
	uint64_t pages;
	assert_int_equal(pagecache_mincore(fd, 0, 8 * MiB, 2 * MiB, 0, &pages), 0);
	assert_int_equal(pages, 1 * MiB / page);
	close(fd);
}

/* A deadline already passed: the first window is still measured, then
 * -ETIME with what was counted. */
static void test_deadline(void **state)
{
	int fd = make_file(*state, "deadline", 4 * MiB);
	read_range(fd, 0, 4 * MiB);
	uint64_t pages;
	assert_int_equal(pagecache_mincore(fd, 0, 4 * MiB, 1 * MiB, 1, &pages), -ETIME);
	assert_int_equal(pages, 1 * MiB / page);
	close(fd);
}

static void test_memfd_is_shmem(void **state)
{
	(void)state;
	int fd = memfd_create("pagecache-test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	char buf[65536];
	memset(buf, 'm', sizeof(buf));
	for (int i = 0; i < 4; i++)
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	struct pagecache_counts c;
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_AUTO, 0, &c), 0);
	assert_true(c.shmem);
	assert_int_equal(c.cached, 256 * 1024);
	assert_int_equal(pagecache_measure_fd(fd, PAGECACHE_MINCORE, 0, &c), 0);
	assert_int_equal(c.cached, 256 * 1024);
	close(fd);
}

static void test_pipe_refused(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct pagecache_counts c;
	assert_int_equal(pagecache_measure_fd(p[0], PAGECACHE_AUTO, 0, &c), -EBADFD);
	assert_int_equal(pagecache_measure_fd(p[1], PAGECACHE_MINCORE, 0, &c), -EBADFD);
	close(p[0]);
	close(p[1]);
}

/* As another user (a child that drops root): a root-owned 0644 file's
 * cache is hidden by the kernel, so mincore must answer EPERM rather than
 * a silent 0 (auto: EPERM, or on a kernel without cachestat's check the
 * true count), counted as denied by a run; a file that user owns is
 * measured. */
static void test_not_owner(void **state)
{
	struct dir *d = *state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(d->path, 0755), 0);
	int rfd = make_file(d, "root-owned", 1 * MiB);
	int nfd = make_file(d, "nobody-owned", 1 * MiB);
	read_range(rfd, 0, 1 * MiB);
	read_range(nfd, 0, 1 * MiB);
	assert_int_equal(fchmod(rfd, 0644), 0);
	assert_int_equal(fchown(nfd, 65534, 65534), 0);
	close(rfd);
	close(nfd);
	char rpath[128], npath[128];
	snprintf(rpath, sizeof(rpath), "%s/root-owned", d->path);
	snprintf(npath, sizeof(npath), "%s/nobody-owned", d->path);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		int r = open(rpath, O_RDONLY | O_CLOEXEC), n = open(npath, O_RDONLY | O_CLOEXEC);
		if (r < 0 || n < 0)
			_exit(11);
		struct pagecache_counts c;
		if (pagecache_measure_fd(r, PAGECACHE_MINCORE, 0, &c) != -EPERM)
			_exit(12);
		int rc = pagecache_measure_fd(r, PAGECACHE_AUTO, 0, &c);
		if (rc != -EPERM && !(rc == 0 && c.cached == 1 * MiB))
			_exit(13);
		if (pagecache_measure_fd(n, PAGECACHE_MINCORE, 0, &c) != 0 || c.cached != 1 * MiB)
			_exit(14);
		if (pagecache_measure_fd(n, PAGECACHE_AUTO, 0, &c) != 0 || c.cached != 1 * MiB)
			_exit(15);
		struct pagecache_set s;
		pagecache_set_init(&s, NULL);
		int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pagecache_list_under(&s, d->path) != 0 || s.n != 2)
			_exit(16);
		pagecache_measure_set(&s, procfd, PAGECACHE_MINCORE);
		if (s.measure.denied != 1 || s.measure.measured != 1 || s.measure.failed != 0)
			_exit(17);
		pagecache_set_free(&s);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* overlayfs: cachestat through the overlay inode sees no pages; auto must
 * take mincore, whose mapping reaches the real file. */
static void test_overlay(void **state)
{
	struct dir *d = *state;
	char lower[96], upper[96], work[96], merged[96], opts[512], path[128];
	snprintf(lower, sizeof(lower), "%s/lower", d->path);
	snprintf(upper, sizeof(upper), "%s/upper", d->path);
	snprintf(work, sizeof(work), "%s/work", d->path);
	snprintf(merged, sizeof(merged), "%s/merged", d->path);
	assert_int_equal(
	    mkdir(lower, 0700) | mkdir(upper, 0700) | mkdir(work, 0700) | mkdir(merged, 0700), 0);
	int lfd = make_file(d, "lower/f", 4 * MiB);
	close(lfd);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (mount("overlay", merged, "overlay", 0, opts) != 0)
		skip(); /* not root, or no overlay in this kernel */
	snprintf(path, sizeof(path), "%s/f", merged);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	read_range(fd, 0, 4 * MiB);
	struct pagecache_counts c;
	int rc = pagecache_measure_fd(fd, PAGECACHE_AUTO, 0, &c);
	close(fd);
	assert_int_equal(umount(merged), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(c.method, PAGECACHE_MINCORE);
	assert_int_equal(c.cached, 4 * MiB);
	assert_false(c.shmem);
}

int main(void)
{
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_arithmetic),
	    cmocka_unit_test_setup_teardown(test_empty_file, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_sparse_huge, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_methods_agree, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_dirty, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_under_measure, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_deadline, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test(test_memfd_is_shmem),
	    cmocka_unit_test(test_pipe_refused),
	    cmocka_unit_test_setup_teardown(test_not_owner, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_overlay, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
