/* Unit tests for readfile.h: files around the cap (one byte over is -EFBIG,
 * never truncated; exactly the cap is read whole), around the first
 * allocation, empty, missing, a directory, a procfs file whose size is not
 * known in advance, buffer reuse, and files kept open and re-read. Files live in a mkdtemp directory that
 * is removed at the end. It does not parse. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/util/readfile.h"

struct dir {
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/memacct_readfile_XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	close(d->fd);
	int rc = system(cmd);
	free(d);
	return rc == 0 ? 0 : -1;
}

/* A file of n bytes, byte i = 'a' + i % 26 except every 61st a newline. */
static char *pattern(size_t n)
{
	char *p = malloc(n + 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
	p[n] = '\0';
	return p;
}

static void make_file(const struct dir *d, const char *name, const char *data, size_t n)
{
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

/* Reads a file of size bytes with cap max; checks the return, and on success
 * the whole content and the NUL. */
static void check_size(const struct dir *d, size_t size, size_t max, int want_rc)
{
	char *data = pattern(size);
	make_file(d, "f", data, size);
	struct readbuf b;
	readbuf_init(&b, max);
	int rc = readfile_at(d->fd, "f", &b);
	if (rc != want_rc)
		print_error("file of %zu bytes, max %zu: want %d, got %d\n", size, max, want_rc,
			    rc);
	assert_int_equal(rc, want_rc);
	if (want_rc == 0) {
		assert_int_equal(b.len, size);
		assert_memory_equal(b.data, data, size + 1);
		assert_true(b.cap <= max + 1);
	}
	readbuf_free(&b);
	free(data);
}

static void test_sizes_around_cap(void **state)
{
	const struct dir *d = *state;
	check_size(d, 100, 100, 0);	  /* exactly max */
	check_size(d, 101, 100, -EFBIG); /* one over: never truncated */
	check_size(d, 99, 100, 0);
	check_size(d, 4096, 4096, 0);
	check_size(d, 4097, 4096, -EFBIG);
	check_size(d, 5000, 4999, -EFBIG);
	check_size(d, 5000, 5000, 0);
	check_size(d, 1, 0, -EFBIG);
	check_size(d, 0, 0, 0);
	check_size(d, 1, 1, 0);
	check_size(d, 2, 1, -EFBIG);
}

/* Around the first allocation and its doublings. */
static void test_sizes_around_growth(void **state)
{
	const struct dir *d = *state;
	static const size_t sizes[] = {4094, 4095, 4096, 4097, 8191, 8192, 8193, 100000};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_size(d, sizes[i], 1 << 20, 0);
}

static void test_empty(void **state)
{
	const struct dir *d = *state;
	make_file(d, "empty", "", 0);
	struct readbuf b;
	readbuf_init(&b, 4096);
	assert_int_equal(readfile_at(d->fd, "empty", &b), 0);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	readbuf_free(&b);
}

static void test_missing(void **state)
{
	const struct dir *d = *state;
	struct readbuf b;
	readbuf_init(&b, 4096);
	assert_int_equal(readfile_at(d->fd, "no-such-file", &b), -ENOENT);
	assert_int_equal(readfile_at(d->fd, "no-such-dir/file", &b), -ENOENT);
	/* A path through a regular file. */
	make_file(d, "plain", "x", 1);
	assert_int_equal(readfile_at(d->fd, "plain/file", &b), -ENOTDIR);
	readbuf_free(&b);
}

static void test_directory(void **state)
{
	const struct dir *d = *state;
	assert_int_equal(mkdirat(d->fd, "sub", 0755), 0);
	struct readbuf b;
	readbuf_init(&b, 4096);
	assert_int_equal(readfile_at(d->fd, "sub", &b), -EISDIR);
	assert_int_equal(readfile_at(d->fd, ".", &b), -EISDIR);
	readbuf_free(&b);
}

/* AT_FDCWD with an absolute path; relative names resolve against dirfd. */
static void test_dirfd_forms(void **state)
{
	const struct dir *d = *state;
	make_file(d, "rel", "relative\n", 9);
	char abs[128];
	snprintf(abs, sizeof(abs), "%s/rel", d->path);
	struct readbuf b;
	readbuf_init(&b, 4096);
	assert_int_equal(readfile_at(AT_FDCWD, abs, &b), 0);
	assert_string_equal(b.data, "relative\n");
	assert_int_equal(readfile_at(d->fd, "rel", &b), 0);
	assert_string_equal(b.data, "relative\n");
	readbuf_free(&b);
}

/* A pseudo-file has st_size 0: only the read loop knows its length. */
static void test_proc_self_status(void **state)
{
	(void)state;
	struct stat st;
	assert_int_equal(stat("/proc/self/status", &st), 0);
	assert_int_equal(st.st_size, 0);

	struct readbuf b;
	readbuf_init(&b, 1 << 16);
	assert_int_equal(readfile_at(AT_FDCWD, "/proc/self/status", &b), 0);
	assert_true(b.len > 200);
	assert_int_equal(strlen(b.data), b.len);
	assert_int_equal(strncmp(b.data, "Name:\t", 6), 0);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_non_null(strstr(b.data, "\nVmRSS:"));
	char pidline[32];
	snprintf(pidline, sizeof(pidline), "\nPid:\t%d\n", (int)getpid());
	assert_non_null(strstr(b.data, pidline));

	/* Too small a cap for it: -EFBIG, not the first 64 bytes. */
	struct readbuf small;
	readbuf_init(&small, 64);
	assert_int_equal(readfile_at(AT_FDCWD, "/proc/self/status", &small), -EFBIG);
	readbuf_free(&small);

	/* Through a procfs dirfd, like the process collector. */
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(procfd >= 0);
	char name[32];
	snprintf(name, sizeof(name), "%d/status", (int)getpid());
	assert_int_equal(readfile_at(procfd, name, &b), 0);
	assert_int_equal(strncmp(b.data, "Name:\t", 6), 0);
	assert_non_null(strstr(b.data, pidline));
	close(procfd);
	readbuf_free(&b);
}

/* The buffer is reused: a small file after a large one. */
static void test_reuse(void **state)
{
	const struct dir *d = *state;
	char *big = pattern(10000);
	make_file(d, "big", big, 10000);
	make_file(d, "small", "12\n", 3);
	struct readbuf b;
	readbuf_init(&b, 1 << 20);
	assert_int_equal(readfile_at(d->fd, "big", &b), 0);
	assert_int_equal(b.len, 10000);
	char *mem = b.data;
	assert_int_equal(readfile_at(d->fd, "small", &b), 0);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "12\n");
	assert_ptr_equal(b.data, mem); /* no new allocation */
	assert_int_equal(readfile_at(d->fd, "big", &b), 0);
	assert_memory_equal(b.data, big, 10001);
	/* A failed read, then a good one. */
	assert_int_equal(readfile_at(d->fd, "missing", &b), -ENOENT);
	assert_int_equal(readfile_at(d->fd, "small", &b), 0);
	assert_string_equal(b.data, "12\n");
	readbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.max, 1 << 20);
	free(big);
}

/* A file kept open: readfile_fd and readfile_fd_record re-read it from
 * offset 0 every time (pread: the fd's own offset never moves), see a
 * rewrite in place, and read a file larger than the buffer whole (the
 * record read falls back to the loop when its one pread fills the buffer);
 * readfile_open refuses a directory and a FIFO without blocking. */
static void test_kept_fd(void **state)
{
	const struct dir *d = *state;
	char *big = pattern(10000);
	make_file(d, "kept", "first\n", 6);
	int fd;
	assert_int_equal(readfile_open(d->fd, "kept", &fd), 0);
	struct readbuf b;
	readbuf_init(&b, 1 << 20);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(readfile_fd(fd, &b), 0);
		assert_string_equal(b.data, "first\n");
		assert_int_equal(readfile_fd_record(fd, &b), 0);
		assert_string_equal(b.data, "first\n");
	}
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	int w = openat(d->fd, "kept", O_WRONLY | O_TRUNC);
	assert_true(w >= 0);
	assert_int_equal(write(w, big, 10000), 10000);
	close(w);
	assert_int_equal(readfile_fd_record(fd, &b), 0); /* 4096 first, then the rest */
	assert_int_equal(b.len, 10000);
	assert_memory_equal(b.data, big, 10001);
	struct readbuf small;
	readbuf_init(&small, 100);
	assert_int_equal(readfile_fd_record(fd, &small), -EFBIG);
	assert_int_equal(readfile_fd(fd, &small), -EFBIG);
	readbuf_free(&small);
	close(fd);
	assert_int_equal(readfile_open(d->fd, ".", &fd), -EISDIR);
	char fifo[128];
	snprintf(fifo, sizeof(fifo), "%s/fifo", d->path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(readfile_open(d->fd, "fifo", &fd), READFILE_NOT_REGULAR);
	assert_int_equal(readfile_open(d->fd, "missing", &fd), -ENOENT);
	readbuf_free(&b);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sizes_around_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sizes_around_growth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirfd_forms, setup, teardown),
	    cmocka_unit_test(test_proc_self_status),
	    cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kept_fd, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
