/* keptfd_floor: the least work that produces the exporter's cgroup and
 * process numbers, to compare a scrape with. Over the same cgroup tree it
 * times three passes, interleaved so that they share the machine's noise:
 *
 *  kept   the files the exporter reads per cgroup with its default families
 *         (v1: memory.stat, memory.kmem.usage_in_bytes,
 *         memory.usage_in_bytes, memory.limit_in_bytes, cgroup.procs; v2:
 *         memory.stat, .current, .max, .high, .low, .min, .pressure,
 *         cgroup.procs), held open from before the first pass and re-read
 *         with pread(fd, buf, cap, 0) (one pread for a memory.* file: a
 *         short read of one seq_file record is all of it), plus the
 *         re-walk that finds new and removed cgroups: getdents of each
 *         directory that has subdirectories and one fstatat per cgroup for
 *         its link count (kernfs: 2 + subdirectories), as the exporter
 *         walks on cgroupfs;
 *  plain  the same files with open/read/close, and a walk that opens and
 *         lists every directory (what the exporter did before held files);
 *  naive3 open/read/close of memory.stat, usage and limit alone, with the
 *         same naive walk: the figure issue 11 compares with.
 *
 * Every number in every file is parsed (the parse any reader must do); for
 * kept and plain each pid cgroup.procs lists has its /proc/PID/status read
 * with open/read/close, as the exporter does. No formatting, no labels, no
 * HTTP. With HOST PORT PATH, each round also times one GET of the exporter's
 * PATH (over one keep-alive connection), between the passes, so that the
 * scrape and its floors meet the same load. The tree must not change while
 * it runs.
 * Usage: keptfd_floor CGROUP_ROOT PROCFS ROUNDS [HOST PORT PATH]
 * Prints: rounds, cgroups, processes, files held, the scrape's body bytes,
 * and the median and min of each pass (and scrape) in µs. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http_get.h"

static char buf[1 << 20];

static const char *const v1_files[] = {"memory.stat", "memory.kmem.usage_in_bytes",
				       "memory.usage_in_bytes", "memory.limit_in_bytes",
				       "cgroup.procs", NULL};
static const char *const v2_files[] = {"memory.stat", "memory.current", "memory.max",
				       "memory.high", "memory.low",	"memory.min",
				       "memory.pressure", "cgroup.procs", NULL};
static const char *const v1_three[] = {"memory.stat", "memory.usage_in_bytes",
				       "memory.limit_in_bytes", NULL};
static const char *const v2_three[] = {"memory.stat", "memory.current", "memory.max", NULL};

struct cg {
	char *rel; /* "." or "a/b" */
	int fd[16];
};

static struct cg *cgs;
static size_t ncg, capcg;
static uint64_t checksum; /* keeps the parses from being optimised away */
static unsigned long processes;

/* Sums every decimal number in buf[0..n). */
static void parse_numbers(ssize_t n)
{
	uint64_t sum = 0, v = 0;
	for (ssize_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c >= '0' && c <= '9') {
			v = v * 10 + (uint64_t)(c - '0');
		} else {
			sum += v;
			v = 0;
		}
	}
	checksum += sum + v;
}

/* Reads all of fd from offset 0 into buf; its length or -1. record: one
 * seq_file record (a memory.* file), whole in a read that does not fill buf. */
static ssize_t pread_all(int fd, int record)
{
	ssize_t len = 0, n;
	while ((n = pread(fd, buf + len, sizeof(buf) - 1 - (size_t)len, len)) > 0) {
		len += n;
		if (record && (size_t)len < sizeof(buf) - 1)
			break;
	}
	return n < 0 ? -1 : len;
}

static ssize_t slurp(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = pread_all(fd, 0);
	close(fd);
	return len;
}

/* /proc/PID/status of every pid in buf[0..n) (a cgroup.procs). */
static void read_statuses(int procfd, ssize_t n)
{
	char pids[65536];
	if (n <= 0 || (size_t)n >= sizeof(pids))
		return;
	memcpy(pids, buf, (size_t)n);
	pids[n] = '\0';
	for (char *p = pids, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		char name[64];
		snprintf(name, sizeof(name), "%.20s/status", p);
		ssize_t len = slurp(procfd, name);
		if (len >= 0) {
			processes++;
			parse_numbers(len);
		}
	}
}

/* Set-up: every cgroup below dirfd (path rel), its files held open. */
static void record(int dirfd, const char *rel, const char *const *files)
{
	if (ncg == capcg) {
		capcg = capcg ? capcg * 2 : 1024;
		cgs = realloc(cgs, capcg * sizeof(*cgs));
	}
	struct cg *c = &cgs[ncg++];
	c->rel = strdup(rel);
	for (int i = 0; files[i]; i++)
		c->fd[i] = openat(dirfd, files[i], O_RDONLY | O_CLOEXEC);
	DIR *d = fdopendir(dup(dirfd));
	for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", strcmp(rel, ".") ? rel : "", de->d_name);
		int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			record(fd, sub[0] == '/' ? sub + 1 : sub, files);
			close(fd);
		}
	}
	if (d)
		closedir(d);
}

/* The kept pass's re-walk: lists dirs with subdirectories only. */
static unsigned long rewalk(int fd)
{
	unsigned long found = 0;
	DIR *d = fdopendir(fd);
	for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		found++;
		if (st.st_nlink != 2) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub >= 0)
				found += rewalk(sub);
		}
	}
	if (d)
		closedir(d);
	return found;
}

static void pass_kept(const char *root, int procfd, const char *const *files)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	fstat(rfd, &st);
	checksum += st.st_nlink == 2 ? 0 : rewalk(rfd);
	if (st.st_nlink == 2)
		close(rfd);
	for (size_t i = 0; i < ncg; i++)
		for (int f = 0; files[f]; f++) {
			ssize_t n = cgs[i].fd[f] >= 0 ? pread_all(cgs[i].fd[f], files[f + 1] != NULL)
						      : -1;
			if (n < 0)
				continue;
			parse_numbers(n);
			if (!files[f + 1]) /* cgroup.procs, last */
				read_statuses(procfd, n);
		}
}

/* plain and naive3: open and list every directory, open/read/close files. */
static void walk_naive(int fd, int procfd, const char *const *files, int procs)
{
	for (int f = 0; files[f]; f++) {
		ssize_t n = slurp(fd, files[f]);
		if (n < 0)
			continue;
		parse_numbers(n);
		if (procs && !files[f + 1])
			read_statuses(procfd, n);
	}
	DIR *d = fdopendir(fd);
	for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			walk_naive(sub, procfd, files, procs);
	}
	if (d)
		closedir(d);
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 7) {
		fprintf(stderr, "usage: %s CGROUP_ROOT PROCFS ROUNDS [HOST PORT PATH]\n", argv[0]);
		return 2;
	}
	int http = argc == 7 ? http_connect(argv[4], argv[5]) : -1;
	if (argc == 7 && http < 0) {
		fprintf(stderr, "cannot connect to %s:%s\n", argv[4], argv[5]);
		return 1;
	}
	int passes = atoi(argv[3]);
	if (passes < 1)
		passes = 1;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int procfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rootfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || rootfd < 0) {
		perror("open");
		return 1;
	}
	int v1 = faccessat(rootfd, "memory.usage_in_bytes", F_OK, 0) == 0;
	const char *const *files = v1 ? v1_files : v2_files;
	const char *const *three = v1 ? v1_three : v2_three;
	record(rootfd, ".", files);
	close(rootfd);
	unsigned long held = 0;
	for (size_t i = 0; i < ncg; i++)
		for (int f = 0; files[f]; f++)
			held += cgs[i].fd[f] >= 0;
	double *t[4];
	long body = 0;
	for (int k = 0; k < 4; k++)
		t[k] = calloc((size_t)passes, sizeof(double));
	unsigned long procs_per_pass = 0;
	for (int i = 0; i < passes; i++) {
		double a = now_us();
		processes = 0;
		pass_kept(argv[1], procfd, files);
		procs_per_pass = processes;
		double b = now_us();
		walk_naive(open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC), procfd, files, 1);
		double c = now_us();
		walk_naive(open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC), procfd, three, 0);
		double d = now_us();
		if (http >= 0 && (body = http_get(http, argv[4], argv[6])) < 0) {
			fprintf(stderr, "GET %s failed\n", argv[6]);
			return 1;
		}
		double e = now_us();
		t[0][i] = b - a;
		t[1][i] = c - b;
		t[2][i] = d - c;
		t[3][i] = e - d;
	}
	printf("rounds=%d cgroups=%zu processes=%lu files_held=%lu body_bytes=%ld", passes, ncg,
	       procs_per_pass, held, body);
	static const char *const names[] = {"kept", "plain", "naive3", "scrape"};
	for (int k = 0; k < (http >= 0 ? 4 : 3); k++) {
		qsort(t[k], (size_t)passes, sizeof(double), cmp);
		printf(" %s_median_us=%.0f %s_min_us=%.0f", names[k], t[k][passes / 2], names[k],
		       t[k][0]);
	}
	printf(" checksum=%llu\n", (unsigned long long)(checksum & 0xff));
	return 0;
}
