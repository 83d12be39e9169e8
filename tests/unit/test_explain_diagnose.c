/* Unit tests of explain's diagnosis (src/explain/explain_diagnose.c): for
 * each rule of the table, hand-made rows on which it fires (the exact
 * sentence and severity) and near misses on which it does not (its
 * condition is false, and the sentence comes from a later rule); the
 * table's shape (order, names, which rules explain inactive cache); and
 * that the man page's Diagnosis section lists exactly the table's rules.
 * Rows read from files are tested in test_explain.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/explain/explain_diagnose.h"

#define MIB (UINT64_C(1) << 20)

/* ---- helpers ---- */

static struct explain_row mkrow(uint64_t anon, uint64_t shmem, uint64_t active, uint64_t inactive,
				uint64_t kernel, uint64_t procs, uint64_t rss_file)
{
	struct explain_row r;
	memset(&r, 0, sizeof(r));
	r.path = (char *)(uintptr_t) "/x";
	r.mem.mode = CGROUP_V2;
	r.mem.has_split = true;
	r.mem.comp[COMP_ANON] = anon;
	r.mem.comp[COMP_SHMEM] = shmem;
	r.mem.comp[COMP_FILE_ACTIVE] = active;
	r.mem.comp[COMP_FILE_INACTIVE] = inactive;
	r.mem.comp[COMP_KERNEL] = kernel;
	uint64_t usage = anon + shmem + active + inactive + kernel;
	r.mem.v[CM_USAGE] = usage;
	r.mem.v[CM_WORKING_SET] = usage - inactive;
	r.mem.has = (UINT64_C(1) << CM_USAGE) | (UINT64_C(1) << CM_WORKING_SET);
	r.procs_ok = true;
	r.procs.processes = procs;
	r.procs.rss_anon = anon;
	r.procs.rss_file = rss_file;
	return r;
}

static void set_field(struct explain_row *r, enum cgroup_mem_field f, uint64_t v)
{
	r->mem.v[f] = v;
	r->mem.has |= UINT64_C(1) << f;
}

/* explain_diagnose gives rule, severity and exactly text. */
static void assert_diag(const struct explain_row *r, const struct explain_row *first,
			enum explain_rule rule, enum explain_severity sev, const char *text)
{
	struct explain_diag d;
	explain_diagnose(r, first, &d);
	if (strcmp(d.text, text) != 0 || d.rule != rule)
		fprintf(stderr, "got %s: %s\n", explain_rule_name(d.rule), d.text);
	assert_string_equal(d.text, text);
	assert_int_equal(d.rule, rule);
	assert_int_equal(d.severity, sev);
}

/* rule's condition is true (fires) or false on r. */
static void assert_fires(enum explain_rule rule, const struct explain_row *r,
			 const struct explain_row *first, bool want)
{
	struct explain_facts f;
	explain_facts_of(r, first, &f);
	if (explain_rules[rule].fires(&f) != want)
		fprintf(stderr, "rule %s: want fires=%d\n", explain_rule_name(rule), want);
	assert_true(explain_rules[rule].fires(&f) == want);
}

/* ---- the table ---- */

static void test_table_shape(void **state)
{
	(void)state;
	for (size_t i = 0; i < EXPLAIN_RULE_N; i++) {
		const struct explain_rule_def *r = &explain_rules[i];
		assert_int_equal(r->rule, i);
		assert_non_null(r->name);
		assert_non_null(r->fires);
		assert_non_null(r->say);
		assert_string_equal(explain_rule_name(r->rule), r->name);
		for (size_t j = 0; j < i; j++)
			assert_true(strcmp(explain_rules[j].name, r->name) != 0);
		/* page_cache to mixed say why usage exceeds the working set. */
		assert_true(r->tells_inactive == (i >= EXPLAIN_PAGE_CACHE));
	}
	assert_string_equal(explain_rule_name(EXPLAIN_RULE_N), "?");
	assert_string_equal(explain_severity_names[EXPLAIN_OK], "ok");
	assert_string_equal(explain_severity_names[EXPLAIN_WATCH], "watch");
	assert_string_equal(explain_severity_names[EXPLAIN_ACT], "act");
}

/* ---- one test per rule: when it fires, when it does not ---- */

static void test_rule_empty(void **state)
{
	(void)state;
	struct explain_row r = mkrow(0, 0, 0, 0, 0, 0, 0);
	assert_diag(&r, NULL, EXPLAIN_EMPTY, EXPLAIN_OK, "nothing charged");
	r = mkrow(0, 0, 0, 300 * MIB, 0, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_EMPTY, EXPLAIN_OK,
		    "working set 0 B: all 300 MiB of usage is inactive page cache, which reclaim "
		    "takes first");
	r = mkrow(0, 0, 0, 0, 0, 1, 0);
	r.mem.comp[COMP_OTHER] = 256 * 1024;
	r.mem.v[CM_USAGE] = r.mem.v[CM_WORKING_SET] = 256 * 1024;
	assert_diag(&r, NULL, EXPLAIN_EMPTY, EXPLAIN_OK,
		    "working set 256 KiB: next to nothing is charged");
	r.mem.v[CM_WORKING_SET] = MIB - 1;
	assert_fires(EXPLAIN_EMPTY, &r, NULL, true);

	/* 1 MiB and more: not empty. */
	r.mem.v[CM_WORKING_SET] = MIB;
	assert_fires(EXPLAIN_EMPTY, &r, NULL, false);
	r.mem.comp[COMP_OTHER] = 2 * MIB;
	r.mem.v[CM_USAGE] = r.mem.v[CM_WORKING_SET] = 2 * MIB;
	assert_fires(EXPLAIN_EMPTY, &r, NULL, false);
	assert_diag(&r, NULL, EXPLAIN_MIXED, EXPLAIN_OK, "working set 2 MiB: 2 MiB other");
}

static void test_rule_no_process(void **state)
{
	(void)state;
	/* What is left is listed; mostly active page cache: ok. */
	struct explain_row r = mkrow(0, 0, 200 * MIB, 10 * MIB, 1 * MIB, 0, 0);
	assert_diag(&r, NULL, EXPLAIN_NO_PROCESS, EXPLAIN_OK,
		    "no process: working set 201 MiB is 200 MiB active page cache (reclaimable) "
		    "left charged by processes that exited, not a leak in a running one");
	/* Mostly shmem: worth a look. */
	struct explain_row s = mkrow(0, 64 * MIB, 1 * MIB, 0, 1 * MIB, 0, 0);
	assert_diag(&s, NULL, EXPLAIN_NO_PROCESS, EXPLAIN_WATCH,
		    "no process: working set 66 MiB is 64 MiB shmem (kept until its tmpfs or "
		    "/dev/shm files are deleted) left charged by processes that exited, not a leak "
		    "in a running one");

	/* Unknown processes never say "no process", nor does one process. */
	r.procs_ok = false;
	assert_fires(EXPLAIN_NO_PROCESS, &r, NULL, false);
	assert_diag(&r, NULL, EXPLAIN_PAGE_CACHE, EXPLAIN_OK,
		    "working set 201 MiB, 200 MiB of it active page cache that no process maps: "
		    "reclaimable, not a leak");
	r.procs_ok = true;
	r.procs.processes = 1;
	assert_fires(EXPLAIN_NO_PROCESS, &r, NULL, false);
}

static void test_rule_near_limit_cache(void **state)
{
	(void)state;
	/* Inactive + unmapped active is half of usage: no inactive-cache
	 * clause either (only page_cache to mixed add it). */
	struct explain_row r = mkrow(50 * MIB, 0, 200 * MIB, 220 * MIB, 0, 1, 0);
	set_field(&r, CM_LIMIT, 500 * MIB);
	assert_diag(&r, NULL, EXPLAIN_NEAR_LIMIT_CACHE, EXPLAIN_OK,
		    "usage 470 MiB is 94% of the limit (500 MiB), but 420 MiB of it is page "
		    "cache no process maps, which reclaim frees first: not a leak");

	/* 88% of a 530 MiB limit: not near. */
	set_field(&r, CM_LIMIT, 530 * MIB);
	assert_fires(EXPLAIN_NEAR_LIMIT_CACHE, &r, NULL, false);
	/* Near, but the cache is mapped by the processes. */
	r = mkrow(50 * MIB, 0, 420 * MIB, 0, 0, 1, 420 * MIB);
	set_field(&r, CM_LIMIT, 500 * MIB);
	assert_fires(EXPLAIN_NEAR_LIMIT_CACHE, &r, NULL, false);
	assert_fires(EXPLAIN_NEAR_LIMIT, &r, NULL, true);
}

static void test_rule_near_limit_anon(void **state)
{
	(void)state;
	struct explain_row r = mkrow(400 * MIB, 60 * MIB, 5 * MIB, 5 * MIB, 0, 1, 0);
	set_field(&r, CM_LIMIT, 500 * MIB);
	assert_diag(&r, NULL, EXPLAIN_NEAR_LIMIT_ANON, EXPLAIN_ACT,
		    "usage 470 MiB is 94% of the limit (500 MiB) and 460 MiB of it is anon and "
		    "shmem, which reclaim cannot free: an OOM kill is near, look at the process");
	/* memory.high below the limit is the bound: throttling. */
	set_field(&r, CM_HIGH, 480 * MIB);
	assert_diag(&r, NULL, EXPLAIN_NEAR_LIMIT_ANON, EXPLAIN_ACT,
		    "usage 470 MiB is 97% of memory.high (480 MiB) and 460 MiB of it is anon and "
		    "shmem, which reclaim cannot free: throttling is near, look at the process");
	/* Shmem below a tenth of usage is not named. */
	r = mkrow(460 * MIB, 0, 5 * MIB, 5 * MIB, 0, 1, 0);
	set_field(&r, CM_LIMIT, 500 * MIB);
	assert_diag(&r, NULL, EXPLAIN_NEAR_LIMIT_ANON, EXPLAIN_ACT,
		    "usage 470 MiB is 94% of the limit (500 MiB) and 460 MiB of it is anon, which "
		    "reclaim cannot free: an OOM kill is near, look at the process");

	/* 89%: not near; the anon rule speaks. */
	r = mkrow(445 * MIB, 0, 0, 0, 0, 1, 0);
	set_field(&r, CM_LIMIT, 500 * MIB);
	assert_fires(EXPLAIN_NEAR_LIMIT_ANON, &r, NULL, false);
	assert_diag(&r, NULL, EXPLAIN_ANON, EXPLAIN_OK,
		    "anon 445 MiB is most of the working set 445 MiB: the processes' own memory; "
		    "if it keeps rising, look at the process");
}

static void test_rule_near_limit(void **state)
{
	(void)state;
	struct explain_row r = mkrow(150 * MIB, 0, 200 * MIB, 0, 120 * MIB, 1, 200 * MIB);
	set_field(&r, CM_LIMIT, 500 * MIB);
	assert_diag(&r, NULL, EXPLAIN_NEAR_LIMIT, EXPLAIN_WATCH,
		    "usage 470 MiB is 94% of the limit (500 MiB): 150 MiB anon, 200 MiB mapped "
		    "page cache and 120 MiB kernel");

	/* No limit, or a limit of 0: nothing to be near. */
	r.mem.has &= ~(UINT64_C(1) << CM_LIMIT);
	assert_fires(EXPLAIN_NEAR_LIMIT, &r, NULL, false);
	assert_diag(&r, NULL, EXPLAIN_MIXED, EXPLAIN_OK,
		    "working set 470 MiB: 150 MiB anon, 200 MiB mapped page cache and 120 MiB "
		    "kernel, no part dominates");
	set_field(&r, CM_LIMIT, 0);
	assert_fires(EXPLAIN_NEAR_LIMIT, &r, NULL, false);
}

static void test_rule_page_cache(void **state)
{
	(void)state;
	/* 2-write200M then 3-read-twice in small: inactive cache said too. */
	struct explain_row r = mkrow(10 * MIB, 0, 100 * MIB, 0, 0, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_PAGE_CACHE, EXPLAIN_OK,
		    "working set 110 MiB, 100 MiB of it active page cache that no process maps: "
		    "reclaimable, not a leak");
	r = mkrow(10 * MIB, 0, 100 * MIB, 60 * MIB, 0, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_PAGE_CACHE, EXPLAIN_OK,
		    "working set 110 MiB, 100 MiB of it active page cache that no process maps: "
		    "reclaimable, not a leak; usage 170 MiB also holds 60 MiB of inactive page "
		    "cache, reclaimed first");

	/* Mapped page cache is not "no process maps". */
	r = mkrow(10 * MIB, 0, 100 * MIB, 0, 0, 1, 100 * MIB);
	assert_fires(EXPLAIN_PAGE_CACHE, &r, NULL, false);
	assert_diag(&r, NULL, EXPLAIN_MIXED, EXPLAIN_OK,
		    "working set 110 MiB: 100 MiB mapped page cache");
}

static void test_rule_anon(void **state)
{
	(void)state;
	struct explain_row r = mkrow(410 * MIB, 0, 10 * MIB, 0, 0, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_ANON, EXPLAIN_OK,
		    "anon 410 MiB is most of the working set 420 MiB: the processes' own memory; "
		    "if it keeps rising, look at the process");
	/* Rising since the first sample by more than 1 MiB and 1%. */
	struct explain_row first = mkrow(300 * MIB, 0, 0, 0, 0, 1, 0);
	assert_diag(&r, &first, EXPLAIN_ANON, EXPLAIN_ACT,
		    "anon 410 MiB and rising (+110 MiB since the first sample) is most of the "
		    "working set 420 MiB: look at the process");
	/* Half a MiB more is not rising. */
	first = mkrow(410 * MIB - 512 * 1024, 0, 0, 0, 0, 1, 0);
	assert_diag(&r, &first, EXPLAIN_ANON, EXPLAIN_OK,
		    "anon 410 MiB is most of the working set 420 MiB: the processes' own memory; "
		    "if it keeps rising, look at the process");

	/* 40% anon is not most. */
	r = mkrow(40 * MIB, 0, 30 * MIB, 0, 30 * MIB, 1, 0);
	assert_fires(EXPLAIN_ANON, &r, NULL, false);
}

static void test_rule_shmem(void **state)
{
	(void)state;
	struct explain_row r = mkrow(1 * MIB, 80 * MIB, 0, 0, 0, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_SHMEM, EXPLAIN_WATCH,
		    "shmem 80 MiB is most of the working set 81 MiB: tmpfs or /dev/shm files and "
		    "shared memory, which reclaim cannot free without swap; look for files left "
		    "in /dev/shm");

	/* Just under half: kernel, the larger part, speaks. */
	r = mkrow(1 * MIB, 40 * MIB, 0, 0, 41 * MIB, 1, 0);
	assert_fires(EXPLAIN_SHMEM, &r, NULL, false);
	assert_fires(EXPLAIN_KERNEL, &r, NULL, true);
}

static void test_rule_kernel(void **state)
{
	(void)state;
	/* Inactive cache a quarter of usage or more: say why usage is larger. */
	struct explain_row r = mkrow(1 * MIB, 0, 0, 100 * MIB, 9 * MIB, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_KERNEL, EXPLAIN_WATCH,
		    "kernel memory 9 MiB is most of the working set 10 MiB: slab (dentries, "
		    "inodes, sockets) and page tables, not the heap; look at open files and "
		    "sockets; usage 110 MiB also holds 100 MiB of inactive page cache, reclaimed "
		    "first");

	r = mkrow(40 * MIB, 0, 30 * MIB, 0, 30 * MIB, 1, 0);
	assert_fires(EXPLAIN_KERNEL, &r, NULL, false);
}

static void test_rule_mixed(void **state)
{
	(void)state;
	struct explain_row r = mkrow(40 * MIB, 0, 30 * MIB, 0, 30 * MIB, 1, 0);
	assert_diag(&r, NULL, EXPLAIN_MIXED, EXPLAIN_OK,
		    "working set 100 MiB: 40 MiB anon, 30 MiB active page cache no process maps "
		    "and 30 MiB kernel, no part dominates");
	/* Its condition always holds: it speaks only when no rule before it
	 * does. */
	struct explain_facts f;
	memset(&f, 0, sizeof(f));
	assert_true(explain_rules[EXPLAIN_MIXED].fires(&f));
	r = mkrow(80 * MIB, 0, 10 * MIB, 0, 10 * MIB, 1, 0);
	assert_fires(EXPLAIN_MIXED, &r, NULL, true);
	assert_diag(&r, NULL, EXPLAIN_ANON, EXPLAIN_OK,
		    "anon 80 MiB is most of the working set 100 MiB: the processes' own memory; "
		    "if it keeps rising, look at the process");
}

/* ---- the man page lists the table ---- */

static char *read_man_page(void)
{
	char path[4096];
	const char *src = getenv("MEMACCT_SRC");
	if (src && *src) {
		snprintf(path, sizeof(path), "%s/docs/memacct_exporter.1", src);
	} else {
		/* tests/unit/test_explain_diagnose.c -> docs/ */
		const char *slash = strrchr(__FILE__, '/');
		int dirlen = slash ? (int)(slash - __FILE__) : 1;
		snprintf(path, sizeof(path), "%.*s/../../docs/memacct_exporter.1", dirlen,
			 slash ? __FILE__ : ".");
	}
	FILE *f = fopen(path, "r");
	if (!f)
		fprintf(stderr, "cannot open %s\n", path);
	assert_non_null(f);
	static char text[1 << 17];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* The Diagnosis section holds one ".TP\n.B <name>" per rule, in the table's
 * order, and nothing else under .TP. */
static void test_man_page_lists_every_rule(void **state)
{
	(void)state;
	char *man = read_man_page();
	char *sec = strstr(man, "\n.SS Diagnosis\n");
	assert_non_null(sec);
	char *end = strstr(sec + 1, "\n.SS ");
	assert_non_null(end);
	*end = '\0';
	size_t tps = 0;
	for (const char *p = sec; (p = strstr(p, "\n.TP\n")) != NULL; p += 4)
		tps++;
	assert_int_equal(tps, EXPLAIN_RULE_N);
	const char *at = sec;
	for (size_t i = 0; i < EXPLAIN_RULE_N; i++) {
		char key[64];
		snprintf(key, sizeof(key), "\n.TP\n.B %s\n", explain_rules[i].name);
		const char *hit = strstr(at, key);
		if (!hit)
			fprintf(stderr, "man page: no \"%s\" after the previous rule\n",
				explain_rules[i].name);
		assert_non_null(hit);
		at = hit + 1;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_shape),
	    cmocka_unit_test(test_rule_empty),
	    cmocka_unit_test(test_rule_no_process),
	    cmocka_unit_test(test_rule_near_limit_cache),
	    cmocka_unit_test(test_rule_near_limit_anon),
	    cmocka_unit_test(test_rule_near_limit),
	    cmocka_unit_test(test_rule_page_cache),
	    cmocka_unit_test(test_rule_anon),
	    cmocka_unit_test(test_rule_shmem),
	    cmocka_unit_test(test_rule_kernel),
	    cmocka_unit_test(test_rule_mixed),
	    cmocka_unit_test(test_man_page_lists_every_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
