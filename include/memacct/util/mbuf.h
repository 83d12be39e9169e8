/* mbuf: a growable byte buffer with a hard cap (after curl's dynbuf).
 * It does not format metrics or escape anything; expfmt.c does that.
 * The first error (-ENOMEM or -EFBIG) sticks: later appends are no-ops, so a
 * writer can append freely and check mbuf_error() once at the end. */
#ifndef MEMACCT_MBUF_H
#define MEMACCT_MBUF_H

#include <stddef.h>
#include <stdint.h>

struct mbuf {
	char *data;	/* NUL-terminated when len > 0; owned */
	size_t len;
	size_t cap;
	size_t max;	/* hard cap on len; appends past it fail with -EFBIG */
	int err;	/* first error, 0 if none */
};

void mbuf_init(struct mbuf *b, size_t max);
void mbuf_free(struct mbuf *b);
/* len = 0 and error cleared; the memory is kept for reuse. */
void mbuf_reset(struct mbuf *b);
int mbuf_add(struct mbuf *b, const void *p, size_t n);
int mbuf_addstr(struct mbuf *b, const char *s);
int mbuf_addc(struct mbuf *b, char c);
int mbuf_add_u64(struct mbuf *b, uint64_t v);
int mbuf_add_i64(struct mbuf *b, int64_t v);
/* Shortest decimal that reads back as the same double; +Inf, -Inf, NaN. */
int mbuf_add_f64(struct mbuf *b, double v);
/* The same numbers into out (no NUL), for sizing a line before writing it:
 * returns the length. */
#define MBUF_NUM_MAX 32
size_t mbuf_fmt_u64(char out[MBUF_NUM_MAX], uint64_t v);
size_t mbuf_fmt_f64(char out[MBUF_NUM_MAX], double v);
int mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int mbuf_error(const struct mbuf *b)
{
	return b->err;
}
/* Hands the data to the caller (takes ownership away from b; never NULL on
 * success, an empty string for an empty buffer). Returns NULL on error. */
char *mbuf_detach(struct mbuf *b, size_t *len);

#endif
