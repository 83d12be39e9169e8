/* scrape_timer: times GET requests to one URL path over one keep-alive
 * connection, so the numbers are the exporter's, not a client's start-up.
 * Usage: scrape_timer HOST PORT PATH COUNT
 * Prints: count, body bytes of the last response, median/min/p90 latency in
 * µs. Loopback use only; it does not follow redirects or speak TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "http_get.h"

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
	int fd = count >= 1 ? http_connect(argv[1], argv[2]) : -1;
	if (fd < 0) {
		fprintf(stderr, "bad count, or cannot connect to %s:%s\n", argv[1], argv[2]);
		return count >= 1 ? 1 : 2;
	}
	double *us = calloc((size_t)count, sizeof(double));
	long body = 0;
	for (int i = 0; i < count; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if ((body = http_get(fd, argv[1], argv[3])) < 0) {
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
