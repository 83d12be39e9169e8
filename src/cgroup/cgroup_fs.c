/* cgroup_fs: finds the memory cgroup root (libcgroup's mount discovery, or
 * --path.cgroupfs) and detects v1/v2 from the files present. The only file
 * that includes libcgroup. It does not walk or read memory files. */
#include "memacct/cgroup/cgroup_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool exists_at(int dirfd, const char *name)
{
	return faccessat(dirfd, name, F_OK, 0) == 0;
}

int cgroup_fs_detect_mode(int dirfd, enum cgroup_mode *mode)
{
	if (exists_at(dirfd, "memory.usage_in_bytes")) {
		*mode = CGROUP_V1;
		return 0;
	}
	if (exists_at(dirfd, "memory.current") ||
	    (exists_at(dirfd, "cgroup.controllers") && exists_at(dirfd, "memory.stat"))) {
		*mode = CGROUP_V2;
		return 0;
	}
	return -EINVAL;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	return mode == CGROUP_V1 ? "v1" : "v2";
}

/* The memory controller's mount point from libcgroup, or -ENOENT. */
static int discover(char *out, size_t n)
{
	char *mnt = NULL;
	if (cgroup_init() != 0)
		return -ENOENT;
	if (cgroup_get_subsys_mount_point("memory", &mnt) != 0 || !mnt)
		return -ENOENT;
	int rc = strlen(mnt) < n ? 0 : -ENAMETOOLONG;
	if (rc == 0)
		strcpy(out, mnt);
	free(mnt);
	return rc;
}

/* Below <sysfs>/fs/cgroup: the v1 memory hierarchy when there is one (v1 and
 * hybrid hosts), else the unified v2 root. */
static int under_sysfs(const char *sysfs, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/fs/cgroup/memory", sysfs);
	if (len < 0 || (size_t)len >= n)
		return -ENAMETOOLONG;
	int fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	enum cgroup_mode mode;
	bool v1 = fd >= 0 && cgroup_fs_detect_mode(fd, &mode) == 0 && mode == CGROUP_V1;
	if (fd >= 0)
		close(fd);
	if (!v1)
		out[len - strlen("/memory")] = '\0';
	return 0;
}

int cgroup_fs_root(const struct config *cfg, struct cgroup_root *root, struct errmsg *e)
{
	const char *flag = "--path.cgroupfs";
	char sysfs_flag[320]; /* "--path.sysfs=DIR (...)": where it looked */
	if (cfg->cgroupfs) {
		if (strlen(cfg->cgroupfs) >= sizeof(root->path)) {
			errmsg_set(e, "%s: path too long", flag);
			return -ENAMETOOLONG;
		}
		strcpy(root->path, cfg->cgroupfs);
	} else if (strcmp(cfg->sysfs, "/sys") != 0) {
		/* A host /sys mounted elsewhere: libcgroup would report this
		 * process's own mounts, not the host's. */
		if (under_sysfs(cfg->sysfs, root->path, sizeof(root->path))) {
			errmsg_set(e, "--path.sysfs: path too long");
			return -ENAMETOOLONG;
		}
		snprintf(sysfs_flag, sizeof(sysfs_flag),
			 "--path.sysfs=%s (no cgroup v1 memory hierarchy in fs/cgroup/memory below it)",
			 cfg->sysfs);
		flag = sysfs_flag;
	} else if (discover(root->path, sizeof(root->path)) == 0) {
		flag = "the memory cgroup mount found by libcgroup (set --path.cgroupfs)";
	} else {
		under_sysfs("/sys", root->path, sizeof(root->path));
		flag = "the default cgroup root (set --path.cgroupfs)";
	}
	int fd = open(root->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		errmsg_set(e, "%s: cannot open %s: %s", flag, root->path, strerror(err));
		return -err;
	}
	int rc = cgroup_fs_detect_mode(fd, &root->mode);
	close(fd);
	if (rc)
		errmsg_set(e,
			   "%s: %s is not a memory cgroup (no memory.usage_in_bytes, memory.current "
			   "or cgroup.controllers with memory.stat)",
			   flag, root->path);
	return rc;
}
