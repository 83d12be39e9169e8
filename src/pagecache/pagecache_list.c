/* pagecache_list: one process's regular files, from /proc/PID/fd (each link
 * stat()ed, never opened) and /proc/PID/maps (file-backed mappings, stat()ed
 * through /proc/PID/map_files or, where that is refused, through
 * /proc/PID/root), into a pagecache_set. A process that exits or refuses
 * access is counted, never fatal. It does not walk cgroups or measure. */
#include "memacct/pagecache/pagecache_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/util/parse.h"

/* Lines of /proc/PID/maps are at most ~100 bytes plus a path. */
#define MAPS_BUF_BYTES (64 * 1024)

bool pagecache_strip_deleted(char *path, uint64_t nlink)
{
	static const char suffix[] = " (deleted)";
	size_t n = strlen(path), k = sizeof(suffix) - 1;
	if (nlink != 0 || n < k || strcmp(path + n - k, suffix) != 0)
		return false;
	path[n - k] = '\0';
	return true;
}

static bool is_gone(int err)
{
	return err == ENOENT || err == ESRCH;
}

static bool is_denied(int err)
{
	return err == EACCES || err == EPERM;
}

/* Finds or adds the regular file st, named path (the " (deleted)" suffix
 * is stripped here). NULL with *rc 0 when dropped past the cap, -ENOMEM. */
static struct pagecache_file *add_file(struct pagecache_set *s, const struct stat *st, char *path,
				       int *rc)
{
	struct pagecache_file *f;
	bool added;
	bool deleted = pagecache_strip_deleted(path, (uint64_t)st->st_nlink);
	*rc = pagecache_set_add(s, (uint64_t)st->st_dev, (uint64_t)st->st_ino,
				(uint64_t)st->st_size, path, &f, &added);
	if (*rc == -ENOSPC)
		*rc = 0;
	if (*rc)
		return NULL;
	if (added)
		f->deleted = deleted;
	return f;
}

static int parse_fd_name(const char *name, int *fd)
{
	uint64_t v;
	const char *p = name;
	if (parse_u64(&p, &v) || *p || v > INT_MAX)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

/* One /proc/PID/fd entry. Returns 0 or -ENOMEM. */
static int list_one_fd(struct pagecache_set *s, int fddir, const char *name, int pid)
{
	int fd;
	struct stat st;
	if (parse_fd_name(name, &fd))
		return 0;
	if (fstatat(fddir, name, &st, 0) != 0) {
		if (!is_gone(errno)) /* a closed fd is churn, not an error */
			s->list.unreadable++;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		s->list.special++;
		return 0;
	}
	struct pagecache_file *f = pagecache_set_find(s, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (!f) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(fddir, name, target, sizeof(target) - 1);
		if (n < 0)
			n = 0;
		target[n] = '\0';
		int rc;
		f = add_file(s, &st, target, &rc);
		if (!f)
			return rc;
	}
	f->open_fd = true;
	if (f->fd < 0) {
		f->pid = pid;
		f->fd = fd;
	}
	return 0;
}

/* /proc/PID/fd. 0, -ENOENT (gone), -EACCES (denied), -ENOMEM. */
static int list_fds(struct pagecache_set *s, int piddir, int pid)
{
	int fddir = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0)
		return is_gone(errno) ? -ENOENT : is_denied(errno) ? -EACCES : -errno;
	DIR *d = fdopendir(fddir); /* owns fddir */
	if (!d) {
		int err = errno;
		close(fddir);
		return -err;
	}
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d)) != NULL) {
		if (pagecache_deadline_passed(s->limits.deadline_ns)) {
			s->list.cut_short = true;
			break;
		}
		rc = list_one_fd(s, dirfd(d), de->d_name, pid);
	}
	closedir(d);
	return rc;
}

/* stat of a mapped file: through map_files (which needs CAP_SYS_ADMIN),
 * else by its path inside the process's root, accepted only when it is
 * still the inode the mapping names. -ENOENT when the mapping is gone. */
static int stat_mapping(int piddir, const struct pagecache_maps_line *m, const char *range,
			const char *path, struct stat *st)
{
	char name[16 + PATH_MAX];
	snprintf(name, sizeof(name), "map_files/%s", range);
	if (fstatat(piddir, name, st, 0) == 0)
		return 0;
	int err = errno;
	if (is_gone(err))
		return -ENOENT;
	if (snprintf(name, sizeof(name), "root%s", path) >= (int)sizeof(name) ||
	    fstatat(piddir, name, st, 0) != 0 || (uint64_t)st->st_ino != m->ino)
		return -err;
	return 0;
}

/* One maps line. prev_* skip the consecutive mappings of one file. */
static int list_one_mapping(struct pagecache_set *s, int piddir, int pid, char *line,
			    uint64_t *prev_dev, uint64_t *prev_ino)
{
	struct pagecache_maps_line m;
	if (pagecache_maps_parse_line(line, &m) != 0) {
		s->list.unreadable++;
		return 0;
	}
	if (m.ino == 0 || (m.dev == *prev_dev && m.ino == *prev_ino))
		return 0;
	*prev_dev = m.dev;
	*prev_ino = m.ino;
	if (m.path[0] != '/') { /* anon_inode:..., a file not named by a path */
		s->list.special++;
		return 0;
	}
	char range[40];
	size_t rlen = (size_t)(m.range_end - line);
	if (rlen >= sizeof(range)) {
		s->list.unreadable++;
		return 0;
	}
	memcpy(range, line, rlen);
	range[rlen] = '\0';

	struct pagecache_file *f = pagecache_set_find(s, m.dev, m.ino);
	if (!f) {
		struct stat st;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s", m.path);
		int rc = stat_mapping(piddir, &m, range, path, &st);
		if (rc) {
			s->list.unreadable += !is_gone(-rc);
			return 0;
		}
		if (!S_ISREG(st.st_mode)) {
			s->list.special++;
			return 0;
		}
		f = add_file(s, &st, path, &rc);
		if (!f)
			return rc;
	}
	f->mapped = true;
	if (!f->map_pid) {
		f->map_pid = pid;
		memcpy(f->map_range, range, rlen + 1);
	}
	return 0;
}

/* /proc/PID/maps, read in chunks so a process with many mappings costs no
 * more memory than one buffer. 0, -ENOENT, -EACCES, -ENOMEM. */
static int list_maps(struct pagecache_set *s, int piddir, int pid)
{
	int fd = openat(piddir, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return is_gone(errno) ? -ENOENT : is_denied(errno) ? -EACCES : -errno;
	char *buf = malloc(MAPS_BUF_BYTES);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	uint64_t prev_dev = 0, prev_ino = 0;
	size_t len = 0;
	bool skipping = false; /* inside a line longer than the buffer */
	int rc = 0;
	ssize_t n;
	while (!rc && (n = read(fd, buf + len, MAPS_BUF_BYTES - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		char *line = buf, *nl;
		while (!rc && (nl = memchr(line, '\n', len - (size_t)(line - buf))) != NULL) {
			*nl = '\0';
			if (!skipping)
				rc = list_one_mapping(s, piddir, pid, line, &prev_dev, &prev_ino);
			skipping = false;
			line = nl + 1;
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == MAPS_BUF_BYTES - 1) { /* no newline in a full buffer */
			s->list.unreadable++;
			skipping = true;
			len = 0;
		}
		if (pagecache_deadline_passed(s->limits.deadline_ns)) {
			s->list.cut_short = true;
			break;
		}
	}
	if (!rc && n < 0)
		rc = is_gone(errno) ? -ENOENT : is_denied(errno) ? -EACCES : -errno;
	free(buf);
	close(fd);
	return rc;
}

int pagecache_list_pid(struct pagecache_set *s, int procfd, int pid)
{
	if (pid <= 0)
		return -EINVAL;
	if (pagecache_deadline_passed(s->limits.deadline_ns)) {
		s->list.cut_short = true;
		return 0;
	}
	char name[16];
	snprintf(name, sizeof(name), "%d", pid);
	int piddir = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0) {
		if (is_gone(errno)) {
			s->list.vanished++;
			return -ENOENT;
		}
		s->list.unreadable++;
		return -errno;
	}
	int rc_fds = list_fds(s, piddir, pid);
	int rc_maps = rc_fds == -ENOMEM ? 0 : list_maps(s, piddir, pid);
	close(piddir);
	if (rc_fds == -ENOMEM || rc_maps == -ENOMEM)
		return -ENOMEM;
	if (rc_fds == -ENOENT || rc_maps == -ENOENT) {
		s->list.vanished++;
		return -ENOENT;
	}
	if (rc_fds == -EACCES || rc_maps == -EACCES) {
		pagecache_set_note_denied(s, pid);
		return -EACCES;
	}
	if (rc_fds || rc_maps) {
		s->list.unreadable++;
		return rc_fds ? rc_fds : rc_maps;
	}
	s->list.processes++;
	return 0;
}
