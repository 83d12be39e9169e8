/* base64: the one base64 decoder (RFC 4648), for HTTP Basic credentials
 * (section 4) and NATS JWTs (section 5, URL-safe). The decoding itself is
 * libcrypto's EVP_DecodeBlock; this wrapper checks the alphabet strictly,
 * supplies the padding EVP_DecodeBlock needs and drops the bytes it adds for
 * it. It does not encode and does not skip white space. */
#ifndef MEMACCT_BASE64_H
#define MEMACCT_BASE64_H

#include <stdbool.h>
#include <stddef.h>

enum base64_alphabet {
	BASE64_STD, /* A-Z a-z 0-9 + /, '=' padding optional */
	BASE64_URL, /* A-Z a-z 0-9 - _, no padding (JWT) */
};

/* True when c is in the alphabet (padding excluded). */
bool base64_is_char(enum base64_alphabet a, char c);

/* Decodes s[0..len) into out (at most cap bytes). Returns the decoded
 * length, or -EINVAL when s has a character outside the alphabet, padding
 * anywhere but at the end (BASE64_STD only), a length no encoding has, or
 * decodes to more than cap bytes. */
long base64_decode(enum base64_alphabet a, const char *s, size_t len, unsigned char *out,
		   size_t cap);

#endif
