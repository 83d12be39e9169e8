/* cgroup_scan: one scrape's walk over the cgroup cache, recorded as a list
 * of referenced nodes and replayed to each collector. Depth-first with
 * openat on directory fds; paths built in one buffer, capped at PATH_MAX.
 * It reads no cgroup file itself (the visitors do, through the nodes). */
#include "memacct/cgroup/cgroup_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cgroup_scan {
	const struct cgroup_scope *scope;
	struct cgroup_cache *cache;
	struct cgroup_cache *own_cache; /* when none was lent */
	bool walked;
	int walk_rc;
	struct errmsg walk_err;
	struct cgroup_walk_stats stats;
	int rootfd;
	uint64_t gen;
	struct cgroup_node **nodes; /* exported, referenced, in walk order */
	size_t n, cap;
	char path[PATH_MAX];
};

struct cgroup_scan *cgroup_scan_new(const struct cgroup_scope *scope, struct cgroup_cache *cache)
{
	struct cgroup_scan *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->scope = scope;
	s->rootfd = -1;
	if (!cache) {
		struct errmsg e;
		if (cgroup_cache_new(scope, 0, 0, false, &s->own_cache, &e)) {
			free(s);
			return NULL;
		}
		cache = s->own_cache;
	}
	s->cache = cache;
	return s;
}

void cgroup_scan_free(struct cgroup_scan *s)
{
	if (!s)
		return;
	cgroup_cache_release(s->cache, s->nodes, s->n);
	free(s->nodes);
	if (s->rootfd >= 0)
		close(s->rootfd);
	cgroup_cache_free(s->own_cache);
	free(s);
}

/* Keeps node (referenced) when exported, else lets it go. -ENOMEM. */
static int take(struct cgroup_scan *s, struct cgroup_node *node)
{
	const char *path = cgroup_node_path(node);
	if (!cgroup_node_level_on(node) || !cgroup_filter_match(&s->scope->filter, path)) {
		cgroup_cache_release(s->cache, &node, 1);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct cgroup_node **n = realloc(s->nodes, cap * sizeof(*n));
		if (!n) {
			cgroup_cache_release(s->cache, &node, 1);
			return -ENOMEM;
		}
		s->nodes = n;
		s->cap = cap;
	}
	s->nodes[s->n++] = node;
	return 0;
}

/* Lists the directory open at fd (owned: closed here) whose path is
 * s->path[0..len), at depth, and walks what is below it. */
static int walk_dir(struct cgroup_scan *s, int fd, size_t len, int depth)
{
	bool keep = cgroup_cache_keeps_files(s->cache);
	DIR *d = fdopendir(fd); /* takes ownership of fd */
	if (!d) {
		close(fd);
		s->stats.skipped++;
		return 0;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		struct stat st = {0};
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		/* kernfs: the link count says whether it has subdirectories */
		if ((keep || de->d_type == DT_UNKNOWN) &&
		    (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		size_t nlen = strlen(de->d_name);
		if (len + 1 + nlen >= sizeof(s->path)) {
			s->stats.too_long++;
			continue;
		}
		s->path[len] = '/';
		memcpy(s->path + len + 1, de->d_name, nlen + 1);
		struct cgroup_node *node = cgroup_cache_acquire(s->cache, s->path, len + 1 + nlen,
								depth + 1, keep ? st.st_ino : 0, s->gen);
		if (!node) {
			rc = -ENOMEM;
			break;
		}
		rc = take(s, node);
		int max = s->scope->filter.max_depth;
		if (rc == 0 && (max < 0 || depth + 1 < max) && !(keep && st.st_nlink == 2)) {
			int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cfd < 0)
				s->stats.skipped++; /* vanished or unreadable */
			else
				rc = walk_dir(s, cfd, len + 1 + nlen, depth + 1);
		}
		s->path[len] = '\0';
	}
	closedir(d);
	return rc;
}

static int walk(struct cgroup_scan *s)
{
	const char *root = s->scope->root.path;
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		int err = errno;
		errmsg_set(&s->walk_err, "cannot open cgroup root %s: %s", root, strerror(err));
		return -err;
	}
	struct stat st;
	if (fstat(s->rootfd, &st) != 0) {
		int err = errno;
		errmsg_set(&s->walk_err, "cannot stat cgroup root %s: %s", root, strerror(err));
		return -err;
	}
	bool keep = cgroup_cache_keeps_files(s->cache);
	s->gen = cgroup_cache_walk_begin(s->cache);
	struct cgroup_node *node = cgroup_cache_acquire(s->cache, "/", 1, 0, keep ? st.st_ino : 0,
							s->gen);
	if (!node)
		return -ENOMEM;
	int rc = take(s, node);
	if (rc == 0 && s->scope->filter.max_depth != 0 && !(keep && st.st_nlink == 2)) {
		int fd = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;
			errmsg_set(&s->walk_err, "cannot open cgroup root %s: %s", root,
				   strerror(err));
			return -err;
		}
		s->path[0] = '\0';
		rc = walk_dir(s, fd, 0, 0);
	}
	if (rc == 0) /* a whole walk: what it did not see is gone */
		cgroup_cache_sweep(s->cache, s->gen);
	return rc;
}

int cgroup_scan_visit(struct cgroup_scan *s, const struct cgroup_scope *scope, cgroup_scan_fn fn,
		      void *arg, struct cgroup_walk_stats *stats, struct errmsg *e)
{
	if (!s) {
		struct cgroup_scan *own = cgroup_scan_new(scope, NULL);
		if (!own)
			return -ENOMEM;
		int rc = cgroup_scan_visit(own, scope, fn, arg, stats, e);
		cgroup_scan_free(own);
		return rc;
	}
	if (!s->walked) {
		s->walked = true;
		s->walk_rc = walk(s);
	}
	if (stats)
		*stats = s->stats;
	if (s->walk_rc) {
		if (e && s->walk_err.msg[0])
			*e = s->walk_err;
		return s->walk_rc;
	}
	int rc = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		struct cgroup_dir d = {
		    .path = cgroup_node_path(s->nodes[i]),
		    .depth = cgroup_node_depth(s->nodes[i]),
		    .cache = s->cache,
		    .node = s->nodes[i],
		    .rootfd = s->rootfd,
		    .dirfd = -1,
		};
		rc = fn(arg, &d);
		cgroup_dir_done(&d);
	}
	return rc;
}
