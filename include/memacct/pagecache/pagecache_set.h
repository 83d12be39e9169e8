/* pagecache_set: the files whose page cache `explain --files` measures, one
 * entry per (device, inode), with how each was found and how to open it
 * again, what listing and measuring could not do, and the limits that bound
 * both. It does not list (pagecache_list.h), measure (pagecache_run.h) or
 * rank (pagecache_report.h).
 *
 * The whole subsystem, in the order a caller uses it:
 *
 *	struct pagecache_limits lim = {.deadline_ns = pagecache_deadline_after_ms(2000),
 *				       .max_measured = 5000};
 *	struct pagecache_set set;
 *	pagecache_set_init(&set, &lim);
 *	pagecache_list_cgroup(&set, cgfd, procfd);	  // and/or _pid, _under
 *	pagecache_measure_set(&set, procfd, PAGECACHE_AUTO);
 *	struct pagecache_report rep;
 *	pagecache_report_build(&set, 10, file_active + file_inactive, &rep);
 *	... print rep.rows[i]->path, ->size, ->cached, ->dirty ...
 *	pagecache_report_free(&rep);
 *	pagecache_set_free(&set);
 *
 * One set per request; not thread-safe; no global state. */
#ifndef MEMACCT_PAGECACHE_SET_H
#define MEMACCT_PAGECACHE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a file's pages in page cache are counted (pagecache_measure.h). */
enum pagecache_method {
	PAGECACHE_AUTO,	     /* cachestat where it works, else mincore */
	PAGECACHE_CACHESTAT, /* cachestat(2), Linux 6.5+: cached and dirty */
	PAGECACHE_MINCORE,   /* mmap + mincore(2) in windows: cached only */
	PAGECACHE_METHOD_N
};

/* "auto", "cachestat", "mincore". */
const char *pagecache_method_name(enum pagecache_method m);
/* Parses a method name; -EINVAL for anything else. */
int pagecache_method_parse(const char *name, enum pagecache_method *m);

/* Bounds on one run. Zero fields take the defaults below. */
struct pagecache_limits {
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; listing and measuring stop after it; 0: none */
	size_t max_files;     /* files kept in the set; more are counted as dropped */
	size_t max_measured;  /* files measured (the largest first); 0: all kept */
	unsigned max_depth;   /* cgroup / directory levels below the start */
};
#define PAGECACHE_MAX_FILES_DEFAULT 100000
#define PAGECACHE_MAX_DEPTH_DEFAULT 64

/* CLOCK_MONOTONIC now + ms, for pagecache_limits.deadline_ns. */
uint64_t pagecache_deadline_after_ms(unsigned ms);
/* Whether a deadline (0: none) has passed. */
bool pagecache_deadline_passed(uint64_t deadline_ns);

/* Not measured (yet): a file's rc before pagecache_measure_set, or when the
 * cap or the deadline stopped it first. */
#define PAGECACHE_NOT_MEASURED 1

struct pagecache_file {
	uint64_t dev, ino;
	uint64_t size; /* st_size when listed, updated when measured */
	/* For display: the fd's link target, the mapping's path or the walked
	 * path, without the kernel's " (deleted)" suffix when the file has no
	 * links left (then deleted is true). Owned by the set. */
	char *path;
	bool deleted;
	bool open_fd; /* some listed process holds it open */
	bool mapped;  /* some listed process maps it */
	/* Ways back to it, tried in this order when measuring:
	 * /proc/PID/fd/FD, /proc/MAP_PID/map_files/MAP_RANGE, then path itself
	 * (which, for a process in another mount namespace, may name another
	 * file or none). Whatever opens must still be (dev, ino). */
	int pid, fd;	    /* pid 0 and fd -1: not seen as an fd */
	int map_pid;	    /* 0: not seen as a mapping */
	char map_range[40]; /* "start-end" of one of map_pid's mappings of it */

	/* Filled by pagecache_measure_set. */
	int rc; /* 0 measured; PAGECACHE_NOT_MEASURED; -ENOENT gone; other -errno */
	enum pagecache_method method; /* the one that measured it */
	uint64_t cached;	      /* bytes of its pages in page cache */
	uint64_t dirty;		      /* valid when dirty_known (cachestat) */
	bool dirty_known;
	/* tmpfs, memfd, SysV shm: its pages are shmem, on the anon LRU, not in
	 * the cgroup's file_active/file_inactive. */
	bool shmem;
};

/* Processes whose /proc/PID/fd or maps answered EACCES/EPERM: listed up to
 * this many, all counted. */
#define PAGECACHE_DENIED_PIDS_MAX 16

struct pagecache_list_stats {
	uint64_t cgroups;   /* cgroup directories walked */
	uint64_t processes; /* processes whose fds and maps were read */
	uint64_t vanished;  /* listed, then exited before they were read */
	uint64_t denied;    /* EACCES/EPERM: root or CAP_SYS_PTRACE needed */
	int denied_pids[PAGECACHE_DENIED_PIDS_MAX];
	unsigned ndenied_pids;
	uint64_t special;    /* fds and entries that are no regular file: skipped */
	uint64_t unreadable; /* other per-process or per-entry errors */
	uint64_t dropped;    /* regular files past limits.max_files */
	bool cut_short;	     /* the deadline passed while listing */
};

struct pagecache_measure_stats {
	uint64_t measured;
	uint64_t gone; /* could not be opened as the same inode again */
	/* EACCES/EPERM: not openable, or its page cache hidden from this
	 * process (pagecache_measure.h: needs root or CAP_FOWNER) */
	uint64_t denied;
	uint64_t failed;    /* another error (the file's rc says which) */
	uint64_t over_cap;  /* not measured: limits.max_measured */
	uint64_t over_time; /* not measured: the deadline */
	/* Sum of the sizes of the files not measured (cap or deadline): the
	 * most page cache they can hold. */
	uint64_t unmeasured_bytes;
	uint64_t by_method[PAGECACHE_METHOD_N];
};

struct pagecache_set {
	struct pagecache_file *files;
	size_t n, cap;
	size_t *slots; /* open-addressing index by (dev, ino): file index + 1, 0 empty */
	size_t nslots;
	struct pagecache_limits limits; /* defaults filled in */
	struct pagecache_list_stats list;
	struct pagecache_measure_stats measure;
};

/* limits may be NULL (all defaults). */
void pagecache_set_init(struct pagecache_set *s, const struct pagecache_limits *limits);
void pagecache_set_free(struct pagecache_set *s);

/* The file (dev, ino) or NULL. */
struct pagecache_file *pagecache_set_find(const struct pagecache_set *s, uint64_t dev,
					  uint64_t ino);

/* Finds (dev, ino) or adds it with path (copied) and size, rc
 * PAGECACHE_NOT_MEASURED, no fd or mapping (fd -1). *f is the entry either way;
 * *added says which. -ENOSPC past limits.max_files (counted as dropped),
 * -ENOMEM. */
int pagecache_set_add(struct pagecache_set *s, uint64_t dev, uint64_t ino, uint64_t size,
		      const char *path, struct pagecache_file **f, bool *added);

/* Records a process that could not be read (EACCES/EPERM). */
void pagecache_set_note_denied(struct pagecache_set *s, int pid);

#endif
