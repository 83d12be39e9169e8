/* Unit tests for pagecache_report.h and the bounds of pagecache_run.h: the
 * ranking (cached bytes descending, ties by size then path), top N, the
 * explained and unexplained sums (floored at 0, shmem files ranked but not
 * summed), shares, the denied-processes line (bounded pid list), and a run
 * cut short by max_measured (the largest files measured, the rest counted
 * with their sizes) and by a deadline. It does not read /proc except to
 * measure its own temporary files. */
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
#include <unistd.h>

#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_report.h"
#include "memacct/pagecache/pagecache_run.h"
#include "tmpdir_fixture.h"

#define MiB (UINT64_C(1) << 20)

/* Adds a measured file (ino i) with the given numbers. */
static struct pagecache_file *add(struct pagecache_set *s, uint64_t ino, const char *path,
				  uint64_t size, uint64_t cached, bool shmem)
{
	struct pagecache_file *f;
	bool added;
	assert_int_equal(pagecache_set_add(s, 1, ino, size, path, &f, &added), 0);
	assert_true(added);
	f->rc = 0;
	f->cached = cached;
	f->shmem = shmem;
	return f;
}

static void test_ranking(void **state)
{
	(void)state;
	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	add(&s, 1, "/j/10.blk", 10 * MiB, 10 * MiB, false);
	add(&s, 2, "/j/100.blk", 100 * MiB, 100 * MiB, false);
	add(&s, 3, "/dev/shm/seg", 64 * MiB, 64 * MiB, true);
	add(&s, 4, "/j/50.blk", 50 * MiB, 50 * MiB, false);
	add(&s, 5, "/j/b-tie", 8 * MiB, 1 * MiB, false);
	add(&s, 6, "/j/a-tie", 8 * MiB, 1 * MiB, false);
	add(&s, 7, "/j/bigger-tie", 9 * MiB, 1 * MiB, false);
	struct pagecache_file *unmeasured;
	bool added;
	assert_int_equal(pagecache_set_add(&s, 1, 8, 1 << 30, "/j/huge", &unmeasured, &added), 0);
	struct pagecache_file *failed = add(&s, 9, "/j/failed", 1 << 30, 1 << 30, false);
	failed->rc = -EACCES;

	struct pagecache_report r;
	assert_int_equal(pagecache_report_build(&s, 4, 200 * MiB, &r), 0);
	assert_int_equal(r.nmeasured, 7);
	assert_int_equal(r.nrows, 4);
	assert_string_equal(r.rows[0]->path, "/j/100.blk");
	assert_string_equal(r.rows[1]->path, "/dev/shm/seg");
	assert_string_equal(r.rows[2]->path, "/j/50.blk");
	assert_string_equal(r.rows[3]->path, "/j/10.blk");
	assert_int_equal(r.rows_cached, 160 * MiB); /* shmem left out */
	assert_int_equal(r.measured_cached, 163 * MiB);
	assert_int_equal(r.shmem_cached, 64 * MiB);
	assert_int_equal(r.unexplained, 37 * MiB);
	assert_int_equal(r.cgroup_file_bytes, 200 * MiB);
	pagecache_report_free(&r);

	assert_int_equal(pagecache_report_build(&s, 0, 100 * MiB, &r), 0);
	assert_int_equal(r.nrows, 7);
	assert_string_equal(r.rows[4]->path, "/j/bigger-tie");
	assert_string_equal(r.rows[5]->path, "/j/a-tie");
	assert_string_equal(r.rows[6]->path, "/j/b-tie");
	assert_int_equal(r.unexplained, 0); /* more measured than the cgroup holds */
	pagecache_report_free(&r);

	assert_true(pagecache_share(50 * MiB, 200 * MiB) == 0.25);
	assert_true(pagecache_share(1, 0) == 0.0);
	pagecache_set_free(&s);

	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_report_build(&s, 5, 1 * MiB, &r), 0);
	assert_int_equal(r.nrows, 0);
	assert_int_equal(r.unexplained, 1 * MiB);
	pagecache_report_free(&r);
	pagecache_set_free(&s);
}

static void test_denied_line(void **state)
{
	(void)state;
	struct pagecache_set s;
	char line[512];
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_denied_line(&s.list, line, sizeof(line)), 0);
	assert_string_equal(line, "");
	pagecache_set_note_denied(&s, 812);
	pagecache_set_note_denied(&s, 907);
	pagecache_denied_line(&s.list, line, sizeof(line));
	assert_string_equal(
	    line, "2 processes could not be read (root or CAP_SYS_PTRACE needed): 812 907");
	for (int pid = 1000; pid < 1020; pid++)
		pagecache_set_note_denied(&s, pid);
	assert_int_equal(s.list.denied, 22);
	assert_int_equal(s.list.ndenied_pids, PAGECACHE_DENIED_PIDS_MAX);
	size_t n = pagecache_denied_line(&s.list, line, sizeof(line));
	assert_int_equal(n, strlen(line));
	const char *tail = " 1012 1013 and 6 more";
	assert_string_equal(line + strlen(line) - strlen(tail), tail);
	char small[16];
	assert_int_equal(pagecache_denied_line(&s.list, small, sizeof(small)), 15);
	assert_string_equal(small, "22 processes co");
	pagecache_set_free(&s);
}

/* Files of 1, 2, 3 and 4 MiB, written and so cached. */
static void make_files(const struct dir *d)
{
	char buf[65536], path[128];
	memset(buf, 'r', sizeof(buf));
	for (int i = 1; i <= 4; i++) {
		snprintf(path, sizeof(path), "%s/%d.blk", d->path, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		for (int k = 0; k < 16 * i; k++)
			assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		close(fd);
	}
}

static void test_cap_measures_largest(void **state)
{
	struct dir *d = *state;
	make_files(d);
	struct pagecache_limits lim = {.max_measured = 2};
	struct pagecache_set s;
	pagecache_set_init(&s, &lim);
	assert_int_equal(pagecache_list_under(&s, d->path), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(pagecache_measure_set(&s, d->procfd, PAGECACHE_AUTO), 0);
	assert_int_equal(s.measure.measured, 2);
	assert_int_equal(s.measure.over_cap, 2);
	assert_int_equal(s.measure.over_time, 0);
	assert_int_equal(s.measure.unmeasured_bytes, 3 * MiB);
	struct pagecache_report r;
	assert_int_equal(pagecache_report_build(&s, 10, 0, &r), 0);
	assert_int_equal(r.nrows, 2);
	assert_int_equal(r.rows[0]->size, 4 * MiB);
	assert_int_equal(r.rows[0]->cached, 4 * MiB);
	assert_int_equal(r.rows[1]->size, 3 * MiB);
	pagecache_report_free(&r);
	pagecache_set_free(&s);
}

static void test_deadline_passed(void **state)
{
	struct dir *d = *state;
	make_files(d);
	struct pagecache_set s;
	pagecache_set_init(&s, NULL);
	assert_int_equal(pagecache_list_under(&s, d->path), 0);
	s.limits.deadline_ns = 1; /* long past */
	assert_int_equal(pagecache_measure_set(&s, d->procfd, PAGECACHE_MINCORE), 0);
	assert_int_equal(s.measure.measured, 0);
	assert_int_equal(s.measure.over_time, 4);
	assert_int_equal(s.measure.unmeasured_bytes, 10 * MiB);
	/* Listing under a passed deadline stops at once and says so. */
	assert_int_equal(pagecache_list_under(&s, d->path), 0);
	assert_true(s.list.cut_short);
	pagecache_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranking),
	    cmocka_unit_test(test_denied_line),
	    cmocka_unit_test_setup_teardown(test_cap_measures_largest, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_deadline_passed, tmpdir_setup, tmpdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
