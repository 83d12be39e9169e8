/* stream_response: a callback response (MHD_create_response_from_callback)
 * of unknown size over a body source, optionally through gzip.c; see
 * include/memacct/http/stream_response.h. */
#include "memacct/http/stream_response.h"

#include "memacct/http/gzip.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libmicrohttpd's buffer for a body without chunking (HTTP/1.0); with
 * chunking it uses the connection's own memory. */
#define BLOCK_BYTES ((size_t)16 << 10)

struct stream {
	struct body_source src;
	struct gzip_stream *gz; /* NULL: sent as the source gives it */
	struct logger *log;
	const char *what;
	uint64_t sent; /* bytes handed to libmicrohttpd */
};

static ssize_t source_read(void *arg, char *buf, size_t cap)
{
	const struct body_source *src = arg;
	return src->read(src->arg, buf, cap);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	(void)pos;
	ssize_t n = st->gz ? gzip_stream_read(st->gz, buf, max) : source_read(&st->src, buf, max);
	if (n > 0) {
		st->sent += (uint64_t)n;
		return n;
	}
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	char sent[24];
	snprintf(sent, sizeof(sent), "%llu", (unsigned long long)st->sent);
	log_kv(st->log, LOG_ERROR,
	       "response aborted mid-body; the client sees a truncated transfer", "body", st->what,
	       "err", strerror((int)-n), "bytes_sent", sent, NULL);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	gzip_stream_free(st->gz);
	if (st->src.free)
		st->src.free(st->src.arg);
	free(st);
}

struct MHD_Response *stream_response_new(struct body_source src, bool gzip, struct logger *log,
					 const char *what)
{
	struct stream *st = calloc(1, sizeof(*st));
	if (!st) {
		if (src.free)
			src.free(src.arg);
		return NULL;
	}
	*st = (struct stream){.src = src, .log = log, .what = what};
	if (gzip && gzip_stream_new(source_read, &st->src, &st->gz)) {
		stream_free(st);
		return NULL;
	}
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_BYTES,
								   stream_read, st, stream_free);
	if (!r)
		stream_free(st);
	return r;
}
