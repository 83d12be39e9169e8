/* Unit tests for cgroup_scan.h and cgroup_cache.h on a mkdtemp tree of v1
 * cgroup files: one walk per scan replayed to every visitor (same order,
 * parents first, the filter, max depth and levels); values through held
 * files equal plain reads and follow a file rewritten in place; a directory
 * removed (its files closed once the scan lets go) or made again with
 * another inode (read afresh, never through the old files); the open-file
 * cap (held up to it, the rest read and counted); label sets built once,
 * and pod names from --path.podlogs picked up when they appear; paths past
 * PATH_MAX; four threads scanning one cache while a cgroup comes and goes
 * (run under ASan here and TSan by hand: README "Tests"). Held files are
 * forced on (keep_always): on a plain directory kernfs's link counts and
 * POLLERR do not exist, so the leaf shortcut and the poll for removed
 * cgroups are tested live (integration/cgroup_files_kept, churn_cgroups). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/cgroup/cgroup_mem.h"
#include "memacct/cgroup/cgroup_scan.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct_test.h"

#define MAXV 64

static char root[256];

/* Writes root+rel/name with text. */
static void put(const char *rel, const char *name, const char *text)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s%s/%s", root, strcmp(rel, "/") ? rel : "", name);
	write_whole_file(p, text, strlen(text));
}

/* A v1 cgroup at rel whose usage is usage bytes. */
static void mkcg(const char *rel, unsigned long usage)
{
	char p[PATH_MAX], text[256];
	snprintf(p, sizeof(p), "%s%s", root, strcmp(rel, "/") ? rel : "");
	if (strcmp(rel, "/") != 0)
		assert_int_equal(mkdir(p, 0755), 0);
	snprintf(text, sizeof(text),
		 "total_rss %lu\ntotal_shmem 0\ntotal_active_file 0\ntotal_inactive_file 0\n", usage);
	put(rel, "memory.stat", text);
	snprintf(text, sizeof(text), "%lu\n", usage);
	put(rel, "memory.usage_in_bytes", text);
	put(rel, "memory.limit_in_bytes", "9223372036854771712\n");
	put(rel, "memory.kmem.usage_in_bytes", "0\n");
	put(rel, "cgroup.procs", "");
}

#define POD "/kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678"
#define CID "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"

/* /, /a (1000), /a/b (2000), /a/b/c, /d (4000), a Kubernetes container. */
static int setup(void **state)
{
	(void)state;
	make_temp_dir(root, sizeof(root), "scan");
	mkcg("/", 100);
	mkcg("/a", 1000);
	mkcg("/a/b", 2000);
	mkcg("/a/b/c", 3000);
	mkcg("/d", 4000);
	mkcg("/kubepods", 5);
	mkcg("/kubepods/burstable", 5);
	mkcg(POD, 5);
	mkcg(POD "/" CID, 5);
	/* the cache's cap comes from the soft limit, as main raises it */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(root);
	return 0;
}

/* A scope over root with extra flags (NULL-terminated, may be NULL). */
static void scope_init(struct cgroup_scope *s, struct config *cfg, const char *const *extra)
{
	static char arg[PATH_MAX + 32];
	snprintf(arg, sizeof(arg), "--path.cgroupfs=%s", root);
	char *argv[16] = {"memacct_exporter", arg};
	int argc = 2;
	for (size_t i = 0; extra && extra[i]; i++)
		argv[argc++] = (char *)(uintptr_t)extra[i];
	struct errmsg e = {{0}};
	assert_int_equal(flags_parse(cfg, argc, argv, &e), 0);
	if (cgroup_scope_init(s, cfg, &e))
		fail_msg("cgroup_scope_init: %s", e.msg);
}

struct visits {
	char path[MAXV][256];
	int depth[MAXV];
	uint64_t usage[MAXV];
	int rc[MAXV];
	int n;
};

static int visit(void *arg, struct cgroup_dir *d)
{
	struct visits *v = arg;
	assert_true(v->n < MAXV);
	struct readbuf buf;
	readbuf_init(&buf, 1 << 20);
	struct cgroup_mem m;
	v->rc[v->n] = cgroup_mem_read(d, CGROUP_V1, CGROUP_MEM_ALL, &buf, &m, NULL);
	readbuf_free(&buf);
	snprintf(v->path[v->n], sizeof(v->path[0]), "%s", d->path);
	v->depth[v->n] = d->depth;
	v->usage[v->n] = v->rc[v->n] == 0 ? m.v[CM_USAGE] : 0;
	v->n++;
	return 0;
}

static int index_of(const struct visits *v, const char *path)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->path[i], path) == 0)
			return i;
	return -1;
}

/* The usage read for path, or -1 when path was not visited. */
static long long usage_of(const struct visits *v, const char *path)
{
	int i = index_of(v, path);
	if (i < 0)
		return -1;
	assert_int_equal(v->rc[i], 0);
	return (long long)v->usage[i];
}

/* One scan through cache c (NULL: a private one): two visitors. */
static void scan_twice(const struct cgroup_scope *scope, struct cgroup_cache *c,
		       struct visits *v1, struct visits *v2)
{
	struct cgroup_scan *s = cgroup_scan_new(scope, c);
	assert_non_null(s);
	struct errmsg e = {{0}};
	memset(v1, 0, sizeof(*v1));
	memset(v2, 0, sizeof(*v2));
	assert_int_equal(cgroup_scan_visit(s, scope, visit, v1, NULL, &e), 0);
	assert_int_equal(cgroup_scan_visit(s, scope, visit, v2, NULL, &e), 0);
	cgroup_scan_free(s);
	assert_int_equal(v1->n, v2->n);
	for (int i = 0; i < v1->n; i++) {
		assert_string_equal(v1->path[i], v2->path[i]);
		assert_int_equal(v1->usage[i], v2->usage[i]);
	}
}

static struct cgroup_cache *cache_new(const struct cgroup_scope *scope, unsigned max_open)
{
	struct cgroup_cache *c = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(cgroup_cache_new(scope, max_open, 0, true, &c, &e), 0);
	return c;
}

static long files_open(struct cgroup_cache *c)
{
	struct cgroup_cache_stats st;
	cgroup_cache_get_stats(c, &st);
	return st.files_open;
}

/* Every directory once, parents first, depth = its number of '/'; both
 * visitors of a scan see the same; a filter, max depth and levels apply. */
static void test_order_filter_depth_levels(void **state)
{
	(void)state;
	struct cgroup_scope scope;
	struct config cfg;
	struct visits v1, v2;
	scope_init(&scope, &cfg, NULL);
	scan_twice(&scope, NULL, &v1, &v2);
	assert_int_equal(v1.n, 9);
	assert_string_equal(v1.path[0], "/");
	for (int i = 0; i < v1.n; i++) {
		const char *p = v1.path[i];
		int slashes = 0;
		for (const char *q = p; *q; q++)
			slashes += *q == '/';
		assert_int_equal(v1.depth[i], strcmp(p, "/") ? slashes : 0);
		const char *last = strrchr(p, '/');
		if (last != p) { /* its parent came first */
			char parent[256];
			snprintf(parent, sizeof(parent), "%.*s", (int)(last - p), p);
			int pi = index_of(&v1, parent);
			assert_true(pi >= 0 && pi < i);
		}
	}
	assert_int_equal(usage_of(&v1, "/a/b"), 2000);
	assert_int_equal(usage_of(&v1, "/d"), 4000);
	cgroup_scope_fini(&scope);

	static const char *const inc[] = {"--collector.cgroup.include=^/a", NULL};
	scope_init(&scope, &cfg, inc);
	scan_twice(&scope, NULL, &v1, &v2);
	assert_int_equal(v1.n, 3);
	assert_true(index_of(&v1, "/a/b/c") >= 0);
	cgroup_scope_fini(&scope);

	static const char *const depth[] = {"--collector.cgroup.max-depth=1", NULL};
	scope_init(&scope, &cfg, depth);
	scan_twice(&scope, NULL, &v1, &v2);
	assert_int_equal(v1.n, 4); /* /, /a, /d, /kubepods */
	cgroup_scope_fini(&scope);

	static const char *const lv[] = {"--collector.cgroup.levels=container,pod", NULL};
	scope_init(&scope, &cfg, lv);
	scan_twice(&scope, NULL, &v1, &v2);
	assert_int_equal(v1.n, 2);
	assert_true(index_of(&v1, POD) >= 0 && index_of(&v1, POD "/" CID) >= 0);
	cgroup_scope_fini(&scope);
}

/* Held files give what plain reads give, follow a rewrite in place (same
 * inode: pread re-reads from 0) and are not opened again. */
static void test_held_files(void **state)
{
	(void)state;
	struct cgroup_scope scope;
	struct config cfg;
	struct visits v1, v2, plain1, plain2;
	scope_init(&scope, &cfg, NULL);
	struct cgroup_cache *c = cache_new(&scope, 1000);
	scan_twice(&scope, c, &v1, &v2);
	scan_twice(&scope, NULL, &plain1, &plain2);
	assert_int_equal(v1.n, plain1.n);
	for (int i = 0; i < v1.n; i++)
		assert_int_equal(v1.usage[i], plain1.usage[i]);
	/* memory.stat, kmem, usage and limit are there; max_usage, failcnt
	 * and memsw are not (absent, remembered): 4 files a cgroup */
	assert_int_equal(files_open(c), 9 * 4);

	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/a/b/memory.usage_in_bytes", root);
	int fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "2500\n", 5), 5);
	close(fd);
	put("/a/b", "memory.stat",
	    "total_rss 2500\ntotal_shmem 0\ntotal_active_file 0\ntotal_inactive_file 0\n");
	scan_twice(&scope, c, &v1, &v2);
	assert_int_equal(usage_of(&v1, "/a/b"), 2500);
	assert_int_equal(files_open(c), 9 * 4);
	struct cgroup_cache_stats st;
	cgroup_cache_get_stats(c, &st);
	assert_int_equal(st.uncached_reads, 0);
	assert_int_equal(st.cgroups, 9);
	cgroup_cache_free(c);
	cgroup_scope_fini(&scope);
}

/* How many fds this process has open. */
static int fds_open(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A removed cgroup is dropped after the scan that no longer sees it, its
 * files closed; one made again under the same path (another inode) is
 * read afresh, never through the old node's files. */
static void test_removed_and_made_again(void **state)
{
	(void)state;
	struct cgroup_scope scope;
	struct config cfg;
	struct visits v1, v2;
	scope_init(&scope, &cfg, NULL);
	struct cgroup_cache *c = cache_new(&scope, 1000);
	int fds0 = fds_open();
	scan_twice(&scope, c, &v1, &v2);
	long held = files_open(c);
	assert_int_equal(fds_open(), fds0 + held);

	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/d", root);
	remove_tree(p);
	scan_twice(&scope, c, &v1, &v2);
	assert_int_equal(index_of(&v1, "/d"), -1);
	assert_int_equal(files_open(c), held - 4);
	assert_int_equal(fds_open(), fds0 + held - 4);

	/* /a/b/c made again (its old files, unlinked, would still read 3000) */
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	remove_tree(p);
	mkcg("/a/b/c", 7000);
	scan_twice(&scope, c, &v1, &v2);
	assert_int_equal(usage_of(&v1, "/a/b/c"), 7000);
	assert_int_equal(files_open(c), held - 4);
	assert_int_equal(fds_open(), fds0 + held - 4);
	cgroup_cache_free(c);
	assert_int_equal(fds_open(), fds0);
	cgroup_scope_fini(&scope);
}

/* Past the cap files are read with open/read/close, counted, same values;
 * held fds are numbered from --web.max-connections (1024) + 256 up. */
static void test_cap(void **state)
{
	(void)state;
	struct cgroup_scope scope;
	struct config cfg;
	struct visits v1, v2, plain1, plain2;
	scope_init(&scope, &cfg, NULL);
	struct cgroup_cache *c = cache_new(&scope, 10);
	scan_twice(&scope, c, &v1, &v2);
	scan_twice(&scope, NULL, &plain1, &plain2);
	for (int i = 0; i < v1.n; i++)
		assert_int_equal(v1.usage[i], plain1.usage[i]);
	struct cgroup_cache_stats st;
	cgroup_cache_get_stats(c, &st);
	assert_int_equal(st.files_open, 10);
	assert_int_equal(st.max_open, 10);
	/* two visits of 9 cgroups, 4 files each, 10 of them held */
	assert_int_equal(st.uncached_reads, 2 * (9 * 4 - 10));
	int low = 0, high = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		char link[300], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, root, strlen(root)) != 0)
			continue;
		if (atoi(de->d_name) >= 1280) /* 0 connections: the default 1024, + 256 */
			high++;
		else
			low++;
	}
	closedir(d);
	assert_int_equal(low, 0);
	assert_int_equal(high, 10);
	cgroup_cache_free(c);
	cgroup_scope_fini(&scope);
}

static int label_visit(void *arg, struct cgroup_dir *d)
{
	const struct labels **out = arg;
	if (strcmp(d->path, POD "/" CID) != 0)
		return 0;
	const struct labels *l, *info;
	assert_int_equal(cgroup_dir_labels(d, &l, &info), 0);
	*out = l;
	return 0;
}

/* The container's label set is built once and kept; when --path.podlogs
 * learns its pod later, the next scan has the names. */
static void test_labels_kept_and_late_pod_names(void **state)
{
	(void)state;
	char logs[PATH_MAX], p[PATH_MAX * 2];
	snprintf(logs, sizeof(logs), "%s.logs", root);
	snprintf(p, sizeof(p), "%s/containers", logs);
	assert_int_equal(mkdir(logs, 0755), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	char flag[PATH_MAX + 32];
	snprintf(flag, sizeof(flag), "--path.podlogs=%s", logs);
	const char *const extra[] = {flag, NULL};
	struct cgroup_scope scope;
	struct config cfg;
	scope_init(&scope, &cfg, extra);
	struct cgroup_cache *c = cache_new(&scope, 1000);
	struct errmsg e = {{0}};
	const struct labels *l1 = NULL, *l2 = NULL, *l3 = NULL;
	struct cgroup_scan *s = cgroup_scan_new(&scope, c);
	assert_int_equal(cgroup_scan_visit(s, &scope, label_visit, &l1, NULL, &e), 0);
	assert_non_null(l1);
	assert_null(strstr(l1->buf.data, "pod=\""));
	cgroup_scan_free(s);

	snprintf(p, sizeof(p), "%s/containers/web-0_shop_app-%s.log", logs, CID);
	assert_int_equal(symlink("/nonexistent", p), 0);
	s = cgroup_scan_new(&scope, c);
	assert_int_equal(cgroup_scan_visit(s, &scope, label_visit, &l2, NULL, &e), 0);
	assert_non_null(strstr(l2->buf.data, "namespace=\"shop\",pod=\"web-0\",container=\"app\""));
	cgroup_scan_free(s);
	s = cgroup_scan_new(&scope, c);
	assert_int_equal(cgroup_scan_visit(s, &scope, label_visit, &l3, NULL, &e), 0);
	assert_ptr_equal(l2, l3); /* complete: kept, not built again */
	cgroup_scan_free(s);
	cgroup_cache_free(c);
	cgroup_scope_fini(&scope);
	remove_tree(logs);
}

static int count_visit(void *arg, struct cgroup_dir *d)
{
	(void)d;
	(*(int *)arg)++;
	return 0;
}

/* A cgroup whose path would pass PATH_MAX is not visited (nor anything
 * below it) and is counted as too_long, so the collector can count it as an
 * error instead of losing it silently. */
static void test_path_too_long(void **state)
{
	(void)state;
	char name[241];
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	int fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int i = 0; i < 20; i++) { /* 20 levels of 241 bytes: past PATH_MAX */
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	struct cgroup_scope scope;
	struct config cfg;
	scope_init(&scope, &cfg, NULL);
	struct cgroup_cache *c = cache_new(&scope, 1000);
	for (int round = 0; round < 2; round++) {
		struct cgroup_scan *s = cgroup_scan_new(&scope, round ? c : NULL);
		struct cgroup_walk_stats ws = {99, 99};
		struct errmsg e = {{0}};
		int n = 0;
		assert_int_equal(cgroup_scan_visit(s, &scope, count_visit, &n, &ws, &e), 0);
		/* the 9 cgroups and the 16 levels that fit (16 * 242 = 3,872 bytes) */
		assert_int_equal(n, 9 + 16);
		assert_int_equal(ws.too_long, 1);
		assert_int_equal(ws.skipped, 0);
		cgroup_scan_free(s);
	}
	cgroup_cache_free(c);
	cgroup_scope_fini(&scope);
	char cmd[PATH_MAX];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", root, name);
	assert_int_equal(system(cmd), 0);
}

struct worker {
	const struct cgroup_scope *scope;
	struct cgroup_cache *cache;
	int bad;
};

static void *scan_loop(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 200; i++) {
		struct visits *v = calloc(1, sizeof(*v));
		struct cgroup_scan *s = cgroup_scan_new(w->scope, w->cache);
		struct errmsg e = {{0}};
		if (!v || !s || cgroup_scan_visit(s, w->scope, visit, v, NULL, &e) != 0)
			w->bad++;
		for (int k = 0; v && k < v->n; k++) {
			/* /a never moves; /d comes and goes: 4000 or vanished */
			if (strcmp(v->path[k], "/a") == 0 && (v->rc[k] || v->usage[k] != 1000))
				w->bad++;
			if (strcmp(v->path[k], "/d") == 0 && v->rc[k] == 0 && v->usage[k] != 4000)
				w->bad++;
		}
		cgroup_scan_free(s);
		free(v);
	}
	return NULL;
}

/* Four scans at a time on one cache while /d is removed and made again:
 * every value right, no error, and every file closed in the end. */
static void test_concurrent_scans(void **state)
{
	(void)state;
	struct cgroup_scope scope;
	struct config cfg;
	scope_init(&scope, &cfg, NULL);
	int fds0 = fds_open();
	struct cgroup_cache *c = cache_new(&scope, 30);
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.scope = &scope, .cache = c};
		assert_int_equal(pthread_create(&t[i], NULL, scan_loop, &w[i]), 0);
	}
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/d", root);
	for (int i = 0; i < 100; i++) {
		remove_tree(p);
		usleep(200);
		mkcg("/d", 4000);
		usleep(200);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	assert_true(files_open(c) <= 30);
	cgroup_cache_free(c);
	assert_int_equal(fds_open(), fds0);
	cgroup_scope_fini(&scope);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order_filter_depth_levels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_held_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_and_made_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_labels_kept_and_late_pod_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_path_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_scans, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
