/* Unit tests for log.h: logger_init's errors, the exact logfmt and JSON line
 * shapes (quoting, escapes of quotes, backslashes, newlines and control
 * characters; invalid UTF-8 in JSON as U+FFFD), level filtering, and the
 * back-off (first failure due, suppressed within the interval and counted,
 * due after it, clear). Output goes to an open_memstream FILE. It does not test who logs what. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/log.h"

struct sink {
	char *text;
	size_t len;
	FILE *f;
	struct logger lg;
};

static void sink_open(struct sink *s, const char *level, const char *format)
{
	s->text = NULL;
	s->len = 0;
	s->f = open_memstream(&s->text, &s->len);
	assert_non_null(s->f);
	struct errmsg e;
	assert_int_equal(logger_init(&s->lg, level, format, s->f, &e), 0);
}

static void sink_close(struct sink *s)
{
	logger_fini(&s->lg);
	fclose(s->f);
	free(s->text);
}

/* The text written so far (the logger flushes every line). */
static const char *sink_text(struct sink *s)
{
	fflush(s->f);
	return s->text ? s->text : "";
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static void assert_ts(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd')
			assert_true(t[i] >= '0' && t[i] <= '9');
		else
			assert_int_equal(t[i], shape[i]);
	}
}

/* Checks one logfmt line: the timestamp's shape, then rest exactly. */
static void check_logfmt(const char *line, const char *rest)
{
	assert_int_equal(strncmp(line, "ts=", 3), 0);
	assert_ts(line + 3);
	if (strcmp(line + 3 + 24, rest) != 0)
		print_error("want \"%s\"\ngot  \"%s\"\n", rest, line + 27);
	assert_string_equal(line + 3 + 24, rest);
}

static void check_json(const char *line, const char *rest)
{
	assert_int_equal(strncmp(line, "{\"ts\":\"", 7), 0);
	assert_ts(line + 7);
	assert_int_equal(line[7 + 24], '"');
	if (strcmp(line + 7 + 25, rest) != 0)
		print_error("want \"%s\"\ngot  \"%s\"\n", rest, line + 32);
	assert_string_equal(line + 7 + 25, rest);
}

static void test_init_errors(void **state)
{
	(void)state;
	struct logger lg;
	struct errmsg e;
	memset(&e, 0, sizeof(e));
	assert_int_equal(logger_init(&lg, "verbose", "logfmt", stderr, &e), -EINVAL);
	assert_string_equal(e.msg,
			    "--log.level: unknown level \"verbose\" (want debug, info, warn or error)");
	assert_int_equal(logger_init(&lg, "info", "xml", stderr, &e), -EINVAL);
	assert_string_equal(e.msg, "--log.format: unknown format \"xml\" (want logfmt or json)");
	assert_int_equal(logger_init(&lg, "INFO", "logfmt", stderr, &e), -EINVAL);
	assert_int_equal(logger_init(&lg, "error", "json", stderr, &e), 0);
	assert_int_equal(lg.level, LOG_ERROR);
	assert_int_equal(lg.format, LOG_JSON);
	logger_fini(&lg);
}

static void test_logfmt_shape(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s, "debug", "logfmt");
	log_kv(&s.lg, LOG_INFO, "scrape done", "collector", "cgroup", "err",
	       "bad \"x\"\nline", NULL);
	check_logfmt(sink_text(&s), " level=info msg=\"scrape done\" collector=cgroup "
				    "err=\"bad \\\"x\\\"\\nline\"\n");
	sink_close(&s);

	sink_open(&s, "debug", "logfmt");
	log_kv(&s.lg, LOG_WARN, "x", "empty", "", "null", (const char *)NULL, NULL);
	/* A NULL value ends nothing: it is written as empty. */
	check_logfmt(sink_text(&s), " level=warn msg=x empty=\"\" null=\"\"\n");
	sink_close(&s);

	sink_open(&s, "debug", "logfmt");
	log_kv(&s.lg, LOG_ERROR, "m", "eq", "a=b", "tab", "a\tb", "path", "/a/b.scope", NULL);
	check_logfmt(sink_text(&s),
		     " level=error msg=m eq=\"a=b\" tab=\"a\\u0009b\" path=/a/b.scope\n");
	sink_close(&s);

	sink_open(&s, "debug", "logfmt");
	log_kv(&s.lg, LOG_DEBUG, "m", NULL);
	check_logfmt(sink_text(&s), " level=debug msg=m\n");
	sink_close(&s);
}

/* A backslash is written escaped inside quotes: an unquoted \\ would read
 * back as two backslashes. */
static void test_logfmt_backslash(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s, "info", "logfmt");
	log_kv(&s.lg, LOG_INFO, "m", "path", "C:\\dir", NULL);
	check_logfmt(sink_text(&s), " level=info msg=m path=\"C:\\\\dir\"\n");
	sink_close(&s);
}

static void test_json_shape(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s, "info", "json");
	log_kv(&s.lg, LOG_WARN, "poll failed", "url", "nats://h:4222", "err",
	       "v \"q\" \\ \n\x01", NULL);
	check_json(sink_text(&s), ",\"level\":\"warn\",\"msg\":\"poll failed\","
				  "\"url\":\"nats://h:4222\",\"err\":\"v \\\"q\\\" \\\\ \\n\\u0001\"}\n");
	sink_close(&s);

	sink_open(&s, "info", "json");
	log_kv(&s.lg, LOG_INFO, "", "k", "", NULL);
	check_json(sink_text(&s), ",\"level\":\"info\",\"msg\":\"\",\"k\":\"\"}\n");
	sink_close(&s);

	/* Invalid UTF-8 (a stream name, a path) still makes valid JSON: each
	 * bad byte is U+FFFD; '/' is left as it is. */
	sink_open(&s, "info", "json");
	log_kv(&s.lg, LOG_INFO, "m", "stream", "a\xff\xc3(b/c", NULL);
	check_json(sink_text(&s), ",\"level\":\"info\",\"msg\":\"m\","
				  "\"stream\":\"a\xef\xbf\xbd\xef\xbf\xbd(b/c\"}\n");
	sink_close(&s);
}

/* Below the level nothing is written; at and above, one line each. */
static void test_level_filter(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s, "warn", "logfmt");
	log_kv(&s.lg, LOG_DEBUG, "d", NULL);
	log_kv(&s.lg, LOG_INFO, "i", NULL);
	assert_string_equal(sink_text(&s), "");
	log_kv(&s.lg, LOG_WARN, "w", NULL);
	log_kv(&s.lg, LOG_ERROR, "e", NULL);
	const char *t = sink_text(&s);
	const char *nl = strchr(t, '\n');
	assert_non_null(nl);
	char first[128];
	memcpy(first, t, (size_t)(nl - t + 1));
	first[nl - t + 1] = '\0';
	check_logfmt(first, " level=warn msg=w\n");
	check_logfmt(nl + 1, " level=error msg=e\n");
	sink_close(&s);

	sink_open(&s, "error", "json");
	log_kv(&s.lg, LOG_WARN, "w", NULL);
	assert_string_equal(sink_text(&s), "");
	sink_close(&s);

	/* A NULL logger logs nothing and does not crash. */
	log_kv(NULL, LOG_ERROR, "nobody", "k", "v", NULL);
}

static void test_backoff(void **state)
{
	(void)state;
	struct log_backoff b = {.interval_s = 60};
	unsigned long sup = 999;
	/* First failure: due at once, nothing suppressed. */
	assert_true(log_backoff_due(&b, 1000, &sup));
	assert_int_equal(sup, 0);
	/* Within the interval: suppressed and counted, sup untouched. */
	sup = 999;
	assert_false(log_backoff_due(&b, 1000, &sup));
	assert_false(log_backoff_due(&b, 1030, &sup));
	assert_false(log_backoff_due(&b, 1059, &sup));
	assert_int_equal(sup, 999);
	assert_int_equal(b.suppressed, 3);
	/* At the interval: due, with the count, which then restarts. */
	assert_true(log_backoff_due(&b, 1060, &sup));
	assert_int_equal(sup, 3);
	assert_int_equal(b.suppressed, 0);
	assert_false(log_backoff_due(&b, 1061, &sup));
	assert_false(log_backoff_due(&b, 1119, NULL));
	assert_true(log_backoff_due(&b, 1500, &sup));
	assert_int_equal(sup, 2);
	/* After a success, the next failure logs at once. */
	assert_false(log_backoff_due(&b, 1501, &sup));
	log_backoff_clear(&b);
	assert_int_equal(b.suppressed, 0);
	assert_true(log_backoff_due(&b, 1502, &sup));
	assert_int_equal(sup, 0);
	/* suppressed may be NULL when due. */
	log_backoff_clear(&b);
	assert_true(log_backoff_due(&b, 2000, NULL));

	/* Interval 0: always due. */
	struct log_backoff z = {.interval_s = 0};
	assert_true(log_backoff_due(&z, 5, &sup));
	assert_true(log_backoff_due(&z, 5, &sup));
	assert_int_equal(sup, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_errors),
	    cmocka_unit_test(test_logfmt_shape),
	    cmocka_unit_test(test_logfmt_backslash),
	    cmocka_unit_test(test_json_shape),
	    cmocka_unit_test(test_level_filter),
	    cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
