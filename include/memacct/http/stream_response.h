/* stream_response: a libmicrohttpd response whose body is produced while it
 * is sent (chunked transfer encoding on HTTP/1.1), from a source, gzip'd on
 * the way when asked, so no body is ever held whole: its memory is the
 * source's plus a fixed buffer (and zlib's state). The source runs in
 * libmicrohttpd's worker thread, one call per buffer to send, so it must
 * not block. An error from the source mid-body aborts the response: it is
 * logged and the connection closes without the last chunk, so the client
 * sees a truncated transfer, never a complete-looking body. It does not
 * route, authorize or pick formats (routes.c does). */
#ifndef MEMACCT_STREAM_RESPONSE_H
#define MEMACCT_STREAM_RESPONSE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <sys/types.h>

#include "memacct/util/log.h"

struct body_source {
	/* Up to cap bytes into buf: how many (> 0), 0 at the end, -errno. */
	ssize_t (*read)(void *arg, char *buf, size_t cap);
	void (*free)(void *arg); /* with the response; may be NULL */
	void *arg;
};

/* The response over src, which it takes (freed with the response, or here
 * when it returns NULL: out of memory). what names the body in the log
 * ("scrape"); log (borrowed, may be NULL) must outlive the response. */
struct MHD_Response *stream_response_new(struct body_source src, bool gzip, struct logger *log,
					 const char *what);

#endif
