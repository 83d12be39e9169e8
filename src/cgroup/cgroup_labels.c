/* cgroup_labels: builds the per-cgroup identity labels from the identity
 * cgroup_id.c parsed from the path and, when a podlogs listing is given, the
 * pod's namespace, name and container; and memacct_cgroup_info's labels. It
 * reads nothing itself. */
#include "memacct/cgroup/cgroup_labels.h"

#include <errno.h>

int cgroup_labels_build(struct labels *l, const char *path, const struct cgroup_identity *id,
			struct podlogs *pl)
{
	labels_reset(l);
	labels_add(l, "cgroup", path);
	labels_add(l, "level", cgroup_level_names[id->level]);
	if (id->uid[0])
		labels_add(l, "uid", id->uid);
	if (id->container_id[0])
		labels_add(l, "container_id", id->container_id);
	struct podlogs_names names;
	int rc = -ENOENT;
	if (pl && id->container_id[0])
		rc = podlogs_lookup(pl, id->container_id, &names);
	else if (pl && id->uid[0])
		rc = podlogs_lookup_pod(pl, id->uid, &names);
	if (rc == 0) {
		labels_add(l, "namespace", names.namespace_);
		labels_add(l, "pod", names.pod);
		if (names.container[0])
			labels_add(l, "container", names.container);
	}
	if (mbuf_error(&l->buf))
		return mbuf_error(&l->buf);
	return pl && (id->container_id[0] || id->uid[0]) && rc != 0;
}

int cgroup_labels_info(struct labels *info, const struct labels *base,
		       const struct cgroup_identity *id)
{
	labels_reset(info);
	mbuf_add(&info->buf, base->buf.data, base->buf.len);
	if (id->qos)
		labels_add(info, "qos", id->qos);
	if (id->runtime)
		labels_add(info, "runtime", id->runtime);
	return mbuf_error(&info->buf);
}
