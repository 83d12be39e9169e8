/* Unit tests of util/base64.c: RFC 4648 test vectors in both alphabets,
 * optional padding, and every refusal (alphabet, padding, length, cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first. */
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "memacct/util/base64.h"

static void expect(enum base64_alphabet a, const char *in, const char *want)
{
	unsigned char out[64];
	long n = base64_decode(a, in, strlen(in), out, sizeof(out));
	assert_int_equal(n, (long)strlen(want));
	assert_memory_equal(out, want, strlen(want));
}

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	static const char *const v[][2] = {{"", ""},	       {"Zg==", "f"},	   {"Zm8=", "fo"},
					   {"Zm9v", "foo"},    {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"},
					   {"Zm9vYmFy", "foobar"}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		expect(BASE64_STD, v[i][0], v[i][1]);
		/* padding is optional */
		char unpadded[16];
		strcpy(unpadded, v[i][0]);
		*strchrnul(unpadded, '=') = '\0';
		expect(BASE64_STD, unpadded, v[i][1]);
		expect(BASE64_URL, unpadded, v[i][1]);
	}
	expect(BASE64_STD, "dXNlcjpwYXNz", "user:pass");
	expect(BASE64_STD, "+/+/", "\xfb\xff\xbf");
	expect(BASE64_URL, "-_-_", "\xfb\xff\xbf");
}

static void test_refusals(void **state)
{
	(void)state;
	unsigned char out[8];
	static const char *const bad_std[] = {"Zm9v!", "Zm=v", "Z", "Zm9vY", "Zg===", "Zg=", "-_-_",
					      "Zm 9v", "Zm9v\n"};
	for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		assert_int_equal(base64_decode(BASE64_STD, bad_std[i], strlen(bad_std[i]), out, 8),
				 -EINVAL);
	assert_int_equal(base64_decode(BASE64_URL, "+/+/", 4, out, 8), -EINVAL);
	assert_int_equal(base64_decode(BASE64_URL, "Zg==", 4, out, 8), -EINVAL);
	/* A NUL inside the given length is outside the alphabet. */
	assert_int_equal(base64_decode(BASE64_STD, "Zm\0v", 4, out, 8), -EINVAL);
	/* cap: "foobar" needs 6 bytes */
	assert_int_equal(base64_decode(BASE64_STD, "Zm9vYmFy", 8, out, 5), -EINVAL);
	assert_int_equal(base64_decode(BASE64_STD, "Zm9vYmFy", 8, out, 6), 6);
	assert_true(base64_is_char(BASE64_STD, '+'));
	assert_false(base64_is_char(BASE64_STD, '-'));
	assert_true(base64_is_char(BASE64_URL, '_'));
	assert_false(base64_is_char(BASE64_URL, '='));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4648_vectors),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
