/* read_floor: the least work that produces the exporter's cgroup and process
 * numbers, to compare scrape latency with. It walks the same cgroup tree with
 * openat on directory fds, reads the same files the cgroup and process
 * collectors read (v1 or v2, detected like the exporter) into one static
 * buffer and parses every number in them, then reads /proc/<pid>/status of
 * every listed process. No formatting, no labels, no HTTP.
 * Usage: read_floor CGROUP_ROOT PROCFS PASSES
 * Prints: passes, cgroups, processes, median and min pass time in µs. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

struct totals {
	unsigned long cgroups, processes;
	uint64_t checksum; /* keeps the parse from being optimised away */
};

/* Reads dirfd/name whole; returns its length or -1. */
static ssize_t slurp(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = 0, n;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Sums every decimal number in buf: the parse every reader must do. */
static uint64_t parse_numbers(void)
{
	uint64_t sum = 0, v = 0;
	int in = 0;
	for (const char *p = buf; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p - '0');
			in = 1;
		} else if (in) {
			sum += v;
			v = 0;
			in = 0;
		}
	}
	return sum + v;
}

static const char *const v1_files[] = {
	"memory.stat",		   "memory.kmem.usage_in_bytes", "memory.usage_in_bytes",
	"memory.limit_in_bytes",   "memory.max_usage_in_bytes",	 "memory.failcnt",
	NULL};
static const char *const v2_files[] = {
	"memory.stat", "memory.current",      "memory.max",    "memory.high",	  "memory.low",
	"memory.min",  "memory.peak",	      "memory.swap.current", "memory.events",
	"memory.pressure", NULL};

static void visit(int dirfd, int procfd, const char *const *files, struct totals *t)
{
	t->cgroups++;
	for (const char *const *f = files; *f; f++)
		if (slurp(dirfd, *f) >= 0)
			t->checksum += parse_numbers();
	if (slurp(dirfd, "cgroup.procs") < 0)
		return;
	/* Copy the pid list out: the status reads reuse buf. */
	size_t n = strlen(buf);
	char *pids = malloc(n + 1);
	memcpy(pids, buf, n + 1);
	for (char *p = pids; *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		char name[64];
		snprintf(name, sizeof(name), "%s/status", p);
		if (*p && slurp(procfd, name) >= 0) {
			t->processes++;
			t->checksum += parse_numbers();
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(pids);
}

static void walk(int fd, int procfd, const char *const *files, struct totals *t)
{
	visit(fd, procfd, files, t);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int c = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c >= 0)
			walk(c, procfd, files, t);
	}
	closedir(d);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s CGROUP_ROOT PROCFS PASSES\n", argv[0]);
		return 2;
	}
	int passes = (int)strtol(argv[3], NULL, 10);
	if (passes < 1)
		passes = 1;
	int procfd = open(argv[2], O_RDONLY | O_DIRECTORY);
	int probe = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (procfd < 0 || probe < 0) {
		perror("open");
		return 1;
	}
	const char *const *files = faccessat(probe, "memory.usage_in_bytes", F_OK, 0) == 0
					   ? v1_files
					   : v2_files;
	close(probe);
	double *us = calloc((size_t)passes, sizeof(double));
	struct totals t = {0};
	for (int i = 0; i < passes; i++) {
		struct timespec a, b;
		memset(&t, 0, sizeof(t));
		clock_gettime(CLOCK_MONOTONIC, &a);
		walk(open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC), procfd, files, &t);
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(us, (size_t)passes, sizeof(double), cmp);
	printf("passes=%d cgroups=%lu processes=%lu median_us=%.0f min_us=%.0f checksum=%llu\n",
	       passes, t.cgroups, t.processes, us[passes / 2], us[0],
	       (unsigned long long)(t.checksum & 0xff));
	free(us);
	return 0;
}
