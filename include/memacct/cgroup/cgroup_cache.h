/* cgroup_cache: what the scrapes keep of each cgroup from one scrape to the
 * next, shared by all of them (main makes one and lends it to the
 * collectors through struct collector_env): its path, inode and identity,
 * its label sets (built once; a pod name --path.podlogs does not know yet is
 * looked up again at each scrape until it is found) and, when the root is a
 * cgroup filesystem, the files the collectors read, held open and re-read
 * with pread(fd, buf, cap, 0) instead of open/read/close.
 *
 * Also here: struct cgroup_dir, how one visit of one cgroup reads its files
 * by index (enum cgroup_file): through a cache node, or plainly at a
 * directory fd (explain, tests).
 *
 * Limits. At most max_open files are held: --collector.cgroup.max-open-files,
 * and never more than RLIMIT_NOFILE's soft limit minus a margin for the HTTP
 * connections (--web.max-connections) and everything else. Past that a file
 * is read with open/read/close and counted (memacct_cgroup_files_uncached_total).
 * Held files are numbered from the margin up (F_DUPFD), never below
 * FD_SETSIZE, so select() users keep their low numbers. Each held file costs
 * about 4 KiB of kernel memory (its seq_file buffer), charged to the
 * exporter's own cgroup: that, not the fd limit, is what the default bounds.
 *
 * Removal. A cgroup gone from a scrape's walk, or whose held file answers
 * ENODEV, is dropped from the cache at once, and its files are closed as
 * soon as no scrape in flight still reads them. Between scrapes a thread
 * polls the held files once a second (kernfs answers POLLERR for the file
 * of a removed cgroup, and pread then ENODEV) and drops those cgroups too,
 * so a removed cgroup's files never wait for the next scrape.
 *
 * Thread-safety: every function may run in several scrapes at once (one
 * mutex around the table and the reference counts; held fds are published
 * with compare-and-swap and read with pread). */
#ifndef MEMACCT_CGROUP_CACHE_H
#define MEMACCT_CGROUP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memacct/cgroup/cgroup_id.h"
#include "memacct/expo/expfmt.h"
#include "memacct/util/errmsg.h"
#include "memacct/util/readfile.h"

struct cgroup_scope;

/* The files read from a cgroup directory, by index. */
enum cgroup_file {
	CGF_STAT, /* memory.stat, v1 and v2 */
	CGF_V2_CURRENT,
	CGF_V2_MAX,
	CGF_V2_HIGH,
	CGF_V2_LOW,
	CGF_V2_MIN,
	CGF_V2_PEAK,
	CGF_V2_SWAP,
	CGF_V2_EVENTS,
	CGF_V2_PRESSURE,
	CGF_V1_USAGE,
	CGF_V1_KMEM,
	CGF_V1_LIMIT,
	CGF_V1_MAX_USAGE,
	CGF_V1_FAILCNT,
	CGF_V1_MEMSW,
	CGF_PROCS, /* cgroup.procs */
	CGF_N
};

/* The files' names, indexed by enum cgroup_file. */
extern const char *const cgroup_file_names[CGF_N];

struct cgroup_cache;
struct cgroup_node;

/* One visit of one cgroup: where its files are read from. Fill it with
 * cgroup_dir_at() for plain reads at a directory fd; cgroup_scan.c fills it
 * for a cache node. */
struct cgroup_dir {
	const char *path; /* "/" or "/a/b" */
	int depth;
	struct cgroup_cache *cache; /* NULL: plain reads at dirfd */
	struct cgroup_node *node;
	int rootfd;	/* the cgroup root: the directory is opened from here on demand */
	int dirfd;	/* the cgroup's directory; -1 until needed */
	bool own_dirfd; /* dirfd was opened on demand: cgroup_dir_done() closes it */
};

/* Plain reads at dirfd (borrowed). */
static inline struct cgroup_dir cgroup_dir_at(int dirfd)
{
	struct cgroup_dir d = {.path = "", .rootfd = -1, .dirfd = dirfd};
	return d;
}

/* Reads file f whole into b: readfile_at()'s returns (-ENOENT: the file,
 * or the cgroup, is gone). */
int cgroup_dir_read(struct cgroup_dir *d, enum cgroup_file f, struct readbuf *b);
/* The cgroup's directory fd, opened on demand (valid until cgroup_dir_done),
 * or -errno. */
int cgroup_dir_fd(struct cgroup_dir *d);
/* Closes what the visit opened on demand. */
void cgroup_dir_done(struct cgroup_dir *d);
/* The cgroup's identity (parsed from its path once). Only for a cache node. */
const struct cgroup_identity *cgroup_dir_identity(const struct cgroup_dir *d);
/* Its label sets (cgroup_labels.h: every series', memacct_cgroup_info's),
 * valid while the visit lasts. Only for a cache node. 0 or -ENOMEM. */
int cgroup_dir_labels(struct cgroup_dir *d, const struct labels **labels,
		      const struct labels **info);

/* Held fds are numbered from max(FD_SETSIZE, max_connections + this);
 * max_connections 0 is the HTTP server's default, 1024. */
#define CGROUP_CACHE_FD_MARGIN 256

/* A cache for scope (borrowed: it must outlive the cache). Files are held
 * open only when the root is on a cgroup filesystem (or keep_always, for
 * tests on plain directories; elsewhere a file can be replaced under its
 * name), at most max_open_flag of them and no more than the soft
 * RLIMIT_NOFILE minus max(FD_SETSIZE, max_connections +
 * CGROUP_CACHE_FD_MARGIN); reads past that are counted. 0 or -errno with e
 * set. */
int cgroup_cache_new(const struct cgroup_scope *scope, unsigned max_open_flag,
		     unsigned max_connections, bool keep_always, struct cgroup_cache **out,
		     struct errmsg *e);
void cgroup_cache_free(struct cgroup_cache *c);

struct cgroup_cache_stats {
	bool keeps_files;	  /* root on a cgroup filesystem (or keep_always) */
	long max_open;		  /* the cap in effect */
	long files_open;	  /* held now (the cgroups' directories are never held) */
	uint64_t uncached_reads;  /* reads done with open/read/close past the cap */
	uint64_t cgroups;	  /* in the table now */
};
void cgroup_cache_get_stats(struct cgroup_cache *c, struct cgroup_cache_stats *st);

/* ---- for cgroup_scan.c: one scrape's walk over the cache ---- */

/* Whether the cache holds files (and the walk may trust directory link
 * counts: kernfs's are 2 + subdirectories). */
bool cgroup_cache_keeps_files(const struct cgroup_cache *c);
/* A new walk's generation, for cgroup_cache_acquire() and _sweep(). */
uint64_t cgroup_cache_walk_begin(struct cgroup_cache *c);
/* The node of path (len bytes, "/" for the root) at depth, referenced,
 * marked seen by walk gen. A node of the same path with another inode (a
 * cgroup removed and made again) is dropped and replaced. NULL on ENOMEM. */
struct cgroup_node *cgroup_cache_acquire(struct cgroup_cache *c, const char *path, size_t len,
					 int depth, ino_t ino, uint64_t gen);
/* Lets go of n nodes. */
void cgroup_cache_release(struct cgroup_cache *c, struct cgroup_node *const *nodes, size_t n);
/* After a complete walk gen: drops every node no walk since gen began has
 * seen (removed cgroups). */
void cgroup_cache_sweep(struct cgroup_cache *c, uint64_t gen);
const char *cgroup_node_path(const struct cgroup_node *n);
int cgroup_node_depth(const struct cgroup_node *n);
/* Whether --collector.cgroup.levels exports the node's level. */
bool cgroup_node_level_on(const struct cgroup_node *n);

#endif
