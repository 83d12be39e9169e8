/* pagecache_under: every regular file below a directory (--files-under: a
 * JetStream store, a database's data directory), walked with openat on
 * directory fds and fstatat(AT_SYMLINK_NOFOLLOW): symlinks are not followed
 * and nothing is opened. Bounded by the set's depth, file cap and deadline.
 * It does not measure. */
#include "memacct/pagecache/pagecache_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Walks the directory open at dfd (owned: closed here). path holds its
 * path (plen bytes) and is restored on return. */
static int walk_dir(struct pagecache_set *s, int dfd, char *path, size_t plen, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		int err = errno;
		close(dfd);
		return -err;
	}
	dfd = dirfd(d);
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (pagecache_deadline_passed(s->limits.deadline_ns)) {
			s->list.cut_short = true;
			break;
		}
		int n = snprintf(path + plen, PATH_MAX - plen, "/%s", de->d_name);
		if (n < 0 || (size_t)n >= PATH_MAX - plen) {
			s->list.unreadable++;
			continue;
		}
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			s->list.unreadable += errno != ENOENT;
		} else if (S_ISREG(st.st_mode)) {
			struct pagecache_file *f;
			bool added;
			rc = pagecache_set_add(s, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
					       (uint64_t)st.st_size, path, &f, &added);
			if (rc == -ENOSPC)
				rc = 0;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < s->limits.max_depth) {
				int sub = openat(dfd, de->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub < 0) {
					s->list.unreadable += errno != ENOENT;
				} else {
					int src =
					    walk_dir(s, sub, path, plen + (size_t)n, depth + 1);
					if (src == -ENOMEM)
						rc = src;
					else if (src)
						s->list.unreadable++;
				}
			}
		} else {
			s->list.special++; /* symlinks, FIFOs, sockets, devices */
		}
		path[plen] = '\0';
	}
	closedir(d);
	return rc;
}

int pagecache_list_under(struct pagecache_set *s, const char *dir)
{
	char path[PATH_MAX];
	size_t plen = strlen(dir);
	if (plen >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, plen + 1);
	while (plen > 1 && path[plen - 1] == '/')
		path[--plen] = '\0';
	if (plen == 1 && path[0] == '/')
		path[--plen] = '\0'; /* "/" + "/name" */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	return walk_dir(s, dfd, path, plen, 0);
}
