/* Unit tests of explain's name escaping (src/explain/explain_format.c) and
 * of utf8_is_bidi_control: every bidirectional control (U+061C, U+200E,
 * U+200F, U+202A..U+202E, U+2066..U+2069) comes out as \u{...} on a
 * terminal and visibly as that text in HTML, never raw; its neighbours
 * pass as they are; control characters and invalid UTF-8 as before (\xNN
 * on a terminal, U+FFFD in HTML). Units are tested in test_explain.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "memacct/explain/explain_format.h"
#include "memacct/util/mbuf.h"
#include "memacct/util/utf8.h"

#define RLO "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */

static void test_bidi_control_set(void **state)
{
	(void)state;
	static const unsigned yes[] = {0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C,
				       0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069};
	static const unsigned no[] = {0x061B, 0x061D, 0x200D, 0x2010, 0x2029,
				      0x202F, 0x2065, 0x206A, 0x20,   0xE9};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(utf8_is_bidi_control(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(utf8_is_bidi_control(no[i]));
}

/* What add (explain_add_term or _html) makes of s, NUL-terminated in b. */
static char *esc(struct mbuf *b, void (*add)(struct mbuf *, const char *), const char *s)
{
	mbuf_reset(b);
	add(b, s);
	mbuf_addc(b, '\0');
	assert_int_equal(mbuf_error(b), 0);
	return b->data;
}

#define term(b, s) esc(b, explain_add_term, s)
#define html(b, s) esc(b, explain_add_html, s)

static void test_terminal(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 1 << 16);
	/* A name that would show as "/pod-exe.jpg" were the override raw. */
	assert_string_equal(term(&b, "/pod-" RLO "gpj.exe"), "/pod-\\u{202e}gpj.exe");
	assert_string_equal(term(&b, "a\xe2\x81\xa6"
				     "b\xe2\x81\xa9"
				     "c\xe2\x80\x8e"
				     "d\xe2\x80\x8f"
				     "e\xd8\x9c"
				     "f\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"
				     "g\xe2\x81\xa7\xe2\x81\xa8"),
			    "a\\u{2066}b\\u{2069}c\\u{200e}d\\u{200f}e\\u{061c}f\\u{202a}\\u{202b}"
			    "\\u{202c}\\u{202d}g\\u{2067}\\u{2068}");
	/* C1 controls (U+009B is CSI on some terminals) are shown too; U+00A0
	 * (after them) passes. */
	assert_string_equal(term(&b, "x\xc2\x9b" "31my\xc2\x80z\xc2\x9f\xc2\xa0"),
			    "x\\u{009b}31my\\u{0080}z\\u{009f}\xc2\xa0");
	/* Neighbours of the controls, other letters and emoji pass. */
	assert_string_equal(
	    term(&b, "\xe2\x80\x8d\xe2\x80\x90\xe2\x80\xaf\xc3\xa9\xf0\x9f\x98\x80"),
	    "\xe2\x80\x8d\xe2\x80\x90\xe2\x80\xaf\xc3\xa9\xf0\x9f\x98\x80");
	/* As before: control characters and invalid bytes as \xNN. */
	assert_string_equal(term(&b, "e\033[31m\x7f\xff\xe2\x80"),
			    "e\\x1b[31m\\x7f\\xff\\xe2\\x80");
	mbuf_free(&b);
}

static void test_html(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 1 << 16);
	assert_string_equal(html(&b, "/pod-" RLO "gpj.exe"), "/pod-\\u{202e}gpj.exe");
	assert_string_equal(html(&b, "<a href=\"x\">\xe2\x81\xa7'&\xd8\x9c"),
			    "&lt;a href=&quot;x&quot;&gt;\\u{2067}&#39;&amp;\\u{061c}");
	assert_string_equal(html(&b, "\xe2\x80\xaf\xc3\xa9"), "\xe2\x80\xaf\xc3\xa9");
	/* As before: control characters (not tab, newline) and invalid bytes
	 * as U+FFFD. */
	assert_string_equal(html(&b, "a\x01\t\n\xff"), "a\xef\xbf\xbd\t\n\xef\xbf\xbd");
	mbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bidi_control_set),
	    cmocka_unit_test(test_terminal),
	    cmocka_unit_test(test_html),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
