/* fuzz_negotiate: libFuzzer target for negotiate_format() and
 * negotiate_gzip() (RFC 9110 content negotiation on /metrics). The input up
 * to the first '\n' is the Accept header, the rest Accept-Encoding (without
 * a '\n', the whole input is both). It checks that the answers are one of
 * the enum values, deterministic, and that OpenMetrics is only chosen when
 * the header names it, gzip only when it names gzip or '*'. It does not
 * format or compress. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "memacct/http/negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Case-insensitive substring search on NUL-terminated strings. */
static int contains_ci(const char *h, const char *n)
{
	size_t nl = strlen(n);
	for (; *h; h++)
		if (strncasecmp(h, n, nl) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *accept = buf, *enc = buf;
	char *nl = strchr(buf, '\n');
	if (nl) {
		*nl = '\0';
		enc = nl + 1;
	}
	enum expfmt_format f = negotiate_format(accept);
	if (f != EXPFMT_TEXT_004 && f != EXPFMT_OPENMETRICS_100)
		abort();
	if (f == EXPFMT_OPENMETRICS_100 && !contains_ci(accept, "application/openmetrics-text"))
		abort();
	if (negotiate_format(accept) != f)
		abort();
	bool gz = negotiate_gzip(enc);
	if (gz && !contains_ci(enc, "gzip") && !strchr(enc, '*'))
		abort();
	if (negotiate_gzip(enc) != gz)
		abort();
	free(buf);
	return 0;
}
