/* Unit tests of explain (src/explain/): the exact
 * terminal text for the fixture phases that tell page cache from a leak
 * (v2 2-write200M, 3-read-twice, 7-after-exit; v1 3-read-twice,
 * 7-after-exit), target matching (path, container id or prefix, pod UID),
 * human units, --json (parsed back with json-c), --watch on a tree that
 * changes between samples, and the /explain page (bar widths against the
 * numbers, the stream table and its "not configured" and error states,
 * escaping), and a cgroup name with U+202E escaped in all three. Each
 * diagnosis rule is tested in test_explain_diagnose.c. The terminal watch
 * mode in tmux and the page in a browser are tested by tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/explain/explain.h"
#include "memacct/explain/explain_format.h"
#include "memacct/explain/explain_page.h"
#include "memacct/cli/flags.h"
#include "memacct/util/mbuf.h"
#include "memacct_test.h"

#define UID "1f2e3d4c-5b6a-4789-9abc-def012345678"
#define UIDU "1f2e3d4c_5b6a_4789_9abc_def012345678"
#define CID "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
#define V2_CTR                                                                                     \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice/"           \
	"cri-containerd-" CID ".scope"
#define V2_POD "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice"
#define MIB (UINT64_C(1) << 20)

/* ---- helpers ---- */

/* explain_run_samples over a cgroup scope set up from cfg, as main does;
 * a scope that cannot be set up is the run's error. */
static int scoped_run(const struct config *cfg, FILE *f, unsigned samples, struct errmsg *e)
{
	struct cgroup_scope scope;
	int rc = cgroup_scope_init(&scope, cfg, e);
	if (rc)
		return rc;
	rc = explain_run_samples(cfg, &scope, f, samples, e);
	cgroup_scope_fini(&scope);
	return rc;
}

/* Runs explain with argv-style flags (NULL-terminated) after
 * "memacct_exporter explain" and returns what it printed (malloc'd) and its
 * return value. */
static char *run_explain_argv(const char *const *flags, unsigned samples, int *rc, struct errmsg *e)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)(uintptr_t) "memacct_exporter";
	argv[argc++] = (char *)(uintptr_t) "explain";
	for (; *flags && argc < 31; flags++)
		argv[argc++] = (char *)(uintptr_t)*flags;
	argv[argc] = NULL;
	struct config cfg;
	assert_int_equal(flags_parse(&cfg, argc, argv, e), 0);
	assert_int_equal(cfg.mode, MODE_EXPLAIN);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	*rc = scoped_run(&cfg, f, samples, e);
	fclose(f);
	return text;
}

/* explain on a fixture phase ("cgroup-v2/3-read-twice") with extra args. */
static char *run_phase(const char *phase, const char *target, const char *extra, int *rc,
		       struct errmsg *e, char *root, size_t rootlen)
{
	char sys[PATH_MAX + 32], proc[PATH_MAX + 32], base[PATH_MAX];
	fixture_path(base, sizeof(base), phase);
	snprintf(sys, sizeof(sys), "--path.cgroupfs=%s/sys", base);
	snprintf(proc, sizeof(proc), "--path.procfs=%s/proc", base);
	if (root)
		assert_true(snprintf(root, rootlen, "%s/sys", base) < (int)rootlen);
	const char *flags[6] = {sys, proc};
	int n = 2;
	if (target)
		flags[n++] = target;
	if (extra)
		flags[n++] = extra;
	flags[n] = NULL;
	return run_explain_argv(flags, 0, rc, e);
}

/* expected with "@ROOT@" replaced by root (malloc'd). */
static char *with_root(const char *expected, const char *root)
{
	const char *at = strstr(expected, "@ROOT@");
	assert_non_null(at);
	size_t n = strlen(expected) - 6 + strlen(root) + 1;
	char *s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - expected), expected, root, at + 6);
	return s;
}

static void assert_phase_text(const char *phase, const char *expected)
{
	char root[PATH_MAX];
	struct errmsg e = {{0}};
	int rc;
	char *got = run_phase(phase, NULL, NULL, &rc, &e, root, sizeof(root));
	assert_int_equal(rc, 0);
	char *want = with_root(expected, root);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "--- %s: want\n%s--- got\n%s", phase, want, got);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

/* ---- exact text of the fixture phases ----
 * Numbers checked against tests/fixture/README.md: e.g. v2 2-write200M
 * container usage 282849280 B = 269.75 MiB -> "270 MiB", working set
 * 73129984 B = 69.74 MiB, anon 67174400 B = 64.06 MiB, inactive 209719296 B
 * = 200.00 MiB; RSS = RssAnon + RssFile + RssShmem of pid 410
 * (65600 + 776 + 0 kB = 64.8 MiB). In 3-read-twice the 200 MiB moved to
 * the active list: 200 MiB minus the process's 776 kB RssFile = 199 MiB
 * that no process maps. */

/* One string line per output line: */
/* clang-format off */
static const char want_v2_write200M[] =
	"cgroup v2 at @ROOT@: 5 cgroups, largest working set first\n"
	"    USAGE      WSET      ANON     SHMEM    ACTIVE  INACTIVE    KERNEL     OTHER       RSS  PIDS     LIMIT  CGROUP\n"
	"  271 MiB  70.7 MiB  64.1 MiB       0 B       0 B   200 MiB   5.8 MiB   892 KiB  64.8 MiB     1         -  /\n"
	"  -> anon 64.1 MiB is most of the working set 70.7 MiB: the processes' own memory; if it keeps rising, look at the process; usage 271 MiB also holds 200 MiB of inactive page cache, reclaimed first\n"
	"  270 MiB  70.5 MiB  64.1 MiB       0 B       0 B   200 MiB   5.8 MiB   676 KiB  64.8 MiB     1         -  /kubepods.slice\n"
	"  -> anon 64.1 MiB is most of the working set 70.5 MiB: the processes' own memory; if it keeps rising, look at the process; usage 270 MiB also holds 200 MiB of inactive page cache, reclaimed first\n"
	"  270 MiB  70.2 MiB  64.1 MiB       0 B       0 B   200 MiB   5.7 MiB   460 KiB  64.8 MiB     1         -  /kubepods.slice/kubepods-burstable.slice\n"
	"  -> anon 64.1 MiB is most of the working set 70.2 MiB: the processes' own memory; if it keeps rising, look at the process; usage 270 MiB also holds 200 MiB of inactive page cache, reclaimed first\n"
	"  270 MiB    70 MiB  64.1 MiB       0 B       0 B   200 MiB   5.7 MiB   244 KiB  64.8 MiB     1         -  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice\n"
	"  -> anon 64.1 MiB is most of the working set 70 MiB: the processes' own memory; if it keeps rising, look at the process; usage 270 MiB also holds 200 MiB of inactive page cache, reclaimed first\n"
	"  270 MiB  69.7 MiB  64.1 MiB       0 B       0 B   200 MiB   5.7 MiB    28 KiB  64.8 MiB     1   512 MiB  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice/cri-containerd-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c.scope\n"
	"  -> anon 64.1 MiB is most of the working set 69.7 MiB: the processes' own memory; if it keeps rising, look at the process; usage 270 MiB also holds 200 MiB of inactive page cache, reclaimed first\n"
	"USAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - INACTIVE (the kubelet's working set).\n"
	"ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the processes of the cgroup and below.\n";

static const char want_v2_read_twice[] =
	"cgroup v2 at @ROOT@: 5 cgroups, largest working set first\n"
	"    USAGE      WSET      ANON     SHMEM    ACTIVE  INACTIVE    KERNEL     OTHER       RSS  PIDS     LIMIT  CGROUP\n"
	"  271 MiB   271 MiB  64.1 MiB       0 B   200 MiB     4 KiB   5.8 MiB   1.1 MiB  64.9 MiB     1         -  /\n"
	"  -> working set 271 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  271 MiB   271 MiB  64.1 MiB       0 B   200 MiB       0 B   5.8 MiB   880 KiB  64.9 MiB     1         -  /kubepods.slice\n"
	"  -> working set 271 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  270 MiB   270 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   664 KiB  64.9 MiB     1         -  /kubepods.slice/kubepods-burstable.slice\n"
	"  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  270 MiB   270 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   448 KiB  64.9 MiB     1         -  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice\n"
	"  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  270 MiB   270 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   232 KiB  64.9 MiB     1   512 MiB  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice/cri-containerd-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c.scope\n"
	"  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"USAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - INACTIVE (the kubelet's working set).\n"
	"ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the processes of the cgroup and below.\n";

static const char want_v2_after_exit[] =
	"cgroup v2 at @ROOT@: 5 cgroups, largest working set first\n"
	"    USAGE      WSET      ANON     SHMEM    ACTIVE  INACTIVE    KERNEL     OTHER       RSS  PIDS     LIMIT  CGROUP\n"
	"  319 MiB   125 MiB       0 B    16 MiB   105 MiB   195 MiB   2.5 MiB   980 KiB       0 B     0         -  /\n"
	"  -> no process: working set 125 MiB is 105 MiB active page cache (reclaimable) and 16 MiB shmem (kept until its tmpfs or /dev/shm files are deleted) left charged by processes that exited, not a leak in a running one\n"
	"  319 MiB   124 MiB       0 B    16 MiB   105 MiB   195 MiB   2.5 MiB   764 KiB       0 B     0         -  /kubepods.slice\n"
	"  -> no process: working set 124 MiB is 105 MiB active page cache (reclaimable) and 16 MiB shmem (kept until its tmpfs or /dev/shm files are deleted) left charged by processes that exited, not a leak in a running one\n"
	"  319 MiB   124 MiB       0 B    16 MiB   105 MiB   195 MiB   2.5 MiB   548 KiB       0 B     0         -  /kubepods.slice/kubepods-burstable.slice\n"
	"  -> no process: working set 124 MiB is 105 MiB active page cache (reclaimable) and 16 MiB shmem (kept until its tmpfs or /dev/shm files are deleted) left charged by processes that exited, not a leak in a running one\n"
	"  319 MiB   124 MiB       0 B    16 MiB   105 MiB   195 MiB   2.4 MiB   332 KiB       0 B     0         -  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice\n"
	"  -> no process: working set 124 MiB is 105 MiB active page cache (reclaimable) and 16 MiB shmem (kept until its tmpfs or /dev/shm files are deleted) left charged by processes that exited, not a leak in a running one\n"
	"  318 MiB   124 MiB       0 B    16 MiB   105 MiB   195 MiB   2.4 MiB   116 KiB       0 B     0   512 MiB  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice/cri-containerd-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c.scope\n"
	"  -> no process: working set 124 MiB is 105 MiB active page cache (reclaimable) and 16 MiB shmem (kept until its tmpfs or /dev/shm files are deleted) left charged by processes that exited, not a leak in a running one\n"
	"USAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - INACTIVE (the kubelet's working set).\n"
	"ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the processes of the cgroup and below.\n";

static const char want_v1_read_twice[] =
	"cgroup v1 at @ROOT@: 5 cgroups, largest working set first\n"
	"    USAGE      WSET      ANON     SHMEM    ACTIVE  INACTIVE    KERNEL     OTHER       RSS  PIDS     LIMIT  CGROUP\n"
	"  271 MiB   271 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   1.2 MiB  64.9 MiB     1         -  /\n"
	"  -> working set 271 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  271 MiB   271 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   968 KiB  64.9 MiB     1         -  /kubepods\n"
	"  -> working set 271 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  270 MiB   270 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   724 KiB  64.9 MiB     1         -  /kubepods/burstable\n"
	"  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  270 MiB   270 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   480 KiB  64.9 MiB     1         -  /kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678\n"
	"  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"  270 MiB   270 MiB  64.1 MiB       0 B   200 MiB       0 B   5.7 MiB   236 KiB  64.9 MiB     1   512 MiB  /kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678/3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c\n"
	"  -> working set 270 MiB, 199 MiB of it active page cache that no process maps: reclaimable, not a leak\n"
	"USAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - INACTIVE (the kubelet's working set).\n"
	"ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the processes of the cgroup and below.\n";

static const char want_v1_after_exit[] =
	"cgroup v1 at @ROOT@: 5 cgroups, largest working set first\n"
	"    USAGE      WSET      ANON     SHMEM    ACTIVE  INACTIVE    KERNEL     OTHER       RSS  PIDS     LIMIT  CGROUP\n"
	"  446 MiB   418 MiB       0 B    16 MiB   398 MiB    28 MiB   2.9 MiB   1.2 MiB       0 B     0         -  /\n"
	"  -> no process: working set 418 MiB is 398 MiB active page cache (reclaimable) left charged by processes that exited, not a leak in a running one\n"
	"  446 MiB   418 MiB       0 B    16 MiB   398 MiB    28 MiB   2.9 MiB     1 MiB       0 B     0         -  /kubepods\n"
	"  -> no process: working set 418 MiB is 398 MiB active page cache (reclaimable) left charged by processes that exited, not a leak in a running one\n"
	"  446 MiB   418 MiB       0 B    16 MiB   398 MiB    28 MiB   2.8 MiB   784 KiB       0 B     0         -  /kubepods/burstable\n"
	"  -> no process: working set 418 MiB is 398 MiB active page cache (reclaimable) left charged by processes that exited, not a leak in a running one\n"
	"  445 MiB   417 MiB       0 B    16 MiB   398 MiB    28 MiB   2.8 MiB   540 KiB       0 B     0         -  /kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678\n"
	"  -> no process: working set 417 MiB is 398 MiB active page cache (reclaimable) left charged by processes that exited, not a leak in a running one\n"
	"  445 MiB   417 MiB       0 B    16 MiB   398 MiB    28 MiB   2.8 MiB   296 KiB       0 B     0   512 MiB  /kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678/3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c\n"
	"  -> no process: working set 417 MiB is 398 MiB active page cache (reclaimable) left charged by processes that exited, not a leak in a running one\n"
	"USAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - INACTIVE (the kubelet's working set).\n"
	"ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the processes of the cgroup and below.\n";
/* clang-format on */

static void test_fixture_v2_write200M(void **state)
{
	(void)state;
	assert_phase_text("cgroup-v2/2-write200M", want_v2_write200M);
}

static void test_fixture_v2_read_twice(void **state)
{
	(void)state;
	assert_phase_text("cgroup-v2/3-read-twice", want_v2_read_twice);
}

static void test_fixture_v2_after_exit(void **state)
{
	(void)state;
	assert_phase_text("cgroup-v2/7-after-exit", want_v2_after_exit);
}

static void test_fixture_v1_read_twice(void **state)
{
	(void)state;
	assert_phase_text("cgroup-v1/3-read-twice", want_v1_read_twice);
}

static void test_fixture_v1_after_exit(void **state)
{
	(void)state;
	assert_phase_text("cgroup-v1/7-after-exit", want_v1_after_exit);
}

/* ---- targets ---- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void assert_target(const char *phase, const char *target, size_t rows,
			  const char *first_path)
{
	struct errmsg e = {{0}};
	int rc;
	char *got = run_phase(phase, target, NULL, &rc, &e, NULL, 0);
	if (rc)
		fprintf(stderr, "target %s: %s\n", target, e.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(count(got, "\n  -> "), rows);
	char line[64];
	snprintf(line, sizeof(line), ": %zu cgroup%s matching ", rows, rows == 1 ? "" : "s");
	assert_non_null(strstr(got, line));
	/* The first row (the largest working set) ends with its path. */
	const char *row = strchr(strchr(got, '\n') + 1, '\n') + 1;
	const char *eol = strchr(row, '\n');
	size_t pl = strlen(first_path);
	assert_true((size_t)(eol - row) > pl);
	assert_memory_equal(eol - pl, first_path, pl);
	free(got);
}

static void assert_target_fails(const char *phase, const char *target, int want_rc,
				const char *msg_part)
{
	struct errmsg e = {{0}};
	int rc;
	char *got = run_phase(phase, target, NULL, &rc, &e, NULL, 0);
	assert_int_equal(rc, want_rc);
	assert_string_equal(got, ""); /* nothing printed: the caller prints e */
	assert_non_null(strstr(e.msg, msg_part));
	free(got);
}

static void test_targets(void **state)
{
	(void)state;
	char root[PATH_MAX], abs[PATH_MAX + 64];
	const char *v2 = "cgroup-v2/3-read-twice", *v1 = "cgroup-v1/3-read-twice";
	/* Container id: whole, a 12-digit prefix, any case. */
	assert_target(v2, CID, 1, V2_CTR);
	assert_target(v2, "3b1e0c8a9f7d", 1, V2_CTR);
	assert_target(v2, "3B1E0C8A9F7D6E5C", 1, V2_CTR);
	assert_target(v1, CID, 1, "/kubepods/burstable/pod" UID "/" CID);
	/* Pod UID, with dashes or underscores: the pod and its container. */
	assert_target(v2, UID, 2, V2_POD);
	assert_target(v2, UIDU, 2, V2_POD);
	assert_target(v1, UID, 2, "/kubepods/burstable/pod" UID);
	/* A path: exact, without the leading slash, with a trailing one, or
	 * with the cgroupfs root in front. */
	assert_target(v2, "/kubepods.slice", 1, "/kubepods.slice");
	assert_target(v2, "kubepods.slice/", 1, "/kubepods.slice");
	assert_target(v2, "/", 1, "/");
	assert_target(v1, "/kubepods/burstable", 1, "/kubepods/burstable");
	fixture_path(root, sizeof(root), v2);
	assert_true(snprintf(abs, sizeof(abs), "%s/sys%s", root, V2_POD) < (int)sizeof(abs));
	assert_target(v2, abs, 1, V2_POD);

	assert_target_fails(v2, "/kubepods.slice/nope", -ENOENT, "no cgroup matches");
	assert_target_fails(v2, "3b1e0c8a9f7", -EINVAL, "at least 12");
	assert_target_fails(v2, "aaaaaaaaaaaa", -ENOENT, "no cgroup matches \"aaaaaaaaaaaa\"");
	assert_target_fails(v2, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", -ENOENT,
			    "no cgroup matches");
}

/* ---- a synthetic v2 tree, for what the captures do not show ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void write_file(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p));
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

struct fake_cg {
	const char *rel; /* "" for the root */
	uint64_t anon, shmem, active, inactive, kernel;
	const char *max, *high; /* NULL: "max" */
	const char *procs;	/* "" or "123\n" */
};

static void write_cg(const char *base, const struct fake_cg *c)
{
	char dir[PATH_MAX], buf[512];
	snprintf(dir, sizeof(dir), "%s/sys%s", base, c->rel);
	mkdir(dir, 0755);
	uint64_t usage = c->anon + c->shmem + c->active + c->inactive + c->kernel;
	snprintf(buf, sizeof(buf),
		 "anon %" PRIu64 "\nfile %" PRIu64 "\nkernel %" PRIu64 "\nshmem %" PRIu64
		 "\nactive_file %" PRIu64 "\ninactive_file %" PRIu64 "\n",
		 c->anon, c->shmem + c->active + c->inactive, c->kernel, c->shmem, c->active,
		 c->inactive);
	write_file(dir, "memory.stat", buf);
	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", usage);
	write_file(dir, "memory.current", buf);
	snprintf(buf, sizeof(buf), "%s\n", c->max ? c->max : "max");
	write_file(dir, "memory.max", buf);
	snprintf(buf, sizeof(buf), "%s\n", c->high ? c->high : "max");
	write_file(dir, "memory.high", buf);
	write_file(dir, "cgroup.procs", c->procs);
	write_file(dir, "cgroup.controllers", "memory\n");
}

static void write_proc(const char *base, int pid, uint64_t anon_kb, uint64_t file_kb)
{
	char dir[PATH_MAX], buf[256];
	snprintf(dir, sizeof(dir), "%s/proc/%d", base, pid);
	mkdir(dir, 0755);
	snprintf(buf, sizeof(buf),
		 "Name:\tfake\nVmRSS:\t%" PRIu64 " kB\nRssAnon:\t%" PRIu64 " kB\nRssFile:\t%" PRIu64
		 " kB\nRssShmem:\t0 kB\nVmSwap:\t0 kB\n",
		 anon_kb + file_kb, anon_kb, file_kb);
	write_file(dir, "status", buf);
}

#define CTR_A "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
#define CTR_B "aaaaaaaaaaaa2222222222222222222222222222222222222222222222222222"
#define POD_S "/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d.slice"

/* Root, a pod with two containers (their ids share 12 digits): A leaks
 * (anon near its limit), B is idle; plus /shm.slice holding shmem with no
 * process and /kernel.slice mostly kernel memory. */
static void make_tree(char *base, size_t n)
{
	snprintf(base, n, "/tmp/test_explain.XXXXXX");
	assert_non_null(mkdtemp(base));
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/sys", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/proc", base);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys/kubepods.slice", base);
	mkdir(p, 0755);
	const struct fake_cg cgs[] = {
	    {"", 500 * MIB, 64 * MIB, 100 * MIB, 50 * MIB, 20 * MIB, NULL, NULL, ""},
	    {"/kubepods.slice", 470 * MIB, 0, 10 * MIB, 10 * MIB, 10 * MIB, NULL, NULL, ""},
	    {POD_S, 470 * MIB, 0, 10 * MIB, 10 * MIB, 10 * MIB, NULL, NULL, ""},
	    {POD_S "/cri-containerd-" CTR_A ".scope", 460 * MIB, 0, 4 * MIB, 2 * MIB, 8 * MIB,
	     "524288000", NULL, "101\n"},
	    {POD_S "/cri-containerd-" CTR_B ".scope", 10 * MIB, 0, 6 * MIB, 8 * MIB, 2 * MIB, NULL,
	     NULL, "102\n103\n"},
	    {"/shm.slice", 0, 64 * MIB, 1 * MIB, 0, 1 * MIB, NULL, NULL, ""},
	    {"/kernel.slice", 1 * MIB, 0, 1 * MIB, 0, 30 * MIB, NULL, NULL, "104\n"},
	};
	for (size_t i = 0; i < sizeof(cgs) / sizeof(cgs[0]); i++)
		write_cg(base, &cgs[i]);
	write_proc(base, 101, 460 * 1024, 2 * 1024);
	write_proc(base, 102, 4 * 1024, 1024);
	write_proc(base, 103, 4 * 1024, 1024);
	write_proc(base, 104, 1024, 0);
}

static char *run_tree(const char *base, const char *target, const char *extra, unsigned samples,
		      int *rc, struct errmsg *e)
{
	char sys[PATH_MAX + 32], proc[PATH_MAX + 32];
	snprintf(sys, sizeof(sys), "--path.cgroupfs=%s/sys", base);
	snprintf(proc, sizeof(proc), "--path.procfs=%s/proc", base);
	const char *flags[6] = {sys, proc};
	int n = 2;
	if (target)
		flags[n++] = target;
	if (extra)
		flags[n++] = extra;
	flags[n] = NULL;
	return run_explain_argv(flags, samples, rc, e);
}

static void test_tree_rules_and_sums(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	struct errmsg e = {{0}};
	int rc;
	char *got = run_tree(base, NULL, NULL, 0, &rc, &e);
	assert_int_equal(rc, 0);
	/* The leaking container: 96% of its 500 MiB limit, nearly all anon. */
	assert_non_null(strstr(got, "  -> usage 474 MiB is 94% of the limit (500 MiB) and 460 MiB "
				    "of it is anon, which reclaim cannot free: an OOM kill is "
				    "near, look at the process\n"));
	/* Shmem with no process. */
	assert_non_null(strstr(got, "  -> no process: working set 66 MiB is 64 MiB shmem (kept "
				    "until its tmpfs or /dev/shm files are deleted) left charged "
				    "by processes that exited, not a leak in a running one\n"));
	/* Kernel memory. */
	assert_non_null(strstr(got, "  -> kernel memory 30 MiB is most of the working set 32 MiB"));
	/* The pod has no process of its own: RSS and PIDS are its containers'
	 * (462 + 5 + 5 MiB, 3 processes), so it is not "no process". */
	assert_non_null(strstr(got, "  472 MiB     3         -  " POD_S "\n"));
	/* The root sums everything: 4 processes. */
	assert_non_null(strstr(got, "     4         -  /\n"));
	free(got);

	/* A 12-digit prefix both containers share is ambiguous; 13 is not. */
	got = run_tree(base, "aaaaaaaaaaaa", NULL, 0, &rc, &e);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(e.msg, "ambiguous"));
	free(got);
	got = run_tree(base, "aaaaaaaaaaaa2", NULL, 0, &rc, &e);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(got, "1 cgroup matching aaaaaaaaaaaa2,"));
	assert_non_null(strstr(got, CTR_B ".scope\n"));
	free(got);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- units and escaping ---- */

static void test_human_units(void **state)
{
	(void)state;
	static const struct {
		uint64_t v;
		const char *want;
	} cases[] = {
	    {0, "0 B"},
	    {1, "1 B"},
	    {1023, "1023 B"},
	    {1024, "1 KiB"},
	    {1536, "1.5 KiB"},
	    {4096, "4 KiB"},
	    {102348, "99.9 KiB"},
	    {102350, "100 KiB"},
	    {28672, "28 KiB"},
	    {67174400, "64.1 MiB"},
	    {73129984, "69.7 MiB"},
	    {209719296, "200 MiB"},
	    {282849280, "270 MiB"},
	    {536870912, "512 MiB"},
	    {1073689395, "1 GiB"}, /* 1023.95 MiB rounds up to the next unit */
	    {1073741824, "1 GiB"},
	    {UINT64_C(1610612736), "1.5 GiB"},
	    {UINT64_C(5) << 40, "5 TiB"},
	    {UINT64_MAX, "16 EiB"},
	};
	char buf[24];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(explain_human_bytes(buf, sizeof(buf), cases[i].v),
				    cases[i].want);
	assert_string_equal(explain_human_delta(buf, sizeof(buf), 5, 5), "0");
	assert_string_equal(explain_human_delta(buf, sizeof(buf), 300 * MIB, 100 * MIB),
			    "+200 MiB");
	assert_string_equal(explain_human_delta(buf, sizeof(buf), 0, 4096), "-4 KiB");
	assert_string_equal(explain_human_delta(buf, sizeof(buf), UINT64_MAX, 0), "+16 EiB");
	/* Truncation never overruns. */
	char tiny[4];
	explain_human_bytes(tiny, sizeof(tiny), 67174400);
	assert_string_equal(tiny, "64.");
}

/* ---- --json ---- */

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_json_output(void **state)
{
	(void)state;
	struct errmsg e = {{0}};
	int rc;
	char *got = run_phase("cgroup-v2/3-read-twice", NULL, "--json", &rc, &e, NULL, 0);
	assert_int_equal(rc, 0);
	assert_int_equal(count(got, "\n"), 1);
	json_object *o = json_tokener_parse(got);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(get(o, "cgroup_version")), 2);
	json_object *cgs = get(o, "cgroups");
	assert_int_equal(json_object_array_length(cgs), 5);
	json_object *c = NULL;
	for (size_t i = 0; i < 5; i++) {
		json_object *x = json_object_array_get_idx(cgs, i);
		if (strcmp(json_object_get_string(get(x, "cgroup")), V2_CTR) == 0)
			c = x;
	}
	assert_non_null(c);
	assert_string_equal(json_object_get_string(get(c, "container_id")), CID);
	assert_string_equal(json_object_get_string(get(c, "uid")), UID);
	assert_string_equal(json_object_get_string(get(c, "qos")), "burstable");
	assert_string_equal(json_object_get_string(get(c, "runtime")), "containerd");
	uint64_t usage = json_object_get_uint64(get(c, "usage_bytes"));
	assert_int_equal(usage, 283111424);
	assert_int_equal(json_object_get_uint64(get(c, "working_set_bytes")), 283111424);
	assert_int_equal(json_object_get_uint64(get(c, "limit_bytes")), 536870912);
	assert_int_equal(json_object_get_uint64(get(c, "high_bytes")), 402653184);
	json_object *comp = get(c, "components");
	uint64_t sum = 0;
	static const char *const names[] = {"anon",	     "shmem",  "file_active",
					    "file_inactive", "kernel", "other"};
	for (size_t i = 0; i < 6; i++)
		sum += json_object_get_uint64(get(comp, names[i]));
	assert_int_equal(sum, usage);
	assert_int_equal(json_object_get_uint64(get(comp, "file_active")), 209719296);
	assert_int_equal(json_object_get_int(get(c, "processes")), 1);
	assert_int_equal(json_object_get_uint64(get(get(c, "process_rss_bytes"), "file")),
			 776 * 1024);
	json_object *d = get(c, "diagnosis");
	assert_string_equal(json_object_get_string(get(d, "rule")), "page_cache");
	assert_string_equal(json_object_get_string(get(d, "severity")), "ok");
	assert_string_equal(json_object_get_string(get(d, "text")),
			    "working set 270 MiB, 199 MiB of it active page cache that no process "
			    "maps: reclaimable, not a leak");
	/* Not watching: no change. */
	assert_false(json_object_object_get_ex(c, "change", NULL));
	json_object_put(o);
	free(got);

	/* v1 after exit: null limit on the parents, processes 0. */
	got = run_phase("cgroup-v1/7-after-exit", "/kubepods", "--json", &rc, &e, NULL, 0);
	assert_int_equal(rc, 0);
	o = json_tokener_parse(got);
	assert_non_null(o);
	c = json_object_array_get_idx(get(o, "cgroups"), 0);
	assert_true(json_object_is_type(get(c, "limit_bytes"), json_type_null));
	assert_int_equal(json_object_get_int(get(c, "processes")), 0);
	assert_string_equal(json_object_get_string(get(get(c, "diagnosis"), "rule")), "no_process");
	json_object_put(o);
	free(got);
}

/* ---- --watch on a tree that changes between samples ---- */

struct watcher {
	int fd; /* read end of the pipe explain writes to */
	const char *base;
	char out[1 << 16];
	size_t len;
};

/* Reads what explain prints; after the first sample, the leaking
 * container's limit is raised to 1 GiB (someone stopping the OOM kills) and
 * it gains 100 MiB of anon, so the second sample shows it rising. */
static void *watch_reader(void *arg)
{
	struct watcher *w = arg;
	bool changed = false;
	for (;;) {
		ssize_t n = read(w->fd, w->out + w->len, sizeof(w->out) - 1 - w->len);
		if (n <= 0)
			break;
		w->len += (size_t)n;
		w->out[w->len] = '\0';
		if (!changed && (strstr(w->out, "and below.") || strstr(w->out, "}]}\n"))) {
			struct fake_cg a = {POD_S "/cri-containerd-" CTR_A ".scope",
					    560 * MIB,
					    0,
					    4 * MIB,
					    2 * MIB,
					    8 * MIB,
					    "1073741824",
					    NULL,
					    "101\n"};
			write_cg(w->base, &a);
			write_proc(w->base, 101, 560 * 1024, 2 * 1024);
			changed = true;
		}
	}
	return NULL;
}

static char *watch_two_samples(const char *base, bool json)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct watcher *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->fd = p[0];
	w->base = base;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, watch_reader, w), 0);
	char sys[PATH_MAX + 32], proc[PATH_MAX + 32];
	snprintf(sys, sizeof(sys), "--path.cgroupfs=%s/sys", base);
	snprintf(proc, sizeof(proc), "--path.procfs=%s/proc", base);
	char *argv[] = {(char *)(uintptr_t) "memacct_exporter",
			(char *)(uintptr_t) "explain",
			sys,
			proc,
			(char *)(uintptr_t) "aaaaaaaaaaaa1",
			(char *)(uintptr_t) "--watch=1",
			(char *)(uintptr_t)(json ? "--json" : "--watch=1"),
			NULL};
	struct config cfg;
	struct errmsg e = {{0}};
	assert_int_equal(flags_parse(&cfg, 7, argv, &e), 0);
	FILE *f = fdopen(p[1], "w");
	assert_non_null(f);
	assert_int_equal(scoped_run(&cfg, f, 2, &e), 0);
	fclose(f);
	pthread_join(th, NULL);
	close(p[0]);
	char *out = strdup(w->out);
	free(w);
	return out;
}

static void test_watch(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	char *got = watch_two_samples(base, false);
	if (getenv("EXPLAIN_TEST_DEBUG"))
		fputs(got, stderr);
	/* Two samples, no colours (not a terminal), the change on the second. */
	assert_null(strchr(got, '\033'));
	assert_non_null(strstr(got, "memacct_exporter explain --watch 1s: sample 1, change since "
				    "the first sample ("));
	const char *s2 = strstr(got, "memacct_exporter explain --watch 1s: sample 2,");
	assert_non_null(s2);
	assert_non_null(strstr(s2, "s ago). Ctrl-C stops.\n"));
	/* sample 1: every change is 0 */
	assert_non_null(strstr(got,
			       "        0         0         0         0         0         0  "
			       "       0         0         0     0            change since the "
			       "first sample\n"));
	/* sample 2: usage, working set, anon and RSS grew by 100 MiB */
	assert_non_null(strstr(s2, " +100 MiB  +100 MiB  +100 MiB         0         0         0  "
				   "       0         0  +100 MiB     0            change since the "
				   "first sample\n"));
	assert_non_null(strstr(s2, "   1 GiB  /kubepods.slice/"));
	assert_non_null(strstr(s2, "  -> anon 560 MiB and rising (+100 MiB since the first sample) "
				   "is most of the working set 572 MiB: look at the process\n"));
	/* ... where the first sample said the limit was near. */
	assert_non_null(strstr(got,
			       "  -> usage 474 MiB is 94% of the limit (500 MiB) and 460 MiB "
			       "of it is anon, which reclaim cannot free: an OOM kill is near, "
			       "look at the process\n"));
	free(got);

	/* --json: one object per sample, with the change. */
	make_tree(base, sizeof(base));
	got = watch_two_samples(base, true);
	assert_int_equal(count(got, "\n"), 2);
	char *second = strchr(got, '\n') + 1;
	json_object *o = json_tokener_parse(second);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(get(o, "sample")), 2);
	json_object *c = json_object_array_get_idx(get(o, "cgroups"), 0);
	json_object *ch = get(c, "change");
	assert_int_equal(json_object_get_int64(get(get(ch, "components"), "anon")), 100 * MIB);
	assert_int_equal(json_object_get_int64(get(ch, "process_rss_bytes")), 100 * MIB);
	assert_string_equal(json_object_get_string(get(get(c, "diagnosis"), "rule")), "anon");
	assert_string_equal(json_object_get_string(get(get(c, "diagnosis"), "severity")), "act");
	json_object_put(o);
	free(got);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the /explain page ---- */

/* The bar of the row for path: checks each segment's width is its bytes
 * over the bar's scale, and returns the scale. */
static uint64_t check_bar(const char *html, const char *path, size_t want_segments)
{
	char key[PATH_MAX];
	snprintf(key, sizeof(key), "data-cgroup=\"%s\"", path);
	const char *row = strstr(html, key);
	assert_non_null(row);
	const char *end = strstr(row, "</tr>");
	const char *bar = strstr(row, "data-scale=\"");
	assert_true(bar && bar < end);
	uint64_t scale = strtoull(bar + 12, NULL, 10);
	assert_true(scale > 0);
	size_t segs = 0;
	uint64_t sum = 0;
	for (const char *s = bar; (s = strstr(s, "class=\"seg ")) != NULL && s < end; s++) {
		const char *db = strstr(s, "data-bytes=\"");
		const char *w = strstr(s, "style=\"width:");
		uint64_t bytes = strtoull(db + 12, NULL, 10);
		double width = strtod(w + 13, NULL);
		assert_float_equal(width, 100.0 * (double)bytes / (double)scale, 0.0001);
		sum += bytes;
		segs++;
	}
	assert_int_equal(segs, want_segments);
	assert_true(sum <= scale);
	return scale;
}

/* The /explain page of the tree at base (base/sys, base/proc). */
static char *render_page_at(const char *base, const struct explain_sources *src, int *rc)
{
	char sys[PATH_MAX + 32], proc[PATH_MAX + 32];
	snprintf(sys, sizeof(sys), "--path.cgroupfs=%s/sys", base);
	snprintf(proc, sizeof(proc), "--path.procfs=%s/proc", base);
	char *argv[] = {(char *)(uintptr_t) "memacct_exporter", sys, proc, NULL};
	struct config cfg;
	struct errmsg e = {{0}};
	assert_int_equal(flags_parse(&cfg, 3, argv, &e), 0);
	struct mbuf b;
	mbuf_init(&b, 16 << 20);
	struct cgroup_scope scope;
	*rc = cgroup_scope_init(&scope, &cfg, &e);
	if (*rc == 0) {
		*rc = explain_html(&cfg, &scope, src, &b, &e);
		cgroup_scope_fini(&scope);
	}
	size_t len;
	char *s = mbuf_detach(&b, &len);
	mbuf_free(&b);
	return s;
}

static char *render_page(const char *phase, const struct explain_sources *src, int *rc)
{
	char base[PATH_MAX];
	fixture_path(base, sizeof(base), phase);
	return render_page_at(base, src, rc);
}

static void test_page_cgroups(void **state)
{
	(void)state;
	int rc;
	char *html = render_page("cgroup-v2/6-over-high", NULL, &rc);
	assert_int_equal(rc, 0);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "</body></html>\n"));
	/* No scripts, no external assets. */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_non_null(strstr(html, "<meta http-equiv=\"refresh\" content=\"10\">"));
	assert_non_null(strstr(html, "<a href=\"./\">home</a> &middot; <a href=\"metrics\">"));
	/* The container's bar is against its 512 MiB limit, the pod's (no
	 * limit) against its usage. */
	assert_int_equal(check_bar(html, V2_CTR, 6), 536870912);
	assert_int_equal(check_bar(html, V2_POD, 6), 402817024);
	assert_non_null(strstr(html, "data-component=\"anon\" data-bytes=\"68276224\" "
				     "style=\"width:12.7174%\""));
	/* memory.high (384 MiB of 512) is marked at 75%. */
	assert_non_null(strstr(html, "class=\"mark high\" data-bytes=\"402653184\" "
				     "style=\"left:75.0000%\""));
	assert_non_null(strstr(html, "data-rule=\"near_limit_cache\""));
	assert_non_null(strstr(html, "usage 384 MiB is 99% of memory.high (384 MiB), but 299 MiB "
				     "of it is page cache no process maps, which reclaim frees "
				     "first: not a leak"));
	assert_non_null(strstr(html, "id=\"jetstream-none\">JetStream not configured"));
	assert_int_equal(count(html, "<tr class=\"sev-"), 5);
	free(html);
}

static int fake_streams(void *arg, struct explain_stream_sink *sink)
{
	(void)arg;
	char name[32];
	struct explain_stream a = {.name = "ORDERS",
				   .account = "APP",
				   .storage = "file",
				   .bytes = UINT64_C(5) << 30,
				   .messages = 123456,
				   .has_oldest = true,
				   .oldest_age_s = 3 * 86400 + 7200,
				   .unbounded = true};
	struct explain_stream b = {.name = "<script>alert(1)</script>",
				   .storage = "memory",
				   .bytes = 12 * MIB,
				   .messages = 42,
				   .has_oldest = true,
				   .oldest_age_s = 65,
				   .max_bytes = UINT64_C(1) << 30,
				   .max_messages = 1000,
				   .max_age_s = 86400,
				   .consumers = 2,
				   .max_pending = 17,
				   .ack_pending = 5};
	struct explain_stream c = {.name = name, .storage = "file"};
	assert_int_equal(explain_stream_add(sink, &b), 0);
	assert_int_equal(explain_stream_add(sink, &a), 0);
	snprintf(name, sizeof(name), "EMPTY");
	assert_int_equal(explain_stream_add(sink, &c), 0);
	snprintf(name, sizeof(name), "clobbered"); /* the sink copied it */
	explain_stream_status(sink, true, 4.2, NULL);
	return 0;
}

static int failing_streams(void *arg, struct explain_stream_sink *sink)
{
	(void)arg;
	explain_stream_status(sink, false, -1, "authorization violation");
	return -EIO;
}

static void test_page_streams(void **state)
{
	(void)state;
	int rc;
	struct explain_sources src = {.streams = fake_streams};
	char *html = render_page("cgroup-v1/3-read-twice", &src, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(html, "JetStream not configured"));
	assert_non_null(strstr(html, "poller up, last successful poll 4s ago"));
	assert_non_null(strstr(html, "3 streams, 1 unbounded"));
	/* Largest first; the unbounded one marked; escaping. */
	const char *orders = strstr(html, "<tr data-stream=\"ORDERS\" data-bytes=\"5368709120\" "
					  "class=\"unbounded\">");
	const char *script =
	    strstr(html, "<tr data-stream=\"&lt;script&gt;alert(1)&lt;/script&gt;\"");
	const char *empty = strstr(html, "<tr data-stream=\"EMPTY\"");
	assert_non_null(orders);
	assert_non_null(script);
	assert_non_null(empty);
	assert_true(orders < script && script < empty);
	assert_null(strstr(html, "<script>"));
	assert_null(strstr(html, "clobbered"));
	assert_non_null(strstr(orders, "<td class=\"num\">5 GiB</td><td class=\"num\">123456</td>"
				       "<td class=\"num\">3d 2h</td><td>none</td><td>none</td><td><span "
				       "class=\"badge\">unbounded</span></td>"));
	assert_non_null(strstr(script,
			       "<td class=\"num\">12 MiB</td><td class=\"num\">42</td>"
			       "<td class=\"num\">1m 5s</td><td>1 GiB, 1000 msgs, 1d 0h</td>"
			       "<td data-pending=\"17\" data-ack-pending=\"5\">2: 17 undelivered, 5 "
			       "unacked</td><td></td>"));
	assert_non_null(strstr(empty, "<td class=\"num\">empty</td>"));
	assert_int_equal(count(html, "class=\"badge\">unbounded<"), 1);
	free(html);

	src.streams = failing_streams;
	html = render_page("cgroup-v1/3-read-twice", &src, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(html, "poller down, no successful poll yet; last error: "
				     "authorization violation"));
	assert_non_null(strstr(html, "id=\"jetstream-error\">The stream list is unavailable"));
	assert_null(strstr(html, "<table id=\"streams\">"));
	free(html);
}

struct render_job {
	struct explain_page *page;
	size_t len;
	int rc;
};

static void *render_thread(void *arg)
{
	struct render_job *j = arg;
	struct mbuf b;
	struct errmsg e = {{0}};
	mbuf_init(&b, 16 << 20);
	for (int i = 0; i < 10; i++) {
		mbuf_reset(&b);
		j->rc |= explain_page_render(j->page, &b, &e);
	}
	/* Without the sampling timestamp the pages are identical. */
	j->len = b.len;
	mbuf_free(&b);
	return NULL;
}

static void test_page_object_and_threads(void **state)
{
	(void)state;
	char sys[PATH_MAX + 32], proc[PATH_MAX + 32], base[PATH_MAX];
	fixture_path(base, sizeof(base), "cgroup-v2/3-read-twice");
	snprintf(sys, sizeof(sys), "--path.cgroupfs=%s/sys", base);
	snprintf(proc, sizeof(proc), "--path.procfs=%s/proc", base);
	char *argv[] = {(char *)(uintptr_t) "memacct_exporter", sys, proc, NULL};
	struct config cfg;
	struct errmsg e = {{0}};
	assert_int_equal(flags_parse(&cfg, 3, argv, &e), 0);
	struct explain_page *page;
	struct cgroup_scope scope;
	assert_int_equal(cgroup_scope_init(&scope, &cfg, &e), 0);
	assert_int_equal(explain_page_new(&cfg, &scope, NULL, &page, &e), 0);
	pthread_t th[4];
	struct render_job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct render_job){.page = page};
		assert_int_equal(pthread_create(&th[i], NULL, render_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].len, jobs[0].len);
	}
	explain_page_free(page);
	explain_page_free(NULL);
	cgroup_scope_fini(&scope);

	/* A root that is not there fails at set-up (main's, before any page),
	 * naming the flag. */
	char *bad[] = {(char *)(uintptr_t) "memacct_exporter",
		       (char *)(uintptr_t) "--path.cgroupfs=/nonexistent/cgroup", NULL};
	assert_int_equal(flags_parse(&cfg, 2, bad, &e), 0);
	assert_int_equal(cgroup_scope_init(&scope, &cfg, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "--path.cgroupfs"));
}

/* ---- pod names from --path.podlogs ---- */

static void test_podlogs_names_in_the_table(void **state)
{
	(void)state;
	char logs[64], p[PATH_MAX], sys[PATH_MAX + 32], proc[PATH_MAX + 32], flag[PATH_MAX + 32],
	    base[PATH_MAX];
	snprintf(logs, sizeof(logs), "/tmp/test_explain_logs.XXXXXX");
	assert_non_null(mkdtemp(logs));
	snprintf(p, sizeof(p), "%s/containers", logs);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pods", logs);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pods/shop_web-0_%s", logs, UID);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/containers/web-0_shop_app-%s.log", logs, CID);
	assert_int_equal(symlink("/var/log/pods/shop_web-0_" UID "/app/0.log", p), 0);
	fixture_path(base, sizeof(base), "cgroup-v2/3-read-twice");
	snprintf(sys, sizeof(sys), "--path.cgroupfs=%s/sys", base);
	snprintf(proc, sizeof(proc), "--path.procfs=%s/proc", base);
	snprintf(flag, sizeof(flag), "--path.podlogs=%s", logs);
	const char *flags[] = {sys, proc, flag, UID, NULL};
	struct errmsg e = {{0}};
	int rc;
	char *got = run_explain_argv(flags, 0, &rc, &e);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(got, V2_CTR "  (shop/web-0/app)\n"));
	assert_non_null(strstr(got, V2_POD "  (shop/web-0)\n"));
	free(got);
	const char *jflags[] = {sys, proc, flag, CID, "--json", NULL};
	got = run_explain_argv(jflags, 0, &rc, &e);
	assert_int_equal(rc, 0);
	assert_non_null(
	    strstr(got, "\"namespace\":\"shop\",\"pod\":\"web-0\",\"container\":\"app\""));
	free(got);
	nftw(logs, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- a cgroup name with bidi controls (U+202E) ---- */

#define RLO "\xe2\x80\xae"	    /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define SPOOF "/pod-" RLO "gpj.exe" /* shows as "/pod-exe.jpg" if raw */

/* Never raw on a terminal or the page: \u{202e}, visibly; in JSON \u202e,
 * which reads back as the name itself. */
static void test_bidi_names_escaped(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	const struct fake_cg spoof = {SPOOF, 20 * MIB, 0, 0, 0, 1 * MIB, NULL, NULL, ""};
	write_cg(base, &spoof);
	struct errmsg e = {{0}};
	int rc;

	char *got = run_tree(base, NULL, NULL, 0, &rc, &e);
	assert_int_equal(rc, 0);
	assert_null(strstr(got, RLO));
	assert_non_null(strstr(got, "  /pod-\\u{202e}gpj.exe\n"));
	free(got);

	got = run_tree(base, NULL, "--json", 0, &rc, &e);
	assert_int_equal(rc, 0);
	assert_null(strstr(got, RLO));
	assert_non_null(strstr(got, "\"cgroup\":\"/pod-\\u202egpj.exe\""));
	json_object *o = json_tokener_parse(got);
	assert_non_null(o);
	json_object *cgs = get(o, "cgroups");
	bool found = false;
	for (size_t i = 0; i < json_object_array_length(cgs); i++)
		found |=
		    strcmp(json_object_get_string(get(json_object_array_get_idx(cgs, i), "cgroup")),
			   SPOOF) == 0;
	assert_true(found);
	json_object_put(o);
	free(got);

	char *html = render_page_at(base, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(html, RLO));
	assert_non_null(strstr(html, "data-cgroup=\"/pod-\\u{202e}gpj.exe\""));
	assert_non_null(strstr(html, "<code>/pod-\\u{202e}gpj.exe</code>"));
	free(html);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_v2_write200M),
	    cmocka_unit_test(test_fixture_v2_read_twice),
	    cmocka_unit_test(test_fixture_v2_after_exit),
	    cmocka_unit_test(test_fixture_v1_read_twice),
	    cmocka_unit_test(test_fixture_v1_after_exit),
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_tree_rules_and_sums),
	    cmocka_unit_test(test_human_units),
	    cmocka_unit_test(test_json_output),
	    cmocka_unit_test(test_watch),
	    cmocka_unit_test(test_page_cgroups),
	    cmocka_unit_test(test_page_streams),
	    cmocka_unit_test(test_page_object_and_threads),
	    cmocka_unit_test(test_podlogs_names_in_the_table),
	    cmocka_unit_test(test_bidi_names_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
