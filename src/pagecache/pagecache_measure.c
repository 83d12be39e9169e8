/* pagecache_measure: counts one open file's pages in page cache with
 * cachestat(2) or with mmap + mincore(2) over fixed windows (never touching
 * a page, so truncation cannot fault). See pagecache_measure.h for the
 * permission and overlayfs rules. It does not open or find files. */
#include "memacct/pagecache/pagecache_measure.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t pagecache_window_count(uint64_t size, uint64_t window)
{
	return size / window + (size % window != 0);
}

void pagecache_window_at(uint64_t size, uint64_t window, uint64_t i, uint64_t *off, uint64_t *len)
{
	*off = i * window;
	*len = size - *off < window ? size - *off : window;
}

uint64_t pagecache_pages(uint64_t len, uint64_t page_size)
{
	return len / page_size + (len % page_size != 0);
}

int pagecache_cachestat(int fd, uint64_t off, uint64_t len, struct pagecache_cachestat *cs)
{
	struct pagecache_cachestat_range range = {off, len};
	if (syscall(PAGECACHE_NR_CACHESTAT, fd, &range, cs, 0) != 0)
		return -errno;
	return 0;
}

int pagecache_mincore(int fd, uint64_t off, uint64_t len, uint64_t window, uint64_t deadline_ns,
		      uint64_t *pages)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	*pages = 0;
	if (!window || window % page || off % page || len > UINT64_MAX - off)
		return -EINVAL;
	unsigned char *vec = malloc(pagecache_pages(window, page));
	if (!vec)
		return -ENOMEM;
	int rc = 0;
	uint64_t n = pagecache_window_count(len, window);
	for (uint64_t i = 0; i < n; i++) {
		if (i && pagecache_deadline_passed(deadline_ns)) {
			rc = -ETIME;
			break;
		}
		uint64_t woff, wlen;
		pagecache_window_at(len, window, i, &woff, &wlen);
		if ((off + woff) > (uint64_t)INT64_MAX) {
			rc = -EFBIG;
			break;
		}
		void *map =
		    mmap(NULL, (size_t)wlen, PROT_READ, MAP_SHARED, fd, (off_t)(off + woff));
		if (map == MAP_FAILED) {
			rc = errno == EACCES || errno == EINVAL ? -ENODEV : -errno;
			break;
		}
		int mrc = mincore(map, (size_t)wlen, vec);
		int merr = errno;
		munmap(map, (size_t)wlen);
		if (mrc != 0) {
			rc = -merr;
			break;
		}
		uint64_t np = pagecache_pages(wlen, page);
		for (uint64_t p = 0; p < np; p++)
			*pages += vec[p] & 1;
	}
	free(vec);
	return rc;
}

/* What the file's filesystem means for measuring it. */
enum fs_kind { FS_PLAIN, FS_OVERLAY, FS_SHMEM, FS_HUGETLB, FS_PSEUDO };

static enum fs_kind fs_kind_of(int fd)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) != 0)
		return FS_PLAIN;
	switch ((unsigned long)sfs.f_type) {
	case OVERLAYFS_SUPER_MAGIC:
		return FS_OVERLAY;
	case TMPFS_MAGIC:
		return FS_SHMEM;
	case HUGETLBFS_MAGIC:
		return FS_HUGETLB;
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case BPF_FS_MAGIC:
		return FS_PSEUDO;
	default:
		return FS_PLAIN;
	}
}

static int by_cachestat(int fd, uint64_t page, struct pagecache_counts *c)
{
	struct pagecache_cachestat cs;
	int rc = pagecache_cachestat(fd, 0, 0, &cs);
	if (rc)
		return rc;
	c->cached = cs.nr_cache * page;
	c->dirty = cs.nr_dirty * page;
	c->dirty_known = true;
	c->method = PAGECACHE_CACHESTAT;
	return 0;
}

static bool have_cap_fowner(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_FOWNER)].effective & CAP_TO_MASK(CAP_FOWNER)) != 0;
}

/* Whether mincore shows this file's page cache to us (mm/mincore.c,
 * can_do_mincore): its owner, CAP_FOWNER, or write permission. Otherwise
 * it reports only the pages mapped in this process, which for a fresh
 * mapping is none: a silent 0. */
static bool may_mincore(int fd, const struct stat *st)
{
	if (st->st_uid == geteuid() || have_cap_fowner())
		return true;
	char link[32];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	return faccessat(AT_FDCWD, link, W_OK, AT_EACCESS) == 0;
}

static int by_mincore(int fd, const struct stat *st, uint64_t page, uint64_t deadline_ns,
		      struct pagecache_counts *c)
{
	uint64_t pages;
	c->method = PAGECACHE_MINCORE;
	if (!may_mincore(fd, st))
		return -EPERM;
	int rc = pagecache_mincore(fd, 0, c->size, PAGECACHE_WINDOW_BYTES, deadline_ns, &pages);
	c->cached = pages * page;
	return rc;
}

int pagecache_measure_fd(int fd, enum pagecache_method m, uint64_t deadline_ns,
			 struct pagecache_counts *c)
{
	struct stat st;
	*c = (struct pagecache_counts){0};
	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	c->size = (uint64_t)st.st_size;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	enum fs_kind kind = fs_kind_of(fd);
	c->shmem = kind == FS_SHMEM || kind == FS_HUGETLB;
	if (kind == FS_PSEUDO) {
		c->method = m == PAGECACHE_AUTO ? PAGECACHE_CACHESTAT : m;
		return 0;
	}
	if (kind == FS_HUGETLB)
		return -EOPNOTSUPP;
	switch (m) {
	case PAGECACHE_CACHESTAT:
		return by_cachestat(fd, page, c);
	case PAGECACHE_MINCORE:
		return by_mincore(fd, &st, page, deadline_ns, c);
	case PAGECACHE_AUTO:
	default:
		if (kind != FS_OVERLAY) {
			int rc = by_cachestat(fd, page, c);
			if (rc != -ENOSYS)
				return rc;
		}
		return by_mincore(fd, &st, page, deadline_ns, c);
	}
}
