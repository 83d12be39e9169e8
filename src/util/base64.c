/* base64: strict alphabet check and padding around libcrypto's
 * EVP_DecodeBlock (see base64.h). No encoding. */
#include "memacct/util/base64.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

bool base64_is_char(enum base64_alphabet a, char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return a == BASE64_STD ? (c == '+' || c == '/') : (c == '-' || c == '_');
}

long base64_decode(enum base64_alphabet a, const char *s, size_t len, unsigned char *out,
		   size_t cap)
{
	if (a == BASE64_STD) {
		size_t pads = 0;
		while (len && s[len - 1] == '=' && pads < 2)
			len--, pads++;
		if (pads && (len + pads) % 4 != 0)
			return -EINVAL;
	}
	if (len % 4 == 1 || len > (size_t)1 << 28)
		return -EINVAL;
	size_t pad = (4 - len % 4) % 4;
	size_t decoded = len / 4 * 3 + (pad ? 3 - pad : 0);
	if (decoded > cap)
		return -EINVAL;
	/* EVP_DecodeBlock wants the standard alphabet in whole quanta. */
	char *in = malloc(len + pad + 1);
	unsigned char *tmp = malloc((len + pad) / 4 * 3 + 1);
	long rc = -EINVAL;
	if (!in || !tmp) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!base64_is_char(a, c))
			goto out;
		in[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(in + len, '=', pad);
	int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)(len + pad));
	if (n < 0 || (size_t)n != (len + pad) / 4 * 3)
		goto out;
	memcpy(out, tmp, decoded);
	rc = (long)decoded;
out:
	free(in);
	free(tmp);
	return rc;
}
