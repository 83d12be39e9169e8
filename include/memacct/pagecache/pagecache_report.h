/* pagecache_report: ranks the measured files of a pagecache_set by cached
 * bytes and sets them against the cgroup's file page cache: the top N, what
 * they and all measured files explain, and what stays unexplained. It does
 * not measure or print (callers render rows; pagecache_denied_line gives
 * them the privilege note).
 *
 * What the numbers mean: a file's cached bytes are its pages in page cache
 * whichever cgroup they are charged to (a shared library's pages are
 * usually charged to whoever read them first), so a share can pass 100 % and
 * the sum can pass the cgroup's file cache. Page cache of files no listed
 * process holds open or maps any more (and not below a --files-under
 * directory) is invisible: it stays in "unexplained". Files on tmpfs (memfd,
 * /dev/shm, SysV shm) are shmem, counted in the cgroup's anon/shmem, not in
 * file_active + file_inactive: they are ranked with the others (flagged
 * shmem) but left out of the explained sums. */
#ifndef MEMACCT_PAGECACHE_REPORT_H
#define MEMACCT_PAGECACHE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "memacct/pagecache/pagecache_set.h"

struct pagecache_report {
	/* The top N measured files by cached bytes, descending (ties: larger
	 * file, then path). Borrowed from the set: valid while the set lives
	 * and nothing is added to it. */
	const struct pagecache_file **rows;
	size_t nrows;
	size_t nmeasured;
	uint64_t cgroup_file_bytes; /* as passed: file_active + file_inactive */
	uint64_t rows_cached;	    /* the rows' cached bytes, shmem ones left out */
	uint64_t measured_cached;   /* every measured file's, shmem ones left out */
	uint64_t shmem_cached;	    /* the measured shmem files' */
	/* cgroup_file_bytes - measured_cached, floored at 0. */
	uint64_t unexplained;
};

/* Builds r from the measured files of s (rc 0). top_n 0: every measured
 * file. 0 or -ENOMEM. */
int pagecache_report_build(const struct pagecache_set *s, size_t top_n, uint64_t cgroup_file_bytes,
			   struct pagecache_report *r);
void pagecache_report_free(struct pagecache_report *r);

/* part / whole as a fraction (1.0 = 100 %); 0 when whole is 0. */
double pagecache_share(uint64_t part, uint64_t whole);

/* The one line a caller prints when processes could not be read, e.g.
 * "2 processes could not be read (root or CAP_SYS_PTRACE needed): 812 907".
 * Up to PAGECACHE_DENIED_PIDS_MAX pids, then "and N more". Writes "" and
 * returns 0 when none was denied, else returns the line's length (cut to
 * len - 1 like snprintf). */
size_t pagecache_denied_line(const struct pagecache_list_stats *st, char *buf, size_t len);

#endif
