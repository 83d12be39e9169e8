/* Unit tests of the self collector (src/collectors/self.c): its process_*
 * values are checked against what this test process measures itself
 * (descriptor count, rlimits, getrusage, the clock), a comm with spaces and
 * ')' in it, and --path.procfs pointing at a fake procfs that must change
 * nothing. It does not test the registry or the writer (test_expfmt does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memacct/collectors/collector.h"
#include "memacct/expo/expfmt.h"
#include "memacct/cli/flags.h"
#include "memacct/util/mbuf.h"
#include "memacct_test.h"

#ifndef MEMACCT_VERSION
#define MEMACCT_VERSION "unknown"
#endif

/* ---- helpers ---- */

/* Runs self's init/collect/fini with cfg into out (text 0.0.4). */
static int run_self(const struct config *cfg, struct mbuf *out, struct errmsg *e)
{
	assert_string_equal(collector_self.name, "self");
	assert_true(collector_self.default_on);
	return collect_text(&collector_self, cfg, out, e);
}

static void default_config(struct config *cfg, const char *procfs)
{
	char flag[PATH_MAX + 32];
	char argv0[] = "memacct_exporter";
	char *argv[] = {argv0, flag, NULL};
	struct errmsg e = {{0}};
	snprintf(flag, sizeof(flag), "--path.procfs=%s", procfs ? procfs : "/proc");
	assert_int_equal(flags_parse(cfg, 2, argv, &e), 0);
	/* cfg borrows argv; keep what the test needs beyond this frame. */
	cfg->procfs = procfs ? procfs : "/proc";
}

/* The value of the sample line "name value" (no labels), as text. */
static const char *sample_text(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && (p = strstr(p, name)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return p + n + 1;
	fail_msg("no sample %s in:\n%s", name, text ? text : "");
	return NULL;
}

static double sample(const char *text, const char *name)
{
	char *end;
	double v = strtod(sample_text(text, name), &end);
	assert_true(*end == '\n');
	return v;
}

/* Asserts that the sample's value is exactly the decimal of want. */
static void assert_sample_u64(const char *text, const char *name, uint64_t want)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", want);
	const char *v = sample_text(text, name);
	if (strncmp(v, buf, strlen(buf)) != 0)
		fail_msg("%s: want %s got %.*s", name, buf, (int)strcspn(v, "\n"), v);
}

/* Open descriptors counted without /proc: every fd below the soft limit
 * that fcntl() knows. */
static uint64_t count_fds(void)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rlim_t max =
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20) ? (1u << 20) : rl.rlim_cur;
	uint64_t n = 0;
	for (rlim_t fd = 0; fd < max; fd++)
		if (fcntl((int)fd, F_GETFD) != -1)
			n++;
	return n;
}

static double now_s(void)
{
	struct timespec ts;
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rusage_cpu_s(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Checks every process_* value against this process. */
static void check_self_values(const char *text)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_sample_u64(text, "process_max_fds", (uint64_t)rl.rlim_cur);
	assert_int_equal(getrlimit(RLIMIT_AS, &rl), 0);
	assert_sample_u64(text, "process_virtual_memory_max_bytes", (uint64_t)rl.rlim_cur);

	assert_sample_u64(text, "process_open_fds", count_fds());

	double start = sample(text, "process_start_time_seconds");
	double now = now_s();
	if (!(start <= now + 1.0 && start > now - 10.0))
		fail_msg("start time %f is not within seconds of now %f", start, now);

	double rss = sample(text, "process_resident_memory_bytes");
	double vsz = sample(text, "process_virtual_memory_bytes");
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	assert_true(rss > 0);
	/* Peak RSS only grows, and was read after the sample. */
	assert_true(rss <= (double)ru.ru_maxrss * 1024.0);
	assert_true(vsz >= rss);
	assert_true(fmod(rss, (double)sysconf(_SC_PAGESIZE)) == 0.0);

	double cpu = sample(text, "process_cpu_seconds_total");
	double ru_cpu = rusage_cpu_s();
	double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
	assert_true(cpu >= 0);
	if (cpu > ru_cpu + 2 * tick || cpu < ru_cpu - 0.25 - 2 * tick)
		fail_msg("cpu seconds %f far from getrusage's %f", cpu, ru_cpu);
}

/* ---- tests ---- */

static void test_values(void **unused)
{
	(void)unused;
	struct config cfg;
	struct mbuf out;
	struct errmsg e = {{0}};
	default_config(&cfg, NULL);
	/* Burn a little CPU so the counter is not trivially 0. */
	volatile double x = 0;
	for (int i = 0; i < 3000000; i++)
		x += i * 0.5;
	assert_int_equal(run_self(&cfg, &out, &e), 0);
	check_self_values(out.data);
	assert_has_line(out.data, "memacct_build_info{version=\"" MEMACCT_VERSION "\"} 1");
	assert_has_line(out.data, "# TYPE memacct_build_info gauge");
	assert_has_line(out.data, "# TYPE process_cpu_seconds_total counter");
	assert_has_line(out.data, "# TYPE process_open_fds gauge");
	assert_has_line(out.data, "# TYPE process_start_time_seconds gauge");
	assert_has_line(out.data,
		    "# HELP process_resident_memory_bytes Resident memory size in bytes.");
	mbuf_free(&out);
}

/* Opening descriptors shows up one for one. */
static void test_open_fds_follow(void **unused)
{
	(void)unused;
	struct config cfg;
	struct mbuf a, b;
	struct errmsg e = {{0}};
	int fds[5];
	default_config(&cfg, NULL);
	assert_int_equal(run_self(&cfg, &a, &e), 0);
	for (int i = 0; i < 5; i++)
		assert_true((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(run_self(&cfg, &b, &e), 0);
	assert_true(sample(b.data, "process_open_fds") == sample(a.data, "process_open_fds") + 5);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	mbuf_free(&a);
	mbuf_free(&b);
}

/* A comm with spaces, parentheses and digits must not shift the fields. */
static void test_tricky_comm(void **unused)
{
	(void)unused;
	char old[17] = {0};
	struct config cfg;
	struct mbuf out;
	struct errmsg e = {{0}};
	assert_int_equal(prctl(PR_GET_NAME, old, 0, 0, 0), 0);
	assert_int_equal(prctl(PR_SET_NAME, ") 1 2 (3) 4 5 ", 0, 0, 0), 0);
	default_config(&cfg, NULL);
	int rc = run_self(&cfg, &out, &e);
	assert_int_equal(prctl(PR_SET_NAME, old, 0, 0, 0), 0);
	assert_int_equal(rc, 0);
	check_self_values(out.data);
	mbuf_free(&out);
}

static void put(const char *dir, const char *name, const char *text, size_t len)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	write_whole_file(p, text, len);
}

/* --path.procfs at a fake procfs (self/stat from a fixture process, a
 * /proc/stat with another boot time) changes none of self's values. */
static void test_procfs_flag_ignored(void **unused)
{
	(void)unused;
	char dir[512], p[PATH_MAX], src[PATH_MAX];
	make_temp_dir(dir, sizeof(dir), "test_self");
	snprintf(p, sizeof(p), "%s/self", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/self/fd", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	fixture_path(src, sizeof(src), "cgroup-v2/3-read-twice/proc/410/stat");
	size_t n = 0;
	char *stat = read_whole_file(src, &n);
	assert_non_null(stat);
	assert_true(n > 0);
	put(dir, "self/stat", stat, n);
	free(stat);
	static const char fake_stat[] = "cpu  1 2 3 4\nbtime 1000\n";
	put(dir, "stat", fake_stat, sizeof(fake_stat) - 1);

	struct config host, fake;
	struct mbuf a, b;
	struct errmsg e = {{0}};
	default_config(&host, NULL);
	default_config(&fake, dir);
	assert_int_equal(run_self(&host, &a, &e), 0);
	assert_int_equal(run_self(&fake, &b, &e), 0);
	check_self_values(b.data);
	/* The fixture process: vsize 68255744, starttime 2367 ticks. */
	assert_null(strstr(b.data, "process_virtual_memory_bytes 68255744\n"));
	assert_true(sample(b.data, "process_start_time_seconds") ==
		    sample(a.data, "process_start_time_seconds"));
	assert_true(sample(b.data, "process_open_fds") == sample(a.data, "process_open_fds"));
	assert_true(sample(b.data, "process_max_fds") == sample(a.data, "process_max_fds"));
	mbuf_free(&a);
	mbuf_free(&b);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_open_fds_follow),
	    cmocka_unit_test(test_tricky_comm),
	    cmocka_unit_test(test_procfs_flag_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
