/* mbuf: capped growable buffer; see include/memacct/util/mbuf.h. It knows nothing
 * of metrics or escaping. */
#include "memacct/util/mbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mbuf_init(struct mbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = 0;
}

void mbuf_free(struct mbuf *b)
{
	free(b->data);
	mbuf_init(b, b->max);
}

void mbuf_reset(struct mbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int mbuf_fail(struct mbuf *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

/* Makes room for n more bytes plus the NUL. */
static int mbuf_grow(struct mbuf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (n > b->max || b->len > b->max - n)
		return mbuf_fail(b, -EFBIG);
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return mbuf_fail(b, -ENOMEM);
	b->data = p;
	b->cap = cap;
	return 0;
}

int mbuf_add(struct mbuf *b, const void *p, size_t n)
{
	int rc = mbuf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int mbuf_addstr(struct mbuf *b, const char *s)
{
	return mbuf_add(b, s, strlen(s));
}

int mbuf_addc(struct mbuf *b, char c)
{
	return mbuf_add(b, &c, 1);
}

size_t mbuf_fmt_u64(char out[MBUF_NUM_MAX], uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(out, p, n);
	return n;
}

int mbuf_add_u64(struct mbuf *b, uint64_t v)
{
	char tmp[MBUF_NUM_MAX];
	return mbuf_add(b, tmp, mbuf_fmt_u64(tmp, v));
}

int mbuf_add_i64(struct mbuf *b, int64_t v)
{
	if (v >= 0)
		return mbuf_add_u64(b, (uint64_t)v);
	mbuf_addc(b, '-');
	return mbuf_add_u64(b, (uint64_t)(-(v + 1)) + 1);
}

size_t mbuf_fmt_f64(char out[MBUF_NUM_MAX], double v)
{
	const char *word = isnan(v)  ? "NaN"
			   : isinf(v) ? (v > 0 ? "+Inf" : "-Inf")
			   : v == 0 && signbit(v) ? "-0" /* "0" would read back as +0 */
						  : NULL;
	if (word) {
		size_t n = strlen(word);
		memcpy(out, word, n);
		return n;
	}
	if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v) {
		int64_t i = (int64_t)v;
		if (i >= 0)
			return mbuf_fmt_u64(out, (uint64_t)i);
		char digits[MBUF_NUM_MAX];
		size_t n = mbuf_fmt_u64(digits, (uint64_t)(-(i + 1)) + 1);
		out[0] = '-';
		memcpy(out + 1, digits, n);
		return n + 1;
	}
	/* The shortest of %.15g..%.17g that reads back exactly. */
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, MBUF_NUM_MAX, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return n > 0 && n < MBUF_NUM_MAX ? (size_t)n : 0;
}

int mbuf_add_f64(struct mbuf *b, double v)
{
	char tmp[MBUF_NUM_MAX];
	return mbuf_add(b, tmp, mbuf_fmt_f64(tmp, v));
}

int mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return mbuf_fail(b, -EINVAL);
	int rc = mbuf_grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *mbuf_detach(struct mbuf *b, size_t *len)
{
	if (b->err)
		return NULL;
	if (!b->data && mbuf_grow(b, 0))
		return NULL;
	char *p = b->data;
	p[b->len] = '\0';
	if (len)
		*len = b->len;
	mbuf_init(b, b->max);
	return p;
}
