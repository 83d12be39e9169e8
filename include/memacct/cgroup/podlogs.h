/* podlogs: Kubernetes names without API access (SPEC section 3,
 * --path.podlogs). kubelet keeps one symlink per container in
 * /var/log/containers, named <pod>_<namespace>_<container>-<id>.log, and one
 * directory per pod in /var/log/pods, named <namespace>_<pod>_<uid>. This
 * module lists those two directories into a table so a container id (or a
 * pod UID) found in a cgroup path maps to namespace, pod and container. It
 * reads directory entries and the container links' targets (for the pod
 * UID), never the logs, and does not label or format anything.
 *
 * Refresh: the table is built at open and rebuilt on a lookup miss, when the
 * directories changed since the last listing (their mtime), or else at most
 * once per min_refresh_s (a miss for a container that has no log, like a
 * pod's sandbox, must not list the directory at every scrape).
 *
 * Thread-safety: lookups may run in several threads at once (one mutex;
 * results are copied out, nothing is borrowed after a call returns). */
#ifndef MEMACCT_PODLOGS_H
#define MEMACCT_PODLOGS_H

#include <stdint.h>

#include "memacct/util/errmsg.h"

/* Kubernetes' own limits: namespace and container names are DNS labels
 * (63), pod names DNS subdomains (253). Longer names are not kubelet's and
 * are ignored. */
struct podlogs_names {
	char namespace_[64];
	char pod[254];
	char container[64]; /* "" for a pod (podlogs_lookup_pod) */
	char uid[37];	    /* pod UID with dashes; "" when /var/log/pods lacks the pod */
};

/* Entries kept at most (the listing stops there and says so in stats). */
#define PODLOGS_MAX_ENTRIES 65536

struct podlogs;

/* dir: a mounted /var/log (its containers/ and pods/ are listed) or, when
 * it has no containers/ folder, a copy of /var/log/containers itself.
 * Borrowed string is copied. Returns 0, or -errno with e naming the flag and
 * the path when neither can be opened. */
int podlogs_open(const char *dir, unsigned min_refresh_s, struct podlogs **out, struct errmsg *e);
void podlogs_free(struct podlogs *p);

/* Looks up a container id (64 hex, any case). 0 with out filled, -ENOENT
 * when unknown (after a refresh if one was due), -EINVAL when id is not 64
 * hex characters. p may be NULL (then -ENOENT). */
int podlogs_lookup(struct podlogs *p, const char *container_id, struct podlogs_names *out);

/* Looks up a pod by UID (with dashes or underscores, any case): namespace,
 * pod and uid; container "". Same returns as podlogs_lookup(). */
int podlogs_lookup_pod(struct podlogs *p, const char *uid, struct podlogs_names *out);

struct podlogs_stats {
	uint64_t refreshes;  /* listings done, the one at open included */
	uint64_t containers; /* containers in the table now */
	uint64_t pods;	     /* pods in the table now */
	uint64_t ignored;    /* entries whose names did not parse */
	int last_error;	     /* -errno of the last listing, 0 if it worked */
	int truncated;	     /* 1 when PODLOGS_MAX_ENTRIES was reached */
};
void podlogs_get_stats(struct podlogs *p, struct podlogs_stats *st);

/* Parses one /var/log/containers file name ("<pod>_<ns>_<ctr>-<id>.log")
 * into out (uid left "") and the 64-hex id (lower-cased, NUL-terminated)
 * into id. -EINVAL when it is not kubelet's pattern. Exposed for tests. */
int podlogs_parse_container_name(const char *name, struct podlogs_names *out, char id[65]);
/* Parses one /var/log/pods directory name ("<ns>_<pod>_<uid>"). */
int podlogs_parse_pod_dir(const char *name, struct podlogs_names *out);

#endif
