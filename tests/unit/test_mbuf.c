/* Unit tests for mbuf.h: the hard cap and its sticky -EFBIG, reset, detach
 * and ownership, integer formatting at the int64/uint64 extremes, doubles,
 * and printf growing the buffer. AddressSanitizer's leak check covers the
 * ownership cases. It does not test escaping (test_expfmt.c does). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/mbuf.h"

/* b holds exactly s (and its NUL). */
static void assert_content(const struct mbuf *b, const char *s)
{
	assert_int_equal(b->len, strlen(s));
	assert_non_null(b->data);
	assert_memory_equal(b->data, s, b->len + 1);
}

static void test_add_basic(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 1024);
	assert_int_equal(b.len, 0);
	assert_int_equal(mbuf_error(&b), 0);
	assert_int_equal(mbuf_addstr(&b, "abc"), 0);
	assert_int_equal(mbuf_addc(&b, '-'), 0);
	assert_int_equal(mbuf_add(&b, "xyz", 2), 0);
	assert_int_equal(mbuf_add(&b, NULL, 0), 0);
	assert_int_equal(mbuf_addstr(&b, ""), 0);
	assert_content(&b, "abc-xy");
	/* Bytes after a NUL are kept: the length counts. */
	assert_int_equal(mbuf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data + 6, "a\0b", 4);
	mbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 1024);
}

/* Growth over many appends well past the first allocation. */
static void test_grow(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 100000);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(mbuf_addc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= 100001);
	assert_true(b.cap <= 100001); /* never allocates past max + 1 */
	for (int i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[100000], '\0');
	assert_int_equal(mbuf_error(&b), 0);
	mbuf_free(&b);
}

static void test_cap_exact_then_efbig_sticky(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 8);
	assert_int_equal(mbuf_addstr(&b, "1234"), 0);
	assert_int_equal(mbuf_addstr(&b, "5678"), 0); /* exactly max */
	assert_int_equal(mbuf_error(&b), 0);
	assert_content(&b, "12345678");
	assert_int_equal(mbuf_addc(&b, 'x'), -EFBIG);
	assert_int_equal(mbuf_error(&b), -EFBIG);
	assert_content(&b, "12345678"); /* nothing partial was added */
	/* Sticky: even appends that would fit or add nothing fail. */
	assert_int_equal(mbuf_add(&b, "", 0), -EFBIG);
	assert_int_equal(mbuf_add_u64(&b, 1), -EFBIG);
	assert_int_equal(mbuf_printf(&b, "%d", 1), -EFBIG);
	assert_int_equal(mbuf_add_f64(&b, 1.5), -EFBIG);
	assert_content(&b, "12345678");
	/* Detach refuses a failed buffer; it still owns its memory. */
	size_t len = 99;
	assert_null(mbuf_detach(&b, &len));
	assert_int_equal(len, 99);
	assert_non_null(b.data);
	/* reset clears the error and keeps the memory. */
	char *mem = b.data;
	mbuf_reset(&b);
	assert_int_equal(mbuf_error(&b), 0);
	assert_ptr_equal(b.data, mem);
	assert_content(&b, "");
	assert_int_equal(mbuf_addstr(&b, "ok"), 0);
	assert_content(&b, "ok");
	mbuf_free(&b);
}

/* One append larger than the cap fails whole; one larger than the room left
 * fails whole too. */
static void test_cap_one_big_append(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 8);
	assert_int_equal(mbuf_add(&b, "123456789", 9), -EFBIG);
	assert_int_equal(b.len, 0);
	mbuf_free(&b);

	mbuf_init(&b, 8);
	assert_int_equal(mbuf_addstr(&b, "12345"), 0);
	assert_int_equal(mbuf_addstr(&b, "6789"), -EFBIG);
	assert_content(&b, "12345");
	mbuf_free(&b);

	/* A length that would overflow len + n. */
	mbuf_init(&b, 8);
	assert_int_equal(mbuf_addstr(&b, "1"), 0);
	assert_int_equal(mbuf_add(&b, "x", SIZE_MAX), -EFBIG);
	assert_content(&b, "1");
	mbuf_free(&b);
}

static void test_cap_zero(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 0);
	assert_int_equal(mbuf_addc(&b, 'a'), -EFBIG);
	mbuf_free(&b);

	mbuf_init(&b, 0);
	size_t len = 99;
	char *p = mbuf_detach(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
}

static void test_detach(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 64);
	assert_int_equal(mbuf_addstr(&b, "hello"), 0);
	size_t len = 0;
	char *p = mbuf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_string_equal(p, "hello");
	/* b no longer owns it: empty, reusable, same cap. */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 64);
	assert_int_equal(mbuf_addstr(&b, "again"), 0);
	assert_content(&b, "again");
	assert_true(b.data != p);
	free(p); /* ours now */
	/* len may be NULL. */
	p = mbuf_detach(&b, NULL);
	assert_string_equal(p, "again");
	free(p);
	mbuf_free(&b); /* nothing left to free: must not double free */

	/* An empty, never-allocated buffer detaches to "". */
	mbuf_init(&b, 64);
	p = mbuf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);

	/* A reset buffer detaches to "" too. */
	mbuf_init(&b, 64);
	mbuf_addstr(&b, "x");
	mbuf_reset(&b);
	p = mbuf_detach(&b, &len);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);
}

static void check_u64(uint64_t v, const char *want)
{
	struct mbuf b;
	mbuf_init(&b, 64);
	assert_int_equal(mbuf_add_u64(&b, v), 0);
	assert_content(&b, want);
	mbuf_free(&b);
}

static void check_i64(int64_t v, const char *want)
{
	struct mbuf b;
	mbuf_init(&b, 64);
	assert_int_equal(mbuf_add_i64(&b, v), 0);
	assert_content(&b, want);
	mbuf_free(&b);
}

static void test_integers(void **state)
{
	(void)state;
	check_u64(0, "0");
	check_u64(9, "9");
	check_u64(10, "10");
	check_u64(1234567890, "1234567890");
	check_u64(UINT64_MAX, "18446744073709551615");
	check_u64(UINT64_MAX - 1, "18446744073709551614");
	check_u64(UINT64_C(9223372036854771712), "9223372036854771712");
	check_i64(0, "0");
	check_i64(-1, "-1");
	check_i64(1, "1");
	check_i64(-10, "-10");
	check_i64(INT64_MAX, "9223372036854775807");
	check_i64(INT64_MIN, "-9223372036854775808");
	check_i64(INT64_MIN + 1, "-9223372036854775807");

	/* Appends, does not overwrite. */
	struct mbuf b;
	mbuf_init(&b, 64);
	mbuf_add_u64(&b, 1);
	mbuf_addc(&b, ' ');
	mbuf_add_i64(&b, -2);
	assert_content(&b, "1 -2");
	mbuf_free(&b);

	/* An integer that does not fit is not written in part. */
	mbuf_init(&b, 19);
	assert_int_equal(mbuf_add_u64(&b, UINT64_MAX), -EFBIG);
	assert_int_equal(b.len, 0);
	mbuf_free(&b);
	mbuf_init(&b, 20);
	assert_int_equal(mbuf_add_i64(&b, INT64_MIN), 0);
	assert_content(&b, "-9223372036854775808");
	mbuf_free(&b);
}

static void check_f64(double v, const char *want)
{
	struct mbuf b;
	mbuf_init(&b, 64);
	assert_int_equal(mbuf_add_f64(&b, v), 0);
	if (strcmp(b.data, want) != 0)
		print_error("%.17g: want \"%s\", got \"%s\"\n", v, want, b.data);
	assert_content(&b, want);
	mbuf_free(&b);
}

static void test_doubles(void **state)
{
	(void)state;
	check_f64(0.0, "0");
	check_f64(-0.0, "-0");
	check_f64(1.0, "1");
	check_f64(-2.0, "-2");
	check_f64(0.1, "0.1");
	check_f64(0.1 + 0.2, "0.30000000000000004");
	check_f64(1.5, "1.5");
	check_f64(1e-7, "1e-07");
	check_f64(1e20, "1e+20");
	check_f64(1e300, "1e+300");
	check_f64(123456789.125, "123456789.125");
	check_f64(9007199254740991.0, "9007199254740991");
	check_f64(9007199254740992.0, "9007199254740992");
	check_f64(-9007199254740991.0, "-9007199254740991");
	check_f64(NAN, "NaN");
	check_f64(INFINITY, "+Inf");
	check_f64(-INFINITY, "-Inf");

	/* Whatever the digits, every finite value reads back exactly (the
	 * smallest subnormal, odd fractions, the largest double). */
	static const double any[] = {5e-324, 1.0 / 3, 2.0 / 3, 1e-310, 1.7976931348623157e308,
				     -123.456e-200, 0.000123};
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
		struct mbuf b;
		mbuf_init(&b, 64);
		assert_int_equal(mbuf_add_f64(&b, any[i]), 0);
		assert_true(strtod(b.data, NULL) == any[i]);
		mbuf_free(&b);
	}
}

static void test_printf(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 4096);
	assert_int_equal(mbuf_printf(&b, "%s=%d;", "k", -5), 0);
	assert_int_equal(mbuf_printf(&b, "%s", ""), 0);
	assert_int_equal(mbuf_printf(&b, "%05u", 42u), 0);
	assert_content(&b, "k=-5;00042");
	/* Past the first allocation in one call. */
	assert_int_equal(mbuf_printf(&b, "%1000s|", "r"), 0);
	assert_int_equal(b.len, 10 + 1001);
	assert_int_equal(b.data[10 + 998], ' ');
	assert_int_equal(b.data[10 + 999], 'r');
	assert_int_equal(b.data[10 + 1000], '|');
	assert_int_equal(b.data[10 + 1001], '\0');
	mbuf_free(&b);

	/* Over the cap: nothing partial, sticky. */
	mbuf_init(&b, 10);
	assert_int_equal(mbuf_printf(&b, "%s", "12345"), 0);
	assert_int_equal(mbuf_printf(&b, "%s", "123456"), -EFBIG);
	assert_content(&b, "12345");
	assert_int_equal(mbuf_printf(&b, "%s", "1"), -EFBIG);
	assert_content(&b, "12345");
	mbuf_free(&b);

	/* Exactly to the cap. */
	mbuf_init(&b, 10);
	assert_int_equal(mbuf_printf(&b, "%s", "1234567890"), 0);
	assert_content(&b, "1234567890");
	mbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_basic),
	    cmocka_unit_test(test_grow),
	    cmocka_unit_test(test_cap_exact_then_efbig_sticky),
	    cmocka_unit_test(test_cap_one_big_append),
	    cmocka_unit_test(test_cap_zero),
	    cmocka_unit_test(test_detach),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_doubles),
	    cmocka_unit_test(test_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
