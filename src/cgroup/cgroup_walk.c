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

struct walk {
	const struct cgroup_filter *f;
	cgroup_visit_fn fn;
	void *arg;
	unsigned long skipped;
	char path[PATH_MAX];
};

/* Visits the directory open at fd (owned: closed here) whose path is
 * w->path[0..len). */
static int walk_dir(struct walk *w, int fd, size_t len, int depth)
{
	int rc = 0;
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
		w->skipped++;
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
			w->skipped++;
			continue;
		}
		int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0) {
			w->skipped++; /* vanished or unreadable */
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

int cgroup_walk(const char *root_path, const struct cgroup_filter *f, cgroup_visit_fn fn,
		void *arg, unsigned long *skipped, struct errmsg *e)
{
	struct walk w = {.f = f, .fn = fn, .arg = arg};
	int fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		errmsg_set(e, "cannot open cgroup root %s: %s", root_path, strerror(err));
		return -err;
	}
	w.path[0] = '\0';
	int rc = walk_dir(&w, fd, 0, 0);
	if (skipped)
		*skipped = w.skipped;
	return rc;
}
