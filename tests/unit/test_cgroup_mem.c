/* Unit tests for cgroup_mem.h over the real captures in tests/fixture
 * (MEMACCT_FIXTURES): every cgroup of every phase of both captures is read
 * by cgroup_mem_read() and by a small independent reader here (strtoull on
 * the kernel files), and every field, component and has-bit must agree to
 * the byte; the components sum to usage; the fixture README's table values
 * hold. Then copies of a container cgroup in a temp dir are corrupted one
 * file at a time (malformed, overflowing, missing) and the documented error
 * and bad_file, or the documented absence, is checked; and the v1 batching
 * case where memory.stat's parts exceed usage. It does not walk (cgroup_walk
 * does) or format. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_mem.h"
#include "memacct_test.h"

#define BIT(f) (UINT64_C(1) << (f))

/* ---- the independent reader ---- */

/* dir/name's whole content, or NULL when it does not exist. */
static char *slurp(const char *dir, const char *name)
{
	char p[4096];
	assert_true(snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p));
	char *text = read_whole_file(p, NULL);
	if (!text)
		assert_int_equal(errno, ENOENT);
	return text;
}

/* A single-number file: false when missing; "max" sets *is_max. */
static bool file_num(const char *dir, const char *name, uint64_t *v, bool *is_max)
{
	char *t = slurp(dir, name);
	if (!t)
		return false;
	*is_max = strcmp(t, "max\n") == 0;
	if (*is_max) {
		*v = UINT64_MAX;
	} else {
		char *end;
		errno = 0;
		*v = strtoull(t, &end, 10);
		if (end == t || strcmp(end, "\n") != 0 || errno)
			fail_msg("%s/%s: not a number: \"%s\"", dir, name, t);
	}
	free(t);
	return true;
}

/* The value of "key value" in a flat keyed text. */
static bool keyed_get(const char *text, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
			*v = strtoull(l + kl + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

static bool psi_total(const char *text, const char *kind, uint64_t *v)
{
	size_t kl = strlen(kind);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, kind, kl) == 0 && l[kl] == ' ') {
			const char *t = strstr(l, "total=");
			assert_non_null(t);
			*v = strtoull(t + 6, NULL, 10);
			return true;
		}
	}
	return false;
}

struct expect {
	bool has_split;
	uint64_t comp[COMP_N];
	uint64_t v[CM_N];
	uint64_t has;
};

static void put(struct expect *x, enum cgroup_mem_field f, uint64_t v)
{
	x->v[f] = v;
	x->has |= BIT(f);
}

static void put_stat(struct expect *x, const char *stat, const char *key,
		     enum cgroup_mem_field f)
{
	uint64_t v;
	if (keyed_get(stat, key, &v))
		put(x, f, v);
}

/* SPEC section 2: components from memory.stat, other = usage - the rest;
 * when the parts exceed usage, kernel is shaved first, then inactive file,
 * active file, shmem, anon. */
static void split(struct expect *x, uint64_t usage, uint64_t anon, uint64_t shmem,
		  uint64_t active, uint64_t inactive, uint64_t kernel)
{
	put(x, CM_USAGE, usage);
	x->has_split = true;
	x->comp[COMP_ANON] = anon;
	x->comp[COMP_SHMEM] = shmem;
	x->comp[COMP_FILE_ACTIVE] = active;
	x->comp[COMP_FILE_INACTIVE] = inactive;
	x->comp[COMP_KERNEL] = kernel;
	uint64_t sum = anon + shmem + active + inactive + kernel;
	x->comp[COMP_OTHER] = usage > sum ? usage - sum : 0;
	static const int order[] = {COMP_KERNEL, COMP_FILE_INACTIVE, COMP_FILE_ACTIVE,
				    COMP_SHMEM, COMP_ANON};
	for (int i = 0; i < 5 && sum > usage; i++) {
		uint64_t cut = sum - usage < x->comp[order[i]] ? sum - usage : x->comp[order[i]];
		x->comp[order[i]] -= cut;
		sum -= cut;
	}
	put(x, CM_WORKING_SET, usage > inactive ? usage - inactive : 0);
}

static void expect_v2(const char *dir, struct expect *x)
{
	memset(x, 0, sizeof(*x));
	char *st = slurp(dir, "memory.stat");
	assert_non_null(st);
	uint64_t v, usage;
	bool is_max;
	put_stat(x, st, "file_mapped", CM_FILE_MAPPED);
	put_stat(x, st, "file_dirty", CM_FILE_DIRTY);
	put_stat(x, st, "file_writeback", CM_FILE_WRITEBACK);
	put_stat(x, st, "workingset_refault", CM_REFAULT_FILE); /* before 5.9 */
	put_stat(x, st, "workingset_refault_file", CM_REFAULT_FILE);
	put_stat(x, st, "workingset_refault_anon", CM_REFAULT_ANON);
	put_stat(x, st, "workingset_activate", CM_ACTIVATE_FILE);
	put_stat(x, st, "workingset_activate_file", CM_ACTIVATE_FILE);
	put_stat(x, st, "workingset_activate_anon", CM_ACTIVATE_ANON);
	put_stat(x, st, "pgscan", CM_PGSCAN);
	put_stat(x, st, "pgsteal", CM_PGSTEAL);
	put_stat(x, st, "pgmajfault", CM_PGMAJFAULT);
	if (file_num(dir, "memory.current", &usage, &is_max)) {
		uint64_t anon = 0, shmem = 0, act = 0, inact = 0, kernel = 0;
		keyed_get(st, "anon", &anon);
		keyed_get(st, "shmem", &shmem);
		keyed_get(st, "active_file", &act);
		keyed_get(st, "inactive_file", &inact);
		if (!keyed_get(st, "kernel", &kernel)) {
			static const char *const parts[] = {"kernel_stack", "pagetables",
							    "sec_pagetables", "percpu", "slab",
							    "vmalloc"};
			for (int i = 0; i < 6; i++)
				if (keyed_get(st, parts[i], &v))
					kernel += v;
		}
		split(x, usage, anon, shmem, act, inact, kernel);
	}
	free(st);
	if (file_num(dir, "memory.max", &v, &is_max) && !is_max)
		put(x, CM_LIMIT, v);
	if (file_num(dir, "memory.high", &v, &is_max) && !is_max)
		put(x, CM_HIGH, v);
	if (file_num(dir, "memory.low", &v, &is_max) && !is_max && v)
		put(x, CM_LOW, v);
	if (file_num(dir, "memory.min", &v, &is_max) && !is_max && v)
		put(x, CM_MIN, v);
	if (file_num(dir, "memory.peak", &v, &is_max))
		put(x, CM_PEAK, v);
	if (file_num(dir, "memory.swap.current", &v, &is_max))
		put(x, CM_SWAP, v);
	char *ev = slurp(dir, "memory.events");
	if (ev) {
		put_stat(x, ev, "low", CM_EV_LOW);
		put_stat(x, ev, "high", CM_EV_HIGH);
		put_stat(x, ev, "max", CM_EV_MAX);
		put_stat(x, ev, "oom", CM_EV_OOM);
		put_stat(x, ev, "oom_kill", CM_EV_OOM_KILL);
		free(ev);
	}
	char *psi = slurp(dir, "memory.pressure");
	if (psi) {
		if (psi_total(psi, "some", &v))
			put(x, CM_PSI_SOME_US, v);
		if (psi_total(psi, "full", &v))
			put(x, CM_PSI_FULL_US, v);
		free(psi);
	}
}

static void expect_v1(const char *dir, struct expect *x)
{
	memset(x, 0, sizeof(*x));
	char *st = slurp(dir, "memory.stat");
	assert_non_null(st);
	uint64_t v, usage, kmem = 0;
	bool is_max;
	put_stat(x, st, "total_mapped_file", CM_FILE_MAPPED);
	put_stat(x, st, "total_dirty", CM_FILE_DIRTY);
	put_stat(x, st, "total_writeback", CM_FILE_WRITEBACK);
	put_stat(x, st, "total_workingset_refault", CM_REFAULT_FILE);
	put_stat(x, st, "total_workingset_refault_file", CM_REFAULT_FILE);
	put_stat(x, st, "total_workingset_refault_anon", CM_REFAULT_ANON);
	put_stat(x, st, "total_workingset_activate", CM_ACTIVATE_FILE);
	put_stat(x, st, "total_workingset_activate_file", CM_ACTIVATE_FILE);
	put_stat(x, st, "total_workingset_activate_anon", CM_ACTIVATE_ANON);
	put_stat(x, st, "total_pgmajfault", CM_PGMAJFAULT);
	file_num(dir, "memory.kmem.usage_in_bytes", &kmem, &is_max);
	assert_true(file_num(dir, "memory.usage_in_bytes", &usage, &is_max));
	uint64_t anon = 0, shmem = 0, act = 0, inact = 0, swap;
	keyed_get(st, "total_rss", &anon);
	keyed_get(st, "total_shmem", &shmem);
	keyed_get(st, "total_active_file", &act);
	keyed_get(st, "total_inactive_file", &inact);
	split(x, usage, anon, shmem, act, inact, kmem);
	if (file_num(dir, "memory.limit_in_bytes", &v, &is_max) && v < (UINT64_C(1) << 62))
		put(x, CM_LIMIT, v);
	if (file_num(dir, "memory.max_usage_in_bytes", &v, &is_max))
		put(x, CM_PEAK, v);
	if (file_num(dir, "memory.failcnt", &v, &is_max))
		put(x, CM_FAILCNT, v);
	if (keyed_get(st, "total_swap", &swap))
		put(x, CM_SWAP, swap);
	else if (file_num(dir, "memory.memsw.usage_in_bytes", &v, &is_max))
		put(x, CM_SWAP, v > usage ? v - usage : 0);
	free(st);
}

static const char *const field_names[CM_N] = {
    "USAGE",	    "WORKING_SET", "LIMIT",	  "HIGH",	   "LOW",
    "MIN",	    "PEAK",	   "SWAP",	  "FILE_MAPPED",   "FILE_DIRTY",
    "FILE_WRITEBACK", "EV_LOW",	   "EV_HIGH",	  "EV_MAX",	   "EV_OOM",
    "EV_OOM_KILL",  "FAILCNT",	   "PSI_SOME_US", "PSI_FULL_US",   "REFAULT_FILE",
    "REFAULT_ANON", "ACTIVATE_FILE", "ACTIVATE_ANON", "PGSCAN",	   "PGSTEAL",
    "PGMAJFAULT",
};

/* Reads dir with cgroup_mem_read and compares everything with the model. */
static void check_dir(const char *dir, enum cgroup_mode mode, struct cgroup_mem *out)
{
	struct expect x;
	if (mode == CGROUP_V2)
		expect_v2(dir, &x);
	else
		expect_v1(dir, &x);

	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct readbuf buf;
	readbuf_init(&buf, 1 << 20);
	struct cgroup_mem m;
	memset(&m, 0x5a, sizeof(m));
	const char *bad = "unset";
	struct cgroup_dir cg = cgroup_dir_at(fd);
	int rc = cgroup_mem_read(&cg, mode, CGROUP_MEM_ALL, &buf, &m, &bad);
	close(fd);
	readbuf_free(&buf);
	if (rc != 0)
		print_error("%s: rc %d, bad_file %s\n", dir, rc, bad ? bad : "(null)");
	assert_int_equal(rc, 0);
	assert_int_equal(m.mode, mode);

	bool ok = m.has == x.has && m.has_split == x.has_split;
	for (int f = 0; f < CM_N; f++)
		if ((x.has & BIT(f)) && m.v[f] != x.v[f])
			ok = false;
	if (x.has_split)
		for (int c = 0; c < COMP_N; c++)
			if (m.comp[c] != x.comp[c])
				ok = false;
	if (!ok) {
		print_error("%s:\n", dir);
		print_error("  has_split want %d got %d\n", x.has_split, m.has_split);
		for (int f = 0; f < CM_N; f++)
			if (((x.has ^ m.has) & BIT(f)) || ((x.has & BIT(f)) && m.v[f] != x.v[f]))
				print_error("  %-15s want %s%llu got %s%llu\n", field_names[f],
					    (x.has & BIT(f)) ? "" : "(absent) ",
					    (unsigned long long)x.v[f],
					    (m.has & BIT(f)) ? "" : "(absent) ",
					    (unsigned long long)m.v[f]);
		for (int c = 0; c < COMP_N && x.has_split; c++)
			if (m.comp[c] != x.comp[c])
				print_error("  comp %-13s want %llu got %llu\n",
					    mem_component_names[c], (unsigned long long)x.comp[c],
					    (unsigned long long)m.comp[c]);
		fail();
	}
	if (m.has_split) {
		/* The partition is exact: no overflow, sums to usage. */
		uint64_t sum = 0;
		for (int c = 0; c < COMP_N; c++) {
			assert_true(sum + m.comp[c] >= sum);
			sum += m.comp[c];
		}
		assert_true(sum == m.v[CM_USAGE]);
	}
	if (out)
		*out = m;
}

/* Calls check_dir on dir and every directory below it; returns the count. */
static int check_tree(const char *dir, enum cgroup_mode mode)
{
	check_dir(dir, mode, NULL);
	int n = 1;
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		struct stat st;
		assert_int_equal(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode))
			n += check_tree(p, mode);
	}
	closedir(d);
	return n;
}

static void test_every_fixture_cgroup(void **state)
{
	(void)state;
	for (int mode = 1; mode <= 2; mode++) {
		for (size_t i = 0; i < FIXTURE_PHASES; i++) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/cgroup-v%d/%s/sys", fixture_dir(), mode,
				 fixture_phases[i]);
			/* The root and four levels down to the container. */
			assert_int_equal(check_tree(p, (enum cgroup_mode)mode), 5);
		}
	}
}

static void read_container(int mode, const char *phase, struct cgroup_mem *m)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/cgroup-v%d/%s/sys%s", fixture_dir(), mode, phase,
		 mode == 2 ? FX_V2_CTR : FX_V1_CTR);
	check_dir(p, (enum cgroup_mode)mode, m);
}

/* The table of tests/fixture's README (from /work/shared/fixtures). */
static void test_readme_table(void **state)
{
	(void)state;
	static const struct row {
		int mode;
		const char *phase;
		uint64_t usage, ws, anon, shmem, active, inactive, kernel; /* kernel: v2 only */
	} rows[] = {
	    {2, "1-anon64M", 67371008, 67366912, 67174400, 0, 0, 4096, 184320},
	    {2, "2-write200M", 282849280, 73129984, 67174400, 0, 0, 209719296, 5926912},
	    {2, "3-read-twice", 283111424, 283111424, 67227648, 0, 209719296, 0, 5926912},
	    {2, "6-over-high", 402558976, 198369280, 68276224, 16777216, 110166016, 204189696,
	     2920448},
	    {2, "7-after-exit", 333750272, 129560576, 0, 16777216, 110166016, 204189696, 2498560},
	    {1, "2-write200M", 283111424, 78639104, 67170304, 0, 5246976, 204472320, 0},
	    {1, "3-read-twice", 283111424, 283111424, 67223552, 0, 209719296, 0, 0},
	    {1, "7-after-exit", 466731008, 437370880, 0, 16777216, 417337344, 29360128, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct cgroup_mem m;
		read_container(r->mode, r->phase, &m);
		assert_true(m.has_split);
		assert_true(m.v[CM_USAGE] == r->usage);
		assert_true(m.v[CM_WORKING_SET] == r->ws);
		assert_true(m.comp[COMP_ANON] == r->anon);
		assert_true(m.comp[COMP_SHMEM] == r->shmem);
		assert_true(m.comp[COMP_FILE_ACTIVE] == r->active);
		assert_true(m.comp[COMP_FILE_INACTIVE] == r->inactive);
		if (r->mode == 2)
			assert_true(m.comp[COMP_KERNEL] == r->kernel);
		/* 512 MiB limit on both; memory.high 384 MiB on v2. */
		assert_true(cgroup_mem_has(&m, CM_LIMIT));
		assert_true(m.v[CM_LIMIT] == UINT64_C(536870912));
		if (r->mode == 2) {
			assert_true(cgroup_mem_has(&m, CM_HIGH));
			assert_true(m.v[CM_HIGH] == UINT64_C(402653184));
		} else {
			assert_false(cgroup_mem_has(&m, CM_HIGH));
		}
	}
	/* Phase 2 -> 3: the working set jumps by ~200 MiB. */
	struct cgroup_mem a, b;
	read_container(2, "2-write200M", &a);
	read_container(2, "3-read-twice", &b);
	assert_true(b.v[CM_WORKING_SET] - a.v[CM_WORKING_SET] == UINT64_C(209981440));
}

/* The capture roots: v1 reports no limit as 9223372036854771712, v2 "max". */
static void test_unlimited_roots(void **state)
{
	(void)state;
	for (int mode = 1; mode <= 2; mode++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/cgroup-v%d/3-read-twice/sys", fixture_dir(), mode);
		char *lim = slurp(p, mode == 1 ? "memory.limit_in_bytes" : "memory.max");
		assert_non_null(lim);
		assert_string_equal(lim, mode == 1 ? "9223372036854771712\n" : "max\n");
		free(lim);
		struct cgroup_mem m;
		check_dir(p, (enum cgroup_mode)mode, &m);
		assert_false(cgroup_mem_has(&m, CM_LIMIT));
		assert_false(cgroup_mem_has(&m, CM_HIGH));
	}
}

/* ---- corrupted copies ---- */

struct copy {
	char path[512];
	int mode;
};

static void copy_container(struct copy *c, int mode, const char *phase)
{
	c->mode = mode;
	make_temp_dir(c->path, sizeof(c->path), "cgmem");
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "cp -p '%s/cgroup-v%d/%s/sys%s/'* '%s/'", fixture_dir(), mode,
		 phase, mode == 2 ? FX_V2_CTR : FX_V1_CTR, c->path);
	assert_int_equal(system(cmd), 0);
}

static void copy_free(struct copy *c)
{
	remove_tree(c->path);
}

static void put_file(const struct copy *c, const char *name, const char *text)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", c->path, name);
	write_whole_file(p, text, strlen(text));
}

static void rm_file(const struct copy *c, const char *name)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", c->path, name);
	assert_int_equal(unlink(p), 0);
}

static char *get_file(const struct copy *c, const char *name)
{
	char *t = slurp(c->path, name);
	assert_non_null(t);
	return t;
}

/* Reads the copy; returns rc and sets *bad. */
static int read_copy(const struct copy *c, struct cgroup_mem *m, const char **bad)
{
	int fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct readbuf buf;
	readbuf_init(&buf, 1 << 20);
	*bad = NULL;
	struct cgroup_dir cg = cgroup_dir_at(fd);
	int rc = cgroup_mem_read(&cg, (enum cgroup_mode)c->mode, CGROUP_MEM_ALL, &buf, m, bad);
	readbuf_free(&buf);
	close(fd);
	return rc;
}

/* Replaces name with text in a fresh copy and expects rc and bad_file. */
static void expect_error(int mode, const char *name, const char *text, int want_rc,
			 const char *want_bad)
{
	struct copy c;
	copy_container(&c, mode, mode == 2 ? "3-read-twice" : "7-after-exit");
	put_file(&c, name, text);
	struct cgroup_mem m;
	const char *bad;
	int rc = read_copy(&c, &m, &bad);
	if (rc != want_rc || !bad || strcmp(bad, want_bad) != 0)
		print_error("v%d %s = \"%s\": want %d bad_file %s, got %d bad_file %s\n", mode,
			    name, text, want_rc, want_bad, rc, bad ? bad : "(null)");
	assert_int_equal(rc, want_rc);
	assert_non_null(bad);
	assert_string_equal(bad, want_bad);
	copy_free(&c);
}

/* memory.stat cut short: cut at the first occurrence of at, keeping keep
 * bytes of it. */
static char *truncated_stat(int mode, const char *at, size_t keep)
{
	struct copy c;
	copy_container(&c, mode, mode == 2 ? "3-read-twice" : "7-after-exit");
	char *t = get_file(&c, "memory.stat");
	copy_free(&c);
	char *cut = strstr(t, at);
	assert_non_null(cut);
	cut[keep] = '\0';
	return t;
}

static void test_malformed_v2(void **state)
{
	(void)state;
	/* Truncated inside a wanted line: the key without its value. */
	char *t = truncated_stat(2, "\ninactive_file ", strlen("\ninactive_file"));
	expect_error(2, "memory.stat", t, -EINVAL, "memory.stat");
	free(t);
	/* Truncated between lines, before the split's fields. */
	t = truncated_stat(2, "\nkernel_stack ", 1);
	expect_error(2, "memory.stat", t, -EINVAL, "memory.stat");
	free(t);
	expect_error(2, "memory.stat", "", -EINVAL, "memory.stat");
	expect_error(2, "memory.stat", "anon abc\n", -EINVAL, "memory.stat");
	expect_error(2, "memory.current", "abc\n", -EINVAL, "memory.current");
	expect_error(2, "memory.current", "", -EINVAL, "memory.current");
	expect_error(2, "memory.current", "283111424\r\n", -EINVAL, "memory.current");
	expect_error(2, "memory.current", "max\n", -EINVAL, "memory.current");
	expect_error(2, "memory.max", "99999999999999999999999\n", -ERANGE, "memory.max");
	expect_error(2, "memory.max", "18446744073709551616\n", -ERANGE, "memory.max");
	expect_error(2, "memory.max", "536870912 max\n", -EINVAL, "memory.max");
	expect_error(2, "memory.high", "maxi\n", -EINVAL, "memory.high");
	expect_error(2, "memory.peak", "max\n", -EINVAL, "memory.peak");
	expect_error(2, "memory.swap.current", "-1\n", -EINVAL, "memory.swap.current");
	expect_error(2, "memory.events", "low 0\nhigh zero\nmax 0\noom 0\noom_kill 0\n", -EINVAL,
		     "memory.events");
	expect_error(2, "memory.events", "low 0\nmax\n", -EINVAL, "memory.events");
	expect_error(2, "memory.events", "oom_kill 99999999999999999999999\n", -ERANGE,
		     "memory.events");
	expect_error(2, "memory.pressure", "garbage\n", -EINVAL, "memory.pressure");
	expect_error(2, "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00\n", -EINVAL,
		     "memory.pressure");
}

static void test_malformed_v1(void **state)
{
	(void)state;
	char *t = truncated_stat(1, "\ntotal_inactive_file ", 1);
	expect_error(1, "memory.stat", t, -EINVAL, "memory.stat");
	free(t);
	t = truncated_stat(1, "\ntotal_rss ", strlen("\ntotal_rss "));
	expect_error(1, "memory.stat", t, -EINVAL, "memory.stat");
	free(t);
	expect_error(1, "memory.usage_in_bytes", "466731008x\n", -EINVAL, "memory.usage_in_bytes");
	expect_error(1, "memory.usage_in_bytes", "max\n", -EINVAL, "memory.usage_in_bytes");
	expect_error(1, "memory.limit_in_bytes", "99999999999999999999\n", -ERANGE,
		     "memory.limit_in_bytes");
	expect_error(1, "memory.kmem.usage_in_bytes", "x\n", -EINVAL,
		     "memory.kmem.usage_in_bytes");
	expect_error(1, "memory.failcnt", "1 2\n", -EINVAL, "memory.failcnt");
	expect_error(1, "memory.max_usage_in_bytes", "\n", -EINVAL, "memory.max_usage_in_bytes");
}

/* Optional files that are missing are just absent; the rest is unchanged. */
static void test_missing_optional_v2(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem full, m;
	const char *bad;
	copy_container(&c, 2, "6-over-high");
	assert_int_equal(read_copy(&c, &full, &bad), 0);
	static const char *const optional[] = {"memory.peak", "memory.pressure", "memory.events",
					       "memory.swap.current", "memory.high", "memory.max",
					       "memory.low", "memory.min"};
	static const enum cgroup_mem_field gone[][2] = {
	    {CM_PEAK, CM_PEAK},		{CM_PSI_SOME_US, CM_PSI_FULL_US}, {CM_EV_LOW, CM_EV_OOM_KILL},
	    {CM_SWAP, CM_SWAP},		{CM_HIGH, CM_HIGH},		  {CM_LIMIT, CM_LIMIT},
	    {CM_LOW, CM_LOW},		{CM_MIN, CM_MIN},
	};
	uint64_t lost = 0;
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		rm_file(&c, optional[i]);
		for (int f = (int)gone[i][0]; f <= (int)gone[i][1]; f++)
			lost |= BIT(f);
		check_dir(c.path, CGROUP_V2, &m);
		assert_true(m.has == (full.has & ~lost));
		for (int f = 0; f < CM_N; f++)
			if (m.has & BIT(f))
				assert_true(m.v[f] == full.v[f]);
		assert_memory_equal(m.comp, full.comp, sizeof(m.comp));
	}
	assert_false(cgroup_mem_has(&m, CM_PEAK));
	assert_false(cgroup_mem_has(&m, CM_PSI_SOME_US));
	assert_false(cgroup_mem_has(&m, CM_EV_OOM_KILL));
	assert_true(cgroup_mem_has(&m, CM_USAGE));
	assert_true(cgroup_mem_has(&m, CM_WORKING_SET));
	assert_true(m.has_split);

	/* No memory.current (a v2 root): no split, no usage; the rest stays. */
	rm_file(&c, "memory.current");
	check_dir(c.path, CGROUP_V2, &m);
	assert_false(m.has_split);
	assert_false(cgroup_mem_has(&m, CM_USAGE));
	assert_false(cgroup_mem_has(&m, CM_WORKING_SET));
	assert_true(cgroup_mem_has(&m, CM_FILE_MAPPED));
	assert_true(cgroup_mem_has(&m, CM_PGSCAN));

	/* The v2 root's usage from meminfo (as runc and cAdvisor): the split
	 * then sums to it and the working set is usage - inactive_file. */
	const uint64_t used = UINT64_C(8) << 30;
	assert_int_equal(cgroup_mem_set_root_usage(&m, used), 0);
	assert_true(m.has_split);
	assert_true(m.v[CM_USAGE] == used);
	uint64_t sum = 0;
	for (int i = 0; i < COMP_N; i++)
		sum += m.comp[i];
	assert_true(sum == used);
	assert_memory_equal(m.comp, full.comp, sizeof(m.comp) - sizeof(m.comp[0]));
	assert_true(m.comp[COMP_OTHER] == used - (full.v[CM_USAGE] - full.comp[COMP_OTHER]));
	assert_true(m.v[CM_WORKING_SET] == used - full.comp[COMP_FILE_INACTIVE]);
	/* Only once, and only where memory.current was missing. */
	assert_int_equal(cgroup_mem_set_root_usage(&m, used), -EINVAL);
	assert_int_equal(cgroup_mem_set_root_usage(&full, used), -EINVAL);

	/* No memory.stat: the cgroup is gone. */
	rm_file(&c, "memory.stat");
	assert_int_equal(read_copy(&c, &m, &bad), -ENOENT);
	copy_free(&c);
}

/* MemTotal - MemFree of /proc/meminfo, in bytes; malformed input refused. */
static void test_meminfo_used(void **state)
{
	(void)state;
	uint64_t used = 0;
	assert_int_equal(cgroup_mem_meminfo_used("MemTotal:       131981020 kB\n"
						 "MemFree:        130437376 kB\n"
						 "MemAvailable:   130000000 kB\n",
						 &used),
			 0);
	assert_true(used == (UINT64_C(131981020) - UINT64_C(130437376)) * 1024);
	assert_int_equal(cgroup_mem_meminfo_used("MemTotal: 10 kB\n", &used), -EINVAL);
	assert_int_equal(cgroup_mem_meminfo_used("MemTotal: 10 kB\nMemFree: 11 kB\n", &used),
			 -EINVAL);
	assert_int_equal(cgroup_mem_meminfo_used("MemTotal: x kB\nMemFree: 1 kB\n", &used),
			 -EINVAL);
}

static void test_missing_optional_v1(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem full, m;
	const char *bad;
	copy_container(&c, 1, "7-after-exit");
	assert_int_equal(read_copy(&c, &full, &bad), 0);
	assert_true(full.comp[COMP_KERNEL] == 2953216);
	assert_true(full.comp[COMP_OTHER] == 303104);

	/* kmem not accounted: kernel 0, other takes it. */
	rm_file(&c, "memory.kmem.usage_in_bytes");
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(m.has == full.has);
	assert_true(m.comp[COMP_KERNEL] == 0);
	assert_true(m.comp[COMP_OTHER] == 303104 + 2953216);

	rm_file(&c, "memory.max_usage_in_bytes");
	rm_file(&c, "memory.failcnt");
	rm_file(&c, "memory.limit_in_bytes");
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(m.has == (full.has & ~(BIT(CM_PEAK) | BIT(CM_FAILCNT) | BIT(CM_LIMIT))));

	rm_file(&c, "memory.usage_in_bytes");
	assert_int_equal(read_copy(&c, &m, &bad), -ENOENT);
	copy_free(&c);
}

static void test_v1_limits(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem m;
	copy_container(&c, 1, "7-after-exit");
	put_file(&c, "memory.limit_in_bytes", "9223372036854771712\n");
	check_dir(c.path, CGROUP_V1, &m);
	assert_false(cgroup_mem_has(&m, CM_LIMIT));
	put_file(&c, "memory.limit_in_bytes", "4611686018427387904\n"); /* 2^62 */
	check_dir(c.path, CGROUP_V1, &m);
	assert_false(cgroup_mem_has(&m, CM_LIMIT));
	put_file(&c, "memory.limit_in_bytes", "4611686018427383808\n"); /* 2^62 - 4096 */
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(cgroup_mem_has(&m, CM_LIMIT));
	assert_true(m.v[CM_LIMIT] == UINT64_C(4611686018427383808));
	copy_free(&c);
}

static void test_v2_limits(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem m;
	copy_container(&c, 2, "3-read-twice");
	put_file(&c, "memory.max", "max\n");
	put_file(&c, "memory.high", "max\n");
	put_file(&c, "memory.low", "max\n");
	put_file(&c, "memory.min", "0\n");
	check_dir(c.path, CGROUP_V2, &m);
	assert_false(cgroup_mem_has(&m, CM_LIMIT));
	assert_false(cgroup_mem_has(&m, CM_HIGH));
	assert_false(cgroup_mem_has(&m, CM_LOW));
	assert_false(cgroup_mem_has(&m, CM_MIN));
	put_file(&c, "memory.max", "18446744073709551615\n"); /* a number, not "max" */
	put_file(&c, "memory.low", "1048576\n");
	put_file(&c, "memory.min", "4096\n");
	check_dir(c.path, CGROUP_V2, &m);
	assert_true(m.v[CM_LIMIT] == UINT64_MAX);
	assert_true(m.v[CM_LOW] == 1048576);
	assert_true(m.v[CM_MIN] == 4096);
	copy_free(&c);
}

/* A kernel without the "kernel" line: the sum of its parts. */
static void test_v2_kernel_from_parts(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem m;
	copy_container(&c, 2, "3-read-twice");
	char *t = get_file(&c, "memory.stat");
	char *k = strstr(t, "\nkernel ");
	assert_non_null(k);
	char *e = strchr(k + 1, '\n');
	memmove(k, e, strlen(e) + 1);
	put_file(&c, "memory.stat", t);
	free(t);
	check_dir(c.path, CGROUP_V2, &m);
	/* kernel_stack 0 + pagetables 172032 + sec_pagetables 0 + percpu 288 +
	 * slab 5753104 + vmalloc 0 */
	assert_true(m.comp[COMP_KERNEL] == UINT64_C(5925424));
	assert_true(m.comp[COMP_OTHER] == UINT64_C(283111424) - 67227648 - 209719296 - 5925424);
	copy_free(&c);
}

/* v1 usage is batched per CPU and can trail memory.stat: the parts exceed
 * usage. The components still sum to usage, kernel shaved first. */
static void test_parts_exceed_usage(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem m;
	copy_container(&c, 1, "7-after-exit");
	/* rss 0, shmem 16777216, active 417337344, inactive 29360128, kmem 2953216 */
	const uint64_t parts = UINT64_C(16777216) + 417337344 + 29360128 + 2953216;
	char num[32];

	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)(parts - 8192));
	put_file(&c, "memory.usage_in_bytes", num);
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(m.comp[COMP_KERNEL] == 2953216 - 8192);
	assert_true(m.comp[COMP_OTHER] == 0);
	assert_true(m.comp[COMP_FILE_INACTIVE] == 29360128);
	assert_true(m.comp[COMP_FILE_ACTIVE] == 417337344);
	assert_true(m.comp[COMP_SHMEM] == 16777216);
	assert_true(m.v[CM_WORKING_SET] == parts - 8192 - 29360128);

	/* More than kernel: inactive file next. */
	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)(parts - 2953216 - 4096));
	put_file(&c, "memory.usage_in_bytes", num);
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(m.comp[COMP_KERNEL] == 0);
	assert_true(m.comp[COMP_FILE_INACTIVE] == 29360128 - 4096);
	assert_true(m.comp[COMP_FILE_ACTIVE] == 417337344);

	/* Usage 0: everything shaved, working set floored at 0. */
	put_file(&c, "memory.usage_in_bytes", "0\n");
	check_dir(c.path, CGROUP_V1, &m);
	for (int i = 0; i < COMP_N; i++)
		assert_true(m.comp[i] == 0);
	assert_true(m.v[CM_WORKING_SET] == 0);

	/* Exactly equal: other 0, nothing shaved. */
	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)parts);
	put_file(&c, "memory.usage_in_bytes", num);
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(m.comp[COMP_OTHER] == 0);
	assert_true(m.comp[COMP_KERNEL] == 2953216);
	copy_free(&c);

	/* The same on v2. */
	copy_container(&c, 2, "3-read-twice");
	put_file(&c, "memory.current", "282000000\n");
	check_dir(c.path, CGROUP_V2, &m);
	/* anon 67227648 + active 209719296 + kernel 5926912 = 282873856 */
	assert_true(m.comp[COMP_KERNEL] == 5926912 - (282873856 - 282000000));
	assert_true(m.comp[COMP_ANON] == 67227648);
	assert_true(m.comp[COMP_OTHER] == 0);
	copy_free(&c);
}

/* Without total_swap (swap accounting off): memsw - usage, floored. */
static void test_v1_swap_from_memsw(void **state)
{
	(void)state;
	struct copy c;
	struct cgroup_mem m;
	copy_container(&c, 1, "7-after-exit");
	char *t = get_file(&c, "memory.stat");
	char *k = strstr(t, "\ntotal_swap ");
	assert_non_null(k);
	char *e = strchr(k + 1, '\n');
	memmove(k, e, strlen(e) + 1);
	put_file(&c, "memory.stat", t);
	free(t);
	put_file(&c, "memory.memsw.usage_in_bytes", "466735104\n");
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(m.v[CM_SWAP] == 4096);
	put_file(&c, "memory.memsw.usage_in_bytes", "466000000\n");
	check_dir(c.path, CGROUP_V1, &m);
	assert_true(cgroup_mem_has(&m, CM_SWAP));
	assert_true(m.v[CM_SWAP] == 0);
	rm_file(&c, "memory.memsw.usage_in_bytes");
	check_dir(c.path, CGROUP_V1, &m);
	assert_false(cgroup_mem_has(&m, CM_SWAP));
	copy_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_fixture_cgroup),
	    cmocka_unit_test(test_readme_table),
	    cmocka_unit_test(test_unlimited_roots),
	    cmocka_unit_test(test_malformed_v2),
	    cmocka_unit_test(test_malformed_v1),
	    cmocka_unit_test(test_missing_optional_v2),
	    cmocka_unit_test(test_meminfo_used),
	    cmocka_unit_test(test_missing_optional_v1),
	    cmocka_unit_test(test_v1_limits),
	    cmocka_unit_test(test_v2_limits),
	    cmocka_unit_test(test_v2_kernel_from_parts),
	    cmocka_unit_test(test_parts_exceed_usage),
	    cmocka_unit_test(test_v1_swap_from_memsw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
