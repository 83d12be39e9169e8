/* Unit tests for cgroup_walk.h on a mkdtemp tree: visit order (parents
 * before children), the paths and depths handed to the visitor, that each
 * dirfd is the directory its path names, include/exclude regexes,
 * max-depth, invalid regexes and a missing root (errors naming the flag or
 * path), the visitor's stop value, and directories removed from inside the
 * visitor mid-walk. It does not read memory files. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_walk.h"
#include "memacct_test.h"

#define MAXV 32

struct visits {
	char path[MAXV][128];
	int depth[MAXV];
	int n;
	/* optional actions */
	const char *root;	  /* the tree's absolute path */
	const char *stop_at;	  /* return 42 there */
	const char *remove_at;	  /* at this path (or "*1": the first depth-1 dir) ... */
	const char *remove_what;  /* ... remove this path ("*other": the other depth-1 dir) */
	char removed[128];
};

static char root[64];

/* Creates dir root+rel with a "name" file holding rel, and a memory.stat. */
static void mk(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s%s", root, strcmp(rel, "/") ? rel : "");
	if (strcmp(rel, "/") != 0)
		assert_int_equal(mkdir(p, 0755), 0);
	char f[300];
	snprintf(f, sizeof(f), "%s/name", p);
	FILE *fp = fopen(f, "w");
	assert_non_null(fp);
	fputs(rel, fp);
	fclose(fp);
	snprintf(f, sizeof(f), "%s/memory.stat", p);
	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs("anon 0\n", fp);
	fclose(fp);
}

/* /, /a, /a/b, /a/b/c, /d, plus a symlink to /a and a file named like a
 * cgroup. */
static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/memacct_walk_XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mk("/");
	mk("/a");
	mk("/a/b");
	mk("/a/b/c");
	mk("/d");
	char p[128];
	snprintf(p, sizeof(p), "%s/link", root);
	if (symlink("a", p) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/a/notadir", root);
	FILE *fp = fopen(p, "w");
	if (!fp)
		return -1;
	fclose(fp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(root);
	return 0;
}

static int visit(void *arg, int dirfd, const char *path, int depth)
{
	struct visits *v = arg;
	assert_true(v->n < MAXV);
	snprintf(v->path[v->n], sizeof(v->path[0]), "%s", path);
	v->depth[v->n] = depth;
	v->n++;

	/* dirfd is the directory path names: its "name" file says so. */
	char buf[128];
	int fd = openat(dirfd, "name", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		assert_true(n >= 0);
		buf[n] = '\0';
		assert_string_equal(buf, path);
	}

	if (v->stop_at && strcmp(path, v->stop_at) == 0)
		return 42;
	if (v->remove_at && !v->removed[0] &&
	    (strcmp(path, v->remove_at) == 0 || (strcmp(v->remove_at, "*1") == 0 && depth == 1))) {
		char p[256];
		const char *what = v->remove_what;
		if (strcmp(what, "*other") == 0)
			what = strcmp(path, "/x") == 0 ? "/y" : "/x";
		snprintf(v->removed, sizeof(v->removed), "%s", what);
		snprintf(p, sizeof(p), "%s%s", v->root, what);
		remove_tree(p);
	}
	return 0;
}

static int index_of(const struct visits *v, const char *path)
{
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->path[i], path) == 0)
			return i;
	return -1;
}

/* v visited exactly want[] (any sibling order), each path once, every
 * parent before its children, with depth = number of '/' (0 for "/"). */
static void check_visits(const struct visits *v, const char *const *want, int nwant)
{
	if (v->n != nwant) {
		print_error("visited %d, want %d:\n", v->n, nwant);
		for (int i = 0; i < v->n; i++)
			print_error("  %s\n", v->path[i]);
	}
	assert_int_equal(v->n, nwant);
	for (int i = 0; i < nwant; i++) {
		int at = index_of(v, want[i]);
		if (at < 0)
			print_error("not visited: %s\n", want[i]);
		assert_true(at >= 0);
		int slashes = 0;
		for (const char *s = want[i]; *s; s++)
			slashes += *s == '/';
		assert_int_equal(v->depth[at], strcmp(want[i], "/") ? slashes : 0);
		/* Every visited ancestor comes first. */
		char anc[128];
		snprintf(anc, sizeof(anc), "%s", want[i]);
		for (char *cut = strrchr(anc, '/'); cut && cut != anc; cut = strrchr(anc, '/')) {
			*cut = '\0';
			int a = index_of(v, anc);
			if (a >= 0)
				assert_true(a < at);
		}
		int r = index_of(v, "/");
		if (r >= 0)
			assert_int_equal(r, 0);
	}
}

static void config_for(struct config *c, const char *inc, const char *exc, int max_depth)
{
	memset(c, 0, sizeof(*c));
	c->cgroup_include = inc;
	c->cgroup_exclude = exc;
	c->cgroup_max_depth = max_depth;
}

/* Walks root with the filter and checks the visited set. */
static void walk_expect(const char *inc, const char *exc, int max_depth, const char *const *want,
			int nwant)
{
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	config_for(&c, inc, exc, max_depth);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);
	struct visits v = {.n = 0};
	unsigned long skipped = 77;
	assert_int_equal(cgroup_walk(root, &f, visit, &v, &skipped, &e), 0);
	assert_int_equal(skipped, 0);
	check_visits(&v, want, nwant);
	cgroup_filter_fini(&f);
}

#define EXPECT(inc, exc, depth, ...)                                                               \
	do {                                                                                       \
		static const char *const w_[] = {__VA_ARGS__};                                     \
		walk_expect(inc, exc, depth, w_, (int)(sizeof(w_) / sizeof(w_[0])));               \
	} while (0)

static void test_walk_all(void **state)
{
	(void)state;
	EXPECT(NULL, NULL, -1, "/", "/a", "/a/b", "/a/b/c", "/d");
}

static void test_walk_include_exclude(void **state)
{
	(void)state;
	EXPECT("^/a", NULL, -1, "/a", "/a/b", "/a/b/c");
	/* Non-matching parents are still descended. */
	EXPECT("^/a/b/c$", NULL, -1, "/a/b/c");
	EXPECT("^/$", NULL, -1, "/");
	EXPECT(NULL, "^/a", -1, "/", "/d");
	EXPECT(NULL, "/b$", -1, "/", "/a", "/a/b/c", "/d");
	EXPECT("^/a", "/c$", -1, "/a", "/a/b");
	EXPECT("^/(a|d)$", NULL, -1, "/a", "/d");
	walk_expect("nothing-matches", NULL, -1, NULL, 0);
}

static void test_walk_max_depth(void **state)
{
	(void)state;
	EXPECT(NULL, NULL, 0, "/");
	EXPECT(NULL, NULL, 1, "/", "/a", "/d");
	EXPECT(NULL, NULL, 2, "/", "/a", "/a/b", "/d");
	EXPECT("^/a", NULL, 1, "/a");
}

static void test_filter_match(void **state)
{
	(void)state;
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	config_for(&c, "kubepods", "besteffort", -1);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);
	assert_int_equal(f.max_depth, -1);
	assert_true(cgroup_filter_match(&f, "/kubepods.slice/x"));
	assert_false(cgroup_filter_match(&f, "/kubepods.slice/kubepods-besteffort.slice"));
	assert_false(cgroup_filter_match(&f, "/system.slice"));
	cgroup_filter_fini(&f);
	config_for(&c, NULL, NULL, 3);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);
	assert_int_equal(f.max_depth, 3);
	assert_false(f.names.has_include);
	assert_false(f.names.has_exclude);
	assert_true(cgroup_filter_match(&f, "/anything"));
	cgroup_filter_fini(&f);
}

static void check_bad_regex(const char *inc, const char *exc, const char *prefix)
{
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	memset(&e, 0, sizeof(e));
	config_for(&c, inc, exc, -1);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), -EINVAL);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
		print_error("want a message starting \"%s\", got \"%s\"\n", prefix, e.msg);
	assert_int_equal(strncmp(e.msg, prefix, strlen(prefix)), 0);
	assert_true(strlen(e.msg) > strlen(prefix)); /* regerror's reason follows */
	assert_false(f.names.has_include);
	assert_false(f.names.has_exclude);
}

static void test_invalid_regex(void **state)
{
	(void)state;
	check_bad_regex("(", NULL, "--collector.cgroup.include: invalid regex \"(\": ");
	check_bad_regex(NULL, "[z", "--collector.cgroup.exclude: invalid regex \"[z\": ");
	/* A good include then a bad exclude: the include is freed (ASan). */
	check_bad_regex("^/a", "a{2,1}", "--collector.cgroup.exclude: invalid regex \"a{2,1}\": ");
}

static void test_missing_root(void **state)
{
	(void)state;
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	config_for(&c, NULL, NULL, -1);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);
	char p[128], want[256];
	snprintf(p, sizeof(p), "%s/nope", root);
	snprintf(want, sizeof(want), "cannot open cgroup root %s: No such file or directory", p);
	struct visits v = {.n = 0};
	assert_int_equal(cgroup_walk(p, &f, visit, &v, NULL, &e), -ENOENT);
	assert_string_equal(e.msg, want);
	assert_int_equal(v.n, 0);
	/* A file is no root either. */
	snprintf(p, sizeof(p), "%s/name", root);
	snprintf(want, sizeof(want), "cannot open cgroup root %s: Not a directory", p);
	assert_int_equal(cgroup_walk(p, &f, visit, &v, NULL, &e), -ENOTDIR);
	assert_string_equal(e.msg, want);
	assert_int_equal(v.n, 0);
	cgroup_filter_fini(&f);
}

static void test_visitor_stops(void **state)
{
	(void)state;
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	config_for(&c, NULL, NULL, -1);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);
	struct visits v = {.n = 0, .stop_at = "/a"};
	assert_int_equal(cgroup_walk(root, &f, visit, &v, NULL, &e), 42);
	assert_string_equal(v.path[v.n - 1], "/a");
	assert_int_equal(index_of(&v, "/a/b"), -1);
	assert_string_equal(v.path[0], "/");
	assert_true(v.n == 2 || v.n == 3); /* "/d" may come before "/a" */

	struct visits v2 = {.n = 0, .stop_at = "/"};
	assert_int_equal(cgroup_walk(root, &f, visit, &v2, NULL, &e), 42);
	assert_int_equal(v2.n, 1);
	cgroup_filter_fini(&f);
}

/* Two sibling subtrees /x and /y; the visitor of whichever comes first
 * removes the other, which the parent's readdir has already listed: its
 * openat fails and it is skipped, counted, without error. */
static void test_removed_sibling(void **state)
{
	(void)state;
	char t[64];
	snprintf(t, sizeof(t), "/tmp/memacct_walk2_XXXXXX");
	assert_non_null(mkdtemp(t));
	char p[128];
	static const char *const dirs[] = {"/x", "/x/sub", "/y", "/y/sub"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", t, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	config_for(&c, NULL, NULL, -1);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);
	struct visits v = {.n = 0, .root = t, .remove_at = "*1", .remove_what = "*other"};
	unsigned long skipped = 77;
	assert_int_equal(cgroup_walk(t, &f, visit, &v, &skipped, &e), 0);
	const char *first = strcmp(v.removed, "/y") == 0 ? "/x" : "/y";
	char sub[32];
	snprintf(sub, sizeof(sub), "%s/sub", first);
	const char *want[] = {"/", first, sub};
	check_visits(&v, want, 3);
	assert_int_equal(skipped, 1);
	cgroup_filter_fini(&f);
	remove_tree(t);
}

/* The visitor removes its own child (not listed yet) or itself: nothing
 * below it is visited, nothing is skipped, no error. */
static void test_removed_child_and_self(void **state)
{
	(void)state;
	struct config c;
	struct cgroup_filter f;
	struct errmsg e;
	config_for(&c, NULL, NULL, -1);
	assert_int_equal(cgroup_filter_init(&f, &c, &e), 0);

	struct visits v = {.n = 0, .root = root, .remove_at = "/a", .remove_what = "/a/b"};
	unsigned long skipped = 77;
	assert_int_equal(cgroup_walk(root, &f, visit, &v, &skipped, &e), 0);
	static const char *const w1[] = {"/", "/a", "/d"};
	check_visits(&v, w1, 3);
	assert_int_equal(skipped, 0);

	struct visits v2 = {.n = 0, .root = root, .remove_at = "/d", .remove_what = "/d"};
	assert_int_equal(cgroup_walk(root, &f, visit, &v2, &skipped, &e), 0);
	static const char *const w2[] = {"/", "/a", "/d"};
	check_visits(&v2, w2, 3);
	assert_int_equal(skipped, 0);
	cgroup_filter_fini(&f);
}

static int count_visit(void *arg, int dirfd, const char *path, int depth)
{
	(void)dirfd;
	(void)depth;
	assert_true(strlen(path) < PATH_MAX);
	(*(int *)arg)++;
	return 0;
}

/* A cgroup whose path would pass PATH_MAX is not visited (nor anything
 * below it) and is counted as skipped. */
static void test_path_too_long(void **state)
{
	(void)state;
	char t[64];
	snprintf(t, sizeof(t), "/tmp/memacct_walk_long_XXXXXX");
	assert_non_null(mkdtemp(t));
	char name[241];
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	/* 20 levels of 241 bytes: 4,820 bytes, past PATH_MAX (4,096). */
	int fd = open(t, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	struct config cfg = {.cgroup_max_depth = -1};
	struct cgroup_filter f;
	struct errmsg e = {{0}};
	assert_int_equal(cgroup_filter_init(&f, &cfg, &e), 0);
	unsigned long skipped = 0;
	int n = 0;
	assert_int_equal(cgroup_walk(t, &f, count_visit, &n, &skipped, &e), 0);
	/* "/" and the 16 levels that fit (16 * 242 = 3,872 bytes) */
	assert_int_equal(n, 17);
	assert_int_equal(skipped, 1);
	cgroup_filter_fini(&f);
	/* nftw cannot remove a tree deeper than PATH_MAX; rm can. */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_walk_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walk_include_exclude, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walk_max_depth, setup, teardown),
	    cmocka_unit_test(test_filter_match),
	    cmocka_unit_test(test_invalid_regex),
	    cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_visitor_stops, setup, teardown),
	    cmocka_unit_test(test_removed_sibling),
	    cmocka_unit_test_setup_teardown(test_removed_child_and_self, setup, teardown),
	    cmocka_unit_test(test_path_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
