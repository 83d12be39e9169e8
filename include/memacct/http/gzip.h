/* gzip: compresses a finished response body with zlib (gzip wrapper).
 * It does not decide whether to compress (negotiate.h does). */
#ifndef MEMACCT_GZIP_H
#define MEMACCT_GZIP_H

#include <stddef.h>

/* Compresses in[0..n) into a new buffer *out (the caller frees it).
 * Returns 0, -ENOMEM, or -EIO when zlib fails. */
int gzip_compress(const char *in, size_t n, char **out, size_t *out_len);

#endif
