/* podlogs: container id / pod UID -> namespace, pod, container from the
 * names kubelet gives its log files (pkg/kubelet/kuberuntime/
 * kuberuntime_manager.go and the CRI logging layout):
 *   /var/log/containers/<pod>_<namespace>_<container>-<id>.log  (symlinks)
 *   /var/log/pods/<namespace>_<pod>_<uid>/                       (directories)
 * Two sorted tables (containers by id, pods by UID), rebuilt whole under one
 * mutex and searched with bsearch. It reads directory entries and, for the
 * pod UID of a container, the target of its link; never the logs. It does
 * not label or format anything. */
#include "memacct/cgroup/podlogs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ctr_entry {
	char id[65];
	struct podlogs_names names;
};

struct pod_entry {
	char uid[37];
	struct podlogs_names names;
};

struct table {
	struct ctr_entry *ctrs;
	size_t n_ctrs, cap_ctrs;
	struct pod_entry *pods;
	size_t n_pods, cap_pods;
	uint64_t ignored;
	bool truncated;
};

/* What a directory looked like when it was last listed. */
struct dir_seen {
	struct timespec mtime;
	ino_t ino;
	bool present;
};

struct podlogs {
	pthread_mutex_t lock;
	int basefd; /* the --path.podlogs directory */
	bool flat;  /* at the last listing, basefd itself was the containers directory */
	unsigned min_refresh_s;
	struct table t; /* guarded by lock */
	struct dir_seen seen_ctrs, seen_pods;
	struct timespec last_listing; /* CLOCK_REALTIME, for the racy-mtime check */
	struct timespec last_listing_mono;
	uint64_t refreshes;
	int last_error;
};

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Characters kubelet's names can hold (DNS labels and subdomains); anything
 * else means the file is not one of kubelet's. */
static bool name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

static void copy_span(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* A 64-hex container id, lower-cased into out. */
static bool parse_id(const char *s, size_t n, char out[65])
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		if (!is_hex(s[i]))
			return false;
		out[i] = lower(s[i]);
	}
	out[64] = '\0';
	return true;
}

/* A pod UID: 8-4-4-4-12 hex with '-' or '_', or 32 hex (static pods' config
 * hash). Normalised to lower case with dashes into out. */
static bool parse_uid(const char *s, size_t n, char out[37])
{
	if (n == 32) {
		for (size_t i = 0; i < 32; i++) {
			if (!is_hex(s[i]))
				return false;
			out[i] = lower(s[i]);
		}
		out[32] = '\0';
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;
		if (sep) {
			if (s[i] != '-' && s[i] != '_')
				return false;
			out[i] = '-';
		} else {
			if (!is_hex(s[i]))
				return false;
			out[i] = lower(s[i]);
		}
	}
	out[36] = '\0';
	return true;
}

int podlogs_parse_container_name(const char *name, struct podlogs_names *out, char id[65])
{
	size_t n = strlen(name);
	/* "<pod>_<ns>_<ctr>-" + 64 + ".log": at least 6 + 64 + 4 */
	if (n < 74 || strcmp(name + n - 4, ".log") != 0)
		return -EINVAL;
	n -= 4;
	if (!parse_id(name + n - 64, 64, id))
		return -EINVAL;
	n -= 64;
	if (name[n - 1] != '-')
		return -EINVAL;
	n -= 1;
	const char *u1 = memchr(name, '_', n);
	if (!u1)
		return -EINVAL;
	const char *rest = u1 + 1;
	const char *u2 = memchr(rest, '_', n - (size_t)(rest - name));
	if (!u2)
		return -EINVAL;
	const char *ctr = u2 + 1;
	size_t pod_n = (size_t)(u1 - name), ns_n = (size_t)(u2 - rest);
	size_t ctr_n = n - (size_t)(ctr - name);
	if (!name_ok(name, pod_n, sizeof(out->pod) - 1) ||
	    !name_ok(rest, ns_n, sizeof(out->namespace_) - 1) ||
	    !name_ok(ctr, ctr_n, sizeof(out->container) - 1))
		return -EINVAL; /* also rejects a third '_' (not a DNS character) */
	memset(out, 0, sizeof(*out));
	copy_span(out->pod, name, pod_n);
	copy_span(out->namespace_, rest, ns_n);
	copy_span(out->container, ctr, ctr_n);
	return 0;
}

int podlogs_parse_pod_dir(const char *name, struct podlogs_names *out)
{
	size_t n = strlen(name);
	const char *u1 = strchr(name, '_');
	const char *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
	if (!u2)
		return -EINVAL;
	const char *uid = u2 + 1;
	size_t ns_n = (size_t)(u1 - name), pod_n = (size_t)(u2 - u1 - 1);
	char uidbuf[37];
	if (!name_ok(name, ns_n, sizeof(out->namespace_) - 1) ||
	    !name_ok(u1 + 1, pod_n, sizeof(out->pod) - 1) ||
	    !parse_uid(uid, n - (size_t)(uid - name), uidbuf))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	copy_span(out->namespace_, name, ns_n);
	copy_span(out->pod, u1 + 1, pod_n);
	memcpy(out->uid, uidbuf, sizeof(uidbuf));
	return 0;
}

static int cmp_ctr(const void *a, const void *b)
{
	return strcmp(((const struct ctr_entry *)a)->id, ((const struct ctr_entry *)b)->id);
}

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(((const struct pod_entry *)a)->uid, ((const struct pod_entry *)b)->uid);
}

static void table_free(struct table *t)
{
	free(t->ctrs);
	free(t->pods);
	memset(t, 0, sizeof(*t));
}

/* Grows *arr (of elem-sized items) to hold one more; -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static bool table_full(struct table *t)
{
	if (t->n_ctrs + t->n_pods < PODLOGS_MAX_ENTRIES)
		return false;
	t->truncated = true;
	return true;
}

/* The pod UID from a container link's target
 * (".../pods/<ns>_<pod>_<uid>/<container>/<n>.log"), when it is one. */
static void uid_from_link(int dirfd, const char *name, const struct podlogs_names *nm, char uid[37])
{
	char target[1024];
	ssize_t len = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (len <= 0)
		return;
	target[len] = '\0';
	/* Walk the components; the pod directory is the one that parses and
	 * names this container's namespace and pod. */
	char *save = target, *c;
	while ((c = strsep(&save, "/")) != NULL) {
		struct podlogs_names pd;
		if (podlogs_parse_pod_dir(c, &pd) == 0 &&
		    strcmp(pd.namespace_, nm->namespace_) == 0 && strcmp(pd.pod, nm->pod) == 0) {
			memcpy(uid, pd.uid, 37);
			return;
		}
	}
}

/* Opens a directory stream on fd, which it takes ownership of. */
static DIR *open_stream(int fd, int *rc)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		*rc = -errno;
		close(fd);
	}
	return d;
}

/* Lists the containers directory open at fd (takes ownership). */
static int list_containers(int fd, struct table *t)
{
	int rc = 0;
	DIR *d = open_stream(fd, &rc);
	if (!d)
		return rc;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct ctr_entry ce;
		if (de->d_name[0] == '.' ||
		    podlogs_parse_container_name(de->d_name, &ce.names, ce.id) != 0) {
			if (de->d_name[0] != '.')
				t->ignored++;
			continue;
		}
		if (table_full(t))
			break;
		uid_from_link(dirfd(d), de->d_name, &ce.names, ce.names.uid);
		rc = grow((void **)&t->ctrs, &t->cap_ctrs, t->n_ctrs, sizeof(*t->ctrs));
		if (rc)
			break;
		t->ctrs[t->n_ctrs++] = ce;
	}
	closedir(d);
	return rc;
}

/* Lists the pods directory open at fd (takes ownership). */
static int list_pods(int fd, struct table *t)
{
	int rc = 0;
	DIR *d = open_stream(fd, &rc);
	if (!d)
		return rc;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct pod_entry pe;
		if (de->d_name[0] == '.')
			continue;
		if (podlogs_parse_pod_dir(de->d_name, &pe.names) != 0) {
			t->ignored++;
			continue;
		}
		if (table_full(t))
			break;
		memcpy(pe.uid, pe.names.uid, sizeof(pe.uid));
		rc = grow((void **)&t->pods, &t->cap_pods, t->n_pods, sizeof(*t->pods));
		if (rc)
			break;
		t->pods[t->n_pods++] = pe;
	}
	closedir(d);
	return rc;
}

/* Containers whose link did not give a UID take it from the pods table when
 * exactly one pod there has their namespace and name. */
static void join_uids(struct table *t)
{
	for (size_t i = 0; i < t->n_ctrs; i++) {
		struct podlogs_names *c = &t->ctrs[i].names;
		if (c->uid[0])
			continue;
		const char *found = NULL;
		int hits = 0;
		for (size_t j = 0; j < t->n_pods && hits < 2; j++)
			if (strcmp(t->pods[j].names.namespace_, c->namespace_) == 0 &&
			    strcmp(t->pods[j].names.pod, c->pod) == 0) {
				found = t->pods[j].uid;
				hits++;
			}
		if (hits == 1)
			memcpy(c->uid, found, sizeof(c->uid));
	}
}

/* Opens name below basefd as a directory (or -errno). */
static int open_sub(int basefd, const char *name)
{
	int fd = openat(basefd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void seen_of(int fd, struct dir_seen *s)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (fd >= 0 && fstat(fd, &st) == 0) {
		s->present = true;
		s->mtime = st.st_mtim;
		s->ino = st.st_ino;
	}
}

static bool seen_eq(const struct dir_seen *a, const struct dir_seen *b)
{
	return a->present == b->present && a->ino == b->ino && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Opens the containers directory (<base>/containers, or <base> itself when
 * it has none: a copy of /var/log/containers, or a node where kubelet has
 * not made it yet) and <base>/pods (-errno when absent). Decided at every
 * listing, so a containers/ that appears later is used. */
static void open_dirs(struct podlogs *p, int *cfd, int *pfd)
{
	*cfd = open_sub(p->basefd, "containers");
	p->flat = *cfd == -ENOENT;
	if (p->flat) {
		*cfd = open_sub(p->basefd, ".");
		*pfd = -ENOENT;
	} else {
		*pfd = open_sub(p->basefd, "pods");
	}
}

/* Lists both directories into a new table and swaps it in. Called with the
 * lock held (or before the struct is shared). On failure the old table
 * stays. */
static int refresh(struct podlogs *p)
{
	struct table nt = {0};
	int cfd, pfd;
	open_dirs(p, &cfd, &pfd);
	struct dir_seen sc, sp;
	seen_of(cfd, &sc);
	seen_of(pfd, &sp);
	clock_gettime(CLOCK_REALTIME, &p->last_listing);
	clock_gettime(CLOCK_MONOTONIC, &p->last_listing_mono);
	p->refreshes++;
	int rc = cfd < 0 ? cfd : 0;
	if (pfd >= 0) {
		if (rc == 0)
			rc = list_pods(pfd, &nt); /* closes pfd */
		else
			close(pfd);
	}
	if (cfd >= 0) {
		int rc2 = list_containers(cfd, &nt); /* closes cfd */
		if (rc == 0)
			rc = rc2;
	}
	p->last_error = rc;
	if (rc) {
		table_free(&nt);
		return rc;
	}
	join_uids(&nt);
	if (nt.n_ctrs) /* qsort and bsearch want a non-NULL base even for 0 items */
		qsort(nt.ctrs, nt.n_ctrs, sizeof(*nt.ctrs), cmp_ctr);
	if (nt.n_pods)
		qsort(nt.pods, nt.n_pods, sizeof(*nt.pods), cmp_pod);
	table_free(&p->t);
	p->t = nt;
	p->seen_ctrs = sc;
	p->seen_pods = sp;
	return 0;
}

/* Whether a miss should list again: the directories changed (or their
 * mtime is too close to the last listing to be trusted, git's "racy" case
 * on coarse-grained clocks), or min_refresh_s passed since the last one. */
static bool refresh_due(struct podlogs *p)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - p->last_listing_mono.tv_sec >= (time_t)p->min_refresh_s)
		return true;
	bool was_flat = p->flat;
	int cfd, pfd;
	open_dirs(p, &cfd, &pfd);
	bool layout_changed = was_flat != p->flat;
	p->flat = was_flat; /* refresh() decides again */
	struct dir_seen sc, sp;
	seen_of(cfd, &sc);
	seen_of(pfd, &sp);
	if (cfd >= 0)
		close(cfd);
	if (pfd >= 0)
		close(pfd);
	if (layout_changed || !seen_eq(&sc, &p->seen_ctrs) || !seen_eq(&sp, &p->seen_pods))
		return true;
	time_t racy = p->last_listing.tv_sec - 1;
	return (sc.present && sc.mtime.tv_sec >= racy) || (sp.present && sp.mtime.tv_sec >= racy);
}

int podlogs_open(const char *dir, unsigned min_refresh_s, struct podlogs **out, struct errmsg *e)
{
	*out = NULL;
	struct podlogs *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->min_refresh_s = min_refresh_s;
	p->basefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->basefd < 0) {
		int err = errno;
		errmsg_set(e, "--path.podlogs: cannot open %s: %s", dir, strerror(err));
		free(p);
		return -err;
	}
	int rc = refresh(p);
	if (rc) {
		errmsg_set(e, "--path.podlogs: cannot list %s%s: %s", dir,
			   p->flat ? "" : "/containers", strerror(-rc));
		close(p->basefd);
		table_free(&p->t);
		free(p);
		return rc;
	}
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void podlogs_free(struct podlogs *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	close(p->basefd);
	table_free(&p->t);
	free(p);
}

static const struct ctr_entry *find_ctr(const struct table *t, const char *id)
{
	struct ctr_entry key;
	if (!t->n_ctrs)
		return NULL;
	memcpy(key.id, id, sizeof(key.id));
	return bsearch(&key, t->ctrs, t->n_ctrs, sizeof(*t->ctrs), cmp_ctr);
}

static const struct pod_entry *find_pod(const struct table *t, const char *uid)
{
	struct pod_entry key;
	if (!t->n_pods)
		return NULL;
	memcpy(key.uid, uid, sizeof(key.uid));
	return bsearch(&key, t->pods, t->n_pods, sizeof(*t->pods), cmp_pod);
}

/* Looks key up with find(); on a miss refreshes when due and looks again. */
static int lookup(struct podlogs *p, const char *key, bool pod, struct podlogs_names *out)
{
	pthread_mutex_lock(&p->lock);
	const struct podlogs_names *hit = NULL;
	for (int attempt = 0; attempt < 2 && !hit; attempt++) {
		if (attempt == 1 && (!refresh_due(p) || refresh(p) != 0))
			break;
		if (pod) {
			const struct pod_entry *pe = find_pod(&p->t, key);
			hit = pe ? &pe->names : NULL;
		} else {
			const struct ctr_entry *ce = find_ctr(&p->t, key);
			hit = ce ? &ce->names : NULL;
		}
	}
	if (hit)
		*out = *hit;
	pthread_mutex_unlock(&p->lock);
	return hit ? 0 : -ENOENT;
}

int podlogs_lookup(struct podlogs *p, const char *container_id, struct podlogs_names *out)
{
	char id[65];
	if (!container_id || !parse_id(container_id, strlen(container_id), id))
		return -EINVAL;
	if (!p)
		return -ENOENT;
	return lookup(p, id, false, out);
}

int podlogs_lookup_pod(struct podlogs *p, const char *uid, struct podlogs_names *out)
{
	char u[37];
	if (!uid || !parse_uid(uid, strlen(uid), u))
		return -EINVAL;
	if (!p)
		return -ENOENT;
	return lookup(p, u, true, out);
}

void podlogs_get_stats(struct podlogs *p, struct podlogs_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	st->refreshes = p->refreshes;
	st->containers = p->t.n_ctrs;
	st->pods = p->t.n_pods;
	st->ignored = p->t.ignored;
	st->last_error = p->last_error;
	st->truncated = p->t.truncated;
	pthread_mutex_unlock(&p->lock);
}
