/* cgroup_labels: the identity label set every per-cgroup series carries:
 * cgroup, and on Kubernetes paths uid, container_id, qos, runtime (SPEC
 * section 3), plus namespace, pod and container from --path.podlogs when
 * given. Shared by the cgroup and process collectors so both label a cgroup
 * identically. It reads nothing itself (podlogs.c keeps its own listing). */
#ifndef MEMACCT_CGROUP_LABELS_H
#define MEMACCT_CGROUP_LABELS_H

#include "memacct/expo/expfmt.h"
#include "memacct/cgroup/podlogs.h"

/* How often a podlogs miss may re-list /var/log (a new id re-lists at once
 * when the folders' mtime changed). */
#define PODLOGS_REFRESH_S 30

/* Resets l and fills it for path; pl may be NULL (no pod names). Returns
 * l's first error. */
int cgroup_labels_build(struct labels *l, const char *path, struct podlogs *pl);

#endif
