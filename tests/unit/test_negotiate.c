/* Unit tests for negotiate.c: Accept q-values and Accept-Encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "memacct/http/negotiate.h"

static void test_format(void **state)
{
	(void)state;
	static const struct {
		const char *accept;
		enum expfmt_format want;
	} cases[] = {
		{NULL, EXPFMT_TEXT_004},
		{"", EXPFMT_TEXT_004},
		{"*/*", EXPFMT_TEXT_004},
		{"text/plain", EXPFMT_TEXT_004},
		{"application/openmetrics-text", EXPFMT_OPENMETRICS_100},
		/* What Prometheus 2.42 sends. */
		{"application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		 EXPFMT_OPENMETRICS_100},
		{"application/openmetrics-text; version=1.0.0; q=0.4, text/plain;q=0.5",
		 EXPFMT_TEXT_004},
		{"application/openmetrics-text;q=0.5,text/plain;q=0.5", EXPFMT_TEXT_004},
		{"application/openmetrics-text;version=0.0.1", EXPFMT_TEXT_004},
		{"application/openmetrics-text;q=0", EXPFMT_TEXT_004},
		{"APPLICATION/OpenMetrics-Text ; Q=1.0", EXPFMT_OPENMETRICS_100},
		{"application/openmetrics-text;q=bogus,text/plain", EXPFMT_TEXT_004},
		{"application/openmetrics-text;q=1.5", EXPFMT_TEXT_004},
		{"application/json", EXPFMT_TEXT_004},
		{",,;;==,", EXPFMT_TEXT_004},
		{"application/openmetrics-text;version=1.0.0;q=0.9,text/*;q=0.8", EXPFMT_OPENMETRICS_100},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].accept ? cases[i].accept : "(null)");
		assert_int_equal(negotiate_format(cases[i].accept), cases[i].want);
	}
}

static void test_gzip(void **state)
{
	(void)state;
	assert_false(negotiate_gzip(NULL));
	assert_false(negotiate_gzip(""));
	assert_true(negotiate_gzip("gzip"));
	assert_true(negotiate_gzip("deflate, gzip;q=0.5"));
	assert_false(negotiate_gzip("gzip;q=0"));
	assert_false(negotiate_gzip("identity"));
	assert_true(negotiate_gzip("*"));
	assert_false(negotiate_gzip("gzip;q=0, *"));
	assert_true(negotiate_gzip("GZIP"));
	assert_false(negotiate_gzip("gzipx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
