/* fuzz_escape: libFuzzer target for the exposition writer's escaping:
 * expfmt_escape_label() on any bytes, then labels_add() and metric_u64() of a
 * sample carrying the bytes as two label values, written by registry_write()
 * in text 0.0.4 and OpenMetrics 1.0. It asserts what SPEC section 3 asks of
 * a hostile cgroup name: the output is valid UTF-8, has no NUL, no raw
 * newline inside a label value (exactly the expected lines), no unescaped
 * quote, and unescaping a label value gives back the input wherever the
 * input was valid UTF-8 without NUL. The first 8 bytes are also written as
 * a double and as a uint64 sample, which must read back as the same number
 * (strtod/strtoull; NaN, +Inf, -Inf and -0 spelled as the format says). It
 * does not check HELP text (literals). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/expo/expfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the valid UTF-8 sequence at s (RFC 3629), 0 if invalid. Written
 * independently of expfmt.c's on purpose. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		     : s[0] >= 0xC2 && s[0] <= 0xDF			      ? 2
									      : 0;
	if (!len || n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (len == 3 && s[0] == 0xE0 && s[1] < 0xA0)
		return 0; /* overlong */
	if (len == 3 && s[0] == 0xED && s[1] >= 0xA0)
		return 0; /* surrogate */
	if (len == 4 && s[0] == 0xF0 && s[1] < 0x90)
		return 0; /* overlong */
	if (len == 4 && s[0] == 0xF4 && s[1] >= 0x90)
		return 0; /* above U+10FFFF */
	return len;
}

static int valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len((const unsigned char *)s + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

/* Reads one escaped label value starting after its opening quote at *p;
 * appends the unescaped bytes to out, leaves *p after the closing quote.
 * Aborts on a raw newline, a bad escape or a missing closing quote. */
static void unescape(const char **p, const char *end, struct mbuf *out)
{
	const char *s = *p;
	for (; s < end && *s != '"'; s++) {
		if (*s == '\n')
			abort(); /* raw newline inside a label value */
		if (*s == '\\') {
			s++;
			if (s >= end)
				abort();
			if (*s == 'n')
				mbuf_addc(out, '\n');
			else if (*s == '\\' || *s == '"')
				mbuf_addc(out, *s);
			else
				abort(); /* only \\, \" and \n are escapes */
		} else {
			mbuf_addc(out, *s);
		}
	}
	if (s >= end)
		abort(); /* no closing quote */
	*p = s + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	/* 1. The escaper alone, on any bytes including NUL. */
	struct mbuf esc;
	mbuf_init(&esc, 16 * size + 64);
	if (expfmt_escape_label(&esc, in, size) != 0)
		abort();
	const char *e = esc.data ? esc.data : "";
	if (!valid_utf8(e, esc.len) || memchr(e, '\0', esc.len) || memchr(e, '\n', esc.len))
		abort();
	/* It must read back as one quoted value (no unescaped quote before the
	 * end, only valid escapes), and as the input itself wherever the input
	 * was valid UTF-8 without NUL. */
	char *q = malloc(esc.len + 1);
	if (q) {
		memcpy(q, e, esc.len);
		q[esc.len] = '"';
		struct mbuf back;
		mbuf_init(&back, 4 * size + 64);
		const char *p = q;
		unescape(&p, q + esc.len + 1, &back);
		if (p != q + esc.len + 1)
			abort();
		if (valid_utf8(in, size) && !memchr(in, '\0', size) &&
		    (back.len != size || (size && memcmp(back.data, in, size) != 0)))
			abort();
		mbuf_free(&back);
		free(q);
	}
	mbuf_free(&esc);

	/* 2. Through the registry: the value as a common label (labels_add takes
	 * a C string: up to the first NUL) and as the extra label. */
	char *cstr = malloc(size + 1);
	if (!cstr)
		return 0;
	memcpy(cstr, data, size);
	cstr[size] = '\0';
	struct registry *r = registry_new(1 << 24);
	struct labels l;
	labels_init(&l);
	labels_add(&l, "cgroup", cstr);
	labels_add(&l, "pod", cstr + size / 2);
	struct family *g = registry_family(r, "memacct_fuzz_bytes", METRIC_GAUGE, "Fuzzed \"label\".");
	struct family *c = registry_family(r, "memacct_fuzz_total", METRIC_COUNTER, "Fuzzed\\counter.");
	metric_u64(g, &l, "component", cstr, 42);
	metric_f64(c, &l, NULL, NULL, 1.5);
	metric_u64(g, NULL, "component", cstr, 7);

	for (int f = 0; f < 2; f++) {
		enum expfmt_format fmt = f ? EXPFMT_OPENMETRICS_100 : EXPFMT_TEXT_004;
		struct mbuf out;
		mbuf_init(&out, 1 << 26);
		if (registry_write(r, &out, fmt) != 0)
			abort();
		const char *s = out.data, *end = out.data + out.len;
		if (!valid_utf8(s, out.len) || memchr(s, '\0', out.len))
			abort();
		/* 2 families x (HELP, TYPE) + 3 samples (+ # EOF): a raw newline in
		 * a label value would add lines. */
		size_t lines = 0;
		for (const char *p = s; p < end; p++)
			lines += *p == '\n';
		if (lines != 7u + (unsigned)f || end[-1] != '\n')
			abort();
		/* Every sample line: name{k="v",...} value, each value one
		 * well-formed escaped string on that line. */
		for (const char *p = s; p < end;) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			if (*p != '#') {
				const char *b = memchr(p, '{', (size_t)(eol - p));
				if (b) {
					const char *lp = b + 1;
					while (*lp != '}') {
						const char *eq = memchr(lp, '=', (size_t)(eol - lp));
						if (!eq || eq[1] != '"')
							abort();
						struct mbuf v;
						mbuf_init(&v, size + 64);
						lp = eq + 2;
						unescape(&lp, eol, &v);
						mbuf_free(&v);
						if (*lp == ',')
							lp++;
						else if (*lp != '}')
							abort();
					}
					if (lp[1] != ' ')
						abort();
				}
			}
			p = eol + 1;
		}
		mbuf_free(&out);
	}
	labels_free(&l);
	registry_free(r);
	free(cstr);

	/* 3. Numbers read back as themselves. */
	if (size >= 8) {
		double d;
		uint64_t u;
		memcpy(&d, data, sizeof(d));
		memcpy(&u, data, sizeof(u));
		struct registry *nr = registry_new(1 << 16);
		struct family *fd = registry_family(nr, "memacct_fuzz_double", METRIC_GAUGE, "d");
		struct family *fu = registry_family(nr, "memacct_fuzz_uint", METRIC_GAUGE, "u");
		metric_f64(fd, NULL, NULL, NULL, d);
		metric_u64(fu, NULL, NULL, NULL, u);
		struct mbuf out;
		mbuf_init(&out, 1 << 16);
		if (registry_write(nr, &out, EXPFMT_TEXT_004) != 0)
			abort();
		const char *dv = strstr(out.data, "\nmemacct_fuzz_double ");
		const char *uv = strstr(out.data, "\nmemacct_fuzz_uint ");
		if (!dv || !uv)
			abort();
		dv += strlen("\nmemacct_fuzz_double ");
		uv += strlen("\nmemacct_fuzz_uint ");
		char *endp;
		if (isnan(d)) {
			if (strncmp(dv, "NaN\n", 4) != 0)
				abort();
		} else if (isinf(d)) {
			if (strncmp(dv, d > 0 ? "+Inf\n" : "-Inf\n", 5) != 0)
				abort();
		} else {
			double back = strtod(dv, &endp);
			if (*endp != '\n' || back != d || signbit(back) != signbit(d))
				abort();
		}
		if (strtoull(uv, &endp, 10) != u || *endp != '\n' || *uv == '-' || *uv == '+')
			abort();
		mbuf_free(&out);
		registry_free(nr);
	}
	return 0;
}
