/* cgroup_cache: the table of cgroups the scrapes share (a chained hash on
 * the path, one mutex, reference counts), each cgroup's held files
 * (published with compare-and-swap, re-read with pread), its label sets,
 * the sweep of removed cgroups and the thread that polls held files for
 * removal between scrapes. It does not walk (cgroup_scan.c does) and
 * parses no file. */
#include "memacct/cgroup/cgroup_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_labels.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/util/fnv1a.h"

const char *const cgroup_file_names[CGF_N] = {
	[CGF_STAT] = "memory.stat",
	[CGF_V2_CURRENT] = "memory.current",
	[CGF_V2_MAX] = "memory.max",
	[CGF_V2_HIGH] = "memory.high",
	[CGF_V2_LOW] = "memory.low",
	[CGF_V2_MIN] = "memory.min",
	[CGF_V2_PEAK] = "memory.peak",
	[CGF_V2_SWAP] = "memory.swap.current",
	[CGF_V2_EVENTS] = "memory.events",
	[CGF_V2_PRESSURE] = "memory.pressure",
	[CGF_V1_USAGE] = "memory.usage_in_bytes",
	[CGF_V1_KMEM] = "memory.kmem.usage_in_bytes",
	[CGF_V1_LIMIT] = "memory.limit_in_bytes",
	[CGF_V1_MAX_USAGE] = "memory.max_usage_in_bytes",
	[CGF_V1_FAILCNT] = "memory.failcnt",
	[CGF_V1_MEMSW] = "memory.memsw.usage_in_bytes",
	[CGF_PROCS] = "cgroup.procs",
};

/* A node's file slot: a held fd (>= 0), or one of these. */
#define FD_NONE (-1)   /* not opened (yet) */
#define FD_ABSENT (-2) /* the file does not exist in this cgroup */

#define REAP_INTERVAL_S 1

/* A cgroup's label sets; never changed once published. */
struct labelset {
	struct labels labels, info;
	bool complete; /* nothing left to look up in --path.podlogs */
};

struct cgroup_node {
	/* guarded by the cache's lock */
	struct cgroup_node *next; /* hash chain */
	unsigned refs;		  /* the table's (while linked) and each user's */
	bool linked;
	uint64_t seen; /* the latest walk generation that saw it */

	/* set at creation, then read-only */
	char *path;
	size_t len;
	int depth;
	ino_t ino;
	struct cgroup_identity id;
	bool level_on;

	_Atomic int fd[CGF_N];
	_Atomic(struct labelset *) ls;
	struct labelset *retired; /* the incomplete set ls replaced; freed with the node */
};

struct cgroup_cache {
	const struct cgroup_scope *scope;
	bool keep;    /* a cgroup filesystem: hold files open, up to max_open */
	long max_open;
	int fd_floor; /* held fds are numbered from here */
	atomic_long files_open;
	atomic_ulong uncached;

	pthread_mutex_t lock; /* guards everything below */
	struct cgroup_node **buckets;
	size_t nbuckets, count;
	uint64_t gen;
	pthread_cond_t wake; /* the reaper's */
	bool stop;
	bool reaper_started;
	pthread_t reaper;
};

static size_t hash(const char *s, size_t len)
{
	return (size_t)fnv1a64(FNV1A64_BASIS, s, len);
}

static void labelset_free(struct labelset *ls)
{
	if (!ls)
		return;
	labels_free(&ls->labels);
	labels_free(&ls->info);
	free(ls);
}

/* Closes the node's files and frees it: no one references it any more. */
static void node_destroy(struct cgroup_cache *c, struct cgroup_node *n)
{
	for (int f = 0; f < CGF_N; f++) {
		int fd = atomic_load(&n->fd[f]);
		if (fd >= 0) {
			close(fd);
			atomic_fetch_sub(&c->files_open, 1);
		}
	}
	labelset_free(atomic_load(&n->ls));
	labelset_free(n->retired);
	free(n->path);
	free(n);
}

static void destroy_list(struct cgroup_cache *c, struct cgroup_node *dead)
{
	while (dead) {
		struct cgroup_node *next = dead->next;
		node_destroy(c, dead);
		dead = next;
	}
}

/* Drops one reference (lock held); a node no one holds goes onto *dead. */
static void unref_locked(struct cgroup_node *n, struct cgroup_node **dead)
{
	if (--n->refs == 0) {
		n->next = *dead;
		*dead = n;
	}
}

/* Takes n out of the table (lock held). */
static void unlink_locked(struct cgroup_cache *c, struct cgroup_node *n, struct cgroup_node **dead)
{
	if (!n->linked)
		return;
	struct cgroup_node **pp = &c->buckets[hash(n->path, n->len) & (c->nbuckets - 1)];
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->next = NULL;
	n->linked = false;
	c->count--;
	unref_locked(n, dead);
}

/* The cgroup of n is gone (ENODEV): out of the table now, its files closed
 * when the last scrape using it lets go. */
static void node_drop(struct cgroup_cache *c, struct cgroup_node *n)
{
	struct cgroup_node *dead = NULL;
	pthread_mutex_lock(&c->lock);
	unlink_locked(c, n, &dead);
	pthread_mutex_unlock(&c->lock);
	destroy_list(c, dead);
}

static struct cgroup_node *node_new(const struct cgroup_cache *c, const char *path, size_t len,
				    int depth, ino_t ino)
{
	struct cgroup_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->path = malloc(len + 1);
	if (!n->path) {
		free(n);
		return NULL;
	}
	memcpy(n->path, path, len);
	n->path[len] = '\0';
	n->len = len;
	n->depth = depth;
	n->ino = ino;
	n->level_on = cgroup_scope_level_on(c->scope, n->path, &n->id);
	for (int f = 0; f < CGF_N; f++)
		atomic_init(&n->fd[f], FD_NONE);
	atomic_init(&n->ls, NULL);
	return n;
}

/* Doubles the buckets (lock held); on ENOMEM the chains just grow longer. */
static void grow_locked(struct cgroup_cache *c)
{
	size_t nb = c->nbuckets * 2;
	struct cgroup_node **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cgroup_node *n = c->buckets[i], *next;
		for (; n; n = next) {
			next = n->next;
			size_t h = hash(n->path, n->len) & (nb - 1);
			n->next = b[h];
			b[h] = n;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
}

struct cgroup_node *cgroup_cache_acquire(struct cgroup_cache *c, const char *path, size_t len,
					 int depth, ino_t ino, uint64_t gen)
{
	struct cgroup_node *dead = NULL, *n;
	pthread_mutex_lock(&c->lock);
	for (n = c->buckets[hash(path, len) & (c->nbuckets - 1)]; n; n = n->next)
		if (n->len == len && memcmp(n->path, path, len) == 0)
			break;
	if (n && c->keep && n->ino != ino) {
		unlink_locked(c, n, &dead); /* removed and made again */
		n = NULL;
	}
	if (!n) {
		n = node_new(c, path, len, depth, ino);
		if (n) {
			if (c->count >= c->nbuckets)
				grow_locked(c);
			struct cgroup_node **b = &c->buckets[hash(path, len) & (c->nbuckets - 1)];
			n->next = *b;
			*b = n;
			n->linked = true;
			n->refs = 1; /* the table's */
			c->count++;
		}
	}
	if (n) {
		n->refs++;
		if (n->seen < gen)
			n->seen = gen;
	}
	pthread_mutex_unlock(&c->lock);
	destroy_list(c, dead);
	return n;
}

void cgroup_cache_release(struct cgroup_cache *c, struct cgroup_node *const *nodes, size_t n)
{
	struct cgroup_node *dead = NULL;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < n; i++)
		unref_locked(nodes[i], &dead);
	pthread_mutex_unlock(&c->lock);
	destroy_list(c, dead);
}

uint64_t cgroup_cache_walk_begin(struct cgroup_cache *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t gen = ++c->gen;
	pthread_mutex_unlock(&c->lock);
	return gen;
}

void cgroup_cache_sweep(struct cgroup_cache *c, uint64_t gen)
{
	struct cgroup_node *dead = NULL;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cgroup_node *n = c->buckets[i], *next;
		for (; n; n = next) {
			next = n->next;
			if (n->seen < gen)
				unlink_locked(c, n, &dead);
		}
	}
	pthread_mutex_unlock(&c->lock);
	destroy_list(c, dead);
}

bool cgroup_cache_keeps_files(const struct cgroup_cache *c)
{
	return c->keep;
}

const char *cgroup_node_path(const struct cgroup_node *n)
{
	return n->path;
}

int cgroup_node_depth(const struct cgroup_node *n)
{
	return n->depth;
}

bool cgroup_node_level_on(const struct cgroup_node *n)
{
	return n->level_on;
}

/* ---- reading */

int cgroup_dir_fd(struct cgroup_dir *d)
{
	if (d->dirfd >= 0)
		return d->dirfd;
	if (d->rootfd < 0)
		return -EBADF;
	int fd = openat(d->rootfd, d->path[1] ? d->path + 1 : ".",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT; /* vanished since the walk (or unopenable, as in a walk) */
	d->dirfd = fd;
	d->own_dirfd = true;
	return fd;
}

void cgroup_dir_done(struct cgroup_dir *d)
{
	if (d->own_dirfd)
		close(d->dirfd);
	d->dirfd = -1;
	d->own_dirfd = false;
}

/* Tries to hold fd (just opened for slot f): under the cap, renumbered
 * from the floor up and published. Returns the fd to read: the held one
 * (*held true; possibly another scrape's, then fd is closed) or fd itself,
 * not held (the caller closes it). */
static int hold(struct cgroup_cache *c, struct cgroup_node *n, enum cgroup_file f, int fd,
		bool *held)
{
	*held = false;
	if (atomic_fetch_add(&c->files_open, 1) >= c->max_open)
		goto uncached;
	if (fd < c->fd_floor) {
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, c->fd_floor);
		if (hi < 0)
			goto uncached;
		close(fd);
		fd = hi;
	}
	int expect = FD_NONE;
	if (!atomic_compare_exchange_strong(&n->fd[f], &expect, fd)) {
		/* Another scrape got there first: use its fd. */
		close(fd);
		atomic_fetch_sub(&c->files_open, 1);
		if (expect < 0)
			return FD_ABSENT;
		fd = expect;
	}
	*held = true;
	return fd;
uncached:
	atomic_fetch_sub(&c->files_open, 1);
	atomic_fetch_add(&c->uncached, 1);
	return fd;
}

/* Reads the cgroupfs file f open at fd. Every file but cgroup.procs is one
 * seq_file record. */
static int read_kernfs(int fd, enum cgroup_file f, struct readbuf *b)
{
	return f == CGF_PROCS ? readfile_fd(fd, b) : readfile_fd_record(fd, b);
}

static int node_read(struct cgroup_dir *d, enum cgroup_file f, struct readbuf *b)
{
	struct cgroup_cache *c = d->cache;
	struct cgroup_node *n = d->node;
	int fd = atomic_load(&n->fd[f]);
	int rc;
	if (fd == FD_ABSENT)
		return -ENOENT;
	if (fd == FD_NONE) {
		int dfd = cgroup_dir_fd(d);
		if (dfd < 0)
			return dfd;
		if (!c->keep) /* a plain directory tree: read as always */
			return readfile_at(dfd, cgroup_file_names[f], b);
		rc = readfile_open(dfd, cgroup_file_names[f], &fd);
		if (rc == -ENOENT && f != CGF_STAT) {
			/* Files never appear in a live cgroup, but memory.stat
			 * does when v2 enables the controller: that one is
			 * tried again. */
			int expect = FD_NONE;
			atomic_compare_exchange_strong(&n->fd[f], &expect, FD_ABSENT);
		}
		if (rc)
			return rc;
		bool held;
		fd = hold(c, n, f, fd, &held);
		if (fd == FD_ABSENT)
			return -ENOENT;
		if (!held) {
			rc = read_kernfs(fd, f, b);
			close(fd);
			return rc;
		}
	}
	rc = read_kernfs(fd, f, b);
	if (rc == -ENOENT) /* ENODEV: the cgroup (or its memory files) went away */
		node_drop(c, n);
	return rc;
}

int cgroup_dir_read(struct cgroup_dir *d, enum cgroup_file f, struct readbuf *b)
{
	if (!d->node)
		return readfile_at(d->dirfd, cgroup_file_names[f], b);
	return node_read(d, f, b);
}

/* ---- labels */

static struct labelset *labelset_build(const struct cgroup_cache *c, const struct cgroup_node *n)
{
	struct labelset *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return NULL;
	labels_init(&ls->labels);
	labels_init(&ls->info);
	int rc = cgroup_labels_build(&ls->labels, n->path, &n->id, c->scope->podlogs);
	ls->complete = rc == 0;
	if (rc >= 0)
		rc = cgroup_labels_info(&ls->info, &ls->labels, &n->id);
	if (rc < 0) {
		labelset_free(ls);
		return NULL;
	}
	return ls;
}

const struct cgroup_identity *cgroup_dir_identity(const struct cgroup_dir *d)
{
	return &d->node->id;
}

int cgroup_dir_labels(struct cgroup_dir *d, const struct labels **labels,
		      const struct labels **info)
{
	struct cgroup_node *n = d->node;
	struct labelset *cur = atomic_load(&n->ls);
	if (!cur || !cur->complete) {
		/* First use, or pod names --path.podlogs did not have yet. */
		struct labelset *fresh = labelset_build(d->cache, n);
		if (!fresh)
			return -ENOMEM;
		if (cur && !fresh->complete) {
			labelset_free(fresh); /* still no names: keep the one we have */
		} else if (atomic_compare_exchange_strong(&n->ls, &cur, fresh)) {
			/* Only an incomplete set is ever replaced, once. */
			if (cur)
				n->retired = cur;
			cur = fresh;
		} else {
			labelset_free(fresh); /* another scrape published first */
		}
	}
	*labels = &cur->labels;
	*info = &cur->info;
	return 0;
}

/* ---- the reaper: between scrapes, removed cgroups' files are closed */

/* The file to poll for n's removal: memory.stat when held (a live one polls
 * quiet once read), else any held file. */
static int probe_fd(struct cgroup_node *n)
{
	int fd = atomic_load(&n->fd[CGF_STAT]);
	for (int f = 0; fd < 0 && f < CGF_N; f++)
		fd = atomic_load(&n->fd[f]);
	return fd;
}

static void reap_once(struct cgroup_cache *c)
{
	pthread_mutex_lock(&c->lock);
	size_t cap = c->count, k = 0;
	struct pollfd *pfd = cap ? calloc(cap, sizeof(*pfd)) : NULL;
	struct cgroup_node **nodes = cap ? calloc(cap, sizeof(*nodes)) : NULL;
	if (pfd && nodes) {
		for (size_t i = 0; i < c->nbuckets; i++)
			for (struct cgroup_node *n = c->buckets[i]; n; n = n->next) {
				int fd = probe_fd(n);
				if (fd < 0 || k == cap)
					continue;
				n->refs++;
				nodes[k] = n;
				pfd[k].fd = fd;
				pfd[k].events = POLLPRI;
				k++;
			}
	}
	pthread_mutex_unlock(&c->lock);
	if (k && poll(pfd, k, 0) > 0) {
		for (size_t i = 0; i < k; i++) {
			char byte;
			/* kernfs: POLLERR for a removed file (and for a live one
			 * not read since its last change): pread tells them apart. */
			if ((pfd[i].revents & (POLLERR | POLLNVAL)) &&
			    pread(pfd[i].fd, &byte, 1, 0) < 0 && (errno == ENODEV || errno == ENOENT))
				node_drop(c, nodes[i]);
		}
	}
	if (k)
		cgroup_cache_release(c, nodes, k);
	free(pfd);
	free(nodes);
}

static void *reaper_main(void *arg)
{
	struct cgroup_cache *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += REAP_INTERVAL_S;
		pthread_cond_timedwait(&c->wake, &c->lock, &until);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->lock);
		reap_once(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- set-up */

static bool on_cgroupfs(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 &&
	       (sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC);
}

int cgroup_cache_new(const struct cgroup_scope *scope, unsigned max_open_flag,
		     unsigned max_connections, bool keep_always, struct cgroup_cache **out,
		     struct errmsg *e)
{
	struct cgroup_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->scope = scope;
	/* --web.max-connections 0 is the HTTP server's default, 1024 */
	long floor = (long)(max_connections ? max_connections : 1024) + CGROUP_CACHE_FD_MARGIN;
	if (floor < FD_SETSIZE)
		floor = FD_SETSIZE;
	c->fd_floor = (int)(floor < INT_MAX ? floor : INT_MAX);
	struct rlimit rl;
	long by_rlimit = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		by_rlimit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LONG_MAX
				? LONG_MAX - floor
				: (long)rl.rlim_cur - floor;
	c->max_open = (long)max_open_flag < by_rlimit ? (long)max_open_flag : by_rlimit;
	if (c->max_open < 0)
		c->max_open = 0;
	c->keep = keep_always || on_cgroupfs(scope->root.path);
	atomic_init(&c->files_open, 0);
	atomic_init(&c->uncached, 0);
	c->nbuckets = 256;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = c->buckets ? 0 : -ENOMEM;
	if (rc == 0)
		rc = -pthread_mutex_init(&c->lock, NULL);
	if (rc == 0 && (rc = -pthread_cond_init(&c->wake, &ca)) != 0)
		pthread_mutex_destroy(&c->lock);
	pthread_condattr_destroy(&ca);
	if (rc) {
		free(c->buckets);
		free(c);
		return rc;
	}
	if (c->keep && c->max_open > 0) {
		rc = -pthread_create(&c->reaper, NULL, reaper_main, c);
		if (rc) {
			errmsg_set(e, "cannot start the cgroup file reaper thread: %s", strerror(-rc));
			cgroup_cache_free(c);
			return rc;
		}
		c->reaper_started = true;
	}
	*out = c;
	return 0;
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	if (c->reaper_started) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->reaper, NULL);
	}
	struct cgroup_node *dead = NULL;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cgroup_node *n = c->buckets[i], *next;
		for (; n; n = next) {
			next = n->next;
			n->next = dead;
			dead = n;
		}
	}
	destroy_list(c, dead);
	free(c->buckets);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void cgroup_cache_get_stats(struct cgroup_cache *c, struct cgroup_cache_stats *st)
{
	st->keeps_files = c->keep;
	st->max_open = c->max_open;
	st->files_open = atomic_load(&c->files_open);
	st->uncached_reads = atomic_load(&c->uncached);
	pthread_mutex_lock(&c->lock);
	st->cgroups = c->count;
	pthread_mutex_unlock(&c->lock);
}
