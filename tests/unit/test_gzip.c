/* Unit tests for gzip.h: a source's bytes, handed out in pieces of any
 * size, inflate back to exactly what the source gave (several MiB of
 * metric-like text, one byte, nothing); the stream's output is far smaller
 * than its input; a source's error mid-stream comes out as that error,
 * again on every later call, and never as a normal end. It does not
 * negotiate (test_negotiate) or send (test_stream_response). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "memacct/http/gzip.h"

/* Metric-like lines, given out in pieces of at most `piece` bytes; after
 * fail_at bytes (when set), -EIO. */
struct source {
	size_t total, given, piece, fail_at;
};

static char line_byte(size_t i)
{
	static const char line[] = "memacct_cgroup_memory_bytes{cgroup=\"/kubepods.slice/"
				   "pod1234\",component=\"anon\"} 67108864\n";
	return line[i % (sizeof(line) - 1)] + (char)(i / 7919 % 3); /* not one repeat */
}

static ssize_t source_read(void *arg, char *buf, size_t cap)
{
	struct source *s = arg;
	if (s->fail_at && s->given >= s->fail_at)
		return -EIO;
	size_t n = s->total - s->given;
	if (n > cap)
		n = cap;
	if (n > s->piece)
		n = s->piece;
	for (size_t i = 0; i < n; i++)
		buf[i] = line_byte(s->given + i);
	s->given += n;
	return (ssize_t)n;
}

/* Compresses src reading cap bytes at a time; returns the gzip bytes
 * (*len) or NULL with *err set by a failing read. */
static unsigned char *compress_all(struct source *src, size_t cap, size_t *len, int *err)
{
	struct gzip_stream *g;
	assert_int_equal(gzip_stream_new(source_read, src, &g), 0);
	size_t have = 0, room = 1 << 16;
	unsigned char *out = malloc(room);
	char *buf = malloc(cap);
	assert_non_null(out);
	assert_non_null(buf);
	ssize_t n;
	*err = 0;
	while ((n = gzip_stream_read(g, buf, cap)) > 0) {
		assert_true((size_t)n <= cap);
		if (have + (size_t)n > room) {
			room = 2 * (have + (size_t)n);
			out = realloc(out, room);
			assert_non_null(out);
		}
		memcpy(out + have, buf, (size_t)n);
		have += (size_t)n;
	}
	if (n < 0) {
		*err = (int)n;
		assert_int_equal(gzip_stream_read(g, buf, cap), n); /* sticky */
		free(out);
		out = NULL;
	} else {
		assert_int_equal(gzip_stream_read(g, buf, cap), 0);
	}
	free(buf);
	gzip_stream_free(g);
	*len = have;
	return out;
}

/* Inflates gz and checks it is the source's bytes. */
static void check_inflates(const unsigned char *gz, size_t len, size_t total)
{
	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	unsigned char *out = malloc(total + 1);
	assert_non_null(out);
	z.next_in = (Bytef *)(uintptr_t)gz;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)total + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* nothing after the trailer */
	assert_int_equal(z.total_out, total);
	for (size_t i = 0; i < total; i++)
		if (out[i] != (unsigned char)line_byte(i))
			fail_msg("byte %zu differs", i);
	inflateEnd(&z);
	free(out);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const size_t totals[] = {0, 1, 100000, 5u << 20};
	static const size_t caps[] = {1, 7, 4096, 1 << 16};
	for (size_t t = 0; t < sizeof(totals) / sizeof(totals[0]); t++) {
		for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
			if (totals[t] > 100000 && caps[k] < 4096)
				continue; /* slow, and the same paths */
			struct source src = {.total = totals[t], .piece = 3000};
			size_t len;
			int err;
			unsigned char *gz = compress_all(&src, caps[k], &len, &err);
			assert_int_equal(err, 0);
			assert_non_null(gz);
			check_inflates(gz, len, totals[t]);
			if (totals[t] == 5u << 20) {
				print_message("%zu bytes -> %zu gzip'd\n", totals[t], len);
				assert_true(len * 10 < totals[t]);
			}
			free(gz);
		}
	}
}

static void test_source_error(void **state)
{
	(void)state;
	struct source src = {.total = 1 << 20, .piece = 1000, .fail_at = 300000};
	size_t len;
	int err;
	unsigned char *gz = compress_all(&src, 4096, &len, &err);
	assert_null(gz);
	assert_int_equal(err, -EIO);
	assert_true(len > 0); /* it failed mid-stream, after sending some */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_source_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
