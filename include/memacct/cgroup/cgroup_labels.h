/* cgroup_labels: the identity label set every per-cgroup series carries:
 * cgroup, level, and on Kubernetes paths uid and container_id, plus
 * namespace, pod and container from --path.podlogs when given; and the
 * label set of memacct_cgroup_info, which adds qos and runtime (they are on
 * no other series: join on cgroup). Shared by the cgroup and process
 * collectors so both label a cgroup identically. It reads nothing itself
 * (podlogs.c keeps its own listing). The README's "What it exports" is the
 * reference for these names. */
#ifndef MEMACCT_CGROUP_LABELS_H
#define MEMACCT_CGROUP_LABELS_H

#include "memacct/cgroup/cgroup_id.h"
#include "memacct/cgroup/podlogs.h"
#include "memacct/expo/expfmt.h"

/* How often a podlogs miss may re-list /var/log (a new id re-lists at once
 * when the folders' mtime changed). */
#define PODLOGS_REFRESH_S 30

/* Resets l and fills it for the cgroup at path whose identity is id (from
 * cgroup_id_parse(path)); pl may be NULL (no pod names). Returns l's first
 * error, else 1 when pl does not know the cgroup's pod (yet: a later call
 * may find it), else 0. */
int cgroup_labels_build(struct labels *l, const char *path, const struct cgroup_identity *id,
			struct podlogs *pl);

/* Resets info and fills it with base (cgroup_labels_build's) plus qos and
 * runtime where id has them. Returns info's first error. */
int cgroup_labels_info(struct labels *info, const struct labels *base,
		       const struct cgroup_identity *id);

#endif
