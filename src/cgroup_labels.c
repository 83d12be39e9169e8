/* cgroup_labels: builds the per-cgroup identity labels from the path alone
 * (cgroup_id.c does the Kubernetes parsing). It reads nothing. */
#include "memacct/cgroup_labels.h"

#include "memacct/cgroup_id.h"

int cgroup_labels_build(struct labels *l, const char *path)
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
	return mbuf_error(&l->buf);
}
