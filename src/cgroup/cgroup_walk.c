/* cgroup_walk: depth-first walk of a cgroup tree on directory fds (openat,
 * fdopendir), with the include/exclude/max-depth filter. It reads no cgroup
 * file itself. Paths are built in one growing buffer, capped at PATH_MAX. */
#include "memacct/cgroup/cgroup_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "memacct/util/mbuf.h"

int cgroup_filter_init(struct cgroup_filter *f, const struct config *cfg, struct errmsg *e)
{
	f->max_depth = cfg->cgroup_max_depth;
	return name_filter_init(&f->names, cfg->cgroup_include, "--collector.cgroup.include",
				cfg->cgroup_exclude, "--collector.cgroup.exclude", e);
}

void cgroup_filter_fini(struct cgroup_filter *f)
{
	name_filter_fini(&f->names);
}

bool cgroup_filter_match(const struct cgroup_filter *f, const char *path)
{
	return name_filter_match(&f->names, path);
}

struct walk_entry {
	size_t off; /* of the path's NUL-terminated text in names */
	int depth;
};

struct cgroup_walk_cache {
	char root[PATH_MAX];
	int max_depth;
	bool complete; /* a whole walk was recorded: replay instead of walking */
	unsigned long too_long; /* the recorded walk's */
	struct mbuf names;
	struct walk_entry *entries;
	size_t n, cap;
};

struct walk {
	const struct cgroup_filter *f;
	cgroup_visit_fn fn;
	void *arg;
	struct cgroup_walk_stats stats;
	struct cgroup_walk_cache *rec; /* NULL: not recording */
	char path[PATH_MAX];
};

struct cgroup_walk_cache *cgroup_walk_cache_new(void)
{
	struct cgroup_walk_cache *c = calloc(1, sizeof(*c));
	if (c)
		mbuf_init(&c->names, 64 << 20);
	return c;
}

void cgroup_walk_cache_free(struct cgroup_walk_cache *c)
{
	if (!c)
		return;
	mbuf_free(&c->names);
	free(c->entries);
	free(c);
}

/* Records one directory; on any failure recording stops (the walk goes on,
 * the next caller walks again). */
static void record(struct walk *w, size_t len, int depth)
{
	struct cgroup_walk_cache *c = w->rec;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct walk_entry *e = realloc(c->entries, cap * sizeof(*e));
		if (!e) {
			w->rec = NULL;
			return;
		}
		c->entries = e;
		c->cap = cap;
	}
	size_t off = c->names.len;
	mbuf_add(&c->names, w->path, len);
	if (mbuf_addc(&c->names, '\0')) {
		w->rec = NULL;
		return;
	}
	c->entries[c->n].off = off;
	c->entries[c->n].depth = depth;
	c->n++;
}

/* Visits the directory open at fd (owned: closed here) whose path is
 * w->path[0..len). */
static int walk_dir(struct walk *w, int fd, size_t len, int depth)
{
	int rc = 0;
	if (w->rec)
		record(w, len, depth);
	if (cgroup_filter_match(w->f, len ? w->path : "/")) {
		rc = w->fn(w->arg, fd, len ? w->path : "/", depth);
		if (rc) {
			close(fd);
			return rc;
		}
	}
	if (w->f->max_depth >= 0 && depth >= w->f->max_depth) {
		close(fd);
		return 0;
	}
	DIR *d = fdopendir(fd); /* takes ownership of fd */
	if (!d) {
		close(fd);
		w->stats.skipped++;
		return 0;
	}
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (de->d_type != DT_DIR) {
			struct stat st;
			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISDIR(st.st_mode))
				continue;
		}
		size_t nlen = strlen(de->d_name);
		if (len + 1 + nlen >= sizeof(w->path)) {
			w->stats.too_long++;
			continue;
		}
		int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0) {
			w->stats.skipped++; /* vanished or unreadable */
			continue;
		}
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, nlen + 1);
		rc = walk_dir(w, cfd, len + 1 + nlen, depth + 1);
		w->path[len] = '\0';
	}
	closedir(d);
	return rc;
}

static int walk_root(const char *root_path, const struct cgroup_filter *f, cgroup_visit_fn fn,
		     void *arg, struct cgroup_walk_cache *rec, struct cgroup_walk_stats *stats,
		     struct errmsg *e)
{
	struct walk w = {.f = f, .fn = fn, .arg = arg, .rec = rec};
	int fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		errmsg_set(e, "cannot open cgroup root %s: %s", root_path, strerror(err));
		return -err;
	}
	w.path[0] = '\0';
	int rc = walk_dir(&w, fd, 0, 0);
	if (rec) {
		rec->complete = rc == 0 && w.rec != NULL;
		rec->too_long = w.stats.too_long;
	}
	if (stats)
		*stats = w.stats;
	return rc;
}

int cgroup_walk(const char *root_path, const struct cgroup_filter *f, cgroup_visit_fn fn,
		void *arg, unsigned long *skipped, struct errmsg *e)
{
	struct cgroup_walk_stats stats;
	int rc = walk_root(root_path, f, fn, arg, NULL, &stats, e);
	if (skipped)
		*skipped = stats.skipped + stats.too_long;
	return rc;
}

/* Replays a recorded walk: each directory re-opened from the root. */
static int replay(const struct cgroup_walk_cache *c, const struct cgroup_filter *f,
		  cgroup_visit_fn fn, void *arg, struct cgroup_walk_stats *stats, struct errmsg *e)
{
	unsigned long missed = 0;
	int rc = 0;
	int rootfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		int err = errno;
		errmsg_set(e, "cannot open cgroup root %s: %s", c->root, strerror(err));
		return -err;
	}
	for (size_t i = 0; i < c->n && rc == 0; i++) {
		const char *path = c->names.data + c->entries[i].off;
		const char *shown = path[0] ? path : "/";
		if (!cgroup_filter_match(f, shown))
			continue;
		int fd = openat(rootfd, path[0] ? path + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			missed++; /* vanished since the walk */
			continue;
		}
		rc = fn(arg, fd, shown, c->entries[i].depth);
		close(fd);
	}
	close(rootfd);
	if (stats) {
		stats->skipped = missed;
		stats->too_long = c->too_long;
	}
	return rc;
}

int cgroup_walk_cached(struct cgroup_walk_cache *c, const char *root_path,
		       const struct cgroup_filter *f, cgroup_visit_fn fn, void *arg,
		       struct cgroup_walk_stats *stats, struct errmsg *e)
{
	if (!c)
		return walk_root(root_path, f, fn, arg, NULL, stats, e);
	if (c->complete && c->max_depth == f->max_depth && strcmp(c->root, root_path) == 0)
		return replay(c, f, fn, arg, stats, e);
	if (strlen(root_path) >= sizeof(c->root))
		return walk_root(root_path, f, fn, arg, NULL, stats, e);
	strcpy(c->root, root_path);
	c->max_depth = f->max_depth;
	c->complete = false;
	c->n = 0;
	mbuf_reset(&c->names);
	return walk_root(root_path, f, fn, arg, c, stats, e);
}
