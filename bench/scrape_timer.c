/* scrape_timer: times GET requests to one URL path over one keep-alive
 * connection, so the numbers are the exporter's, not a client's start-up.
 * Usage: scrape_timer HOST PORT PATH COUNT
 * Prints: count, body bytes of the last response, median/min/p90 latency in
 * µs. Reads Content-Length and chunked bodies without keeping them.
 * Loopback use only; it does not follow redirects or speak TLS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The connection's unread bytes: buf[pos..have). */
static char buf[1 << 16];
static size_t pos, have;

static int fill(int fd)
{
	if (pos == have) {
		pos = have = 0;
	} else if (have == sizeof(buf)) {
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		pos = 0;
	}
	ssize_t n = read(fd, buf + have, sizeof(buf) - have);
	if (n <= 0)
		return -1;
	have += (size_t)n;
	return 0;
}

/* The next line without its CRLF into line (cut at cap - 1). */
static int read_line(int fd, char *line, size_t cap)
{
	size_t n = 0;
	for (;;) {
		if (pos == have && fill(fd))
			return -1;
		char c = buf[pos++];
		if (c == '\n')
			break;
		if (c != '\r' && n + 1 < cap)
			line[n++] = c;
	}
	line[n] = '\0';
	return 0;
}

static int skip(int fd, size_t n)
{
	while (n) {
		if (pos == have && fill(fd))
			return -1;
		size_t k = have - pos < n ? have - pos : n;
		pos += k;
		n -= k;
	}
	return 0;
}

/* Reads one response (a Content-Length or a chunked body, not kept);
 * returns its body length or -1. */
static long read_response(int fd)
{
	char line[1024];
	if (read_line(fd, line, sizeof(line)) || strncmp(line, "HTTP/1.1 200", 12) != 0)
		return -1;
	long length = -1;
	int chunked = 0;
	for (;;) {
		if (read_line(fd, line, sizeof(line)))
			return -1;
		if (!line[0])
			break;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			length = strtol(line + 15, NULL, 10);
		if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strcasestr(line, "chunked"))
			chunked = 1;
	}
	if (!chunked)
		return length >= 0 && skip(fd, (size_t)length) == 0 ? length : -1;
	long body = 0;
	for (;;) {
		if (read_line(fd, line, sizeof(line)))
			return -1;
		long n = strtol(line, NULL, 16);
		if (n < 0 || skip(fd, (size_t)n) || read_line(fd, line, sizeof(line)))
			return -1;
		body += n;
		if (n == 0)
			return line[0] ? -1 : body; /* no trailers are sent */
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s HOST PORT PATH COUNT\n", argv[0]);
		return 2;
	}
	int count = atoi(argv[4]);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || count < 1) {
		fprintf(stderr, "bad host or count\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		return 1;
	}
	char req[512];
	int rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
	double *us = calloc((size_t)count, sizeof(double));
	long body = 0;
	for (int i = 0; i < count; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (write(fd, req, (size_t)rl) != rl || (body = read_response(fd)) < 0) {
			fprintf(stderr, "request %d failed\n", i);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(us, (size_t)count, sizeof(double), cmp);
	printf("count=%d body_bytes=%ld median_us=%.0f min_us=%.0f p90_us=%.0f\n", count, body,
	       us[count / 2], us[0], us[count * 9 / 10]);
	free(us);
	close(fd);
	return 0;
}
