/* cgroup_labels: builds the per-cgroup identity labels from the path
 * (cgroup_id.c does the Kubernetes parsing) and, when a podlogs listing is
 * given, the pod's namespace, name and container. It reads nothing itself. */
#include "memacct/cgroup/cgroup_labels.h"

#include <errno.h>

#include "memacct/cgroup/cgroup_id.h"

int cgroup_labels_build(struct labels *l, const char *path, struct podlogs *pl)
{
	struct cgroup_identity id;
	labels_reset(l);
	labels_add(l, "cgroup", path);
	cgroup_id_parse(path, &id);
	if (id.uid[0])
		labels_add(l, "uid", id.uid);
	if (id.container_id[0])
		labels_add(l, "container_id", id.container_id);
	if (id.qos)
		labels_add(l, "qos", id.qos);
	if (id.runtime)
		labels_add(l, "runtime", id.runtime);
	struct podlogs_names names;
	int rc = -ENOENT;
	if (pl && id.container_id[0])
		rc = podlogs_lookup(pl, id.container_id, &names);
	else if (pl && id.uid[0])
		rc = podlogs_lookup_pod(pl, id.uid, &names);
	if (rc == 0) {
		labels_add(l, "namespace", names.namespace_);
		labels_add(l, "pod", names.pod);
		if (names.container[0])
			labels_add(l, "container", names.container);
	}
	return mbuf_error(&l->buf);
}
