/* http_get: GET requests over one keep-alive loopback connection, for the
 * benchmarks (scrape_timer.c, keptfd_floor.c). Content-Length and chunked
 * bodies, read without keeping them; no TLS, no redirects. Header-only: static
 * functions. */
#ifndef MEMACCT_BENCH_HTTP_GET_H
#define MEMACCT_BENCH_HTTP_GET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected socket to host:port (IPv4), or -1. */
static int http_connect(const char *host, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The connection's unread bytes: http_buf[http_pos..http_have). */
static char http_buf[1 << 16];
static size_t http_pos, http_have;

static int http_fill(int fd)
{
	if (http_pos == http_have) {
		http_pos = http_have = 0;
	} else if (http_have == sizeof(http_buf)) {
		memmove(http_buf, http_buf + http_pos, http_have - http_pos);
		http_have -= http_pos;
		http_pos = 0;
	}
	ssize_t n = read(fd, http_buf + http_have, sizeof(http_buf) - http_have);
	if (n <= 0)
		return -1;
	http_have += (size_t)n;
	return 0;
}

/* The next line without its CRLF into line (cut at cap - 1). */
static int http_read_line(int fd, char *line, size_t cap)
{
	size_t n = 0;
	for (;;) {
		if (http_pos == http_have && http_fill(fd))
			return -1;
		char c = http_buf[http_pos++];
		if (c == '\n')
			break;
		if (c != '\r' && n + 1 < cap)
			line[n++] = c;
	}
	line[n] = '\0';
	return 0;
}

static int http_skip(int fd, size_t n)
{
	while (n) {
		if (http_pos == http_have && http_fill(fd))
			return -1;
		size_t k = http_have - http_pos < n ? http_have - http_pos : n;
		http_pos += k;
		n -= k;
	}
	return 0;
}

/* Reads one response (a Content-Length or a chunked body, not kept);
 * returns its body length or -1. */
static long http_read_response(int fd)
{
	char line[1024];
	if (http_read_line(fd, line, sizeof(line)) || strncmp(line, "HTTP/1.1 200", 12) != 0)
		return -1;
	long length = -1;
	int chunked = 0;
	for (;;) {
		if (http_read_line(fd, line, sizeof(line)))
			return -1;
		if (!line[0])
			break;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			length = strtol(line + 15, NULL, 10);
		if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strcasestr(line, "chunked"))
			chunked = 1;
	}
	if (!chunked)
		return length >= 0 && http_skip(fd, (size_t)length) == 0 ? length : -1;
	long body = 0;
	for (;;) {
		if (http_read_line(fd, line, sizeof(line)))
			return -1;
		long n = strtol(line, NULL, 16);
		if (n < 0 || http_skip(fd, (size_t)n) || http_read_line(fd, line, sizeof(line)))
			return -1;
		body += n;
		if (n == 0)
			return line[0] ? -1 : body; /* no trailers are sent */
	}
}

/* GET path on fd; the body length or -1. */
static long http_get(int fd, const char *host, const char *path)
{
	char req[512];
	int rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
	if (rl <= 0 || (size_t)rl >= sizeof(req) || write(fd, req, (size_t)rl) != rl)
		return -1;
	return http_read_response(fd);
}

#endif
