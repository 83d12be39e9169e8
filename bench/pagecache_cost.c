/* pagecache_cost: what `explain --files` costs. Times pagecache_measure_fd
 * per GiB of file for cachestat and for mincore, on a file fully in page
 * cache, the same file dropped from it, and a sparse file (nothing cached:
 * the mincore windows' fixed cost), then the nats-server case: 300 files of
 * 1 MiB listed (--files-under) and measured. Files live in a directory it
 * creates below DIR and removes. Not a test (no pass/fail).
 * Usage: pagecache_cost DIR [GIB_WRITTEN (default 1)] [GIB_SPARSE (default 64)]
 * Prints one line per case: the median of 5 runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_measure.h"
#include "memacct/pagecache/pagecache_run.h"

#define RUNS 5
#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

static int write_file(const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	static char buf[1 << 20];
	memset(buf, 'c', sizeof(buf));
	for (uint64_t done = 0; done < bytes; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -1;
	if (fsync(fd) != 0)
		return -1;
	return fd;
}

/* Times one method on fd; prints seconds per GiB of file size. */
static void time_method(const char *what, int fd, uint64_t size, enum pagecache_method m)
{
	double t[RUNS];
	struct pagecache_counts c = {0};
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_s();
		int rc = pagecache_measure_fd(fd, m, 0, &c);
		t[i] = now_s() - t0;
		if (rc) {
			printf("%-26s %-9s error %s\n", what, pagecache_method_name(m),
			       strerror(-rc));
			return;
		}
	}
	double s = median(t);
	printf("%-26s %-9s %9.3f ms per GiB  (%.3f ms for %.1f GiB, cached %llu MiB)\n", what,
	       pagecache_method_name(m), s * 1e3 / ((double)size / (double)GiB), s * 1e3,
	       (double)size / (double)GiB, (unsigned long long)(c.cached / MiB));
}

static void time_files(const char *store, int procfd, enum pagecache_method m)
{
	double t[RUNS];
	size_t n = 0;
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_s();
		struct pagecache_set s;
		pagecache_set_init(&s, NULL);
		pagecache_list_under(&s, store);
		pagecache_measure_set(&s, procfd, m);
		n = (size_t)s.measure.measured;
		pagecache_set_free(&s);
		t[i] = now_s() - t0;
	}
	printf("%-26s %-9s %9.3f ms for %zu files (list + measure)\n", "300 files of 1 MiB",
	       pagecache_method_name(m), median(t) * 1e3, n);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [GIB_WRITTEN] [GIB_SPARSE]\n", argv[0]);
		return 2;
	}
	uint64_t written = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1) * GiB;
	uint64_t sparse = (argc > 3 ? strtoull(argv[3], NULL, 10) : 64) * GiB;
	char dir[512], path[600];
	snprintf(dir, sizeof(dir), "%s/pagecache_cost.XXXXXX", argv[1]);
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	snprintf(path, sizeof(path), "%s/written", dir);
	int fd = write_file(path, written);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	static char buf[1 << 20];
	for (uint64_t off = 0; off < written; off += sizeof(buf))
		if (pread(fd, buf, sizeof(buf), (off_t)off) <= 0)
			break;
	time_method("file in page cache", fd, written, PAGECACHE_CACHESTAT);
	time_method("file in page cache", fd, written, PAGECACHE_MINCORE);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	time_method("file not in page cache", fd, written, PAGECACHE_CACHESTAT);
	time_method("file not in page cache", fd, written, PAGECACHE_MINCORE);
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s/sparse", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)sparse) != 0) {
		perror(path);
		return 1;
	}
	time_method("sparse, nothing cached", fd, sparse, PAGECACHE_CACHESTAT);
	time_method("sparse, nothing cached", fd, sparse, PAGECACHE_MINCORE);
	close(fd);
	unlink(path);

	char store[560];
	snprintf(store, sizeof(store), "%s/store", dir);
	if (mkdir(store, 0700) != 0) {
		perror(store);
		return 1;
	}
	for (int i = 1; i <= 300; i++) {
		snprintf(path, sizeof(path), "%s/%d.blk", store, i);
		int f = write_file(path, 1 * MiB);
		if (f < 0) {
			perror(path);
			return 1;
		}
		close(f);
	}
	time_files(store, procfd, PAGECACHE_AUTO);
	time_files(store, procfd, PAGECACHE_MINCORE);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
