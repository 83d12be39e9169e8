/* http_get: GET requests over one keep-alive loopback connection, for the
 * benchmarks (scrape_timer.c, keptfd_floor.c). Content-Length responses
 * only (the exporter's); no TLS, no redirects. Header-only: static
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

static char http_resp[64 << 20];

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

/* Reads one response; returns its body length or -1. */
static long http_read_response(int fd)
{
	size_t have = 0;
	char *end = NULL;
	while (!end) {
		ssize_t n = read(fd, http_resp + have, sizeof(http_resp) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		http_resp[have] = '\0';
		end = strstr(http_resp, "\r\n\r\n");
	}
	if (strncmp(http_resp, "HTTP/1.1 200", 12) != 0)
		return -1;
	const char *cl = strcasestr(http_resp, "\r\nContent-Length:");
	if (!cl || cl > end)
		return -1;
	long body = strtol(cl + 17, NULL, 10);
	size_t total = (size_t)(end + 4 - http_resp) + (size_t)body;
	while (have < total) {
		ssize_t n = read(fd, http_resp + have, sizeof(http_resp) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return body;
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
