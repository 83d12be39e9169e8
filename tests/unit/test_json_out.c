/* Unit tests of util/json_out (JSON written through json-c): strings with
 * quotes, backslashes, control characters and invalid UTF-8 (lone and
 * truncated sequences, a surrogate) come out as the exact compact text,
 * which json-c parses back to the same string with U+FFFD for each bad
 * byte; '/' is not escaped; bidi controls are \uXXXX and read back as
 * themselves; null, failure on a NULL value or object. The JSON log lines
 * are tested in test_log.c, explain --json in test_explain.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "memacct/util/json_out.h"
#include "memacct/util/mbuf.h"
#include "memacct/util/utf8.h"

#define FFFD "\xef\xbf\xbd"

static const char hostile[] = "a\"b\\c\n\t\x01\x7f"
			      "\xc3\xa9"
			      "\xff"
			      "\xe2\x82"
			      "z"
			      "\xed\xa0\x80"
			      "/\xf0\x9f\x98\x80";

/* hostile with each invalid byte as U+FFFD. */
static const char fixed[] = "a\"b\\c\n\t\x01\x7f"
			    "\xc3\xa9" FFFD FFFD FFFD "z" FFFD FFFD FFFD "/\xf0\x9f\x98\x80";

static void test_string_text_and_value(void **state)
{
	(void)state;
	/* The validator json_out relies on: overlong, truncated, whole. */
	const unsigned char over[] = {0xc0, 0xaf};
	assert_int_equal(utf8_seq_len(over, 2), 0);
	const unsigned char ok[] = {0xe2, 0x82, 0xac};
	assert_int_equal(utf8_seq_len(ok, 3), 3);
	assert_int_equal(utf8_seq_len(ok, 2), 0);

	struct json_object *o = json_object_new_object();
	assert_int_equal(json_out_put(o, "k", json_out_string(hostile)), 0);
	assert_int_equal(json_out_put(o, "path", json_out_string("/kubepods/a.slice")), 0);
	assert_int_equal(json_out_put_null(o, "none"), 0);
	struct mbuf b;
	mbuf_init(&b, 1 << 16);
	assert_int_equal(json_out_write(&b, o), 0);
	json_object_put(o);
	assert_true(utf8_valid(b.data, b.len, NULL));
	assert_string_equal(b.data, "{\"k\":\"a\\\"b\\\\c\\n\\t\\u0001\x7f\xc3\xa9" FFFD FFFD FFFD
				    "z" FFFD FFFD FFFD "/\xf0\x9f\x98\x80\",\"path\":"
				    "\"/kubepods/a.slice\",\"none\":null}");
	/* Read back: the same value, U+FFFD for each bad byte. */
	struct json_object *back = json_tokener_parse(b.data);
	assert_non_null(back);
	struct json_object *k = NULL;
	assert_true(json_object_object_get_ex(back, "k", &k));
	assert_int_equal(json_object_get_string_len(k), sizeof(fixed) - 1);
	assert_memory_equal(json_object_get_string(k), fixed, sizeof(fixed) - 1);
	json_object_put(back);
	mbuf_free(&b);
}

/* Bidi controls are written as \uXXXX: the same value, but a terminal
 * showing the JSON does not reorder it. */
static void test_bidi_controls_escaped(void **state)
{
	(void)state;
	static const char name[] = "/pod-\xe2\x80\xaegpj.exe\xd8\x9c\xe2\x81\xa9\xe2\x80\xaf";
	struct json_object *o = json_object_new_object();
	assert_int_equal(json_out_put(o, "cgroup", json_out_string(name)), 0);
	struct mbuf b;
	mbuf_init(&b, 1 << 16);
	assert_int_equal(json_out_write(&b, o), 0);
	json_object_put(o);
	/* U+202F, a neighbour, stays raw. */
	assert_string_equal(b.data,
			    "{\"cgroup\":\"/pod-\\u202egpj.exe\\u061c\\u2069\xe2\x80\xaf\"}");
	struct json_object *back = json_tokener_parse(b.data);
	assert_non_null(back);
	struct json_object *v = NULL;
	assert_true(json_object_object_get_ex(back, "cgroup", &v));
	assert_string_equal(json_object_get_string(v), name);
	json_object_put(back);
	mbuf_free(&b);
}

static void test_failures(void **state)
{
	(void)state;
	struct json_object *o = json_object_new_object();
	assert_int_equal(json_out_put(o, "k", NULL), -ENOMEM);
	assert_int_equal(json_out_put(NULL, "k", json_object_new_int(1)), -ENOMEM);
	assert_int_equal(json_out_put_null(NULL, "k"), -ENOMEM);
	/* Nothing was added to o. */
	assert_int_equal(json_object_object_length(o), 0);
	json_object_put(o);
	/* A full buffer is the write's error. */
	struct mbuf b;
	mbuf_init(&b, 4);
	o = json_out_string("longer than four");
	assert_int_equal(json_out_write(&b, o), -EFBIG);
	json_object_put(o);
	mbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string_text_and_value),
	    cmocka_unit_test(test_bidi_controls_escaped),
	    cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
