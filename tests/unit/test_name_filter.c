/* Unit tests of name_filter (util/name_filter.c), the include/exclude regex
 * pair the cgroup walk and the JetStream poll share: which names pass, and
 * the error naming the flag a bad pattern came from, with nothing held
 * after an error (ASan checks the include freed when the exclude fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "memacct/util/name_filter.h"

static void test_match(void **unused)
{
	(void)unused;
	struct name_filter f;
	struct errmsg e = {{0}};
	assert_int_equal(name_filter_init(&f, "^(orders|audit)", "--a", "tmp$", "--b", &e), 0);
	assert_true(name_filter_match(&f, "orders-1"));
	assert_true(name_filter_match(&f, "audit"));
	assert_false(name_filter_match(&f, "orders-tmp")); /* excluded */
	assert_false(name_filter_match(&f, "other"));	   /* not included */
	assert_false(name_filter_match(&f, "xorders"));
	name_filter_fini(&f);

	assert_int_equal(name_filter_init(&f, NULL, "--a", NULL, "--b", &e), 0);
	assert_false(f.has_include);
	assert_false(f.has_exclude);
	assert_true(name_filter_match(&f, ""));
	assert_true(name_filter_match(&f, "anything"));
	name_filter_fini(&f);

	assert_int_equal(name_filter_init(&f, NULL, "--a", "^KV_", "--b", &e), 0);
	assert_false(name_filter_match(&f, "KV_config"));
	assert_true(name_filter_match(&f, "ORDERS"));
	name_filter_fini(&f);
}

static void check_bad(const char *inc, const char *exc, const char *want)
{
	struct name_filter f;
	struct errmsg e = {{0}};
	assert_int_equal(
	    name_filter_init(&f, inc, "--nats.stream-include", exc, "--nats.stream-exclude", &e),
	    -EINVAL);
	if (strncmp(e.msg, want, strlen(want)) != 0)
		print_error("want \"%s...\", got \"%s\"\n", want, e.msg);
	assert_int_equal(strncmp(e.msg, want, strlen(want)), 0);
	assert_true(strlen(e.msg) > strlen(want)); /* regerror's reason follows */
	assert_false(f.has_include);
	assert_false(f.has_exclude);
}

static void test_errors_name_the_flag(void **unused)
{
	(void)unused;
	check_bad("([unclosed", NULL, "--nats.stream-include: invalid regex \"([unclosed\": ");
	check_bad(NULL, "[z", "--nats.stream-exclude: invalid regex \"[z\": ");
	check_bad("^ok$", "a{2,1}", "--nats.stream-exclude: invalid regex \"a{2,1}\": ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_errors_name_the_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
