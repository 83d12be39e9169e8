/* Unit tests for parse.h: parse_u64 and parse_hex_u64 at their limits,
 * parse_keyed on the three shapes the kernel writes (memory.stat,
 * /proc/meminfo, /proc/PID/status) and on malformed input, parse_single_u64, parse_psi and parse_next_pid.
 * Every input is copied into an exact-size heap buffer so AddressSanitizer
 * catches a read past the NUL. It does not read files. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/parse.h"

#define SENTINEL UINT64_C(0xDEADBEEFCAFEF00D)

/* A heap copy of s of exactly strlen(s) + 1 bytes; free() it. */
static char *dup_exact(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

/* ---- parse_u64 ---- */

/* Parses in, checks the return, the value (when rc is 0) and how far the
 * pointer moved. */
static void check_u64(const char *in, int want_rc, uint64_t want_v, size_t want_adv)
{
	char *s = dup_exact(in);
	const char *p = s;
	uint64_t v = SENTINEL;
	int rc = parse_u64(&p, &v);
	if (rc != want_rc || (size_t)(p - s) != want_adv || (want_rc == 0 && v != want_v))
		print_error("input \"%s\": want rc=%d v=%llu adv=%zu, got rc=%d v=%llu adv=%zu\n",
			    in, want_rc, (unsigned long long)want_v, want_adv, rc,
			    (unsigned long long)v, (size_t)(p - s));
	assert_int_equal(rc, want_rc);
	assert_int_equal((size_t)(p - s), want_adv);
	if (want_rc == 0)
		assert_true(v == want_v);
	free(s);
}

static void test_u64_values(void **state)
{
	(void)state;
	check_u64("0", 0, 0, 1);
	check_u64("7", 0, 7, 1);
	check_u64("007", 0, 7, 3);
	check_u64("123abc", 0, 123, 3);
	check_u64("42 kB", 0, 42, 2);
	check_u64("42\n", 0, 42, 2);
	check_u64("18446744073709551615", 0, UINT64_MAX, 20);
	check_u64("18446744073709551615\n", 0, UINT64_MAX, 20);
	check_u64("018446744073709551615", 0, UINT64_MAX, 21);
	check_u64("18446744073709551614", 0, UINT64_MAX - 1, 20);
	check_u64("9223372036854771712", 0, UINT64_C(9223372036854771712), 19);
}

static void test_u64_overflow(void **state)
{
	(void)state;
	/* UINT64_MAX + 1, + 5 (the last digit overflowing), x10: pointer past
	 * all digits. */
	check_u64("18446744073709551616", -ERANGE, 0, 20);
	check_u64("18446744073709551620", -ERANGE, 0, 20);
	check_u64("184467440737095516150", -ERANGE, 0, 21);
	check_u64("99999999999999999999999 x", -ERANGE, 0, 23);
	check_u64("28446744073709551615", -ERANGE, 0, 20);
}

static void test_u64_junk(void **state)
{
	(void)state;
	check_u64("", -EINVAL, 0, 0);
	check_u64(" 1", -EINVAL, 0, 0);
	check_u64("\t1", -EINVAL, 0, 0);
	check_u64("x1", -EINVAL, 0, 0);
	check_u64("-1", -EINVAL, 0, 0);
	check_u64("+1", -EINVAL, 0, 0);
	check_u64("\n", -EINVAL, 0, 0);
}

/* The value is untouched on -EINVAL. */
static void test_u64_untouched_on_einval(void **state)
{
	(void)state;
	const char *p = "x";
	uint64_t v = SENTINEL;
	assert_int_equal(parse_u64(&p, &v), -EINVAL);
	assert_true(v == SENTINEL);
}

/* ---- parse_hex_digit, parse_hex_u64 ---- */

static void test_hex_digit(void **state)
{
	(void)state;
	const char *digits = "0123456789abcdefABCDEF";
	const int want[] = {0,	1,  2,	3,  4,	5,  6,	7,  8,	9,  10,
			    11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 15};
	for (size_t i = 0; digits[i]; i++)
		assert_int_equal(parse_hex_digit(digits[i]), want[i]);
	assert_int_equal(parse_hex_digit('g'), -1);
	assert_int_equal(parse_hex_digit('G'), -1);
	assert_int_equal(parse_hex_digit('/'), -1);
	assert_int_equal(parse_hex_digit(':'), -1);
	assert_int_equal(parse_hex_digit('@'), -1);
	assert_int_equal(parse_hex_digit('`'), -1);
	assert_int_equal(parse_hex_digit('\0'), -1);
	assert_int_equal(parse_hex_digit('x'), -1);
}

static void check_hex(const char *in, int want_rc, uint64_t want_v, size_t want_adv)
{
	char *s = dup_exact(in);
	const char *p = s;
	uint64_t v = SENTINEL;
	int rc = parse_hex_u64(&p, &v);
	assert_int_equal(rc, want_rc);
	assert_int_equal((size_t)(p - s), want_adv);
	assert_true(v == (want_rc == 0 ? want_v : SENTINEL));
	free(s);
}

static void test_hex_u64(void **state)
{
	(void)state;
	/* a /proc/PID/maps line: start-end and major:minor */
	check_hex("7f3a1c000000-7f3a1c021000 rw-p", 0, UINT64_C(0x7f3a1c000000), 12);
	check_hex("fd:01 ", 0, 0xfd, 2);
	check_hex("ffffffffffffffff", 0, UINT64_MAX, 16);
	check_hex("0000ffffffffffffffff", 0, UINT64_MAX, 20);
	check_hex("DeadBeef-", 0, 0xdeadbeef, 8);
	/* past 64 bits, no digit, a "0x" prefix stops at the x */
	check_hex("10000000000000000", -ERANGE, 0, 0);
	check_hex("", -EINVAL, 0, 0);
	check_hex("-1", -EINVAL, 0, 0);
	check_hex("g1", -EINVAL, 0, 0);
	check_hex("0x10", 0, 0, 1);
}

/* ---- parse_keyed ---- */

enum { K_ANON, K_ANON_THP, K_WSR, K_WSR_FILE, K_FILE, K_SHMEM, K_N };

static const struct keyed_field stat_fields[] = {
	{"anon", K_ANON},
	{"anon_thp", K_ANON_THP},
	{"workingset_refault", K_WSR},
	{"workingset_refault_file", K_WSR_FILE},
	{"file", K_FILE},
	{"shmem", K_SHMEM},
};
#define NSTAT (sizeof(stat_fields) / sizeof(stat_fields[0]))

#define BIT(s) (UINT64_C(1) << (s))

struct keyed_result {
	int rc;
	uint64_t out[64];
	uint64_t seen;
};

static struct keyed_result keyed(const char *text, const struct keyed_field *f, size_t n)
{
	struct keyed_result r;
	char *s = dup_exact(text);
	for (size_t i = 0; i < 64; i++)
		r.out[i] = SENTINEL;
	r.seen = SENTINEL;
	r.rc = parse_keyed(s, f, n, r.out, &r.seen);
	free(s);
	return r;
}

/* Every slot not in seen still holds the sentinel. */
static void assert_unseen_untouched(const struct keyed_result *r)
{
	for (unsigned i = 0; i < 64; i++)
		if (!(r->seen & BIT(i)))
			assert_true(r->out[i] == SENTINEL);
}

static void test_keyed_memory_stat(void **state)
{
	(void)state;
	struct keyed_result r = keyed("anon 67227648\n"
				      "file 209719296\n"
				      "kernel 5926912\n"
				      "shmem 0\n"
				      "anon_thp 2097152\n"
				      "workingset_refault_anon 11\n"
				      "workingset_refault_file 83456\n"
				      "workingset_refault 17\n"
				      "pgfault 16689\n",
				      stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(K_ANON) | BIT(K_ANON_THP) | BIT(K_WSR) | BIT(K_WSR_FILE) |
			       BIT(K_FILE) | BIT(K_SHMEM)));
	assert_true(r.out[K_ANON] == 67227648);
	assert_true(r.out[K_ANON_THP] == 2097152);
	assert_true(r.out[K_WSR] == 17);
	assert_true(r.out[K_WSR_FILE] == 83456);
	assert_true(r.out[K_FILE] == 209719296);
	assert_true(r.out[K_SHMEM] == 0);
	assert_unseen_untouched(&r);
}

/* The longer key first: a prefix must not match either way. */
static void test_keyed_prefix_collisions(void **state)
{
	(void)state;
	struct keyed_result r = keyed("anon_thp 5\nworkingset_refault_file 6\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(K_ANON_THP) | BIT(K_WSR_FILE)));
	assert_true(r.out[K_ANON_THP] == 5);
	assert_true(r.out[K_WSR_FILE] == 6);
	assert_unseen_untouched(&r);

	/* Only the short keys wanted: the long lines are someone else's. */
	static const struct keyed_field shortf[] = {{"anon", 0}, {"workingset_refault", 1}};
	r = keyed("anon_thp 5\nworkingset_refault_file 6\nanon 7\nworkingset_refault 8\n", shortf, 2);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(0) | BIT(1)));
	assert_true(r.out[0] == 7);
	assert_true(r.out[1] == 8);

	/* Only the long keys wanted. */
	static const struct keyed_field longf[] = {{"anon_thp", 0}, {"workingset_refault_file", 1}};
	r = keyed("anon 7\nworkingset_refault 8\n", longf, 2);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0);
	assert_unseen_untouched(&r);

	/* A line key that is a prefix of a wanted key, and one that extends it. */
	r = keyed("ano 1\nanonx 2\nanon_ 3\n", shortf, 2);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0);
}

enum { M_TOTAL, M_FREE, M_HP_TOTAL, M_AVAIL };

static const struct keyed_field meminfo_fields[] = {
	{"MemTotal", M_TOTAL},
	{"MemFree", M_FREE},
	{"HugePages_Total", M_HP_TOTAL},
	{"MemAvailable", M_AVAIL},
};

static void test_keyed_meminfo(void **state)
{
	(void)state;
	struct keyed_result r = keyed("MemTotal:       16318412 kB\n"
				      "MemFree:          123456 kB\n"
				      "MemAvailable:   10000000 kB\n"
				      "Buffers:           1 kB\n"
				      "HugePages_Total:       7\n"
				      "Hugepagesize:       2048 kB\n",
				      meminfo_fields, 4);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(M_TOTAL) | BIT(M_FREE) | BIT(M_HP_TOTAL) | BIT(M_AVAIL)));
	assert_true(r.out[M_TOTAL] == UINT64_C(16318412) * 1024);
	assert_true(r.out[M_FREE] == UINT64_C(123456) * 1024);
	assert_true(r.out[M_AVAIL] == UINT64_C(10000000) * 1024);
	assert_true(r.out[M_HP_TOTAL] == 7); /* no kB: no multiply */
}

static const struct keyed_field status_fields[] = {
	{"VmRSS", 0},
	{"RssAnon", 1},
	{"RssFile", 2},
	{"RssShmem", 3},
	{"VmSwap", 4},
};

static void test_keyed_status(void **state)
{
	(void)state;
	/* Tabs after the colon, non-numeric lines (Name, State) not wanted. */
	struct keyed_result r = keyed("Name:\tworkload\n"
				      "Umask:\t0022\n"
				      "State:\tS (sleeping)\n"
				      "VmRSS:\t   66376 kB\n"
				      "RssAnon:\t   65600 kB\n"
				      "RssFile:\t     776 kB\n"
				      "RssShmem:\t       0 kB\n"
				      "VmSwap:\t       0 kB\n"
				      "Cpus_allowed_list:\t0-3\n",
				      status_fields, 5);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0x1f);
	assert_true(r.out[0] == UINT64_C(66376) * 1024);
	assert_true(r.out[1] == UINT64_C(65600) * 1024);
	assert_true(r.out[2] == UINT64_C(776) * 1024);
	assert_true(r.out[3] == 0);
	assert_true(r.out[4] == 0);
}

static void test_keyed_kb_overflow(void **state)
{
	(void)state;
	static const struct keyed_field f[] = {{"A", 0}, {"B", 1}};
	/* UINT64_MAX / 1024 kB is the largest that fits. */
	struct keyed_result r = keyed("A: 18014398509481983 kB\nB: 18014398509481984 kB\n", f, 2);
	assert_int_equal(r.rc, -ERANGE);
	assert_true(r.seen == BIT(0));
	assert_true(r.out[0] == UINT64_C(18014398509481983) * 1024);
	assert_true(r.out[1] == SENTINEL);

	/* Without kB the same digits fit. */
	r = keyed("B: 18014398509481984\n", f, 2);
	assert_int_equal(r.rc, 0);
	assert_true(r.out[1] == UINT64_C(18014398509481984));

	/* Overflow before any multiply. */
	r = keyed("A 18446744073709551616\nB 3\n", f, 2);
	assert_int_equal(r.rc, -ERANGE);
	assert_true(r.seen == BIT(1));
	assert_true(r.out[1] == 3);
	assert_true(r.out[0] == SENTINEL);
}

static void test_keyed_truncated_last_line(void **state)
{
	(void)state;
	struct keyed_result r = keyed("anon 5\nfile 6", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(K_ANON) | BIT(K_FILE)));
	assert_true(r.out[K_ANON] == 5);
	assert_true(r.out[K_FILE] == 6);

	/* Cut inside the key of a wanted line: the key is not the key. */
	r = keyed("anon 5\nfil", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == BIT(K_ANON));

	/* Cut right after a wanted key: missing value. */
	r = keyed("anon 5\nfile", stat_fields, NSTAT);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(K_ANON));
	assert_true(r.out[K_FILE] == SENTINEL);

	r = keyed("anon 5\nfile ", stat_fields, NSTAT);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(K_ANON));

	/* meminfo cut after the colon, and after the number before kB. */
	r = keyed("MemTotal:", meminfo_fields, 4);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == 0);
	r = keyed("MemTotal: 5 k", meminfo_fields, 4);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == 0);
}

static void test_keyed_missing_value(void **state)
{
	(void)state;
	/* Parsing goes on after the bad line. */
	struct keyed_result r = keyed("anon\nfile 3\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(K_FILE));
	assert_true(r.out[K_FILE] == 3);
	assert_true(r.out[K_ANON] == SENTINEL);

	r = keyed("anon   \nfile 3\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(K_FILE));

	r = keyed("MemTotal:\nMemFree: 1 kB\n", meminfo_fields, 4);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(M_FREE));
	assert_true(r.out[M_FREE] == 1024);
}

static void test_keyed_non_numeric(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "anon abc\nfile 3\n",   "anon 12abc\nfile 3\n", "anon -1\nfile 3\n",
	    "anon 5 kB x\nfile 3\n", "anon 5 MB\nfile 3\n",  "anon 5 6\nfile 3\n",
	    "anon 0x10\nfile 3\n",  "anon kB\nfile 3\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct keyed_result r = keyed(bad[i], stat_fields, NSTAT);
		if (r.rc != -EINVAL || r.seen != BIT(K_FILE))
			print_error("input \"%s\": rc=%d seen=%llx\n", bad[i], r.rc,
				    (unsigned long long)r.seen);
		assert_int_equal(r.rc, -EINVAL);
		assert_true(r.seen == BIT(K_FILE));
		assert_true(r.out[K_FILE] == 3);
		assert_true(r.out[K_ANON] == SENTINEL);
	}
	/* A non-numeric value on a line nobody wants is no error. */
	struct keyed_result r = keyed("thp_policy always madvise\nanon 1\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == BIT(K_ANON));
}

/* The first error is the one returned. */
static void test_keyed_first_error(void **state)
{
	(void)state;
	struct keyed_result r =
	    keyed("anon x\nfile 99999999999999999999999\nshmem 4\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(K_SHMEM));
	assert_true(r.out[K_SHMEM] == 4);

	r = keyed("file 99999999999999999999999\nanon x\nshmem 4\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, -ERANGE);
	assert_true(r.seen == BIT(K_SHMEM));
}

static void test_keyed_empty(void **state)
{
	(void)state;
	struct keyed_result r = keyed("", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0);
	assert_unseen_untouched(&r);

	r = keyed("\n\n\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0);

	/* No fields wanted at all. */
	r = keyed("anon 1\n", stat_fields, 0);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0);
	assert_unseen_untouched(&r);
}

/* Blank lines between entries are skipped; tabs separate like spaces. */
static void test_keyed_blank_lines_and_tabs(void **state)
{
	(void)state;
	struct keyed_result r = keyed("anon\t1\n\n\nfile \t 2\t\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(K_ANON) | BIT(K_FILE)));
	assert_true(r.out[K_ANON] == 1);
	assert_true(r.out[K_FILE] == 2);

	/* A line that does not start with the key is not that key. */
	r = keyed(" anon 1\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == 0);
}

/* Decision: \r is not part of any kernel format. A CRLF line of a wanted key
 * is malformed (-EINVAL, left unseen); CRLF on lines nobody wants is
 * ignored like any other content of those lines. */
static void test_keyed_crlf(void **state)
{
	(void)state;
	struct keyed_result r = keyed("anon 5\r\nfile 6\r\nshmem 7\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == BIT(K_SHMEM));
	assert_true(r.out[K_SHMEM] == 7);
	assert_true(r.out[K_ANON] == SENTINEL);
	assert_true(r.out[K_FILE] == SENTINEL);

	r = keyed("MemTotal: 5 kB\r\n", meminfo_fields, 4);
	assert_int_equal(r.rc, -EINVAL);
	assert_true(r.seen == 0);

	r = keyed("other 1\r\nanon 2\n", stat_fields, NSTAT);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == BIT(K_ANON));
	assert_true(r.out[K_ANON] == 2);
}

/* seen is cleared first, and slots up to 63 work. */
static void test_keyed_seen_bits(void **state)
{
	(void)state;
	static const struct keyed_field f[] = {{"a", 0}, {"b", 31}, {"c", 32}, {"d", 63}};
	struct keyed_result r = keyed("d 4\nc 3\nb 2\na 1\n", f, 4);
	assert_int_equal(r.rc, 0);
	assert_true(r.seen == (BIT(0) | BIT(31) | BIT(32) | BIT(63)));
	assert_true(r.out[0] == 1);
	assert_true(r.out[31] == 2);
	assert_true(r.out[32] == 3);
	assert_true(r.out[63] == 4);
	assert_unseen_untouched(&r);

	r = keyed("d 4\n", f, 4);
	assert_true(r.seen == BIT(63));
}

/* ---- parse_single_u64 ---- */

static void check_single(const char *in, bool allow_max, int want_rc, uint64_t want_v,
			 bool want_max)
{
	char *s = dup_exact(in);
	uint64_t v = SENTINEL;
	bool is_max = !want_max; /* must be overwritten */
	int rc = parse_single_u64(s, &v, allow_max ? &is_max : NULL);
	if (rc != want_rc || (rc == 0 && v != want_v))
		print_error("input \"%s\" (max %s): want rc=%d v=%llu, got rc=%d v=%llu\n", in,
			    allow_max ? "allowed" : "not allowed", want_rc,
			    (unsigned long long)want_v, rc, (unsigned long long)v);
	assert_int_equal(rc, want_rc);
	if (want_rc == 0) {
		assert_true(v == want_v);
		if (allow_max)
			assert_int_equal(is_max, want_max);
	}
	free(s);
}

static void test_single(void **state)
{
	(void)state;
	check_single("123\n", true, 0, 123, false);
	check_single("123\n", false, 0, 123, false);
	check_single("0\n", false, 0, 0, false);
	check_single("123", false, 0, 123, false);
	check_single("123  \n\n", false, 0, 123, false);
	check_single("9223372036854771712\n", false, 0, UINT64_C(9223372036854771712), false);
	/* UINT64_MAX as digits is a number, not "max". */
	check_single("18446744073709551615\n", true, 0, UINT64_MAX, false);
	check_single("max\n", true, 0, UINT64_MAX, true);
	check_single("max", true, 0, UINT64_MAX, true);
	check_single("max \n", true, 0, UINT64_MAX, true);
}

static void test_single_malformed(void **state)
{
	(void)state;
	check_single("max\n", false, -EINVAL, 0, false);
	check_single("maxx\n", true, -EINVAL, 0, false);
	check_single("max 1\n", true, -EINVAL, 0, false);
	check_single("ma\n", true, -EINVAL, 0, false);
	check_single("MAX\n", true, -EINVAL, 0, false);
	check_single("", true, -EINVAL, 0, false);
	check_single("", false, -EINVAL, 0, false);
	check_single("\n", false, -EINVAL, 0, false);
	check_single(" 123\n", false, -EINVAL, 0, false);
	check_single("123x\n", false, -EINVAL, 0, false);
	check_single("123 x\n", false, -EINVAL, 0, false);
	check_single("123\n456\n", false, -EINVAL, 0, false);
	check_single("123\r\n", false, -EINVAL, 0, false);
	check_single("-1\n", false, -EINVAL, 0, false);
	check_single("abc\n", false, -EINVAL, 0, false);
	check_single("18446744073709551616\n", true, -ERANGE, 0, false);
	check_single("99999999999999999999\n", false, -ERANGE, 0, false);
}

/* ---- parse_psi ---- */

static int psi(const char *in, struct psi_totals *t)
{
	char *s = dup_exact(in);
	memset(t, 0xa5, sizeof(*t));
	int rc = parse_psi(s, t);
	free(s);
	return rc;
}

static void test_psi_real(void **state)
{
	(void)state;
	struct psi_totals t;
	assert_int_equal(psi("some avg10=0.12 avg60=3.45 avg300=6.78 total=123456789\n"
			     "full avg10=0.00 avg60=0.00 avg300=0.00 total=42\n",
			     &t),
			 0);
	assert_true(t.has_some);
	assert_true(t.has_full);
	assert_true(t.some_us == 123456789);
	assert_true(t.full_us == 42);

	/* No trailing newline; the largest total. */
	assert_int_equal(psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551615", &t),
			 0);
	assert_true(t.has_some);
	assert_false(t.has_full);
	assert_true(t.some_us == UINT64_MAX);
	assert_true(t.full_us == 0);
}

/* Only a "some" line (/proc/pressure/cpu before 5.13 has no "full"). */
static void test_psi_only_some(void **state)
{
	(void)state;
	struct psi_totals t;
	assert_int_equal(psi("some avg10=1.50 avg60=0.00 avg300=0.00 total=999\n", &t), 0);
	assert_true(t.has_some);
	assert_false(t.has_full);
	assert_true(t.some_us == 999);
	assert_true(t.full_us == 0);

	assert_int_equal(psi("full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", &t), 0);
	assert_false(t.has_some);
	assert_true(t.has_full);
	assert_true(t.full_us == 5);
	assert_true(t.some_us == 0);
}

static void test_psi_empty(void **state)
{
	(void)state;
	struct psi_totals t;
	assert_int_equal(psi("", &t), 0);
	assert_false(t.has_some);
	assert_false(t.has_full);
	assert_true(t.some_us == 0);
	assert_true(t.full_us == 0);
}

static void test_psi_missing_total(void **state)
{
	(void)state;
	struct psi_totals t;
	assert_int_equal(psi("some avg10=0.00 avg60=0.00 avg300=0.00\n"
			     "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",
			     &t),
			 -EINVAL);
	assert_false(t.has_some);
	assert_true(t.has_full);
	assert_true(t.full_us == 5);

	/* total= of the next line must not be taken for this one. */
	assert_int_equal(psi("some avg10=0.00\nfull avg10=0.00 total=5\n", &t), -EINVAL);
	assert_false(t.has_some);
	assert_true(t.some_us == 0);
	assert_true(t.has_full);

	assert_int_equal(psi("some total=\n", &t), -EINVAL);
	assert_false(t.has_some);
	assert_int_equal(psi("some total=12x\n", &t), -EINVAL);
	assert_false(t.has_some);
	assert_int_equal(psi("some total=-1\n", &t), -EINVAL);
	assert_false(t.has_some);
	assert_int_equal(psi("some total=18446744073709551616\n", &t), -ERANGE);
	assert_false(t.has_some);
}

static void test_psi_garbage_line(void **state)
{
	(void)state;
	struct psi_totals t;
	assert_int_equal(psi("garbage\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=1\n", &t),
			 -EINVAL);
	assert_true(t.has_some);
	assert_true(t.some_us == 1);
	assert_false(t.has_full);

	assert_int_equal(psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nsomething total=3\n",
			     &t),
			 -EINVAL);
	assert_true(t.has_some);
	assert_true(t.some_us == 1);

	/* "some" without its space is not a some line. */
	assert_int_equal(psi("some\n", &t), -EINVAL);
	assert_false(t.has_some);
}

/* ---- parse_next_pid ---- */

/* Iterates in and compares the returns (1 means a pid, then want_pid). */
struct pid_step {
	int rc;
	int pid;
};

static void check_pids(const char *in, const struct pid_step *steps, size_t n)
{
	char *s = dup_exact(in);
	const char *p = s;
	for (size_t i = 0; i < n; i++) {
		int pid = -12345;
		int rc = parse_next_pid(&p, &pid);
		if (rc != steps[i].rc || (rc == 1 && pid != steps[i].pid))
			print_error("input \"%s\" step %zu: want rc=%d pid=%d, got rc=%d pid=%d\n",
				    in, i, steps[i].rc, steps[i].pid, rc, pid);
		assert_int_equal(rc, steps[i].rc);
		if (rc == 1)
			assert_int_equal(pid, steps[i].pid);
	}
	/* The end is sticky. */
	int pid;
	assert_int_equal(parse_next_pid(&p, &pid), 0);
	assert_int_equal(parse_next_pid(&p, &pid), 0);
	assert_ptr_equal(p, s + strlen(s));
	free(s);
}

#define PIDS(in, ...)                                                                              \
	do {                                                                                       \
		static const struct pid_step st_[] = {__VA_ARGS__};                                \
		check_pids(in, st_, sizeof(st_) / sizeof(st_[0]));                                 \
	} while (0)

static void test_pids(void **state)
{
	(void)state;
	PIDS("", {0, 0});
	PIDS("\n\n", {0, 0});
	PIDS("1\n22\n333\n", {1, 1}, {1, 22}, {1, 333}, {0, 0});
	PIDS("410", {1, 410}, {0, 0});
	PIDS("1\n\n\n2\n\n", {1, 1}, {1, 2}, {0, 0});
	PIDS("\n7\n", {1, 7}, {0, 0});
	PIDS("2147483647\n", {1, 2147483647}, {0, 0});
}

static void test_pids_malformed(void **state)
{
	(void)state;
	/* A garbage line is -EINVAL, then the rest is still read. */
	PIDS("1\nabc\n3\n", {1, 1}, {-EINVAL, 0}, {1, 3}, {0, 0});
	PIDS("0\n5\n", {-EINVAL, 0}, {1, 5}, {0, 0});
	PIDS("2147483648\n6\n", {-EINVAL, 0}, {1, 6}, {0, 0});
	PIDS("4294967297\n", {-EINVAL, 0}, {0, 0});
	PIDS("99999999999999999999999\n4", {-EINVAL, 0}, {1, 4}, {0, 0});
	PIDS("12 \n13\n", {-EINVAL, 0}, {1, 13}, {0, 0});
	PIDS(" 12\n", {-EINVAL, 0}, {0, 0});
	PIDS("12x\n", {-EINVAL, 0}, {0, 0});
	PIDS("-1\n", {-EINVAL, 0}, {0, 0});
	PIDS("12\r\n13\n", {-EINVAL, 0}, {1, 13}, {0, 0});
	PIDS("1 2\n", {-EINVAL, 0}, {0, 0});
	PIDS("abc", {-EINVAL, 0}, {0, 0});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_u64_values),
	    cmocka_unit_test(test_u64_overflow),
	    cmocka_unit_test(test_u64_junk),
	    cmocka_unit_test(test_u64_untouched_on_einval),
	    cmocka_unit_test(test_hex_digit),
	    cmocka_unit_test(test_hex_u64),
	    cmocka_unit_test(test_keyed_memory_stat),
	    cmocka_unit_test(test_keyed_prefix_collisions),
	    cmocka_unit_test(test_keyed_meminfo),
	    cmocka_unit_test(test_keyed_status),
	    cmocka_unit_test(test_keyed_kb_overflow),
	    cmocka_unit_test(test_keyed_truncated_last_line),
	    cmocka_unit_test(test_keyed_missing_value),
	    cmocka_unit_test(test_keyed_non_numeric),
	    cmocka_unit_test(test_keyed_first_error),
	    cmocka_unit_test(test_keyed_empty),
	    cmocka_unit_test(test_keyed_blank_lines_and_tabs),
	    cmocka_unit_test(test_keyed_crlf),
	    cmocka_unit_test(test_keyed_seen_bits),
	    cmocka_unit_test(test_single),
	    cmocka_unit_test(test_single_malformed),
	    cmocka_unit_test(test_psi_real),
	    cmocka_unit_test(test_psi_only_some),
	    cmocka_unit_test(test_psi_empty),
	    cmocka_unit_test(test_psi_missing_total),
	    cmocka_unit_test(test_psi_garbage_line),
	    cmocka_unit_test(test_pids),
	    cmocka_unit_test(test_pids_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
