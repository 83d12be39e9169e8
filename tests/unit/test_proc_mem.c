/* Unit tests for proc_mem.h: proc_mem_parse_status on every fixture
 * /proc/<pid>/status (sums x1024 to the byte, against the README's proc_rss),
 * kernel-thread and malformed status text, and proc_mem_read_cgroup over the
 * fixture's cgroup and procfs directories: PSS on and off, a listed pid that
 * does not exist (vanished), a garbage line, a missing or empty
 * cgroup.procs, a process whose smaps_rollup is gone or unreadable. It does
 * not walk cgroups. */
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

#include "memacct/proc/proc_mem.h"
#include "memacct_test.h"

static int pid_of(int mode)
{
	return mode == 2 ? 410 : 3477;
}

static char *slurp(const char *path)
{
	char *t = read_whole_file(path, NULL);
	if (!t)
		fail_msg("cannot read %s", path);
	return t;
}

/* "Key:   N kB" -> N * 1024; 0 when the key is absent. */
static uint64_t kb(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
			char *end;
			uint64_t v = strtoull(l + kl + 1, &end, 10);
			assert_int_equal(strncmp(end, " kB\n", 4), 0);
			return v * 1024;
		}
	}
	return 0;
}

static void status_path(char *p, size_t n, int mode, const char *phase)
{
	snprintf(p, n, "%s/cgroup-v%d/%s/proc/%d/status", fixture_dir(), mode, phase, pid_of(mode));
}

static void test_parse_fixture_status(void **state)
{
	(void)state;
	int nonempty = 0;
	for (int mode = 1; mode <= 2; mode++) {
		for (size_t i = 0; i < FIXTURE_PHASES; i++) {
			char p[4096];
			status_path(p, sizeof(p), mode, fixture_phases[i]);
			char *t = slurp(p);
			struct proc_mem pm;
			memset(&pm, 0, sizeof(pm));
			assert_int_equal(proc_mem_parse_status(t, &pm), 0);
			assert_true(pm.rss_anon == kb(t, "RssAnon"));
			assert_true(pm.rss_file == kb(t, "RssFile"));
			assert_true(pm.rss_shmem == kb(t, "RssShmem"));
			assert_true(pm.swap == kb(t, "VmSwap"));
			/* The kernel's VmRSS is the sum of the three. */
			assert_true(pm.rss_anon + pm.rss_file + pm.rss_shmem == kb(t, "VmRSS"));
			/* Counters other than the sums are not touched. */
			assert_true(pm.processes == 0 && pm.pss == 0 && pm.vanished == 0);
			if (*t) {
				nonempty++;
				assert_true(pm.rss_anon > 0);
			} else {
				/* 7-after-exit: the process was gone, the file empty. */
				assert_string_equal(fixture_phases[i], "7-after-exit");
				assert_true(pm.rss_anon == 0 && pm.rss_file == 0);
			}
			free(t);
		}
	}
	assert_int_equal(nonempty, 14);
}

/* The README's proc_rss column (VmRSS of the workload). */
static void test_readme_proc_rss(void **state)
{
	(void)state;
	static const struct {
		int mode;
		const char *phase;
		uint64_t rss;
	} rows[] = {
	    {2, "1-anon64M", 67969024},	   {2, "2-write200M", 67969024},
	    {2, "3-read-twice", 68022272}, {2, "6-over-high", 85848064},
	    {1, "2-write200M", 67964928},  {1, "3-read-twice", 68018176},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char p[4096];
		status_path(p, sizeof(p), rows[i].mode, rows[i].phase);
		char *t = slurp(p);
		struct proc_mem pm;
		memset(&pm, 0, sizeof(pm));
		assert_int_equal(proc_mem_parse_status(t, &pm), 0);
		assert_true(pm.rss_anon + pm.rss_file + pm.rss_shmem == rows[i].rss);
		free(t);
	}
	/* v2 1-anon64M exactly: RssAnon 65600 kB, RssFile 776 kB. */
	char p[4096];
	status_path(p, sizeof(p), 2, "1-anon64M");
	char *t = slurp(p);
	struct proc_mem pm;
	memset(&pm, 0, sizeof(pm));
	assert_int_equal(proc_mem_parse_status(t, &pm), 0);
	assert_true(pm.rss_anon == UINT64_C(65600) * 1024);
	assert_true(pm.rss_file == UINT64_C(776) * 1024);
	assert_true(pm.rss_shmem == 0);
	assert_true(pm.swap == 0);
	/* It adds to what is there. */
	assert_int_equal(proc_mem_parse_status(t, &pm), 0);
	assert_true(pm.rss_anon == UINT64_C(65600) * 2048);
	assert_true(pm.rss_file == UINT64_C(776) * 2048);
	free(t);
}

/* A kernel thread's status has no Vm/Rss lines: zero, no error. */
static void test_kernel_thread_status(void **state)
{
	(void)state;
	static const char kthread[] = "Name:\tkthreadd\n"
				      "Umask:\t0000\n"
				      "State:\tS (sleeping)\n"
				      "Tgid:\t2\n"
				      "Ngid:\t0\n"
				      "Pid:\t2\n"
				      "PPid:\t0\n"
				      "TracerPid:\t0\n"
				      "Uid:\t0\t0\t0\t0\n"
				      "Gid:\t0\t0\t0\t0\n"
				      "FDSize:\t64\n"
				      "Groups:\t \n"
				      "Threads:\t1\n"
				      "SigQ:\t0/63356\n"
				      "voluntary_ctxt_switches:\t1033\n"
				      "nonvoluntary_ctxt_switches:\t12\n";
	struct proc_mem pm;
	memset(&pm, 0, sizeof(pm));
	pm.rss_anon = 5;
	assert_int_equal(proc_mem_parse_status(kthread, &pm), 0);
	assert_true(pm.rss_anon == 5);
	assert_true(pm.rss_file == 0);
	assert_true(pm.rss_shmem == 0);
	assert_true(pm.swap == 0);
	assert_int_equal(proc_mem_parse_status("", &pm), 0);
	assert_true(pm.rss_anon == 5);
}

static void test_malformed_status(void **state)
{
	(void)state;
	struct proc_mem pm;
	memset(&pm, 0, sizeof(pm));
	assert_int_equal(proc_mem_parse_status("RssAnon:\tabc kB\nRssFile:\t4 kB\n", &pm), -EINVAL);
	assert_true(pm.rss_anon == 0);
	assert_true(pm.rss_file == 4096);
	memset(&pm, 0, sizeof(pm));
	assert_int_equal(proc_mem_parse_status("RssAnon:\t18014398509481984 kB\nVmSwap:\t1 kB\n",
					       &pm),
			 -ERANGE);
	assert_true(pm.rss_anon == 0);
	assert_true(pm.swap == 1024);
	memset(&pm, 0, sizeof(pm));
	assert_int_equal(proc_mem_parse_status("RssShmem:\n", &pm), -EINVAL);
	assert_true(pm.rss_shmem == 0);
}

/* ---- proc_mem_read_cgroup ---- */

struct dirs {
	int cgfd, procfd;
	struct readbuf list, file;
};

static void dirs_open(struct dirs *d, const char *cg, const char *proc)
{
	d->cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d->cgfd >= 0);
	d->procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d->procfd >= 0);
	readbuf_init(&d->list, 1 << 20);
	readbuf_init(&d->file, 1 << 20);
}

static void dirs_close(struct dirs *d)
{
	close(d->cgfd);
	close(d->procfd);
	readbuf_free(&d->list);
	readbuf_free(&d->file);
}

static int read_cg(struct dirs *d, bool pss, struct proc_mem *pm)
{
	memset(pm, 0, sizeof(*pm));
	struct cgroup_dir cg = cgroup_dir_at(d->cgfd);
	return proc_mem_read_cgroup(&cg, d->procfd, pss, &d->list, &d->file, pm);
}

static void fixture_dirs(char *cg, char *proc, size_t n, int mode, const char *phase)
{
	snprintf(cg, n, "%s/cgroup-v%d/%s/sys%s", fixture_dir(), mode, phase,
		 mode == 2 ? FX_V2_CTR : FX_V1_CTR);
	snprintf(proc, n, "%s/cgroup-v%d/%s/proc", fixture_dir(), mode, phase);
}

static void test_read_cgroup_fixture(void **state)
{
	(void)state;
	for (int mode = 1; mode <= 2; mode++) {
		for (size_t i = 0; i < FIXTURE_PHASES; i++) {
			char cg[4096], proc[4096], p[8192];
			fixture_dirs(cg, proc, sizeof(cg), mode, fixture_phases[i]);
			struct dirs d;
			dirs_open(&d, cg, proc);
			bool exited = strcmp(fixture_phases[i], "7-after-exit") == 0;
			status_path(p, sizeof(p), mode, fixture_phases[i]);
			char *st = slurp(p);
			snprintf(p, sizeof(p), "%s/%d/smaps_rollup", proc, pid_of(mode));
			char *sm = slurp(p);

			struct proc_mem pm;
			assert_int_equal(read_cg(&d, false, &pm), 0);
			assert_true(pm.processes == (exited ? 0 : 1));
			assert_true(pm.vanished == 0);
			assert_true(pm.rss_anon == kb(st, "RssAnon"));
			assert_true(pm.rss_file == kb(st, "RssFile"));
			assert_true(pm.rss_shmem == kb(st, "RssShmem"));
			assert_true(pm.swap == kb(st, "VmSwap"));
			assert_true(pm.pss == 0); /* PSS off: smaps_rollup not read */
			assert_true(pm.pss_denied == 0);

			assert_int_equal(read_cg(&d, true, &pm), 0);
			assert_true(pm.processes == (exited ? 0 : 1));
			assert_true(pm.pss == kb(sm, "Pss"));
			assert_true(pm.rss_anon == kb(st, "RssAnon"));
			assert_true(pm.pss_denied == 0);
			if (!exited)
				assert_true(pm.pss > 0);
			free(st);
			free(sm);
			dirs_close(&d);
		}
	}
	/* One exact value: v2 1-anon64M, Pss 66372 kB. */
	char cg[4096], proc[4096];
	fixture_dirs(cg, proc, sizeof(cg), 2, "1-anon64M");
	struct dirs d;
	dirs_open(&d, cg, proc);
	struct proc_mem pm;
	assert_int_equal(read_cg(&d, true, &pm), 0);
	assert_true(pm.pss == UINT64_C(66372) * 1024);
	assert_true(pm.rss_anon == UINT64_C(65600) * 1024);
	dirs_close(&d);
}

/* A temp cgroup dir holding only cgroup.procs, and a temp procfs. */
struct tmp {
	char cg[512], proc[512];
};

static void tmp_make(struct tmp *t, const char *procs)
{
	make_temp_dir(t->cg, sizeof(t->cg), "pmcg");
	make_temp_dir(t->proc, sizeof(t->proc), "pmproc");
	if (procs) {
		char p[1024];
		snprintf(p, sizeof(p), "%s/cgroup.procs", t->cg);
		write_whole_file(p, procs, strlen(procs));
	}
	/* pid 410 of v2 1-anon64M, as pids 410 and 411. */
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
		 "cp -r '%s/cgroup-v2/1-anon64M/proc/410' '%s/410' && "
		 "cp -r '%s/cgroup-v2/1-anon64M/proc/410' '%s/411'",
		 fixture_dir(), t->proc, fixture_dir(), t->proc);
	assert_int_equal(system(cmd), 0);
}

static void tmp_free(struct tmp *t)
{
	remove_tree(t->cg);
	remove_tree(t->proc);
}

#define ANON_410 (UINT64_C(65600) * 1024)
#define PSS_410 (UINT64_C(66372) * 1024)
static void test_vanished(void **state)
{
	(void)state;
	struct tmp t;
	tmp_make(&t, "410\n999999\n411\n");
	struct dirs d;
	dirs_open(&d, t.cg, t.proc);
	struct proc_mem pm;
	assert_int_equal(read_cg(&d, true, &pm), 0);
	assert_true(pm.processes == 2);
	assert_true(pm.vanished == 1);
	assert_true(pm.rss_anon == 2 * ANON_410);
	assert_true(pm.pss == 2 * PSS_410);
	dirs_close(&d);
	tmp_free(&t);
}

/* A status that is a FIFO (a misconfigured --path.procfs) is never opened
 * blocking: that process is skipped and counted, the others are summed. */
static void test_status_not_regular(void **state)
{
	(void)state;
	struct tmp t;
	tmp_make(&t, "410\n411\n");
	char p[600];
	snprintf(p, sizeof(p), "%s/411/status", t.proc);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	struct dirs d;
	dirs_open(&d, t.cg, t.proc);
	struct proc_mem pm;
	assert_int_equal(read_cg(&d, false, &pm), 0);
	assert_true(pm.processes == 1);
	assert_true(pm.unreadable == 1);
	assert_true(pm.vanished == 0);
	assert_true(pm.rss_anon == ANON_410);
	dirs_close(&d);
	tmp_free(&t);
}

/* A garbage line is reported, the good pids are still summed. */
static void test_garbage_line(void **state)
{
	(void)state;
	struct tmp t;
	tmp_make(&t, "410\nabc\n0\n411\n");
	struct dirs d;
	dirs_open(&d, t.cg, t.proc);
	struct proc_mem pm;
	assert_int_equal(read_cg(&d, false, &pm), -EINVAL);
	assert_true(pm.processes == 2);
	assert_true(pm.vanished == 0);
	assert_true(pm.rss_anon == 2 * ANON_410);
	dirs_close(&d);
	tmp_free(&t);
}

static void test_missing_and_empty_procs(void **state)
{
	(void)state;
	struct tmp t;
	tmp_make(&t, NULL);
	struct dirs d;
	dirs_open(&d, t.cg, t.proc);
	struct proc_mem pm;
	assert_int_equal(read_cg(&d, false, &pm), -ENOENT);
	assert_true(pm.processes == 0);
	dirs_close(&d);
	tmp_free(&t);

	tmp_make(&t, "");
	dirs_open(&d, t.cg, t.proc);
	assert_int_equal(read_cg(&d, true, &pm), 0);
	assert_true(pm.processes == 0 && pm.vanished == 0 && pm.rss_anon == 0 && pm.pss == 0);
	dirs_close(&d);
	tmp_free(&t);
}

/* Reads (with PSS) a cgroup of pids 410 and 411, both copies of pid 410,
 * after pid's smaps_rollup was removed or (unreadable) made mode 000. */
static void read_with_broken_rollup(const char *pid, bool unreadable, struct proc_mem *pm)
{
	struct tmp t;
	tmp_make(&t, "410\n411\n");
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s/smaps_rollup", t.proc, pid);
	assert_int_equal(unreadable ? chmod(p, 0) : unlink(p), 0);
	struct dirs d;
	dirs_open(&d, t.cg, t.proc);
	assert_int_equal(read_cg(&d, true, pm), 0);
	dirs_close(&d);
	tmp_free(&t);
}

/* smaps_rollup gone (exited between the two reads): the process counts,
 * its PSS is 0, nothing is denied. */
static void test_pss_missing(void **state)
{
	(void)state;
	struct proc_mem pm;
	read_with_broken_rollup("411", false, &pm);
	assert_true(pm.processes == 2);
	assert_true(pm.pss == PSS_410);
	assert_true(pm.pss_denied == 0);
	assert_true(pm.rss_anon == 2 * ANON_410);
}

/* smaps_rollup unreadable: the process counts, its PSS is 0 and it is
 * counted in pss_denied. Root reads mode 000 files, so it cannot be made
 * unreadable there: skipped. */
static void test_pss_denied(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip();
	struct proc_mem pm;
	read_with_broken_rollup("410", true, &pm);
	assert_true(pm.processes == 2);
	assert_true(pm.pss == PSS_410);
	assert_true(pm.pss_denied == 1);
	assert_true(pm.rss_anon == 2 * ANON_410);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_fixture_status),
	    cmocka_unit_test(test_readme_proc_rss),
	    cmocka_unit_test(test_kernel_thread_status),
	    cmocka_unit_test(test_malformed_status),
	    cmocka_unit_test(test_read_cgroup_fixture),
	    cmocka_unit_test(test_vanished),
	    cmocka_unit_test(test_status_not_regular),
	    cmocka_unit_test(test_garbage_line),
	    cmocka_unit_test(test_missing_and_empty_procs),
	    cmocka_unit_test(test_pss_missing),
	    cmocka_unit_test(test_pss_denied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
