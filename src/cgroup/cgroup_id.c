/* cgroup_id: the Kubernetes identity (pod UID, container id, QoS class,
 * runtime) of a cgroup, read from its path alone. It walks the path one
 * '/'-separated component at a time with pointer arithmetic; it never reads
 * past the terminating NUL, never allocates, keeps no state and is safe to
 * call from any thread. It does not touch the filesystem, the Kubernetes API
 * or pod logs (namespace and pod names come from --path.podlogs elsewhere).
 *
 * What is recognised (cgroup v1 and v2 paths look the same):
 *
 *   pod, systemd driver:   <...>kubepods[-burstable|-besteffort]-pod<uid>.slice
 *                          where <uid> is 8_4_4_4_12 lowercase hex; the part
 *                          before "-pod" names the QoS class ("kubepods" alone
 *                          = guaranteed) and may carry a prefix slice such as
 *                          kind's "kubelet-kubepods-...".
 *   pod, cgroupfs driver:  kubepods/pod<uid>                  guaranteed
 *                          kubepods/burstable/pod<uid>        burstable
 *                          kubepods/besteffort/pod<uid>       besteffort
 *                          where <uid> is 8-4-4-4-12 lowercase hex.
 *   container, the direct child of the pod component:
 *                          cri-containerd-<id>.scope          containerd
 *                          crio-<id>.scope                    crio
 *                          docker-<id>.scope                  docker
 *                          crio-<id>, crio-conmon-<id>        crio (CRI-O's own
 *                                                             cgroupfs manager
 *                                                             names them so)
 *                          <id>                               runtime NULL: the
 *                                                             cgroupfs driver does
 *                                                             not say which
 *                          where <id> is exactly 64 lowercase hex; ".scope"
 *                          is optional on the named forms.
 *   crio-conmon-<id>[.scope] is CRI-O's monitor process, not the container:
 *   it gets runtime "crio" and container_id "" so its memory is never added
 *   to the container's.
 *
 * The pod may sit anywhere in the path (below kind's node container, k3s, a
 * capture root). If several pod components appear (a cluster nested inside a
 * pod), the last one wins: its cgroups are the innermost accounting unit.
 * Everything below the container component (init.scope, systemd running in
 * the container, ...) keeps that container's identity; a component below the
 * pod that is not a container (or is nested deeper) leaves container_id "".
 *
 * Decision for paths outside any pod: plain Docker hosts are recognised, so
 * "/system.slice/docker-<id>.scope" and "/docker/<id>" (and anything below
 * them) give container_id <id>, runtime "docker", uid "" and qos NULL, and
 * the function returns false (no pod). No other runtime is recognised
 * outside a pod: cri-containerd-/crio- scopes only exist for pods, so one
 * outside a recognised pod means a malformed pod component and stays empty.
 *
 * Formats: kubelet's cgroup naming (pkg/kubelet/cm/cgroup_manager_linux.go:
 * the systemd driver writes '-' in a UID as '_' because '-' nests slices,
 * systemd.slice(5)), CRI-O's internal/config/cgmgr, containerd's and Docker's
 * systemd scopes; paths as in Documentation/admin-guide/cgroup-v2.rst.
 *
 * Anything malformed (short or uppercase UID, 63 or 65 hex digits, trailing
 * bytes after ".slice"/".scope", wrong separators) is simply not recognised;
 * the fields it would have filled stay empty. Empty components ("//") are
 * skipped and a missing leading '/' is tolerated.
 *
 * The level (cgroup_id.h) is that of the last component: the pod component
 * is "pod", a component that named a container (not conmon) is "container",
 * a kubepods or QoS slice/dir is "kubepods" or "qos" wherever it sits (kind's
 * "kubelet-kubepods.slice", a node container's "/docker/<id>/kubepods"), no
 * component at all is "root", anything else "other". A cluster nested in a
 * pod's container therefore shows its own levels below that container. */
#include "memacct/cgroup/cgroup_id.h"

#include <stddef.h>
#include <string.h>

#define UID_LEN 36
/* Static pods (kube-apiserver, etcd, ...): kubelet names them by a 32-hex
 * hash of their manifest, without dashes. */
#define STATIC_UID_LEN 32
#define CONTAINER_ID_LEN 64

const char *const cgroup_level_names[CGROUP_LEVEL_N] = {
    [CGROUP_LEVEL_ROOT] = "root",	    [CGROUP_LEVEL_KUBEPODS] = "kubepods",
    [CGROUP_LEVEL_QOS] = "qos",		    [CGROUP_LEVEL_POD] = "pod",
    [CGROUP_LEVEL_CONTAINER] = "container", [CGROUP_LEVEL_OTHER] = "other",
};

/* One path component: n bytes at s, no '/' and no NUL inside. */
struct span {
	const char *s;
	size_t n;
};

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

static bool span_eq(struct span c, const char *lit)
{
	size_t n = strlen(lit);
	return c.n == n && memcmp(c.s, lit, n) == 0;
}

/* If c starts with lit, drops it from c and returns true. */
static bool span_eat_prefix(struct span *c, const char *lit)
{
	size_t n = strlen(lit);
	if (c->n < n || memcmp(c->s, lit, n) != 0)
		return false;
	c->s += n;
	c->n -= n;
	return true;
}

/* If c ends with lit, drops it from c and returns true. */
static bool span_eat_suffix(struct span *c, const char *lit)
{
	size_t n = strlen(lit);
	if (c->n < n || memcmp(c->s + c->n - n, lit, n) != 0)
		return false;
	c->n -= n;
	return true;
}

/* Whether c is the systemd unit tail, alone or after a whole parent slice
 * ("<prefix>-<tail>"): systemd's '-' nests slices, so kind's
 * "kubelet-kubepods.slice" is a kubepods slice and "xkubepods.slice" is not. */
static bool is_unit(struct span c, const char *tail)
{
	return span_eat_suffix(&c, tail) && (c.n == 0 || c.s[c.n - 1] == '-');
}

/* Advances *p over one component and returns it; *p is left on the '/' or
 * NUL that ended it. Reads nothing past the NUL. */
static struct span next_component(const char **p)
{
	struct span c = {*p, 0};
	while (**p != '\0' && **p != '/')
		(*p)++;
	c.n = (size_t)(*p - c.s);
	return c;
}

/* A pod UID as 36 bytes with sep at 8, 13, 18 and 23 and lowercase hex
 * elsewhere; out gets it with dashes, NUL-terminated. */
static bool parse_uid(struct span c, char sep, char out[UID_LEN + 1])
{
	if (c.n != UID_LEN)
		return false;
	for (size_t i = 0; i < UID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? c.s[i] != sep : !is_lower_hex(c.s[i]))
			return false;
		out[i] = dash ? '-' : c.s[i];
	}
	out[UID_LEN] = '\0';
	return true;
}

/* A pod UID of either form at the end of c: 36 bytes with sep (a UUID) or
 * 32 lowercase hex (a static pod's hash, kept as it is: it is also the UID in
 * kubelet's /var/log/pods names). Drops it from c; out gets the UID. */
static bool eat_uid_suffix(struct span *c, char sep, char out[UID_LEN + 1])
{
	if (c->n >= UID_LEN && parse_uid((struct span){c->s + c->n - UID_LEN, UID_LEN}, sep, out)) {
		c->n -= UID_LEN;
		return true;
	}
	if (c->n >= STATIC_UID_LEN && all_lower_hex(c->s + c->n - STATIC_UID_LEN, STATIC_UID_LEN)) {
		memcpy(out, c->s + c->n - STATIC_UID_LEN, STATIC_UID_LEN);
		out[STATIC_UID_LEN] = '\0';
		c->n -= STATIC_UID_LEN;
		return true;
	}
	return false;
}

/* systemd driver: "[<prefix>-]kubepods[-<qos>]-pod<uid_>.slice". systemd
 * encodes the slice hierarchy in the name ('-' = one level down), so the
 * component alone says where the pod sits. */
static bool parse_pod_systemd(struct span c, const char **qos, char uid[UID_LEN + 1])
{
	static const struct {
		const char *tail;
		const char *qos;
	} kinds[] = {
	    {"kubepods-burstable-pod", "burstable"},
	    {"kubepods-besteffort-pod", "besteffort"},
	    {"kubepods-pod", "guaranteed"},
	};
	if (!span_eat_suffix(&c, ".slice") || !eat_uid_suffix(&c, '_', uid))
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (is_unit(c, kinds[i].tail)) {
			*qos = kinds[i].qos;
			return true;
		}
	}
	return false;
}

/* cgroupfs driver: "pod<uid>" directly below "kubepods" (guaranteed) or below
 * "kubepods/burstable" or "kubepods/besteffort". */
static bool parse_pod_cgroupfs(struct span c, struct span parent, struct span grandparent,
			       const char **qos, char uid[UID_LEN + 1])
{
	if (!span_eat_prefix(&c, "pod") || !eat_uid_suffix(&c, '-', uid) || c.n != 0)
		return false;
	if (span_eq(parent, "kubepods")) {
		*qos = "guaranteed";
		return true;
	}
	if (!span_eq(grandparent, "kubepods"))
		return false;
	if (span_eq(parent, "burstable")) {
		*qos = "burstable";
		return true;
	}
	if (span_eq(parent, "besteffort")) {
		*qos = "besteffort";
		return true;
	}
	return false;
}

/* Fills cid (64 hex + NUL, or "" for conmon) and *runtime from a runtime-named
 * component: "<prefix><id>" with an optional ".scope". The conmon prefix is
 * tried before the plain "crio-" one, which it would otherwise shadow. */
static bool parse_container_named(struct span c, char cid[CONTAINER_ID_LEN + 1],
				  const char **runtime)
{
	static const struct {
		const char *prefix;
		const char *runtime;
		bool is_container;
	} kinds[] = {
	    {"cri-containerd-", "containerd", true},
	    {"crio-conmon-", "crio", false},
	    {"crio-", "crio", true},
	    {"docker-", "docker", true},
	};

	span_eat_suffix(&c, ".scope");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct span id = c;
		if (!span_eat_prefix(&id, kinds[i].prefix))
			continue;
		if (id.n != CONTAINER_ID_LEN || !all_lower_hex(id.s, id.n))
			return false;
		if (kinds[i].is_container) {
			memcpy(cid, id.s, CONTAINER_ID_LEN);
			cid[CONTAINER_ID_LEN] = '\0';
		} else {
			/* conmon supervises the container from outside it; its
			 * memory is not the container's. */
			cid[0] = '\0';
		}
		*runtime = kinds[i].runtime;
		return true;
	}
	return false;
}

/* A bare 64-hex component (cgroupfs driver, or Docker's own /docker/<id>). */
static bool parse_container_bare(struct span c, char cid[CONTAINER_ID_LEN + 1])
{
	if (c.n != CONTAINER_ID_LEN || !all_lower_hex(c.s, c.n))
		return false;
	memcpy(cid, c.s, CONTAINER_ID_LEN);
	cid[CONTAINER_ID_LEN] = '\0';
	return true;
}

/* Outside a pod only Docker is recognised: "docker-<id>.scope" (systemd) and
 * "docker/<id>" (cgroupfs). */
static bool parse_docker_host(struct span c, struct span parent, char cid[CONTAINER_ID_LEN + 1],
			      const char **runtime)
{
	struct span id = c;

	if (span_eq(parent, "docker") && parse_container_bare(c, cid)) {
		*runtime = "docker";
		return true;
	}
	if (span_eat_prefix(&id, "docker-") && span_eat_suffix(&id, ".scope") &&
	    parse_container_bare(id, cid)) {
		*runtime = "docker";
		return true;
	}
	return false;
}

/* The level of a component that is neither a pod nor a container. */
static enum cgroup_level level_of_slice(struct span c, struct span parent)
{
	if (is_unit(c, "kubepods.slice") || span_eq(c, "kubepods"))
		return CGROUP_LEVEL_KUBEPODS;
	if (is_unit(c, "kubepods-burstable.slice") || is_unit(c, "kubepods-besteffort.slice") ||
	    (span_eq(parent, "kubepods") && (span_eq(c, "burstable") || span_eq(c, "besteffort"))))
		return CGROUP_LEVEL_QOS;
	return CGROUP_LEVEL_OTHER;
}

static void identity_clear(struct cgroup_identity *id)
{
	id->uid[0] = '\0';
	id->container_id[0] = '\0';
	id->qos = NULL;
	id->runtime = NULL;
	id->level = CGROUP_LEVEL_OTHER;
}

bool cgroup_id_parse(const char *path, struct cgroup_identity *id)
{
	struct span none = {"", 0};
	struct span grandparent = none, parent = none;
	/* in_pod: a pod component was seen; below_pod: the previous component
	 * was it; have_container: a container component was seen since. */
	bool in_pod = false, below_pod = false, have_container = false;
	enum cgroup_level level;
	const char *p = path;

	if (id == NULL)
		return false;
	identity_clear(id);
	if (path == NULL)
		return false;
	level = CGROUP_LEVEL_ROOT;

	while (*p != '\0') {
		struct span c;
		char uid[UID_LEN + 1];
		const char *qos = NULL;
		bool is_pod, is_container = false;

		if (*p == '/') {
			p++;
			continue;
		}
		c = next_component(&p);
		is_pod = parse_pod_systemd(c, &qos, uid) ||
			 parse_pod_cgroupfs(c, parent, grandparent, &qos, uid);
		if (is_pod) {
			/* A later pod is a nested one: it replaces all so far. */
			identity_clear(id);
			memcpy(id->uid, uid, sizeof(id->uid));
			id->qos = qos;
			in_pod = true;
			have_container = false;
		} else if (!have_container && in_pod && below_pod) {
			have_container = parse_container_named(c, id->container_id, &id->runtime) ||
					 parse_container_bare(c, id->container_id);
			/* conmon is recognised but is not the container */
			is_container = have_container && id->container_id[0] != '\0';
		} else if (!have_container && !in_pod) {
			have_container =
			    parse_docker_host(c, parent, id->container_id, &id->runtime);
			is_container = have_container;
		}
		level = is_pod		? CGROUP_LEVEL_POD
			: is_container	? CGROUP_LEVEL_CONTAINER
					: level_of_slice(c, parent);
		below_pod = is_pod;
		grandparent = parent;
		parent = c;
	}
	id->level = level;
	return in_pod;
}
