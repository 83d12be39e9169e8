/* fuzz_basic_auth: libFuzzer target for the Basic credential decoder and
 * checker of basic_auth.c. The input, cut at its first NUL as a header value
 * would be, is an Authorization header. basic_auth_parse() must succeed
 * only when the header is "Basic" (any case), blanks, and a token that a
 * reference decoder written here reads as the same user ":" password, with
 * no NUL in it; the user then has no ':'. basic_auth_quick()
 * against one user ("u", password "p", cost 4) never allows before a check;
 * basic_auth_check() (bcrypt, only for user "u" to keep the fuzzer fast)
 * allows exactly the password "p", and then the cache does too. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <crypt.h>

#include "memacct/http/basic_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct basic_auth *auth;

static void setup(void)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	static struct crypt_data cd;
	const char *hash = crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt))
				   ? crypt_rn("p", salt, &cd, sizeof(cd))
				   : NULL;
	if (!hash || basic_auth_new(&auth) || basic_auth_add(auth, "u", hash))
		abort();
}

/* A reference base64 decoder, written apart from util/base64.c: the
 * standard alphabet, up to two '=' only at the end of a whole quantum, a
 * final partial quantum of 2 or 3 characters, pad bits ignored (as RFC 4648
 * allows and Go's StdEncoding does). Returns the length, or -1. */
static long ref_decode(const char *t, size_t n, unsigned char *out)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t pads = 0;
	while (pads < 2 && n > pads && t[n - 1 - pads] == '=')
		pads++;
	if (pads && n % 4)
		return -1;
	size_t body = n - pads;
	if (body % 4 == 1)
		return -1;
	long len = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < body; i++) {
		const char *c = t[i] ? strchr(tbl, t[i]) : NULL;
		if (!c)
			return -1;
		acc = (acc << 6) | (uint32_t)(c - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return len;
}

/* The token of a well-formed "Basic <token>" header, blanks stripped, or
 * NULL when the scheme is not Basic. */
static const char *token_of(const char *h, size_t *len)
{
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' && h[5] != '\t'))
		return NULL;
	h += 5;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	*len = n;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!auth)
		setup();
	char *h = malloc(size + 1);
	if (!h)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	char buf[BASIC_AUTH_CREDENTIALS_MAX_BYTES + 1];
	const char *user = NULL, *pass = NULL;
	int rc = basic_auth_parse(h, buf, sizeof(buf), &user, &pass);
	size_t tlen = 0;
	const char *tok = token_of(h, &tlen);
	if (rc != 0 && rc != -EACCES)
		abort();
	if (rc == 0) {
		if (!tok || user != buf || pass < buf || pass > buf + sizeof(buf) || strchr(user, ':'))
			abort();
		/* The reference decoder reads the token as user ':' password. */
		size_t ul = strlen(user), pl = strlen(pass);
		unsigned char *ref = malloc(tlen + 1);
		if (!ref)
			abort();
		long rl = ref_decode(tok, tlen, ref);
		if (rl != (long)(ul + 1 + pl) || memcmp(ref, user, ul) != 0 || ref[ul] != ':' ||
		    memcmp(ref + ul + 1, pass, pl) != 0)
			abort();
		free(ref);
	}
	int q = basic_auth_quick(auth, h);
	if (q != -EACCES && q != -EAGAIN && q != 0)
		abort();
	/* quick refuses what the parser refuses, and over-long headers and
	 * user names besides; nothing else. */
	bool too_long = strlen(h) > 2 * BASIC_AUTH_CREDENTIALS_MAX_BYTES ||
			(rc == 0 && strlen(user) > BASIC_AUTH_USER_MAX_BYTES);
	if ((rc != 0 || too_long) != (q == -EACCES))
		abort();
	if (rc == 0 && strcmp(user, "u") == 0) {
		bool right = strcmp(pass, "p") == 0;
		if (q == 0 && !right)
			abort(); /* only a cached success passes quick */
		int c = basic_auth_check(auth, h);
		if (c != (right ? 0 : -EACCES))
			abort();
		if (right && basic_auth_quick(auth, h) != 0)
			abort();
	}
	free(h);
	return 0;
}
