/* gzip: compresses a response body with zlib (gzip wrapper) as it is sent:
 * it pulls text from a source a buffer at a time and hands out compressed
 * bytes, so its memory is zlib's fixed state (about 64 KiB: an 8 KiB
 * window, level 1) plus one 16 KiB input buffer, whatever the body's size. It does not decide
 * whether to compress (negotiate.h does). */
#ifndef MEMACCT_GZIP_H
#define MEMACCT_GZIP_H

#include <stddef.h>
#include <sys/types.h>

/* Writes up to cap bytes into buf: how many (> 0), 0 at its end, or
 * -errno. */
typedef ssize_t (*gzip_source_fn)(void *arg, char *buf, size_t cap);

struct gzip_stream;

/* A gzip stream over src(arg), which it borrows. 0 or -ENOMEM. */
int gzip_stream_new(gzip_source_fn src, void *arg, struct gzip_stream **out);
void gzip_stream_free(struct gzip_stream *z);
/* The next compressed bytes into out[0..cap): how many (> 0), 0 once the
 * gzip trailer is out, or -errno: the source's error, or -EIO when zlib
 * fails; once failed, it returns that error again. */
ssize_t gzip_stream_read(struct gzip_stream *z, char *out, size_t cap);

#endif
