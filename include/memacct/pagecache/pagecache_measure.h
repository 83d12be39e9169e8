/* pagecache_measure: how many of one open file's pages are in page cache.
 * cachestat(2) (Linux 6.5+: cached and dirty pages of a range in one call)
 * or mmap(PROT_READ, MAP_SHARED) + mincore(2) over fixed windows, each
 * unmapped before the next, never touching a page: a file truncated while it
 * is measured reads as not cached past its new end, it cannot SIGBUS.
 * It does not find or open files (pagecache_list.h, pagecache_run.h).
 *
 * Permission: the kernel shows a file's page cache only to its owner, to
 * CAP_FOWNER, or to whoever may write it (can_do_mincore in mm/mincore.c;
 * cachestat has the same check since the 2025 side-channel fix, and this
 * machine's 6.18 has it). cachestat answers EPERM; mincore would silently
 * count only this process's own mappings (0), so the mincore path checks
 * first and answers EPERM too: a file this process may not see is an
 * error, never a 0. Root sees everything; without root, measuring other users' files needs
 * CAP_FOWNER (or CAP_DAC_OVERRIDE on a writable filesystem), reading their
 * /proc/PID/fd needs CAP_SYS_PTRACE.
 * overlayfs: cachestat on an overlay file reads the overlay inode, which
 * holds no pages (0 for a fully cached file); mmap reaches the real file, so
 * PAGECACHE_AUTO measures overlay files with mincore. */
#ifndef MEMACCT_PAGECACHE_MEASURE_H
#define MEMACCT_PAGECACHE_MEASURE_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/pagecache/pagecache_set.h"

/* Bytes mapped at once by the mincore path. A multiple of every page size. */
#define PAGECACHE_WINDOW_BYTES (UINT64_C(64) << 20)

/* Windows of `window` bytes (> 0) covering [0, size): 0 for an empty file,
 * the last one partial when size is not a multiple. */
uint64_t pagecache_window_count(uint64_t size, uint64_t window);
/* Window i (< pagecache_window_count) of [0, size): its offset and length. */
void pagecache_window_at(uint64_t size, uint64_t window, uint64_t i, uint64_t *off, uint64_t *len);
/* Pages of page_size covering len bytes (the last one partial). */
uint64_t pagecache_pages(uint64_t len, uint64_t page_size);

/* The cachestat(2) ABI (include/uapi/linux/mman.h), defined here because
 * older installed headers lack it. */
struct pagecache_cachestat_range {
	uint64_t off, len; /* len 0: to the end of the file */
};
struct pagecache_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};
#define PAGECACHE_NR_CACHESTAT 451

/* cachestat over [off, off + len) (len 0: to the end). 0 or -errno: -ENOSYS
 * on kernels before 6.5, -EPERM (see above), -EBADF. */
int pagecache_cachestat(int fd, uint64_t off, uint64_t len, struct pagecache_cachestat *cs);

/* Pages of [off, off + len) in page cache by mincore (the bare primitive:
 * no permission check, see above), mapping windows of
 * `window` bytes (a multiple of the page size; off page-aligned). Stops with
 * -ETIME when deadline_ns (0: none) passes between windows, *pages then
 * holding what was counted so far. -ENODEV when the file cannot be mapped,
 * -ENOMEM, -EINVAL. */
int pagecache_mincore(int fd, uint64_t off, uint64_t len, uint64_t window, uint64_t deadline_ns,
		      uint64_t *pages);

struct pagecache_counts {
	uint64_t size;	 /* st_size at the measurement */
	uint64_t cached; /* bytes: pages in page cache * page size */
	uint64_t dirty;	 /* bytes, valid when dirty_known */
	bool dirty_known;
	bool shmem;		      /* tmpfs/hugetlbfs: shmem, not the file LRU */
	enum pagecache_method method; /* the one used (never AUTO) */
};

/* Measures the whole regular file open at fd with method m: AUTO uses
 * cachestat, or mincore when the kernel has no cachestat or the file is on
 * overlayfs. Files on pseudo filesystems (procfs, sysfs, ...) hold no page
 * cache and read 0 without being mapped. 0, -EBADFD for a file that is not
 * regular, -ETIME (deadline, mincore only), -EPERM (see above), -ENOSYS
 * (CACHESTAT on an
 * old kernel), -EOPNOTSUPP (hugetlbfs), or the methods' errors. */
int pagecache_measure_fd(int fd, enum pagecache_method m, uint64_t deadline_ns,
			 struct pagecache_counts *c);

#endif
