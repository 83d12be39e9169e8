/* Unit tests for pagecache_list.h and pagecache_run.h on real processes
 * (this test and children it forks) and a mkdtemp directory below /var/tmp:
 * the maps line parser, " (deleted)" stripping, one entry per inode for a
 * file open twice and mapped, a file deleted while open (listed as deleted,
 * still measured), FIFO/socket/pipe/device fds counted and never opened, a
 * process killed between listing and measuring (its file still reached by
 * path, its deleted file counted as gone), a pid already gone, a process
 * another user may not read (denied, pid named; root only), a fake cgroup
 * tree (cgroup.procs files) walked to its descendants and to max_depth, and
 * --files-under (symlinks not followed, special files skipped, the file
 * cap). It does not rank (test_pagecache_report.c). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_report.h"
#include "memacct/pagecache/pagecache_run.h"
#include "tmpdir_fixture.h"

#define MiB (UINT64_C(1) << 20)

/* dir/name, n bytes written, fsynced and read back (so cached); open O_RDWR. */
static int make_file(const struct dir *d, const char *name, uint64_t n, char *path, size_t plen)
{
	snprintf(path, plen, "%s/%s", d->path, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	char buf[65536];
	memset(buf, 'p', sizeof(buf));
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? (size_t)(n - done) : sizeof(buf);
		if (pwrite(fd, buf, k, (off_t)done) != (ssize_t)k)
			return -1;
		done += k;
	}
	if (fsync(fd) != 0)
		return -1;
	for (uint64_t done = 0; done < n;) {
		ssize_t r = pread(fd, buf, sizeof(buf), (off_t)done);
		if (r <= 0)
			return -1;
		done += (uint64_t)r;
	}
	return fd;
}

static struct stat stat_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st;
}

static struct pagecache_file *find(const struct pagecache_set *s, const struct stat *st)
{
	return pagecache_set_find(s, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
}

/* Forks a child that runs body(arg, &ready) to open what it holds, reports
 * ready on the pipe fd it is left with and sleeps until killed. */
typedef void (*child_body)(void *arg, int *ready);

static pid_t spawn(child_body body, void *arg)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		int ready = p[1];
		body(arg, &ready);
		char c = 1;
		if (write(ready, &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	char c = 0;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_maps_parse(void **state)
{
	(void)state;
	struct pagecache_maps_line m;
	const char *l1 = "7f2310c56000-7f2311456000 r--s 00000000 fd:01 11015274                   "
			 "/var/lib/nats/jetstream/ORDERS/msgs/1.blk";
	assert_int_equal(pagecache_maps_parse_line(l1, &m), 0);
	assert_int_equal(m.start, 0x7f2310c56000);
	assert_int_equal(m.end, 0x7f2311456000);
	assert_int_equal(m.dev, makedev(0xfd, 1));
	assert_int_equal(m.ino, 11015274);
	assert_string_equal(m.path, "/var/lib/nats/jetstream/ORDERS/msgs/1.blk");
	assert_int_equal(m.range_end - l1, 25);

	const char *anon =
	    "7ffd5a1e0000-7ffd5a201000 rw-p 00000000 00:00 0                  [stack]";
	assert_int_equal(pagecache_maps_parse_line(anon, &m), 0);
	assert_int_equal(m.ino, 0);
	assert_string_equal(m.path, "[stack]");

	const char *bare = "00400000-00452000 r-xp 00000000 08:02 173521";
	assert_int_equal(pagecache_maps_parse_line(bare, &m), 0);
	assert_int_equal(m.ino, 173521);
	assert_string_equal(m.path, "");

	const char *del = "7f00-7f01 rw-s 00000000 00:01 2048 /memfd:buf with space (deleted)";
	assert_int_equal(pagecache_maps_parse_line(del, &m), 0);
	assert_string_equal(m.path, "/memfd:buf with space (deleted)");

	assert_int_equal(pagecache_maps_parse_line("", &m), -EINVAL);
	assert_int_equal(pagecache_maps_parse_line("7f00 r--p 0 fd:01 1 /x", &m), -EINVAL);
	assert_int_equal(pagecache_maps_parse_line("7f00-7f01 r--p 0 fd01 1 /x", &m), -EINVAL);
	assert_int_equal(pagecache_maps_parse_line("7f00-7f01 r--p 0 fd:01 x /x", &m), -EINVAL);
	assert_int_equal(pagecache_maps_parse_line("7f00-7f01 r--p 0 fd:01 12x /x", &m), -EINVAL);
	assert_int_equal(pagecache_maps_parse_line("10000000000000000-1 r--p 0 fd:01 1 /x", &m),
			 -ERANGE);
}

static void test_strip_deleted(void **state)
{
	(void)state;
	char a[] = "/data/wal.log (deleted)";
	assert_true(pagecache_strip_deleted(a, 0));
	assert_string_equal(a, "/data/wal.log");
	char b[] = "/data/a file named (deleted)"; /* still linked: a real name */
	assert_false(pagecache_strip_deleted(b, 1));
	assert_string_equal(b, "/data/a file named (deleted)");
	char c[] = "(deleted)";
	assert_false(pagecache_strip_deleted(c, 0));
}

/* The same file open twice and mapped twice is one entry, seen both ways;
 * listing again adds nothing. */
static void test_dedup_by_inode(void **state)
{
	struct dir *d = *state;
	char path[128];
	int fd1 = make_file(d, "twice", 1 * MiB, path, sizeof(path));
	assert_true(fd1 >= 0);
	int fd2 = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd2 >= 0);
	void *m1 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd1, 0);
	void *m2 = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd2, 4096);
	assert_true(m1 != MAP_FAILED && m2 != MAP_FAILED);

	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_pid(&s, d->procfd, getpid()), 0);
	assert_int_equal(s.list.processes, 1);
	struct stat st = stat_of(path);
	struct pagecache_file *f = find(&s, &st);
	assert_non_null(f);
	assert_true(f->open_fd);
	assert_true(f->mapped);
	assert_false(f->deleted);
	assert_string_equal(f->path, path);
	assert_int_equal(f->size, 1 * MiB);
	size_t named = 0;
	for (size_t i = 0; i < s.n; i++)
		named += strcmp(s.files[i].path, path) == 0;
	assert_int_equal(named, 1);
	size_t n = s.n;
	assert_int_equal(pagecache_list_pid(&s, d->procfd, getpid()), 0);
	assert_int_equal(s.n, n);

	assert_int_equal(pagecache_measure_set(&s, d->procfd, PAGECACHE_AUTO), 0);
	assert_int_equal(f->rc, 0);
	assert_int_equal(f->cached, 1 * MiB);
	pagecache_set_free(&s);
	munmap(m1, 4096);
	munmap(m2, 4096);
	close(fd1);
	close(fd2);
}

/* Deleted while open: listed under its old name, marked deleted, measured
 * through /proc/PID/fd. */
static void test_deleted_while_open(void **state)
{
	struct dir *d = *state;
	char path[128];
	int fd = make_file(d, "gone.log", 2 * MiB, path, sizeof(path));
	assert_true(fd >= 0);
	struct stat st = stat_of(path);
	assert_int_equal(unlink(path), 0);

	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_pid(&s, d->procfd, getpid()), 0);
	struct pagecache_file *f = find(&s, &st);
	assert_non_null(f);
	assert_true(f->deleted);
	assert_string_equal(f->path, path);
	assert_int_equal(pagecache_measure_set(&s, d->procfd, PAGECACHE_MINCORE), 0);
	assert_int_equal(f->rc, 0);
	assert_int_equal(f->method, PAGECACHE_MINCORE);
	assert_int_equal(f->cached, 2 * MiB);
	pagecache_set_free(&s);
	close(fd);
}

struct special_arg {
	char fifo[128], file[128];
};

/* Leaves exactly: the ready pipe, a pipe (2 fds), a socketpair (2), /dev/null,
 * a FIFO and one regular file. */
static void hold_specials(void *varg, int *ready)
{
	struct special_arg *a = varg;
	if (dup2(*ready, 100) != 100 || close_range(0, 99, 0) || close_range(101, ~0u, 0))
		_exit(3);
	*ready = 100;
	int p[2], sp[2];
	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || open("/dev/null", O_RDONLY) < 0 ||
	    open(a->fifo, O_RDWR) < 0 || open(a->file, O_RDONLY) < 0)
		_exit(4);
}

static void test_special_fds_skipped(void **state)
{
	struct dir *d = *state;
	struct special_arg a;
	snprintf(a.fifo, sizeof(a.fifo), "%s/fifo", d->path);
	assert_int_equal(mkfifo(a.fifo, 0600), 0);
	int fd = make_file(d, "regular", 4096, a.file, sizeof(a.file));
	assert_true(fd >= 0);
	close(fd);
	pid_t pid = spawn(hold_specials, &a);

	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_pid(&s, d->procfd, pid), 0);
	assert_int_equal(s.list.special, 7);
	size_t open_fds = 0;
	for (size_t i = 0; i < s.n; i++)
		open_fds += s.files[i].open_fd;
	assert_int_equal(open_fds, 1);
	struct stat st = stat_of(a.file);
	struct pagecache_file *f = find(&s, &st);
	assert_non_null(f);
	assert_true(f->open_fd);
	assert_int_equal(f->pid, pid);
	struct stat fst = stat_of(a.fifo);
	assert_null(find(&s, &fst));
	reap(pid);
	pagecache_set_free(&s);
}

struct exit_arg {
	char kept[128], deleted[128];
};

static void hold_kept_and_deleted(void *varg, int *ready)
{
	(void)ready;
	struct exit_arg *a = varg;
	if (open(a->kept, O_RDONLY) < 0 || open(a->deleted, O_RDONLY) < 0 || unlink(a->deleted))
		_exit(4);
}

/* Listed, then killed before measuring: the file that still has a name is
 * measured by its path; the deleted one died with the process. */
static void test_exit_between_list_and_measure(void **state)
{
	struct dir *d = *state;
	struct exit_arg a;
	int k = make_file(d, "kept", 1 * MiB, a.kept, sizeof(a.kept));
	int x = make_file(d, "deleted", 1 * MiB, a.deleted, sizeof(a.deleted));
	assert_true(k >= 0 && x >= 0);
	close(k);
	close(x);
	struct stat kst = stat_of(a.kept), xst = stat_of(a.deleted);
	pid_t pid = spawn(hold_kept_and_deleted, &a);

	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_pid(&s, d->procfd, pid), 0);
	struct pagecache_file *kf = find(&s, &kst), *xf = find(&s, &xst);
	assert_non_null(kf);
	assert_non_null(xf);
	assert_true(xf->deleted);
	reap(pid);

	assert_int_equal(pagecache_measure_set(&s, d->procfd, PAGECACHE_AUTO), 0);
	assert_int_equal(kf->rc, 0);
	assert_int_equal(kf->cached, 1 * MiB);
	assert_int_equal(xf->rc, -ENOENT);
	assert_int_equal(s.measure.gone, 1);

	/* Listing it now: gone, counted, not an error for the rest. */
	assert_int_equal(pagecache_list_pid(&s, d->procfd, pid), -ENOENT);
	assert_int_equal(s.list.vanished, 1);
	pagecache_set_free(&s);
}

static void hold_file(void *varg, int *ready)
{
	(void)ready;
	if (open((const char *)varg, O_RDONLY) < 0)
		_exit(4);
}

/* Another user's process without CAP_SYS_PTRACE: denied and named, in a
 * child that drops root (the assertions run there; its exit status says). */
static void test_denied(void **state)
{
	struct dir *d = *state;
	if (geteuid() != 0)
		skip();
	char path[128];
	int fd = make_file(d, "root-only", 4096, path, sizeof(path));
	assert_true(fd >= 0);
	close(fd);
	pid_t holder = spawn(hold_file, path);
	pid_t lister = fork();
	assert_true(lister >= 0);
	if (lister == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		struct pagecache_set s;
		pagecache_set_init(&s, NULL);
		int rc = pagecache_list_pid(&s, d->procfd, holder);
		char line[256];
		pagecache_denied_line(&s.list, line, sizeof(line));
		char want[256];
		snprintf(want, sizeof(want),
			 "1 process could not be read (root or CAP_SYS_PTRACE needed): %d",
			 (int)holder);
		_exit(rc != -EACCES				       ? 11
		      : s.list.denied != 1 || s.list.ndenied_pids != 1 ? 12
		      : s.list.denied_pids[0] != holder		       ? 13
		      : s.list.processes != 0			       ? 14
		      : strcmp(line, want) != 0			       ? 15
								       : 0);
	}
	int status;
	assert_int_equal(waitpid(lister, &status, 0), lister);
	reap(holder);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* cg/cgroup.procs: a holder of A and a pid already gone; cg/sub: a holder of
 * B; cg/sub/deep: a holder of C. All three found; max_depth 1 stops above
 * deep. */
static void test_fake_cgroup_tree(void **state)
{
	struct dir *d = *state;
	char a[128], b[128], c[128], p[256], text[64];
	int fa = make_file(d, "A", 4096, a, sizeof(a));
	int fb = make_file(d, "B", 8192, b, sizeof(b));
	int fc = make_file(d, "C", 12288, c, sizeof(c));
	assert_true(fa >= 0 && fb >= 0 && fc >= 0);
	close(fa);
	close(fb);
	close(fc);
	pid_t ha = spawn(hold_file, a), hb = spawn(hold_file, b), hc = spawn(hold_file, c);
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);

	snprintf(p, sizeof(p), "%s/cg", d->path);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/cg/sub", d->path);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/cg/sub/deep", d->path);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/cg/cgroup.procs", d->path);
	snprintf(text, sizeof(text), "%d\n%d\n", (int)ha, (int)dead);
	write_text(p, text);
	snprintf(p, sizeof(p), "%s/cg/sub/cgroup.procs", d->path);
	snprintf(text, sizeof(text), "%d\n", (int)hb);
	write_text(p, text);
	snprintf(p, sizeof(p), "%s/cg/sub/deep/cgroup.procs", d->path);
	snprintf(text, sizeof(text), "%d\n", (int)hc);
	write_text(p, text);
	snprintf(p, sizeof(p), "%s/cg", d->path);
	int cgfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(cgfd >= 0);
	struct stat sa = stat_of(a), sb = stat_of(b), sc = stat_of(c);

	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_cgroup(&s, cgfd, d->procfd), 0);
	assert_int_equal(s.list.cgroups, 3);
	assert_int_equal(s.list.processes, 3);
	assert_int_equal(s.list.vanished, 1);
	assert_non_null(find(&s, &sa));
	assert_non_null(find(&s, &sb));
	assert_non_null(find(&s, &sc));
	pagecache_set_free(&s);

	struct pagecache_limits lim = {.max_depth = 1};
	pagecache_set_init(&s, &lim);
	assert_int_equal(pagecache_list_cgroup(&s, cgfd, d->procfd), 0);
	assert_int_equal(s.list.cgroups, 2);
	assert_non_null(find(&s, &sb));
	assert_null(find(&s, &sc));
	pagecache_set_free(&s);

	/* A cgroup without cgroup.procs (gone) is the caller's error. */
	snprintf(p, sizeof(p), "%s/cg/sub/deep/cgroup.procs", d->path);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/cg/sub/deep", d->path);
	int deepfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_cgroup(&s, deepfd, d->procfd), -ENOENT);
	pagecache_set_free(&s);
	close(deepfd);
	close(cgfd);
	reap(ha);
	reap(hb);
	reap(hc);
}

/* under/: f1, sub/f2, sub/deeper/f3, a symlink to a file outside, a FIFO. */
static void test_files_under(void **state)
{
	struct dir *d = *state;
	char p[256], outside[128], f1[128], f2[128], f3[128];
	int fo = make_file(d, "outside", 4096, outside, sizeof(outside));
	assert_true(fo >= 0);
	close(fo);
	snprintf(p, sizeof(p), "%s/under", d->path);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/under/sub", d->path);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/under/sub/deeper", d->path);
	assert_int_equal(mkdir(p, 0700), 0);
	int x1 = make_file(d, "under/f1", 4096, f1, sizeof(f1));
	int x2 = make_file(d, "under/sub/f2", 8192, f2, sizeof(f2));
	int x3 = make_file(d, "under/sub/deeper/f3", 12288, f3, sizeof(f3));
	assert_true(x1 >= 0 && x2 >= 0 && x3 >= 0);
	close(x1);
	close(x2);
	close(x3);
	snprintf(p, sizeof(p), "%s/under/link", d->path);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/under/fifo", d->path);
	assert_int_equal(mkfifo(p, 0600), 0);
	struct stat so = stat_of(outside), s1 = stat_of(f1), s2 = stat_of(f2), s3 = stat_of(f3);

	snprintf(p, sizeof(p), "%s/under/", d->path); /* a trailing slash */
	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_under(&s, p), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.list.special, 2);
	assert_null(find(&s, &so));
	assert_string_equal(find(&s, &s1)->path, f1);
	assert_string_equal(find(&s, &s2)->path, f2);
	assert_string_equal(find(&s, &s3)->path, f3);
	assert_int_equal(pagecache_measure_set(&s, d->procfd, PAGECACHE_AUTO), 0);
	assert_int_equal(s.measure.measured, 3);
	assert_int_equal(find(&s, &s3)->cached, 12288);
	pagecache_set_free(&s);

	struct pagecache_limits lim = {.max_depth = 1, .max_files = 1};
	pagecache_set_init(&s, &lim);
	assert_int_equal(pagecache_list_under(&s, p), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.list.dropped, 1); /* f3 is below max_depth: not even seen */
	pagecache_set_free(&s);

	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_under(&s, f1), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/missing", d->path);
	assert_int_equal(pagecache_list_under(&s, p), -ENOENT);
	pagecache_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_maps_parse),
	    cmocka_unit_test(test_strip_deleted),
	    cmocka_unit_test_setup_teardown(test_dedup_by_inode, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_while_open, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_special_fds_skipped, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_exit_between_list_and_measure, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_denied, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_fake_cgroup_tree, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_files_under, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
