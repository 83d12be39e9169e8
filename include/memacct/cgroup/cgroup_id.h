/* cgroup_id: Kubernetes identity from a cgroup path alone (no API access).
 * Recognises both kubelet cgroup drivers:
 *   systemd:  /kubepods.slice/kubepods-burstable.slice/
 *             kubepods-burstable-pod<uid_with_underscores>.slice/
 *             cri-containerd-<id>.scope | crio-<id>.scope | docker-<id>.scope
 *   cgroupfs: /kubepods/burstable/pod<uid>/<id>
 * (guaranteed pods sit directly under kubepods). <uid> is a UUID, or for
 * static pods (kube-apiserver, etcd, ...) 32 hex digits without dashes,
 * exported as they are. It also says which level of the hierarchy the
 * cgroup is (root, kubepods, QoS, pod, container, other), so that a query
 * can pick one level and never add a cgroup to its ancestors. It does not
 * read anything; pod and namespace names come from --path.podlogs elsewhere. */
#ifndef MEMACCT_CGROUP_ID_H
#define MEMACCT_CGROUP_ID_H

#include <stdbool.h>

/* Where a cgroup sits, from its own (last) path component:
 *   ROOT       "/" itself
 *   KUBEPODS   the kubepods slice/dir: "kubepods.slice" ("<prefix>-kubepods.slice"),
 *              cgroupfs "kubepods"
 *   QOS        "kubepods-burstable.slice", "kubepods-besteffort.slice" (with
 *              the same prefix rule), cgroupfs "kubepods/burstable", "/besteffort"
 *   POD        the pod cgroup itself
 *   CONTAINER  the container's own cgroup: its component names the container
 *              (pause containers too; plain Docker's /docker/<id> and
 *              docker-<id>.scope too)
 *   OTHER      everything else: system.slice, CRI-O's conmon, sub-cgroups
 *              below a container, unrecognised cgroups below a pod */
enum cgroup_level {
	CGROUP_LEVEL_ROOT,
	CGROUP_LEVEL_KUBEPODS,
	CGROUP_LEVEL_QOS,
	CGROUP_LEVEL_POD,
	CGROUP_LEVEL_CONTAINER,
	CGROUP_LEVEL_OTHER,
	CGROUP_LEVEL_N
};

/* "root", "kubepods", "qos", "pod", "container", "other": the level label's
 * values and --collector.cgroup.levels' names, indexed by enum cgroup_level. */
extern const char *const cgroup_level_names[CGROUP_LEVEL_N];

struct cgroup_identity {
	char uid[37];		 /* pod UID with dashes (or a static pod's 32 hex), lower case;
				    "" if none */
	char container_id[65];	 /* 64 hex chars, lower case; "" if none */
	const char *qos;	 /* "guaranteed" | "burstable" | "besteffort" | NULL */
	const char *runtime;	 /* "containerd" | "crio" | "docker" | NULL */
	enum cgroup_level level;
};

/* Fills id from path (a cgroup path below the cgroupfs root, starting with
 * '/'); path and id are borrowed, nothing is allocated, no state is kept
 * (thread-safe). qos and runtime point at string literals; level is always
 * set (OTHER for a NULL path). Returns true when
 * a pod UID was found; then uid and qos are set, and container_id/runtime
 * too where the path names a container (or a sub-cgroup of one). When the
 * path is not a pod's, uid is "" and qos NULL, and every other field is
 * empty/NULL too except on plain Docker hosts ("/docker/<id>",
 * "docker-<id>.scope"), where container_id and runtime "docker" are still
 * set. Never fails on odd input (any bytes, any length, NULL path): an
 * unrecognised path is simply not a pod's. Details in src/cgroup/cgroup_id.c. */
bool cgroup_id_parse(const char *path, struct cgroup_identity *id);

#endif
