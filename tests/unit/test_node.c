/* Unit tests of the node collector (src/collectors/node.c): it runs against
 * procfs trees built in a temporary directory from the fixture captures
 * (tests/fixture/cgroup-v{1,2}/3-read-twice/proc) and from hand-written
 * broken files, renders the registry as text 0.0.4 and checks exact sample
 * lines. Expected numbers were computed by hand from the fixture files
 * (kB x 1024). It does not test the parsers on their own (test_parse does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/collectors/collector.h"
#include "memacct/expo/expfmt.h"
#include "memacct/cli/flags.h"
#include "memacct/util/mbuf.h"
#include "memacct_test.h"

/* ---- helpers ---- */

struct tree {
	char dir[512];
};

static void tree_mkdir(const struct tree *t, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", t->dir, name);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void tree_put(const struct tree *t, const char *name, const char *text, size_t len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", t->dir, name);
	write_whole_file(p, text, len);
}

static void tree_puts(const struct tree *t, const char *name, const char *text)
{
	tree_put(t, name, text, strlen(text));
}

static void tree_copy(const struct tree *t, const char *name, const char *fixture_rel)
{
	char src[PATH_MAX];
	size_t len;
	fixture_path(src, sizeof(src), fixture_rel);
	char *text = read_whole_file(src, &len);
	assert_non_null(text);
	tree_put(t, name, text, len);
	free(text);
}

/* A procfs with meminfo, vmstat and (with_psi) pressure/memory of one
 * capture. The fixture stores PSI as proc/pressure_memory. */
static void tree_from_fixture(struct tree *t, const char *capture, bool with_psi)
{
	char rel[PATH_MAX];
	make_temp_dir(t->dir, sizeof(t->dir), "test_node");
	snprintf(rel, sizeof(rel), "%s/proc/meminfo", capture);
	tree_copy(t, "meminfo", rel);
	snprintf(rel, sizeof(rel), "%s/proc/vmstat", capture);
	tree_copy(t, "vmstat", rel);
	if (with_psi) {
		tree_mkdir(t, "pressure");
		snprintf(rel, sizeof(rel), "%s/proc/pressure_memory", capture);
		tree_copy(t, "pressure/memory", rel);
	}
}

/* Runs init/collect/fini on procfs and renders text 0.0.4 into out (which the
 * caller frees). Returns collect()'s result. */
static int run_node(const char *procfs, struct mbuf *out, struct errmsg *e)
{
	char flag[PATH_MAX + 32];
	snprintf(flag, sizeof(flag), "--path.procfs=%s", procfs);
	char argv0[] = "memacct_exporter";
	char *argv[] = {argv0, flag, NULL};
	struct config cfg;
	struct errmsg fe = {{0}};
	assert_int_equal(flags_parse(&cfg, 2, argv, &fe), 0);
	assert_string_equal(cfg.procfs, procfs);
	assert_string_equal(collector_node.name, "node");
	assert_true(collector_node.default_on);
	return collect_text(&collector_node, &cfg, out, e);
}

static void assert_lines(const char *text, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_has_line(text, lines[i]);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	return n;
}

static const char *const v2_meminfo[] = {
    "memacct_node_memory_mem_total_bytes 135148564480",
    "memacct_node_memory_mem_available_bytes 134552485888",
    "memacct_node_memory_cached_bytes 1181843456",
    "memacct_node_memory_active_file_bytes 257204224",
    "memacct_node_memory_inactive_file_bytes 930459648",
    "memacct_node_memory_shmem_bytes 7544832",
    "memacct_node_memory_dirty_bytes 214331392",
    "memacct_node_memory_writeback_bytes 0",
    "memacct_node_memory_anon_pages_bytes 71004160",
    "memacct_node_memory_slab_reclaimable_bytes 18083840",
    "memacct_node_memory_slab_unreclaimable_bytes 41779200",
    "memacct_node_memory_kernel_stack_bytes 3883008",
    "memacct_node_memory_page_tables_bytes 5275648",
    "memacct_node_memory_swap_total_bytes 0",
    "memacct_node_memory_swap_free_bytes 0",
};

static const char *const v2_vmstat[] = {
    "memacct_node_workingset_refault_file_total 0",
    "memacct_node_workingset_refault_anon_total 0",
    "memacct_node_workingset_activate_file_total 0",
    "memacct_node_workingset_activate_anon_total 0",
    "memacct_node_pgscan_total{mode=\"kswapd\"} 0",
    "memacct_node_pgscan_total{mode=\"direct\"} 0",
    "memacct_node_pgsteal_total{mode=\"kswapd\"} 0",
    "memacct_node_pgsteal_total{mode=\"direct\"} 0",
    "memacct_node_pgmajfault_total 398",
};

static const char *const v1_meminfo[] = {
    "memacct_node_memory_mem_total_bytes 25276510208",
    "memacct_node_memory_mem_available_bytes 24881213440",
    "memacct_node_memory_cached_bytes 231247872",
    "memacct_node_memory_active_file_bytes 216305664",
    "memacct_node_memory_inactive_file_bytes 6979584",
    "memacct_node_memory_shmem_bytes 9068544",
    "memacct_node_memory_dirty_bytes 213278720",
    "memacct_node_memory_writeback_bytes 0",
    "memacct_node_memory_anon_pages_bytes 72638464",
    "memacct_node_memory_slab_reclaimable_bytes 55799808",
    "memacct_node_memory_slab_unreclaimable_bytes 22781952",
    "memacct_node_memory_kernel_stack_bytes 1368064",
    "memacct_node_memory_page_tables_bytes 1998848",
    "memacct_node_memory_swap_total_bytes 0",
    "memacct_node_memory_swap_free_bytes 0",
};

static const char *const v1_vmstat[] = {
    "memacct_node_workingset_refault_file_total 17106",
    "memacct_node_workingset_refault_anon_total 0",
    "memacct_node_workingset_activate_file_total 3351",
    "memacct_node_workingset_activate_anon_total 0",
    "memacct_node_pgscan_total{mode=\"kswapd\"} 0",
    "memacct_node_pgscan_total{mode=\"direct\"} 0",
    "memacct_node_pgsteal_total{mode=\"kswapd\"} 0",
    "memacct_node_pgsteal_total{mode=\"direct\"} 0",
    "memacct_node_pgmajfault_total 1057",
};

static const char *const psi_zero[] = {
    "memacct_node_memory_pressure_waiting_seconds_total 0",
    "memacct_node_memory_pressure_stalled_seconds_total 0",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 15 meminfo + 9 vmstat + 2 PSI samples, and HELP+TYPE for 15 + 7 + 2
 * families. */
#define FULL_LINES (15 + 9 + 2 + 2 * (15 + 7 + 2))

/* ---- tests ---- */

static void test_v2_fixture(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	tree_from_fixture(&t, "cgroup-v2/3-read-twice", true);
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_lines(out.data, v2_meminfo, N(v2_meminfo));
	assert_lines(out.data, v2_vmstat, N(v2_vmstat));
	assert_lines(out.data, psi_zero, N(psi_zero));
	assert_has_line(out.data, "# TYPE memacct_node_memory_mem_total_bytes gauge");
	assert_has_line(out.data, "# TYPE memacct_node_memory_pressure_waiting_seconds_total counter");
	assert_has_line(out.data, "# TYPE memacct_node_memory_pressure_stalled_seconds_total counter");
	assert_has_line(out.data, "# TYPE memacct_node_workingset_refault_file_total counter");
	assert_has_line(out.data, "# TYPE memacct_node_workingset_activate_anon_total counter");
	assert_has_line(out.data, "# TYPE memacct_node_pgscan_total counter");
	assert_has_line(out.data, "# TYPE memacct_node_pgmajfault_total counter");
	assert_int_equal(count_lines(out.data), FULL_LINES);
	mbuf_free(&out);
	remove_tree(t.dir);
}

static void test_v1_fixture(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	tree_from_fixture(&t, "cgroup-v1/3-read-twice", true);
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_lines(out.data, v1_meminfo, N(v1_meminfo));
	assert_lines(out.data, v1_vmstat, N(v1_vmstat));
	assert_lines(out.data, psi_zero, N(psi_zero));
	assert_int_equal(count_lines(out.data), FULL_LINES);
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* Kernels without PSI have no /proc/pressure: no series, no failure. */
static void test_no_pressure_dir(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	tree_from_fixture(&t, "cgroup-v2/3-read-twice", false);
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_lines(out.data, v2_meminfo, N(v2_meminfo));
	assert_lines(out.data, v2_vmstat, N(v2_vmstat));
	assert_null(strstr(out.data, "memacct_node_memory_pressure_"));
	assert_int_equal(count_lines(out.data), FULL_LINES - 6);
	mbuf_free(&out);
	remove_tree(t.dir);
}

static void test_psi_values(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	tree_from_fixture(&t, "cgroup-v2/3-read-twice", false);
	tree_mkdir(&t, "pressure");
	tree_puts(&t, "pressure/memory",
		  "some avg10=1.50 avg60=0.20 avg300=0.05 total=1234567\n"
		  "full avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\n");
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_has_line(out.data, "memacct_node_memory_pressure_waiting_seconds_total 1.234567");
	assert_has_line(out.data, "memacct_node_memory_pressure_stalled_seconds_total 2.5");
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* A malformed PSI line drops its own series only; the collector succeeds. */
static void test_psi_malformed_line(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	tree_from_fixture(&t, "cgroup-v2/3-read-twice", false);
	tree_mkdir(&t, "pressure");
	tree_puts(&t, "pressure/memory",
		  "some avg10=0.00 avg60=0.00 avg300=0.00 total=7000000\n"
		  "full avg10=0.00 avg60=0.00 avg300=0.00 total=x\n");
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_has_line(out.data, "memacct_node_memory_pressure_waiting_seconds_total 7");
	assert_null(strstr(out.data, "memacct_node_memory_pressure_stalled_seconds_total"));
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* Truncated lines, non-numeric values and overflows each drop their own
 * field; the rest is exported and the collector succeeds. */
static void test_malformed_fields_skipped(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_puts(&t, "meminfo",
		  "MemTotal:       131981020 kB\n"
		  "MemAvailable:\n"				   /* truncated: no value */
		  "Cached:          \n"				   /* truncated after blanks */
		  "Dirty:            abc kB\n"			   /* non-numeric */
		  "Writeback:        12x kB\n"			   /* trailing junk */
		  "AnonPages:        18446744073709551615 kB\n"	   /* overflows x1024 */
		  "Shmem:            99999999999999999999999 kB\n" /* overflows u64 */
		  "SReclaimable:     18014398509481983 kB\n"	   /* largest that fits */
		  "SUnreclaim:       -5 kB\n"			   /* negative */
		  "KernelStack:      3792 kB\n"
		  "PageTables:       5152"); /* cut at EOF, no kB */
	tree_copy(&t, "vmstat", "cgroup-v2/3-read-twice/proc/vmstat");
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_has_line(out.data, "memacct_node_memory_mem_total_bytes 135148564480");
	assert_has_line(out.data, "memacct_node_memory_slab_reclaimable_bytes 18446744073709550592");
	assert_has_line(out.data, "memacct_node_memory_kernel_stack_bytes 3883008");
	/* Without its kB the kernel's format gives plain bytes. */
	assert_has_line(out.data, "memacct_node_memory_page_tables_bytes 5152");
	static const char *const gone[] = {
	    "mem_available",	  "cached",	"dirty",     "writeback",   "anon_pages",   "shmem",
	    "slab_unreclaimable", "swap_total", "swap_free", "active_file", "inactive_file"};
	for (size_t i = 0; i < N(gone); i++) {
		char name[128];
		snprintf(name, sizeof(name), "memacct_node_memory_%s_bytes", gone[i]);
		if (strstr(out.data, name))
			fail_msg("%s exported from a malformed line:\n%s", name, out.data);
	}
	assert_lines(out.data, v2_vmstat, N(v2_vmstat));
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* Nothing readable in meminfo: the collector fails and says where. */
static void test_meminfo_all_malformed(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_puts(&t, "meminfo", "MemTotal: lots kB\nMemAvailable: 1e9 kB\n");
	tree_copy(&t, "vmstat", "cgroup-v2/3-read-twice/proc/vmstat");
	assert_int_equal(run_node(t.dir, &out, &e), -EINVAL);
	assert_non_null(strstr(e.msg, t.dir));
	assert_non_null(strstr(e.msg, "/meminfo"));
	assert_null(strstr(out.data ? out.data : "", "memacct_node_memory_"));
	mbuf_free(&out);
	remove_tree(t.dir);
}

static void test_meminfo_empty(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_puts(&t, "meminfo", "");
	tree_copy(&t, "vmstat", "cgroup-v2/3-read-twice/proc/vmstat");
	assert_int_equal(run_node(t.dir, &out, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "/meminfo"));
	mbuf_free(&out);
	remove_tree(t.dir);
}

static void test_meminfo_missing(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_copy(&t, "vmstat", "cgroup-v2/3-read-twice/proc/vmstat");
	assert_int_equal(run_node(t.dir, &out, &e), -ENOENT);
	char want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "%s/meminfo", t.dir);
	assert_non_null(strstr(e.msg, want));
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* init() only stores the path: a procfs that does not exist makes collect()
 * fail, not init(). */
static void test_procfs_missing(void **unused)
{
	(void)unused;
	struct mbuf out;
	struct errmsg e = {{0}};
	const char *dir = "/nonexistent/memacct-test-procfs";
	assert_int_equal(run_node(dir, &out, &e), -ENOENT);
	assert_non_null(strstr(e.msg, dir));
	mbuf_free(&out);
}

/* vmstat is always there on Linux: missing it is a failure, but what was
 * read before is still in the registry. */
static void test_vmstat_missing(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_copy(&t, "meminfo", "cgroup-v2/3-read-twice/proc/meminfo");
	assert_int_equal(run_node(t.dir, &out, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/vmstat"));
	assert_lines(out.data, v2_meminfo, N(v2_meminfo));
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* Before Linux 5.9 the workingset counters had no _file/_anon suffix and
 * counted file pages only. */
static void test_vmstat_old_kernel(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_copy(&t, "meminfo", "cgroup-v2/3-read-twice/proc/meminfo");
	tree_puts(&t, "vmstat",
		  "nr_free_pages 100\n"
		  "workingset_refault 41\n"
		  "workingset_activate 42\n"
		  "pgmajfault 43\n"
		  "pgscan_kswapd 44\n"
		  "pgscan_direct 45\n"
		  "pgsteal_kswapd 46\n"
		  "pgsteal_direct 47\n");
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	static const char *const want[] = {
	    "memacct_node_workingset_refault_file_total 41",
	    "memacct_node_workingset_activate_file_total 42",
	    "memacct_node_pgmajfault_total 43",
	    "memacct_node_pgscan_total{mode=\"kswapd\"} 44",
	    "memacct_node_pgscan_total{mode=\"direct\"} 45",
	    "memacct_node_pgsteal_total{mode=\"kswapd\"} 46",
	    "memacct_node_pgsteal_total{mode=\"direct\"} 47",
	};
	assert_lines(out.data, want, N(want));
	assert_null(strstr(out.data, "memacct_node_workingset_refault_anon_total"));
	assert_null(strstr(out.data, "memacct_node_workingset_activate_anon_total"));
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* A vmstat value that overflows drops that counter only. */
static void test_vmstat_overflow(void **unused)
{
	(void)unused;
	struct tree t;
	struct mbuf out;
	struct errmsg e = {{0}};
	make_temp_dir(t.dir, sizeof(t.dir), "test_node");
	tree_copy(&t, "meminfo", "cgroup-v2/3-read-twice/proc/meminfo");
	tree_puts(&t, "vmstat",
		  "pgmajfault 18446744073709551616\n"
		  "workingset_refault_file 18446744073709551615\n");
	assert_int_equal(run_node(t.dir, &out, &e), 0);
	assert_null(strstr(out.data, "pgmajfault"));
	assert_has_line(out.data,
		    "memacct_node_workingset_refault_file_total 18446744073709551615");
	mbuf_free(&out);
	remove_tree(t.dir);
}

/* Several scrapes share one state: collect() must be safe in parallel. */
struct par_arg {
	void *state;
	int failures;
};

static void *par_scrape(void *p)
{
	struct par_arg *a = p;
	for (int i = 0; i < 50; i++) {
		struct registry *reg = registry_new(1 << 20);
		struct errmsg e = {{0}};
		struct mbuf out;
		mbuf_init(&out, 1 << 20);
		if (!reg || collector_node.collect(a->state, NULL, reg, &e) != 0 ||
		    registry_write(reg, &out, EXPFMT_TEXT_004) != 0 ||
		    !has_line(out.data, "memacct_node_pgmajfault_total 1057"))
			a->failures++;
		mbuf_free(&out);
		registry_free(reg);
	}
	return NULL;
}

static void test_parallel_collect(void **unused)
{
	(void)unused;
	struct tree t;
	struct errmsg e = {{0}};
	tree_from_fixture(&t, "cgroup-v1/3-read-twice", true);
	struct config cfg;
	char argv0[] = "memacct_exporter";
	char *argv[] = {argv0, NULL};
	assert_int_equal(flags_parse(&cfg, 1, argv, &e), 0);
	cfg.procfs = t.dir;
	void *state = NULL;
	assert_int_equal(collector_node.init(&(struct collector_env){.cfg = &cfg}, &state, &e), 0);
	pthread_t th[4];
	struct par_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i].state = state;
		args[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, par_scrape, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	collector_node.fini(state);
	remove_tree(t.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_fixture),
	    cmocka_unit_test(test_v1_fixture),
	    cmocka_unit_test(test_no_pressure_dir),
	    cmocka_unit_test(test_psi_values),
	    cmocka_unit_test(test_psi_malformed_line),
	    cmocka_unit_test(test_malformed_fields_skipped),
	    cmocka_unit_test(test_meminfo_all_malformed),
	    cmocka_unit_test(test_meminfo_empty),
	    cmocka_unit_test(test_meminfo_missing),
	    cmocka_unit_test(test_procfs_missing),
	    cmocka_unit_test(test_vmstat_missing),
	    cmocka_unit_test(test_vmstat_old_kernel),
	    cmocka_unit_test(test_vmstat_overflow),
	    cmocka_unit_test(test_parallel_collect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
