/* utf8: the one UTF-8 validator (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). It does not escape or convert: the
 * exposition writer, explain's renderers and the web config reader decide
 * what to do with an invalid byte. */
#ifndef MEMACCT_UTF8_H
#define MEMACCT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence at s (at most n bytes), or 0
 * when it is invalid or n is 0. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* The code point of the valid sequence at s of length len (utf8_seq_len). */
unsigned utf8_code_point(const unsigned char *s, size_t len);

/* True when all n bytes are valid UTF-8; else *bad (may be NULL) is the
 * offset of the first invalid byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad);

#endif
