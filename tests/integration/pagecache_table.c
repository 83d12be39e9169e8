/* pagecache_table: runs the pagecache API once over a cgroup directory (its
 * processes and its descendants') and/or the files below --under DIRs, the
 * way `explain --files` will, and prints the result as lines the shell test
 * parses. It stands in for explain until the CLI is wired; it is not the
 * explain renderer.
 * Usage:
 *   pagecache_table [--method auto|cachestat|mincore] [--top N]
 *       [--deadline-ms MS] [--max-measured N] [--under DIR]... [CGROUP_DIR]
 * Prints:
 *   run method=M cgroups=N processes=N vanished=N denied=N special=N files=N
 *       measured=N gone=N denied_files=N failed=N over_cap=N over_time=N cut_short=0|1
 *       elapsed_us=N
 *   cgroup file_active=B file_inactive=B file=B
 *   sum rows_cached=B measured_cached=B shmem_cached=B unexplained=B
 *   row RANK CACHED SIZE DIRTY|- SHARE_PERMILLE METHOD deleted|shmem|- PATH
 *   denied: <the pagecache_denied_line>, when any
 * Exit: 0, 1 on a failed call (the message names it), 2 on usage. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_fs.h"
#include "memacct/cgroup/cgroup_mem.h"
#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_report.h"
#include "memacct/pagecache/pagecache_run.h"

#define MAX_UNDER 8

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--method M] [--top N] [--deadline-ms MS] [--max-measured N] "
		"[--under DIR]... [CGROUP_DIR]\n",
		argv0);
	return 2;
}

/* file_active and file_inactive of the cgroup open at cgfd. */
static int cgroup_file(int cgfd, uint64_t *active, uint64_t *inactive)
{
	enum cgroup_mode mode;
	int rc = cgroup_fs_detect_mode(cgfd, &mode);
	if (rc)
		return rc;
	struct readbuf buf;
	struct cgroup_mem m;
	const char *bad = NULL;
	readbuf_init(&buf, 1 << 20);
	struct cgroup_dir cg = cgroup_dir_at(cgfd);
	rc = cgroup_mem_read(&cg, mode, CGROUP_MEM_ALL, &buf, &m, &bad);
	readbuf_free(&buf);
	if (rc)
		return rc;
	*active = m.comp[COMP_FILE_ACTIVE];
	*inactive = m.comp[COMP_FILE_INACTIVE];
	return 0;
}

static void print_rows(const struct pagecache_report *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		const struct pagecache_file *f = r->rows[i];
		char dirty[32] = "-";
		if (f->dirty_known)
			snprintf(dirty, sizeof(dirty), "%llu", (unsigned long long)f->dirty);
		printf("row %zu %llu %llu %s %.0f %s %s %s\n", i + 1, (unsigned long long)f->cached,
		       (unsigned long long)f->size, dirty,
		       1000.0 * pagecache_share(f->cached, r->cgroup_file_bytes),
		       pagecache_method_name(f->method),
		       f->deleted ? "deleted"
		       : f->shmem ? "shmem"
				  : "-",
		       f->path);
	}
}

int main(int argc, char **argv)
{
	enum pagecache_method method = PAGECACHE_AUTO;
	struct pagecache_limits lim = {0};
	unsigned top = 10, deadline_ms = 0;
	const char *under[MAX_UNDER], *cgroup = NULL;
	int nunder = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--method") && v) {
			if (pagecache_method_parse(v, &method))
				return usage(argv[0]);
			i++;
		} else if (!strcmp(a, "--top") && v) {
			top = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (!strcmp(a, "--deadline-ms") && v) {
			deadline_ms = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (!strcmp(a, "--max-measured") && v) {
			lim.max_measured = strtoul(v, NULL, 10), i++;
		} else if (!strcmp(a, "--under") && v && nunder < MAX_UNDER) {
			under[nunder++] = v, i++;
		} else if (a[0] != '-' && !cgroup) {
			cgroup = a;
		} else {
			return usage(argv[0]);
		}
	}
	if (!cgroup && !nunder)
		return usage(argv[0]);

	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cgfd = cgroup ? open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (procfd < 0 || (cgroup && cgfd < 0)) {
		fprintf(stderr, "pagecache_table: cannot open %s: %s\n",
			cgfd < 0 ? cgroup : "/proc", strerror(errno));
		return 1;
	}
	uint64_t active = 0, inactive = 0;
	int rc = cgfd >= 0 ? cgroup_file(cgfd, &active, &inactive) : 0;
	if (rc) {
		fprintf(stderr, "pagecache_table: %s: memory files: %s\n", cgroup, strerror(-rc));
		return 1;
	}

	uint64_t t0 = now_us();
	if (deadline_ms)
		lim.deadline_ns = pagecache_deadline_after_ms(deadline_ms);
	struct pagecache_set s;
	pagecache_set_init(&s, &lim);
	if (cgfd >= 0 && (rc = pagecache_list_cgroup(&s, cgfd, procfd)) != 0) {
		fprintf(stderr, "pagecache_table: %s: listing: %s\n", cgroup, strerror(-rc));
		return 1;
	}
	for (int i = 0; i < nunder; i++)
		if ((rc = pagecache_list_under(&s, under[i])) != 0) {
			fprintf(stderr, "pagecache_table: --under %s: %s\n", under[i],
				strerror(-rc));
			return 1;
		}
	struct pagecache_report r;
	if ((rc = pagecache_measure_set(&s, procfd, method)) != 0 ||
	    (rc = pagecache_report_build(&s, top, active + inactive, &r)) != 0) {
		fprintf(stderr, "pagecache_table: %s\n", strerror(-rc));
		return 1;
	}
	uint64_t elapsed = now_us() - t0;

	printf("run method=%s cgroups=%llu processes=%llu vanished=%llu denied=%llu special=%llu "
	       "files=%zu measured=%llu gone=%llu denied_files=%llu failed=%llu over_cap=%llu "
	       "over_time=%llu "
	       "cut_short=%d elapsed_us=%llu\n",
	       pagecache_method_name(method), (unsigned long long)s.list.cgroups,
	       (unsigned long long)s.list.processes, (unsigned long long)s.list.vanished,
	       (unsigned long long)s.list.denied, (unsigned long long)s.list.special, s.n,
	       (unsigned long long)s.measure.measured, (unsigned long long)s.measure.gone,
	       (unsigned long long)s.measure.denied, (unsigned long long)s.measure.failed,
	       (unsigned long long)s.measure.over_cap, (unsigned long long)s.measure.over_time,
	       s.list.cut_short, (unsigned long long)elapsed);
	printf("cgroup file_active=%llu file_inactive=%llu file=%llu\n", (unsigned long long)active,
	       (unsigned long long)inactive, (unsigned long long)(active + inactive));
	printf("sum rows_cached=%llu measured_cached=%llu shmem_cached=%llu unexplained=%llu\n",
	       (unsigned long long)r.rows_cached, (unsigned long long)r.measured_cached,
	       (unsigned long long)r.shmem_cached, (unsigned long long)r.unexplained);
	print_rows(&r);
	char line[512];
	if (pagecache_denied_line(&s.list, line, sizeof(line)))
		printf("denied: %s\n", line);
	pagecache_report_free(&r);
	pagecache_set_free(&s);
	if (cgfd >= 0)
		close(cgfd);
	close(procfd);
	return 0;
}
