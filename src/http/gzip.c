/* gzip: one-shot gzip compression of a response body (zlib, level 1: scrape
 * bodies are large, repetitive and latency-sensitive). No negotiation here. */
#include "memacct/http/gzip.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

int gzip_compress(const char *in, size_t n, char **out, size_t *out_len)
{
	z_stream z = {0};
	/* 15 window bits + 16: a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	size_t cap = deflateBound(&z, (uLong)n);
	char *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t len = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*out_len = len;
	return 0;
}
