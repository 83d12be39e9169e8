/* scrape_timer: times GET requests to one URL path over one keep-alive
 * connection, so the numbers are the exporter's, not a client's start-up.
 * Usage: scrape_timer HOST PORT PATH COUNT
 * Prints: count, body bytes of the last response, median/min/p90 latency in
 * µs. Loopback use only; it does not follow redirects or speak TLS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char resp[64 << 20];

/* Reads one response; returns its body length or -1. */
static long read_response(int fd)
{
	size_t have = 0;
	char *end = NULL;
	while (!end) {
		ssize_t n = read(fd, resp + have, sizeof(resp) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		resp[have] = '\0';
		end = strstr(resp, "\r\n\r\n");
	}
	if (strncmp(resp, "HTTP/1.1 200", 12) != 0)
		return -1;
	const char *cl = strcasestr(resp, "\r\nContent-Length:");
	if (!cl || cl > end)
		return -1;
	long body = strtol(cl + 17, NULL, 10);
	size_t total = (size_t)(end + 4 - resp) + (size_t)body;
	while (have < total) {
		ssize_t n = read(fd, resp + have, sizeof(resp) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return body;
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
