/* Unit tests for expfmt.h: label value escaping (quotes, backslashes,
 * newlines, every class of invalid UTF-8), HELP escaping in both formats,
 * registry grouping and ordering, OpenMetrics counter names and # EOF, the
 * byte cap's sticky -EFBIG, metric_f64 formatting, the cursor (any piece
 * size gives registry_write's bytes; a failed registry gives no cursor),
 * a registry far smaller than its text, and an end-to-end check of
 * hostile label values with `promtool check metrics`. It does not test the
 * collectors that fill registries or the HTTP layer that sends them. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memacct/expo/expfmt.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- escaping ---- */

/* Escapes in[0..n) as a label value and compares with want. */
static void check_label_n(const char *in, size_t n, const char *want)
{
	struct mbuf b;
	mbuf_init(&b, 4096);
	/* An exact-size copy so ASan catches a read past n. */
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, in, n);
	assert_int_equal(expfmt_escape_label(&b, copy, n), 0);
	const char *got = b.data ? b.data : "";
	if (strcmp(got, want) != 0 || b.len != strlen(want)) {
		print_error("escape of %zu bytes:", n);
		for (size_t i = 0; i < n; i++)
			print_error(" %02x", (unsigned char)in[i]);
		print_error("\n  want \"%s\"\n  got  \"%s\"\n", want, got);
	}
	assert_int_equal(b.len, strlen(want));
	assert_string_equal(got, want);
	free(copy);
	mbuf_free(&b);
}

#define check_label(lit, want) check_label_n(lit, sizeof(lit) - 1, want)

static void test_escape_specials(void **state)
{
	(void)state;
	check_label("", "");
	check_label("plain/path-1.scope", "plain/path-1.scope");
	check_label("a\"b", "a\\\"b");
	check_label("a\\b", "a\\\\b");
	check_label("a\nb", "a\\nb");
	check_label("\"\\\n", "\\\"\\\\\\n");
	check_label("\\n", "\\\\n"); /* a literal backslash-n stays two characters */
	/* Tab and CR are legal raw in a label value. */
	check_label("a\tb\rc", "a\tb\rc");
	/* NUL inside the counted bytes cannot appear in the output. */
	check_label("a\0b", "a" FFFD "b");
}

/* Decision: every byte that does not start a valid sequence becomes one
 * U+FFFD, and scanning resumes at the next byte. */
static void test_escape_invalid_utf8(void **state)
{
	(void)state;
	/* Lone continuation bytes. */
	check_label("\x80", FFFD);
	check_label("a\x80z", "a" FFFD "z");
	check_label("\xBF\xBF", FFFD FFFD);
	/* Truncated 3-byte sequence (euro sign without its last byte), at the
	 * end and before ASCII. */
	check_label("\xE2\x82", FFFD FFFD);
	check_label("\xE2\x82z", FFFD FFFD "z");
	/* Truncated 2- and 4-byte sequences. */
	check_label("\xC3", FFFD);
	check_label("\xF0\x9D\x84", FFFD FFFD FFFD);
	/* Overlong encodings of NUL, '/' and U+07FF. */
	check_label("\xC0\x80", FFFD FFFD);
	check_label("\xC1\xBF", FFFD FFFD);
	check_label("\xE0\x80\xAF", FFFD FFFD FFFD);
	check_label("\xF0\x8F\xBF\xBF", FFFD FFFD FFFD FFFD);
	/* UTF-16 surrogates U+D800 and U+DFFF. */
	check_label("\xED\xA0\x80", FFFD FFFD FFFD);
	check_label("\xED\xBF\xBF", FFFD FFFD FFFD);
	/* Above U+10FFFF. */
	check_label("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	/* Bytes that never appear in UTF-8. */
	check_label("\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	check_label("\xFE\xFF", FFFD FFFD);
	/* A bad byte between escapes. */
	check_label("\"\xff\\", "\\\"" FFFD "\\\\");
}

static void test_escape_valid_utf8_kept(void **state)
{
	(void)state;
	check_label("caf\xC3\xA9", "caf\xC3\xA9");			  /* U+00E9 */
	check_label("\xC2\x80", "\xC2\x80");				  /* U+0080 */
	check_label("\xDF\xBF", "\xDF\xBF");				  /* U+07FF */
	check_label("\xE0\xA0\x80", "\xE0\xA0\x80");			  /* U+0800 */
	check_label("\xE2\x82\xAC", "\xE2\x82\xAC");			  /* U+20AC */
	check_label("\xED\x9F\xBF", "\xED\x9F\xBF");			  /* U+D7FF */
	check_label("\xEE\x80\x80", "\xEE\x80\x80");			  /* U+E000 */
	check_label(FFFD, FFFD);					  /* U+FFFD */
	check_label("\xF0\x90\x80\x80", "\xF0\x90\x80\x80");		  /* U+10000 */
	check_label("\xF0\x9D\x84\x9E", "\xF0\x9D\x84\x9E");		  /* U+1D11E */
	check_label("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF");		  /* U+10FFFF */
	check_label("x\xC3\xA9\"\xE2\x82\xAC\n", "x\xC3\xA9\\\"\xE2\x82\xAC\\n"); /* mixed */
}

/* n bounds the scan: a valid sequence cut by n is invalid. */
static void test_escape_respects_n(void **state)
{
	(void)state;
	check_label_n("\xE2\x82\xAC", 2, FFFD FFFD);
	check_label_n("abc\"", 3, "abc");
	check_label_n("", 0, "");
}

static void test_escape_help(void **state)
{
	(void)state;
	struct mbuf b;
	mbuf_init(&b, 4096);
	assert_int_equal(expfmt_escape_help(&b, "a\\b\nc \"q\" \t"), 0);
	/* Text format HELP escapes only backslash and newline. */
	assert_string_equal(b.data, "a\\\\b\\nc \"q\" \t");
	mbuf_free(&b);
}

static void test_labels(void **state)
{
	(void)state;
	struct labels l;
	labels_init(&l);
	assert_int_equal(labels_add(&l, "cgroup", "/a\"b"), 0);
	assert_int_equal(labels_addn(&l, "uid", "1234xyz", 4), 0);
	assert_int_equal(labels_add(&l, "empty", ""), 0);
	assert_string_equal(l.buf.data, "cgroup=\"/a\\\"b\",uid=\"1234\",empty=\"\"");
	labels_reset(&l);
	assert_int_equal(l.buf.len, 0);
	assert_int_equal(labels_add(&l, "k", "v\n"), 0);
	assert_string_equal(l.buf.data, "k=\"v\\n\"");
	labels_free(&l);
}

/* ---- registry ---- */

/* Writes r in fmt and compares with want. */
static void check_write(const struct registry *r, enum expfmt_format fmt, const char *want)
{
	struct mbuf out;
	mbuf_init(&out, 1 << 20);
	assert_int_equal(registry_write(r, &out, fmt), 0);
	const char *got = out.data ? out.data : "";
	if (strcmp(got, want) != 0)
		print_error("want:\n%s\ngot:\n%s\n", want, got);
	assert_string_equal(got, want);
	mbuf_free(&out);
}

static void test_registry_grouping(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	assert_non_null(r);
	struct family *a = registry_family(r, "a_bytes", METRIC_GAUGE, "A help.");
	struct family *b = registry_family(r, "b_total", METRIC_COUNTER, "B help.");
	struct family *empty = registry_family(r, "c_bytes", METRIC_GAUGE, "Never sampled.");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(empty);
	assert_ptr_not_equal(a, b);
	/* Samples of a interleaved with b's; a looked up again by name. */
	metric_u64(a, NULL, "k", "1", 1);
	metric_u64(b, NULL, "k", "2", 2);
	struct family *a2 = registry_family(r, "a_bytes", METRIC_GAUGE, "A help.");
	assert_ptr_equal(a2, a);
	metric_u64(a2, NULL, "k", "3", 3);
	metric_u64(b, NULL, NULL, NULL, 4);
	metric_u64(a, NULL, NULL, NULL, UINT64_MAX);
	assert_int_equal(registry_error(r), 0);

	check_write(r, EXPFMT_TEXT_004,
		    "# HELP a_bytes A help.\n"
		    "# TYPE a_bytes gauge\n"
		    "a_bytes{k=\"1\"} 1\n"
		    "a_bytes{k=\"3\"} 3\n"
		    "a_bytes 18446744073709551615\n"
		    "# HELP b_total B help.\n"
		    "# TYPE b_total counter\n"
		    "b_total{k=\"2\"} 2\n"
		    "b_total 4\n");
	check_write(r, EXPFMT_OPENMETRICS_100,
		    "# HELP a_bytes A help.\n"
		    "# TYPE a_bytes gauge\n"
		    "a_bytes{k=\"1\"} 1\n"
		    "a_bytes{k=\"3\"} 3\n"
		    "a_bytes 18446744073709551615\n"
		    "# HELP b B help.\n"
		    "# TYPE b counter\n"
		    "b_total{k=\"2\"} 2\n"
		    "b_total 4\n"
		    "# EOF\n");
	registry_free(r);
}

/* Families come out in registration order, not name order. */
static void test_registry_order(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	struct family *z = registry_family(r, "z", METRIC_GAUGE, "Z.");
	struct family *a = registry_family(r, "a", METRIC_GAUGE, "A.");
	metric_u64(a, NULL, NULL, NULL, 1);
	metric_u64(z, NULL, NULL, NULL, 2);
	check_write(r, EXPFMT_TEXT_004, "# HELP z Z.\n# TYPE z gauge\nz 2\n# HELP a A.\n# TYPE a gauge\na 1\n");
	registry_free(r);
}

static void test_registry_empty(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	check_write(r, EXPFMT_TEXT_004, "");
	check_write(r, EXPFMT_OPENMETRICS_100, "# EOF\n");
	registry_family(r, "unused", METRIC_GAUGE, "Nothing.");
	check_write(r, EXPFMT_TEXT_004, "");
	check_write(r, EXPFMT_OPENMETRICS_100, "# EOF\n");
	registry_free(r);
	registry_free(NULL);
}

static void test_registry_label_forms(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	struct family *f = registry_family(r, "m", METRIC_GAUGE, "M.");
	struct labels ls, none;
	labels_init(&ls);
	labels_init(&none);
	labels_add(&ls, "cgroup", "/a");
	labels_add(&ls, "uid", "u");
	metric_u64(f, &ls, "component", "anon", 1);
	metric_u64(f, &ls, NULL, NULL, 2);
	metric_u64(f, NULL, "component", "x\"\\\n\xff", 3);
	metric_u64(f, &none, NULL, NULL, 4);	 /* an empty set: no braces */
	metric_u64(f, &none, "k", "v", 5);
	metric_u64(NULL, &ls, "k", "v", 6); /* a NULL family is a no-op */
	metric_f64(NULL, &ls, "k", "v", 7.0);
	check_write(r, EXPFMT_TEXT_004,
		    "# HELP m M.\n# TYPE m gauge\n"
		    "m{cgroup=\"/a\",uid=\"u\",component=\"anon\"} 1\n"
		    "m{cgroup=\"/a\",uid=\"u\"} 2\n"
		    "m{component=\"x\\\"\\\\\\n" FFFD "\"} 3\n"
		    "m 4\n"
		    "m{k=\"v\"} 5\n");
	labels_free(&ls);
	labels_free(&none);
	registry_free(r);
}

static void test_help_escaping(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	struct family *f =
	    registry_family(r, "m_total", METRIC_COUNTER, "Line1\nback\\slash \"q\".");
	metric_u64(f, NULL, NULL, NULL, 1);
	check_write(r, EXPFMT_TEXT_004,
		    "# HELP m_total Line1\\nback\\\\slash \"q\".\n"
		    "# TYPE m_total counter\n"
		    "m_total 1\n");
	/* OpenMetrics escapes the quote too. */
	check_write(r, EXPFMT_OPENMETRICS_100,
		    "# HELP m Line1\\nback\\\\slash \\\"q\\\".\n"
		    "# TYPE m counter\n"
		    "m_total 1\n"
		    "# EOF\n");
	registry_free(r);
}

/* A counter whose name does not end in _total keeps its name; a gauge named
 * _total keeps it too. */
static void test_openmetrics_names(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	metric_u64(registry_family(r, "odd", METRIC_COUNTER, "O."), NULL, NULL, NULL, 1);
	metric_u64(registry_family(r, "g_total", METRIC_GAUGE, "G."), NULL, NULL, NULL, 2);
	check_write(r, EXPFMT_OPENMETRICS_100,
		    "# HELP odd O.\n# TYPE odd counter\nodd 1\n"
		    "# HELP g_total G.\n# TYPE g_total gauge\ng_total 2\n"
		    "# EOF\n");
	registry_free(r);
}

/* The cap counts sample bytes; "x 1\n" is 4. */
static void test_registry_cap(void **state)
{
	(void)state;
	struct registry *r = registry_new(8);
	struct family *x = registry_family(r, "x", METRIC_GAUGE, "X.");
	metric_u64(x, NULL, NULL, NULL, 1);
	metric_u64(x, NULL, NULL, NULL, 1);
	assert_int_equal(registry_error(r), 0); /* exactly 8 */
	metric_u64(x, NULL, NULL, NULL, 1);
	assert_int_equal(registry_error(r), -EFBIG);
	/* Sticky: no new family, adds are no-ops, write fails. */
	assert_null(registry_family(r, "y", METRIC_GAUGE, "Y."));
	assert_null(registry_family(r, "x", METRIC_GAUGE, "X."));
	metric_u64(x, NULL, NULL, NULL, 1);
	metric_f64(x, NULL, NULL, NULL, 1.5);
	assert_int_equal(registry_error(r), -EFBIG);
	struct mbuf out;
	mbuf_init(&out, 1 << 20);
	assert_int_equal(registry_write(r, &out, EXPFMT_TEXT_004), -EFBIG);
	assert_int_equal(out.len, 0);
	assert_int_equal(registry_write(r, &out, EXPFMT_OPENMETRICS_100), -EFBIG);
	assert_int_equal(out.len, 0);
	mbuf_free(&out);
	registry_free(r);

	/* The cap covers all families together. */
	r = registry_new(8);
	metric_u64(registry_family(r, "a", METRIC_GAUGE, "A."), NULL, NULL, NULL, 1);
	metric_u64(registry_family(r, "b", METRIC_GAUGE, "B."), NULL, NULL, NULL, 1);
	assert_int_equal(registry_error(r), 0);
	metric_u64(registry_family(r, "c", METRIC_GAUGE, "C."), NULL, NULL, NULL, 1);
	assert_int_equal(registry_error(r), -EFBIG);
	registry_free(r);

	/* One byte over, spread over two families each under the cap. */
	r = registry_new(8);
	metric_u64(registry_family(r, "a", METRIC_GAUGE, "A."), NULL, NULL, NULL, 1);
	assert_int_equal(registry_error(r), 0);
	metric_u64(registry_family(r, "b", METRIC_GAUGE, "B."), NULL, NULL, NULL, 10);
	assert_int_equal(registry_error(r), -EFBIG);
	registry_free(r);

	/* One sample larger than the whole cap. */
	r = registry_new(8);
	metric_u64(registry_family(r, "long_name", METRIC_GAUGE, "L."), NULL, NULL, NULL, 1);
	assert_int_equal(registry_error(r), -EFBIG);
	registry_free(r);
}

/* The output buffer's own cap is reported by registry_write. */
static void test_write_out_cap(void **state)
{
	(void)state;
	struct registry *r = registry_new(1 << 20);
	metric_u64(registry_family(r, "m", METRIC_GAUGE, "M."), NULL, NULL, NULL, 1);
	struct mbuf out;
	mbuf_init(&out, 10);
	assert_int_equal(registry_write(r, &out, EXPFMT_TEXT_004), -EFBIG);
	mbuf_free(&out);
	assert_int_equal(registry_error(r), 0);
	registry_free(r);
}

static void check_f64_line(double v, const char *want)
{
	struct registry *r = registry_new(1 << 20);
	metric_f64(registry_family(r, "m", METRIC_GAUGE, "M."), NULL, NULL, NULL, v);
	char buf[128];
	snprintf(buf, sizeof(buf), "# HELP m M.\n# TYPE m gauge\nm %s\n", want);
	check_write(r, EXPFMT_TEXT_004, buf);
	registry_free(r);
}

static void test_metric_f64(void **state)
{
	(void)state;
	check_f64_line(0.1, "0.1");
	check_f64_line(1e-7, "1e-07");
	check_f64_line(0.0, "0");
	check_f64_line(-0.0, "-0");
	check_f64_line(3.0, "3");
	check_f64_line(-2.0, "-2");
	check_f64_line(1536.0, "1536");
	check_f64_line(2.5, "2.5");
	check_f64_line(0.1 + 0.2, "0.30000000000000004");
	check_f64_line(1e20, "1e+20");
	check_f64_line(1.7976931348623157e308, "1.7976931348623157e+308");
	check_f64_line(NAN, "NaN");
	check_f64_line(INFINITY, "+Inf");
	check_f64_line(-INFINITY, "-Inf");
}

/* ---- the cursor ---- */

/* A registry of several families: label sets shared between families and
 * changing between samples, extra labels, doubles, a family without
 * samples, a counter. */
static struct registry *mixed_registry(void)
{
	struct registry *r = registry_new(1 << 20);
	struct family *a = registry_family(r, "a_bytes", METRIC_GAUGE, "A \"help\".");
	registry_family(r, "unused", METRIC_GAUGE, "Never sampled.");
	struct family *c = registry_family(r, "c_total", METRIC_COUNTER, "C help.");
	struct family *d = registry_family(r, "d_seconds", METRIC_GAUGE, "D help.");
	struct labels ls;
	labels_init(&ls);
	for (unsigned i = 0; i < 300; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/kubepods.slice/pod%u.slice/c\"%u", i / 2, i);
		labels_reset(&ls);
		labels_add(&ls, "cgroup", path);
		metric_u64(a, &ls, "component", i % 3 ? "anon" : "file", (uint64_t)i << 20);
		metric_u64(a, &ls, NULL, NULL, UINT64_MAX - i);
		metric_u64(c, i % 7 ? &ls : NULL, "event", "oom\n", i);
		metric_f64(d, &ls, NULL, NULL, i / 3.0);
	}
	labels_free(&ls);
	assert_int_equal(registry_error(r), 0);
	return r;
}

/* Reading through a cursor in pieces of any size gives registry_write's
 * bytes, then 0 for ever. */
static void test_cursor_pieces(void **state)
{
	(void)state;
	struct registry *r = mixed_registry();
	static const size_t caps[] = {1, 2, 3, 7, 100, 4096, 1 << 20};
	for (int fmt = EXPFMT_TEXT_004; fmt <= EXPFMT_OPENMETRICS_100; fmt++) {
		struct mbuf want;
		mbuf_init(&want, 1 << 24);
		assert_int_equal(registry_write(r, &want, (enum expfmt_format)fmt), 0);
		assert_true(want.len > 50000);
		for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
			struct registry_cursor *c;
			assert_int_equal(registry_cursor_new(r, (enum expfmt_format)fmt, &c), 0);
			char *got = malloc(want.len + 1);
			char *buf = malloc(caps[k]);
			assert_non_null(got);
			assert_non_null(buf);
			size_t have = 0;
			ssize_t n;
			while ((n = registry_cursor_read(c, buf, caps[k])) > 0) {
				assert_true((size_t)n <= caps[k]);
				assert_true(have + (size_t)n <= want.len);
				memcpy(got + have, buf, (size_t)n);
				have += (size_t)n;
			}
			assert_int_equal(n, 0);
			assert_int_equal(registry_cursor_read(c, buf, caps[k]), 0);
			assert_int_equal(have, want.len);
			assert_memory_equal(got, want.data, want.len);
			free(got);
			free(buf);
			registry_cursor_free(c);
		}
		mbuf_free(&want);
	}
	registry_free(r);
}

/* A registry that failed gives no cursor: nothing of it is ever sent. */
static void test_cursor_failed_registry(void **state)
{
	(void)state;
	struct registry *r = registry_new(8);
	metric_u64(registry_family(r, "long_name", METRIC_GAUGE, "L."), NULL, NULL, NULL, 1);
	struct registry_cursor *c = NULL;
	assert_int_equal(registry_cursor_new(r, EXPFMT_TEXT_004, &c), -EFBIG);
	assert_null(c);
	registry_free(r);
	/* An empty one is "" (text) or "# EOF" (OpenMetrics). */
	r = registry_new(8);
	char buf[16];
	assert_int_equal(registry_cursor_new(r, EXPFMT_TEXT_004, &c), 0);
	assert_int_equal(registry_cursor_read(c, buf, sizeof(buf)), 0);
	registry_cursor_free(c);
	assert_int_equal(registry_cursor_new(r, EXPFMT_OPENMETRICS_100, &c), 0);
	assert_int_equal(registry_cursor_read(c, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "# EOF\n", 6);
	assert_int_equal(registry_cursor_read(c, buf, sizeof(buf)), 0);
	registry_cursor_free(c);
	registry_free(r);
}

/* The registry holds the samples, not their text: 3,000 cgroups with
 * 190-byte paths and 64-hex ids, 24 samples each (the cgroup collector's
 * default shape), take less than a tenth of the exposition. */
static void test_registry_smaller_than_text(void **state)
{
	(void)state;
	struct registry *r = registry_new((size_t)1 << 30);
	struct family *info = registry_family(r, "memacct_cgroup_info", METRIC_GAUGE, "I.");
	struct family *split = registry_family(r, "memacct_cgroup_memory_bytes", METRIC_GAUGE, "S.");
	struct family *g[16];
	static const char *const names[16] = {"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7",
					       "g8", "g9", "ga", "gb", "gc", "gd", "ge", "gf"};
	for (int k = 0; k < 16; k++)
		g[k] = registry_family(r, names[k], METRIC_GAUGE, "G.");
	struct labels ls, infols;
	labels_init(&ls);
	labels_init(&infols);
	for (unsigned i = 0; i < 3000; i++) {
		unsigned long long h = 0x9e3779b97f4a7c15ull * (i + 1);
		char path[256], id[65];
		snprintf(id, sizeof(id), "%016llx%016llx%016llx%016llx", h, h ^ 7, h * 3, h ^ 11);
		snprintf(path, sizeof(path),
			 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%08x_0000_"
			 "4000_8000_%012x.slice/cri-containerd-%s.scope", i / 3, i / 3, id);
		labels_reset(&ls);
		labels_add(&ls, "cgroup", path);
		labels_add(&ls, "level", "container");
		labels_add(&ls, "container_id", id);
		labels_reset(&infols);
		labels_add(&infols, "cgroup", path);
		labels_add(&infols, "qos", "burstable");
		metric_u64(info, &infols, NULL, NULL, 1);
		static const char *const comp[6] = {"anon", "shmem", "file_active",
						    "file_inactive", "kernel", "other"};
		for (int k = 0; k < 6; k++)
			metric_u64(split, &ls, "component", comp[k], h % 1000000007ull * 4096);
		for (int k = 0; k < 16; k++)
			metric_u64(g[k], &ls, NULL, NULL, (h >> k) % 1000000007ull * 4096);
	}
	labels_free(&ls);
	labels_free(&infols);
	struct mbuf text;
	mbuf_init(&text, (size_t)1 << 30);
	assert_int_equal(registry_write(r, &text, EXPFMT_TEXT_004), 0);
	size_t held = registry_bytes(r);
	print_message("exposition %zu bytes, registry %zu bytes\n", text.len, held);
	assert_true(held * 10 < text.len);
	mbuf_free(&text);
	registry_free(r);
}

/* ---- end to end with promtool ---- */

static int have_promtool(void)
{
	return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* The exposition of a registry whose label value holds every hostile byte
 * class (quote, backslash, newline, invalid and overlong UTF-8, surrogates,
 * tab, CR) and whose doubles are NaN, infinities, tiny and negative zero. */
static void hostile_exposition(struct mbuf *out)
{
	static const char hostile[] = "/kubepods.slice/a\"b\\c\nd\xff\xc0\x80"
				      "\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82 caf\xc3\xa9\ttab\rcr";
	struct registry *r = registry_new(1 << 20);
	struct family *usage = registry_family(r, "memacct_cgroup_memory_usage_bytes", METRIC_GAUGE,
					       "Memory charged to the cgroup, in bytes.\nSecond "
					       "line with a backslash \\ and \"quotes\".");
	struct family *split = registry_family(r, "memacct_cgroup_memory_bytes", METRIC_GAUGE,
					       "Memory by component, in bytes.");
	struct family *ev = registry_family(r, "memacct_cgroup_memory_events_total",
					    METRIC_COUNTER, "memory.events counters.");
	struct family *ratio = registry_family(r, "memacct_test_ratio", METRIC_GAUGE,
					       "Doubles of every class.");
	struct labels ls;
	labels_init(&ls);
	labels_add(&ls, "cgroup", hostile);
	metric_u64(usage, &ls, NULL, NULL, 283111424);
	metric_u64(split, &ls, "component", "anon", 67227648);
	metric_u64(split, &ls, "component", "file_active", 209719296);
	metric_u64(ev, &ls, "event", "oom_kill", 0);
	labels_reset(&ls);
	labels_add(&ls, "cgroup", "/");
	metric_u64(usage, &ls, NULL, NULL, 1);
	metric_f64(ratio, &ls, "v", "nan", NAN);
	metric_f64(ratio, &ls, "v", "inf", INFINITY);
	metric_f64(ratio, &ls, "v", "-inf", -INFINITY);
	metric_f64(ratio, &ls, "v", "small", 1e-7);
	metric_f64(ratio, &ls, "v", "negzero", -0.0);
	mbuf_init(out, 1 << 20);
	assert_int_equal(registry_write(r, out, EXPFMT_TEXT_004), 0);
	labels_free(&ls);
	registry_free(r);
}

/* Only the hostile value is escaped: the line holds no raw newline. */
static void test_hostile_labels_escaped(void **state)
{
	(void)state;
	struct mbuf out;
	hostile_exposition(&out);
	assert_non_null(strstr(out.data, "cgroup=\"/kubepods.slice/a\\\"b\\\\c\\nd" FFFD FFFD FFFD
						 FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD
						 " caf\xc3\xa9\ttab\rcr\"} 283111424\n"));
	mbuf_free(&out);
}

/* promtool (Debian package prometheus) accepts that exposition as is;
 * skipped where it is not installed. */
static void test_promtool_hostile_labels(void **state)
{
	(void)state;
	if (!have_promtool())
		skip();
	struct mbuf out;
	hostile_exposition(&out);
	char path[] = "/tmp/memacct_expfmt_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
	close(fd);
	mbuf_free(&out);
	char cmd[256], rpath[64];
	snprintf(rpath, sizeof(rpath), "%s.out", path);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s > %s 2>&1", path, rpath);
	int st = system(cmd);
	FILE *f = fopen(rpath, "r");
	assert_non_null(f);
	char report[4096];
	size_t n = fread(report, 1, sizeof(report) - 1, f);
	report[n] = '\0';
	fclose(f);
	if (st != 0 || n != 0)
		print_error("promtool check metrics (status %d) on %s said:\n%s\n", st, path, report);
	assert_int_equal(n, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(path);
	unlink(rpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_specials),
	    cmocka_unit_test(test_escape_invalid_utf8),
	    cmocka_unit_test(test_escape_valid_utf8_kept),
	    cmocka_unit_test(test_escape_respects_n),
	    cmocka_unit_test(test_escape_help),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_registry_grouping),
	    cmocka_unit_test(test_registry_order),
	    cmocka_unit_test(test_registry_empty),
	    cmocka_unit_test(test_registry_label_forms),
	    cmocka_unit_test(test_help_escaping),
	    cmocka_unit_test(test_openmetrics_names),
	    cmocka_unit_test(test_registry_cap),
	    cmocka_unit_test(test_write_out_cap),
	    cmocka_unit_test(test_metric_f64),
	    cmocka_unit_test(test_cursor_pieces),
	    cmocka_unit_test(test_cursor_failed_registry),
	    cmocka_unit_test(test_registry_smaller_than_text),
	    cmocka_unit_test(test_hostile_labels_escaped),
	    cmocka_unit_test(test_promtool_hostile_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
