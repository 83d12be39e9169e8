/* Unit tests for label_store.h and the arena under it (arena.h): ids in the
 * order first seen and the same id for the same text whenever it comes
 * back (right after, or thousands of entries later, through the hash
 * table and its growth); texts read back byte for byte in increasing,
 * decreasing and scattered order (front coding, blocks of 16); texts that
 * share nothing, share all (a prefix of the one before), are empty, hold
 * NUL bytes, or are larger than a slab; a cgroup-like load stored in far
 * less than its text; arena_extend in place and when it must move. It
 * does not test escaping (test_expfmt does). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/expo/label_store.h"
#include "memacct/util/arena.h"

#define SLAB (64 << 10)

static uint32_t id_of(struct label_store *s, const char *text, size_t n)
{
	uint32_t id = UINT32_MAX;
	assert_int_equal(label_store_id(s, text, n, &id), 0);
	return id;
}

static void check_text(struct label_reader *r, uint32_t id, const char *want, size_t n)
{
	const char *got;
	size_t len;
	assert_int_equal(label_reader_get(r, id, &got, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
}

/* A cgroup-like label set: the i-th of n, with a 64-hex id. */
static size_t cgroup_text(char *buf, size_t cap, unsigned i, bool info)
{
	unsigned long long h = 0x9e3779b97f4a7c15ull * (i + 1);
	int n =
	    snprintf(buf, cap,
		     "cgroup=\"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%08x"
		     ".slice/cri-containerd-%016llx%016llx%016llx%016llx.scope\",level=\"container"
		     "\",container_id=\"%016llx%016llx%016llx%016llx\"%s",
		     i / 2, h, h ^ 1, h ^ 2, h ^ 3, h, h ^ 1, h ^ 2, h ^ 3,
		     info ? ",qos=\"burstable\",runtime=\"containerd\"" : "");
	return (size_t)n;
}

static void test_ids_and_texts(void **state)
{
	(void)state;
	struct label_store s;
	label_store_init(&s, SLAB);
	assert_int_equal(id_of(&s, "a=\"1\"", 5), 0);
	assert_int_equal(id_of(&s, "a=\"1\"", 5), 0); /* the recent one */
	assert_int_equal(id_of(&s, "a=\"1\",b=\"2\"", 11), 1);
	assert_int_equal(id_of(&s, "a=\"1\"", 5), 0); /* a prefix of the one before */
	assert_int_equal(id_of(&s, "zzz", 3), 2);     /* shares nothing */
	assert_int_equal(id_of(&s, "", 0), 3);
	assert_int_equal(id_of(&s, "x\0y", 3), 4); /* NUL is a byte like others */
	assert_int_equal(id_of(&s, "x\0z", 3), 5);
	assert_int_equal(id_of(&s, "a=\"1\",b=\"2\"", 11), 1);
	assert_int_equal(id_of(&s, "x\0y", 3), 4);
	assert_int_equal(s.n, 6);
	struct label_reader r;
	label_reader_init(&r, &s);
	check_text(&r, 5, "x\0z", 3);
	check_text(&r, 0, "a=\"1\"", 5);
	check_text(&r, 1, "a=\"1\",b=\"2\"", 11);
	check_text(&r, 1, "a=\"1\",b=\"2\"", 11); /* again: the same */
	check_text(&r, 2, "zzz", 3);
	check_text(&r, 3, "", 0);
	check_text(&r, 4, "x\0y", 3);
	const char *t;
	size_t n;
	assert_int_equal(label_reader_get(&r, 6, &t, &n), -EINVAL);
	label_reader_free(&r);
	label_store_free(&s);
}

/* 5,000 cgroups, each with its info set then its set (a prefix of it),
 * then a second collector asking for the sets again in the same order:
 * no new ids; every text reads back in any order; the store holds less
 * than half the texts' bytes (each set's random 64-hex id is stored once
 * of the three times it is asked for; a real tree's pod slices share more). */
static void test_many_cgroups(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct label_store s;
	label_store_init(&s, SLAB);
	char buf[512];
	size_t text_bytes = 0;
	for (unsigned i = 0; i < N; i++) {
		size_t n = cgroup_text(buf, sizeof(buf), i, true);
		assert_int_equal(id_of(&s, buf, n), 2 * i);
		text_bytes += n;
		n = cgroup_text(buf, sizeof(buf), i, false);
		assert_int_equal(id_of(&s, buf, n), 2 * i + 1);
		text_bytes += n;
	}
	for (unsigned i = 0; i < N; i++) {
		size_t n = cgroup_text(buf, sizeof(buf), i, false);
		assert_int_equal(id_of(&s, buf, n), 2 * i + 1);
	}
	assert_int_equal(s.n, 2 * N);
	size_t bytes = label_store_bytes(&s);
	print_message("%u texts of %zu bytes stored in %zu bytes\n", 2 * N, text_bytes, bytes);
	assert_true(bytes * 2 < text_bytes);
	struct label_reader r;
	label_reader_init(&r, &s);
	for (unsigned i = 0; i < 2 * N; i++) { /* forwards */
		size_t n = cgroup_text(buf, sizeof(buf), i / 2, i % 2 == 0);
		check_text(&r, i, buf, n);
	}
	for (unsigned i = 2 * N; i-- > 0;) { /* backwards */
		size_t n = cgroup_text(buf, sizeof(buf), i / 2, i % 2 == 0);
		check_text(&r, i, buf, n);
	}
	for (unsigned k = 0; k < 2 * N; k++) { /* scattered */
		unsigned i = (unsigned)((k * 7919ull) % (2 * N));
		size_t n = cgroup_text(buf, sizeof(buf), i / 2, i % 2 == 0);
		check_text(&r, i, buf, n);
	}
	label_reader_free(&r);
	label_store_free(&s);
}

/* Texts larger than a slab, and a block that grows past its slab. */
static void test_large_texts(void **state)
{
	(void)state;
	struct label_store s;
	label_store_init(&s, 4096);
	size_t big = 3 * SLAB;
	char *a = malloc(big), *b = malloc(big);
	assert_non_null(a);
	assert_non_null(b);
	for (size_t i = 0; i < big; i++) {
		a[i] = (char)('a' + i % 23);
		b[i] = (char)('a' + i % 29);
	}
	for (unsigned i = 0; i < 40; i++) {
		a[0] = (char)('A' + i);
		assert_int_equal(id_of(&s, a, big - i), i);
	}
	assert_int_equal(id_of(&s, b, big), 40);
	struct label_reader r;
	label_reader_init(&r, &s);
	for (unsigned i = 40; i-- > 0;) {
		a[0] = (char)('A' + i);
		check_text(&r, i, a, big - i);
	}
	check_text(&r, 40, b, big);
	label_reader_free(&r);
	label_store_free(&s);
	free(a);
	free(b);
}

static void test_arena(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 100); /* rounded up to a page */
	assert_int_equal(a.mapped, 0);
	char *p = arena_alloc(&a, 10);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 8, 0);
	memcpy(p, "0123456789", 10);
	char *q = arena_extend(&a, p, 100);
	assert_ptr_equal(q, p); /* room in its slab: in place */
	assert_memory_equal(q, "0123456789", 10);
	char *r = arena_alloc(&a, 3);
	assert_null(arena_extend(&a, p, 200)); /* p is no longer the last */
	memcpy(r, "abc", 3);
	char *moved = arena_extend(&a, r, 10000); /* beyond its slab: moves */
	assert_non_null(moved);
	assert_ptr_not_equal(moved, r);
	assert_memory_equal(moved, "abc", 3);
	memset(moved, 'x', 10000);
	assert_memory_equal(p, "0123456789", 10); /* nothing else moved */
	assert_true(a.mapped >= 10000);
	arena_free(&a);
	assert_int_equal(a.mapped, 0);
	assert_non_null(arena_alloc(&a, 1)); /* usable again */
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_and_texts),
	    cmocka_unit_test(test_many_cgroups),
	    cmocka_unit_test(test_large_texts),
	    cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
