/* explain sampling: takes samples of every cgroup (or the ones a target
 * names) with the collectors' readers (cgroup_mem.c for the memory files,
 * proc_mem.c for the processes), sums each cgroup's processes into its
 * ancestors so RSS compares with hierarchical usage, and sorts the rows by
 * working set (see explain_sample.h). It knows nothing of diagnosis or
 * rendering; it exports no metrics and serves no HTTP. */
#include "memacct/explain/explain_sample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/cli/flags.h"

/* ---- context and samples ---- */

void explain_ctx_init(struct explain_ctx *ctx, const struct config *cfg,
		      const struct cgroup_scope *scope)
{
	ctx->scope = scope;
	ctx->procfs = cfg->procfs;
}

void explain_snapshot_free(struct explain_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rows[i].path);
	free(s->rows);
	free(s->by_path);
	memset(s, 0, sizeof(*s));
}

static int cmp_row_path(const void *a, const void *b)
{
	return strcmp(((const struct explain_row *)a)->path, ((const struct explain_row *)b)->path);
}

static int cmp_rowp_path(const void *a, const void *b)
{
	return strcmp((*(struct explain_row *const *)a)->path,
		      (*(struct explain_row *const *)b)->path);
}

static int cmp_row_ws(const void *a, const void *b)
{
	const struct explain_row *x = a, *y = b;
	uint64_t wx = x->mem.v[CM_WORKING_SET], wy = y->mem.v[CM_WORKING_SET];
	if (wx != wy)
		return wx > wy ? -1 : 1;
	return strcmp(x->path, y->path);
}

const struct explain_row *explain_snapshot_find(const struct explain_snapshot *s, const char *path)
{
	if (!s->by_path || !s->n)
		return NULL;
	struct explain_row key = {.path = (char *)(uintptr_t)path};
	const struct explain_row *kp = &key;
	struct explain_row *const *hit =
	    bsearch(&kp, s->by_path, s->n, sizeof(*s->by_path), cmp_rowp_path);
	return hit ? *hit : NULL;
}

struct walkstate {
	const struct explain_ctx *ctx;
	struct explain_snapshot *s;
	int procfd;
	struct readbuf buf, listbuf, filebuf;
	int err; /* -ENOMEM */
};

static int visit(void *arg, int dirfd, const char *path, int depth)
{
	struct walkstate *w = arg;
	struct explain_snapshot *s = w->s;
	(void)depth;
	if (s->n == EXPLAIN_MAX_ROWS) {
		s->skipped++;
		return 0;
	}
	struct explain_row r;
	memset(&r, 0, sizeof(r));
	struct cgroup_dir cg = cgroup_dir_at(dirfd);
	int rc = cgroup_mem_read(&cg, w->ctx->scope->root.mode, CGROUP_MEM_ALL, &w->buf, &r.mem,
				 NULL);
	if (rc == 0) /* the v2 root's usage is the node's (meminfo) */
		rc = cgroup_mem_fill_v2_root(&r.mem, w->ctx->procfs ? w->ctx->procfs : "/proc",
					     &w->buf, NULL);
	if (rc && rc != -ENOENT) {
		s->skipped++;
		return 0;
	}
	int prc = w->procfd < 0 ? -EBADF
				: proc_mem_read_cgroup(&cg, w->procfd, false, &w->listbuf,
						       &w->filebuf, &r.procs_own);
	if (rc == -ENOENT && prc == -ENOENT)
		return 0; /* removed while we walked */
	/* A cgroup without memory files (the memory controller not enabled
	 * for it) still has processes, charged to its nearest ancestor that
	 * has them: it stays, without a split, for the process sums. */
	if (rc == -ENOENT)
		r.mem.has_split = false;
	r.procs_ok = prc == 0;
	r.procs = r.procs_own;
	r.path = strdup(path);
	if (!r.path) {
		w->err = -ENOMEM;
		return -ENOMEM;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct explain_row *nr = realloc(s->rows, ncap * sizeof(*nr));
		if (!nr) {
			free(r.path);
			w->err = -ENOMEM;
			return -ENOMEM;
		}
		s->rows = nr;
		s->cap = ncap;
	}
	s->rows[s->n++] = r;
	return 0;
}

/* Length of the parent's path of p ("/a/b" -> 2, "/a" -> 1 for "/"); 0 for
 * the root. */
static size_t parent_len(const char *p, size_t len)
{
	if (len <= 1)
		return 0;
	const char *slash = p + len;
	while (slash > p && *--slash != '/')
		;
	return slash == p ? 1 : (size_t)(slash - p);
}

/* Adds every cgroup's own processes to its ancestors (rows sorted by path).
 * RSS then compares with usage, which is hierarchical too. */
static int sum_processes(struct explain_snapshot *s)
{
	char *key = NULL;
	size_t keycap = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct explain_row *r = &s->rows[i];
		size_t len = strlen(r->path);
		if (len + 1 > keycap) {
			char *nk = realloc(key, len + 1);
			if (!nk) {
				free(key);
				return -ENOMEM;
			}
			key = nk;
			keycap = len + 1;
		}
		memcpy(key, r->path, len + 1);
		for (size_t pl = parent_len(key, len); pl > 0; pl = parent_len(key, pl)) {
			key[pl] = '\0';
			struct explain_row k = {.path = key};
			struct explain_row *a =
			    bsearch(&k, s->rows, s->n, sizeof(*s->rows), cmp_row_path);
			if (!a)
				continue; /* filtered out or unreadable: skip a level */
			a->procs.processes += r->procs_own.processes;
			a->procs.rss_anon += r->procs_own.rss_anon;
			a->procs.rss_file += r->procs_own.rss_file;
			a->procs.rss_shmem += r->procs_own.rss_shmem;
			a->procs.swap += r->procs_own.swap;
			a->procs.vanished += r->procs_own.vanished;
			if (!r->procs_ok)
				a->procs_ok = false;
		}
	}
	free(key);
	return 0;
}

enum target_kind { T_ALL, T_PATH, T_CONTAINER, T_POD };

struct target {
	enum target_kind kind;
	char buf[4096]; /* the path, the lower-case id prefix or the dashed UID */
	size_t len;
};

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Pod UID with '-' or '_' separators (8-4-4-4-12 hex). */
static bool is_uid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;
		if (sep ? (s[i] != '-' && s[i] != '_') : !all_hex(s + i, 1))
			return false;
	}
	return true;
}

static int parse_target(const struct explain_ctx *ctx, const char *t, struct target *out,
			struct errmsg *e)
{
	memset(out, 0, sizeof(*out));
	if (!t) {
		out->kind = T_ALL;
		return 0;
	}
	size_t n = strlen(t);
	if (n == 0 || n >= sizeof(out->buf) - 1) {
		errmsg_set(e, "target \"%s\": want a cgroup path, a container id or a pod UID", t);
		return -EINVAL;
	}
	if (is_uid(t, n)) {
		out->kind = T_POD;
		for (size_t i = 0; i < n; i++)
			out->buf[i] = t[i] == '_' ? '-' : to_lower(t[i]);
		out->len = n;
		return 0;
	}
	if (!strchr(t, '/') && all_hex(t, n)) {
		if (n < 12 || n > 64) {
			errmsg_set(e,
				   "target \"%s\": a container id has 64 hex digits; give at least "
				   "12 of them",
				   t);
			return -EINVAL;
		}
		out->kind = T_CONTAINER;
		for (size_t i = 0; i < n; i++)
			out->buf[i] = to_lower(t[i]);
		out->len = n;
		return 0;
	}
	/* A cgroup path: below the root ("/kubepods/..."), without the leading
	 * slash, or with the cgroupfs root in front (copied from a shell). */
	out->kind = T_PATH;
	char *real = realpath(ctx->scope->root.path, NULL);
	const char *roots[2] = {ctx->scope->root.path, real};
	for (int i = 0; i < 2; i++) {
		size_t rl = roots[i] ? strlen(roots[i]) : 0;
		while (rl > 1 && roots[i][rl - 1] == '/')
			rl--;
		if (rl > 1 && strncmp(t, roots[i], rl) == 0 && (t[rl] == '/' || t[rl] == '\0')) {
			t += rl;
			break;
		}
	}
	free(real);
	if (*t != '/')
		out->buf[out->len++] = '/';
	for (; *t && out->len < sizeof(out->buf) - 1; t++) {
		if (*t == '/' && out->len > 0 && out->buf[out->len - 1] == '/')
			continue; /* "//" */
		out->buf[out->len++] = *t;
	}
	while (out->len > 1 && out->buf[out->len - 1] == '/')
		out->len--;
	out->buf[out->len] = '\0';
	return 0;
}

static bool row_matches(const struct explain_row *r, const struct target *t)
{
	switch (t->kind) {
	case T_ALL:
		return true;
	case T_PATH:
		return strcmp(r->path, t->buf) == 0;
	case T_CONTAINER:
		return r->id.container_id[0] && strncmp(r->id.container_id, t->buf, t->len) == 0;
	case T_POD:
		return strcmp(r->id.uid, t->buf) == 0;
	}
	return false;
}

/* Keeps the rows with a split that match t (in place); -ENOENT/-EINVAL. */
static int filter_rows(struct explain_snapshot *s, const struct target *t, const char *raw,
		       struct errmsg *e)
{
	char first_id[65] = "", other_id[65] = "";
	size_t kept = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct explain_row *r = &s->rows[i];
		cgroup_id_parse(r->path, &r->id);
		if (!r->mem.has_split || !row_matches(r, t)) {
			free(r->path);
			continue;
		}
		if (t->kind == T_CONTAINER) {
			if (!first_id[0])
				memcpy(first_id, r->id.container_id, sizeof(first_id));
			else if (!other_id[0] && strcmp(first_id, r->id.container_id) != 0)
				memcpy(other_id, r->id.container_id, sizeof(other_id));
		}
		s->rows[kept++] = *r;
	}
	s->n = kept;
	if (other_id[0]) {
		errmsg_set(e, "container id prefix \"%s\" is ambiguous: %.12s..., %.12s..., ...",
			   raw, first_id, other_id);
		return -EINVAL;
	}
	if (t->kind != T_ALL && kept == 0) {
		errmsg_set(e, "no cgroup matches \"%s\" (a cgroup path, container id or pod UID)",
			   raw);
		return -ENOENT;
	}
	return 0;
}

static void add_names(const struct explain_ctx *ctx, struct explain_snapshot *s)
{
	if (!ctx->scope->podlogs)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct explain_row *r = &s->rows[i];
		if (r->id.container_id[0])
			r->has_names =
			    podlogs_lookup(ctx->scope->podlogs, r->id.container_id, &r->names) == 0;
		else if (r->id.uid[0])
			r->has_names = podlogs_lookup_pod(ctx->scope->podlogs, r->id.uid, &r->names) == 0;
	}
}

int explain_snapshot_take(const struct explain_ctx *ctx, const char *target, size_t max_rows,
			  struct explain_snapshot *s, struct errmsg *e)
{
	struct target t;
	memset(s, 0, sizeof(*s));
	int rc = parse_target(ctx, target, &t, e);
	if (rc)
		return rc;
	struct walkstate w = {.ctx = ctx, .s = s};
	readbuf_init(&w.buf, 1 << 20);
	readbuf_init(&w.listbuf, 16 << 20);
	readbuf_init(&w.filebuf, 1 << 20);
	/* Without /proc the split still stands; only RSS is missing. */
	w.procfd = open(ctx->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	clock_gettime(CLOCK_REALTIME, &s->taken);
	rc = cgroup_walk(ctx->scope->root.path, &ctx->scope->filter, visit, &w, &s->skipped, e);
	if (w.procfd >= 0)
		close(w.procfd);
	readbuf_free(&w.buf);
	readbuf_free(&w.listbuf);
	readbuf_free(&w.filebuf);
	if (w.err)
		rc = w.err;
	if (rc == 0 && s->n) { /* qsort wants a non-NULL base even for 0 rows */
		qsort(s->rows, s->n, sizeof(*s->rows), cmp_row_path);
		rc = sum_processes(s);
	}
	if (rc == 0)
		rc = filter_rows(s, &t, target, e);
	if (rc) {
		if (rc == -ENOMEM)
			errmsg_set(e, "out of memory");
		explain_snapshot_free(s);
		return rc;
	}
	if (s->n)
		qsort(s->rows, s->n, sizeof(*s->rows), cmp_row_ws);
	s->matched_total = s->n;
	if (!max_rows || max_rows > EXPLAIN_MAX_ROWS)
		max_rows = EXPLAIN_MAX_ROWS;
	for (size_t i = max_rows; i < s->n; i++)
		free(s->rows[i].path);
	if (s->n > max_rows)
		s->n = max_rows;
	s->by_path = malloc((s->n ? s->n : 1) * sizeof(*s->by_path));
	if (!s->by_path) {
		explain_snapshot_free(s);
		errmsg_set(e, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++)
		s->by_path[i] = &s->rows[i];
	if (s->n)
		qsort(s->by_path, s->n, sizeof(*s->by_path), cmp_rowp_path);
	add_names(ctx, s);
	return 0;
}
