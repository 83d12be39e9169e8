/* cgroup_fs: where the memory cgroups are and which version they speak.
 * The only module that includes libcgroup, and only for mount discovery at
 * start-up; the per-scrape walk (cgroup_walk.h) reads raw with openat.
 * A plain directory tree (a fixture, a host mount under /host) works exactly
 * like a mounted cgroupfs: the mode is detected from the files present. */
#ifndef MEMACCT_CGROUP_FS_H
#define MEMACCT_CGROUP_FS_H

#include <stddef.h>

#include "memacct/util/errmsg.h"
#include "memacct/cli/flags.h"

enum cgroup_mode { CGROUP_V1 = 1, CGROUP_V2 = 2 };

struct cgroup_root {
	char path[4096];
	enum cgroup_mode mode;
};

/* --path.cgroupfs when given, else the memory controller's mount from
 * libcgroup (v1 or v2 on v1, v2 and hybrid hosts), else /sys/fs/cgroup.
 * Then opens it and detects the mode. -ENOENT/-EACCES/-ENOTDIR/-EINVAL with
 * e naming the path and the flag. */
int cgroup_fs_root(const struct config *cfg, struct cgroup_root *root, struct errmsg *e);

/* Mode of the cgroup directory open at dirfd: v2 when cgroup.controllers or
 * memory.current is there, v1 when memory.usage_in_bytes is; -EINVAL when
 * neither (not a memory cgroup). */
int cgroup_fs_detect_mode(int dirfd, enum cgroup_mode *mode);

const char *cgroup_mode_name(enum cgroup_mode mode);

#endif
