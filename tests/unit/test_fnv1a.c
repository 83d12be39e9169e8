/* Unit tests for fnv1a.h: the published FNV-1a test vectors ("", "a",
 * "foobar") in 64 and 32 bits, chaining (foo then bar = foobar), and bytes
 * past 0x7f taken unsigned. It does not test the tables that use it. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memacct/util/fnv1a.h"

static void test_vectors(void **state)
{
	(void)state;
	assert_true(fnv1a64(FNV1A64_BASIS, "", 0) == UINT64_C(0xcbf29ce484222325));
	assert_true(fnv1a64(FNV1A64_BASIS, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
	assert_true(fnv1a64(FNV1A64_BASIS, "foobar", 6) == UINT64_C(0x85944171f73967e8));
	assert_true(fnv1a32(FNV1A32_BASIS, "", 0) == UINT32_C(0x811c9dc5));
	assert_true(fnv1a32(FNV1A32_BASIS, "a", 1) == UINT32_C(0xe40c292c));
	assert_true(fnv1a32(FNV1A32_BASIS, "foobar", 6) == UINT32_C(0xbf9cf968));
}

static void test_chaining_and_high_bytes(void **state)
{
	(void)state;
	assert_true(fnv1a64(fnv1a64(FNV1A64_BASIS, "foo", 3), "bar", 3) ==
		    UINT64_C(0x85944171f73967e8));
	assert_true(fnv1a32(fnv1a32(FNV1A32_BASIS, "foo", 3), "bar", 3) == UINT32_C(0xbf9cf968));
	/* 0xff is 255, not -1 sign-extended: one step from the basis. */
	const unsigned char ff = 0xff;
	assert_true(fnv1a64(FNV1A64_BASIS, &ff, 1) ==
		    (FNV1A64_BASIS ^ UINT64_C(0xff)) * UINT64_C(1099511628211));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_chaining_and_high_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
