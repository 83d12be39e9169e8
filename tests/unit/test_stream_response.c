/* Unit tests for stream_response.h through a real libmicrohttpd daemon on
 * 127.0.0.1 and a raw socket client: a source's bytes arrive chunked and
 * whole, ending with the last chunk, plain and gzip'd (inflated back); a
 * source that fails mid-body gives every byte it gave before failing and
 * a transfer cut before the last chunk, with the connection closed (even
 * a kept-alive one), and one log line
 * naming the body, the error and the bytes sent; the source is freed once
 * in every case. It does not route or scrape (http_routes.sh and the
 * integration tests do). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "memacct/http/stream_response.h"

struct source {
	size_t total, given, fail_at; /* fail_at 0: never */
	int frees;
};

static char body_byte(size_t i)
{
	return (char)('a' + (i * 7 + i / 1000) % 26);
}

static ssize_t source_read(void *arg, char *buf, size_t cap)
{
	struct source *s = arg;
	if (s->fail_at && s->given >= s->fail_at)
		return -EIO;
	size_t n = s->total - s->given;
	if (n > cap)
		n = cap;
	if (n > 5000)
		n = 5000;
	if (s->fail_at && n > s->fail_at - s->given)
		n = s->fail_at - s->given;
	for (size_t i = 0; i < n; i++)
		buf[i] = body_byte(s->given + i);
	s->given += n;
	return (ssize_t)n;
}

static void source_free(void *arg)
{
	struct source *s = arg;
	s->frees++;
}

/* What the handler answers with: set by each test before its request. */
struct server {
	struct MHD_Daemon *d;
	unsigned port;
	struct source src;
	bool gzip;
	struct logger log;
	char *log_text;
	size_t log_len;
	FILE *log_file;
};

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct server *sv = cls;
	(void)url, (void)method, (void)version, (void)upload, (void)upload_size;
	if (!*con_cls) {
		*con_cls = sv;
		return MHD_YES;
	}
	struct body_source bs = {.read = source_read, .free = source_free, .arg = &sv->src};
	struct MHD_Response *r = stream_response_new(bs, sv->gzip, &sv->log, "test body");
	if (!r)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	struct server *sv = calloc(1, sizeof(*sv));
	if (!sv)
		return -1;
	sv->log_file = open_memstream(&sv->log_text, &sv->log_len);
	struct errmsg e = {{0}};
	if (!sv->log_file || logger_init(&sv->log, "info", "logfmt", sv->log_file, &e))
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	sv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				 handler, sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				 MHD_OPTION_END);
	if (!sv->d)
		return -1;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
	sv->port = di ? di->port : 0;
	*state = sv;
	return sv->port ? 0 : -1;
}

static int teardown(void **state)
{
	struct server *sv = *state;
	MHD_stop_daemon(sv->d);
	logger_fini(&sv->log);
	fclose(sv->log_file);
	free(sv->log_text);
	free(sv);
	return 0;
}

/* The response to one GET, read until the server closes (or 3 s pass:
 * *open). */
struct got {
	char *raw;
	size_t len;
	bool open;
};

static struct got ask(unsigned port, bool keepalive)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct timeval tv = {.tv_sec = 3};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	char req[128];
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n",
			 keepalive ? "" : "Connection: close\r\n");
	assert_int_equal(send(fd, req, (size_t)n, 0), n);
	struct got g = {.raw = malloc(1 << 16)};
	size_t cap = 1 << 16;
	for (;;) {
		if (cap - g.len < 4096) {
			cap *= 2;
			g.raw = realloc(g.raw, cap);
			assert_non_null(g.raw);
		}
		ssize_t k = recv(fd, g.raw + g.len, cap - g.len - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			g.open = true;
			break;
		}
		if (k == 0)
			break;
		g.len += (size_t)k;
	}
	g.raw[g.len] = '\0';
	close(fd);
	return g;
}

/* Decodes the chunked body of g into *body; returns whether the last
 * chunk (0 CRLF CRLF) ended it. */
static bool dechunk(const struct got *g, char **body, size_t *body_len)
{
	char *p = strstr(g->raw, "\r\n\r\n");
	assert_non_null(p);
	assert_non_null(strstr(g->raw, "HTTP/1.1 200"));
	char *te = strstr(g->raw, "Transfer-Encoding: chunked\r\n");
	assert_true(te && te < p);
	p += 4;
	const char *end = g->raw + g->len;
	*body = malloc(g->len + 1);
	*body_len = 0;
	while (p < end) {
		char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			return false;
		unsigned long n = strtoul(p, NULL, 16);
		p = eol + 2;
		if (n == 0)
			return end - p == 2 && memcmp(p, "\r\n", 2) == 0;
		if ((size_t)(end - p) < n + 2)
			return false;
		memcpy(*body + *body_len, p, n);
		*body_len += n;
		p += n + 2;
	}
	return false;
}

static void check_plain(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != body_byte(i))
			fail_msg("byte %zu differs", i);
}

static void check_gzip(const char *gz, size_t n, size_t total)
{
	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	char *out = malloc(total + 1);
	z.next_in = (Bytef *)(uintptr_t)gz;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)total + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, total);
	check_plain(out, total);
	inflateEnd(&z);
	free(out);
}

static void run(struct server *sv, size_t total, size_t fail_at, bool gzip, bool keepalive,
		bool *complete, char **body, size_t *len)
{
	sv->src = (struct source){.total = total, .fail_at = fail_at};
	sv->gzip = gzip;
	struct got g = ask(sv->port, keepalive);
	*complete = dechunk(&g, body, len);
	assert_false(g.open && !*complete); /* an aborted one is closed */
	free(g.raw);
	/* Freed once the daemon is done with the response. */
	for (int i = 0; i < 100 && !sv->src.frees; i++)
		usleep(10000);
	assert_int_equal(sv->src.frees, 1);
}

static void test_whole_body(void **state)
{
	struct server *sv = *state;
	bool complete;
	char *body;
	size_t len;
	run(sv, 3 << 20, 0, false, false, &complete, &body, &len);
	assert_true(complete);
	assert_int_equal(len, 3 << 20);
	check_plain(body, len);
	free(body);
	run(sv, 3 << 20, 0, true, false, &complete, &body, &len);
	assert_true(complete);
	check_gzip(body, len, 3 << 20);
	free(body);
	run(sv, 0, 0, false, false, &complete, &body, &len); /* empty */
	assert_true(complete);
	assert_int_equal(len, 0);
	free(body);
	fflush(sv->log_file);
	assert_int_equal(sv->log_len, 0); /* nothing to say */
}

static void test_aborted_body(void **state)
{
	struct server *sv = *state;
	bool complete;
	char *body;
	size_t len;
	for (int gz = 0; gz <= 1; gz++) {
		for (int keepalive = 0; keepalive <= 1; keepalive++) {
			fflush(sv->log_file);
			size_t log_before = sv->log_len;
			run(sv, 3 << 20, 1 << 20, gz, keepalive, &complete, &body, &len);
			assert_false(complete);
			/* gzip'd: deflate may hold all it made so far (the source is
			 * very regular), so the cut can come before any chunk. */
			assert_true(len < (3u << 20));
			if (!gz) { /* all the source gave before failing */
				assert_int_equal(len, 1u << 20);
				check_plain(body, len);
			}
			free(body);
			fflush(sv->log_file);
			const char *line = sv->log_text + log_before;
			assert_non_null(
			    strstr(line, "level=error msg=\"response aborted mid-body"));
			assert_non_null(strstr(line, "body=\"test body\""));
			assert_non_null(strstr(line, "err=\"Input/output error\""));
			assert_non_null(strstr(line, "bytes_sent="));
			assert_null(strchr(strchr(line, '\n') + 1, '\n')); /* one line */
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_body),
	    cmocka_unit_test(test_aborted_body),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
