/* utf8: the one UTF-8 validator (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), and which code points are
 * bidirectional controls. It does not escape or convert: the exposition
 * writer, explain's renderers, the JSON writer and the web config reader
 * decide what to do with an invalid byte or a bidi control. */
#ifndef MEMACCT_UTF8_H
#define MEMACCT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence at s (at most n bytes), or 0
 * when it is invalid or n is 0. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* The code point of the valid sequence at s of length len (utf8_seq_len). */
unsigned utf8_code_point(const unsigned char *s, size_t len);

/* True for the bidirectional formatting controls, which reorder the text
 * around them on screen (a name could show as another): U+061C ALM,
 * U+200E LRM, U+200F RLM, U+202A..U+202E (LRE, RLE, PDF, LRO, RLO),
 * U+2066..U+2069 (LRI, RLI, FSI, PDI). */
bool utf8_is_bidi_control(unsigned cp);

/* True when all n bytes are valid UTF-8; else *bad (may be NULL) is the
 * offset of the first invalid byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad);

#endif
