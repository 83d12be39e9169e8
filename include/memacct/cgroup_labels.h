/* cgroup_labels: the identity label set every per-cgroup series carries:
 * cgroup, and on Kubernetes paths uid, container_id, qos, runtime (SPEC
 * section 3). Shared by the cgroup and process collectors so both label a
 * cgroup identically. It reads nothing. */
#ifndef MEMACCT_CGROUP_LABELS_H
#define MEMACCT_CGROUP_LABELS_H

#include "memacct/expfmt.h"

/* Resets l and fills it for path. Returns l's first error. */
int cgroup_labels_build(struct labels *l, const char *path);

#endif
