/* explain: `memacct_exporter explain [CGROUP|CONTAINER_ID|POD_UID]`, the
 * split for a person at a terminal. Takes samples of every cgroup (or the
 * ones the target names) with the collectors' readers (cgroup_mem.c for the
 * memory files, proc_mem.c for the processes), sums each cgroup's
 * processes into its ancestors so RSS compares with hierarchical usage, and
 * prints a table sorted by working set with one sentence of diagnosis per
 * cgroup, or JSON; --watch repeats and shows the change since the first
 * sample. The sampling, diagnosis and units are shared with the HTML page
 * (explain_html.c). It exports no metrics and serves no HTTP. */
#include "memacct/explain/explain.h"
#include "memacct/util/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (UINT64_C(1) << 20)

/* ---- units and escaping ---- */

char *explain_human_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return buf;
	}
	/* Pick the unit where the value is below 1024, round, and move up a
	 * unit when rounding reaches 1024 (1023.96 MiB is "1 GiB"). Integer
	 * arithmetic: rem < unit <= 2^60, so rem * 10 fits in 64 bits. */
	size_t u = 1;
	while (u + 1 < NELEM(units) && v >> (10 * (u + 1)) > 0)
		u++;
	for (;;) {
		uint64_t unit = UINT64_C(1) << (10 * u);
		uint64_t whole = v / unit, rem = v % unit;
		uint64_t tenths = whole * 10 + (rem * 10 + unit / 2) / unit;
		uint64_t rounded = whole + (rem >= unit - unit / 2);
		if (tenths >= 1000 && rounded >= 1024 && u + 1 < NELEM(units)) {
			u++;
			continue;
		}
		if (tenths >= 1000)
			snprintf(buf, len, "%" PRIu64 " %s", rounded, units[u]);
		else if (tenths % 10 == 0)
			snprintf(buf, len, "%" PRIu64 " %s", tenths / 10, units[u]);
		else
			snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10,
				 units[u]);
		return buf;
	}
}

char *explain_human_delta(char *buf, size_t len, uint64_t now, uint64_t then)
{
	if (now == then) {
		snprintf(buf, len, "0");
		return buf;
	}
	char tmp[24];
	explain_human_bytes(tmp, sizeof(tmp), now > then ? now - then : then - now);
	snprintf(buf, len, "%c%s", now > then ? '+' : '-', tmp);
	return buf;
}

int explain_json_escape(struct mbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t l = utf8_seq_len(p, n);
		if (l == 0) {
			mbuf_addstr(out, "\\ufffd");
			p++, n--;
			continue;
		}
		if (l == 1 && (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f)) {
			if (*p == '"' || *p == '\\') {
				mbuf_addc(out, '\\');
				mbuf_addc(out, (char)*p);
			} else if (*p == '\n') {
				mbuf_addstr(out, "\\n");
			} else if (*p == '\t') {
				mbuf_addstr(out, "\\t");
			} else {
				mbuf_printf(out, "\\u%04x", *p);
			}
		} else {
			mbuf_add(out, p, l);
		}
		p += l, n -= l;
	}
	return mbuf_error(out);
}

/* A cgroup name for a terminal: control characters (an ESC could drive the
 * terminal) and invalid UTF-8 become \xNN. */
static void add_term_safe(struct mbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t l = utf8_seq_len(p, n);
		if (l == 0 || (l == 1 && (*p < 0x20 || *p == 0x7f))) {
			mbuf_printf(out, "\\x%02x", *p);
			p++, n--;
			continue;
		}
		mbuf_add(out, p, l);
		p += l, n -= l;
	}
}

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
	int rc = cgroup_mem_read(dirfd, w->ctx->scope->root.mode, &w->buf, &r.mem, NULL);
	if (rc && rc != -ENOENT) {
		s->skipped++;
		return 0;
	}
	int prc = w->procfd < 0 ? -EBADF
				: proc_mem_read_cgroup(dirfd, w->procfd, false, &w->listbuf,
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

/* ---- diagnosis ----
 *
 * The rules, first match wins. ws = working set, usage, and the parts anon,
 * shmem, active (file_active), inactive (file_inactive), kernel; RSS and
 * RssFile summed over the processes of the cgroup and its descendants;
 * "unmapped active" = active − min(active, RssFile), the active page cache
 * no process maps; bound = the lower of memory.high (v2) and the limit.
 *
 *  1 empty       ws = 0: nothing charged, or all of usage is inactive page
 *                cache, which reclaim takes first; ws < 1 MiB: next to nothing.
 *  2 no process  the cgroup and its descendants have no process (their
 *                cgroup.procs were read) and ws > 0: what is left is page
 *                cache and shmem the exited processes left charged. Not a
 *                leak in a process; shmem stays until its files go.
 *  3 near bound  usage >= 90% of bound. Then: page cache no process maps
 *                (inactive + unmapped active) >= 50% of usage: reclaim frees
 *                it first, not a leak (ok); else anon + shmem >= 50% of
 *                usage: reclaim cannot free it, an OOM kill (or throttling
 *                at memory.high) is near: look at the process (act); else
 *                the parts are listed (watch).
 *  4 page cache  unmapped active >= 50% of ws: reclaimable, not a leak (ok).
 *  5 anon        anon >= 50% of ws: the processes' own memory. In --watch,
 *                when anon grew since the first sample by more than 1 MiB
 *                and 1%, "and rising ... look at the process" (act); else
 *                "if it keeps rising, look at the process" (ok).
 *  6 shmem       shmem >= 50% of ws: tmpfs and /dev/shm files (watch).
 *  7 kernel      kernel >= 50% of ws: slab, sockets, page tables (watch).
 *  8 mixed       none of these: the parts of at least 10% of ws are listed
 *                (other too: usage that memory.stat does not itemise).
 * Rules 4 to 8 add why usage is larger than the working set when inactive
 * page cache is at least a quarter of usage. */

const char *const explain_rule_names[EXPLAIN_RULE_N] = {
    "empty", "no_process", "near_limit_cache", "near_limit_anon", "near_limit", "page_cache",
    "anon",  "shmem",	   "kernel",	       "mixed",
};

/* Floor of 100 * a / b (b > 0) without overflow for byte counts. */
static unsigned pct(uint64_t a, uint64_t b)
{
	if (b == 0)
		return 0;
	if (a > UINT64_MAX / 100)
		return (unsigned)(a / (b / 100 ? b / 100 : 1));
	return (unsigned)(a * 100 / b);
}

/* a is at least half of b. */
static bool half(uint64_t a, uint64_t b)
{
	return b > 0 && a >= b - b / 2;
}

struct parts {
	char text[200];
	size_t len;
	int n;
};

/* Lists "<size> <what>" for parts of at least 10% of total: "a, b and c". */
static void parts_add(struct parts *p, uint64_t v, uint64_t total, const char *what)
{
	if (v == 0 || v < total / 10)
		return;
	char h[24];
	int w = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s%s %s", p->n ? "\x01" : "",
			 explain_human_bytes(h, sizeof(h), v), what);
	if (w > 0 && (size_t)w < sizeof(p->text) - p->len)
		p->len += (size_t)w;
	p->n++;
}

/* Turns the \x01 separators into ", " and a final " and ". */
static void parts_finish(const struct parts *p, char *out, size_t len)
{
	const char *last = strrchr(p->text, '\x01');
	size_t o = 0;
	for (const char *s = p->text; *s && o + 6 < len; s++) {
		if (*s != '\x01') {
			out[o++] = *s;
			continue;
		}
		const char *sep = s == last ? " and " : ", ";
		size_t sl = strlen(sep);
		memcpy(out + o, sep, sl);
		o += sl;
	}
	out[o] = '\0';
}

static void diag(struct explain_diag *d, enum explain_rule rule, enum explain_severity sev,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void diag(struct explain_diag *d, enum explain_rule rule, enum explain_severity sev,
		 const char *fmt, ...)
{
	va_list ap;
	d->rule = rule;
	d->severity = sev;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
}

void explain_diagnose(const struct explain_row *r, const struct explain_row *first,
		      struct explain_diag *d)
{
	const struct cgroup_mem *m = &r->mem;
	uint64_t ws = m->v[CM_WORKING_SET], usage = m->v[CM_USAGE];
	uint64_t anon = m->comp[COMP_ANON], shmem = m->comp[COMP_SHMEM];
	uint64_t active = m->comp[COMP_FILE_ACTIVE], inactive = m->comp[COMP_FILE_INACTIVE];
	uint64_t kernel = m->comp[COMP_KERNEL];
	uint64_t rss_file = r->procs.rss_file;
	uint64_t unmapped = active - (rss_file < active ? rss_file : active);
	char hws[24], hu[24], ha[24], hb[24], hx[24], list[200];
	struct parts p = {{0}, 0, 0};
	explain_human_bytes(hws, sizeof(hws), ws);
	explain_human_bytes(hu, sizeof(hu), usage);

	/* 1 */
	if (ws == 0) {
		if (usage == 0)
			diag(d, EXPLAIN_EMPTY, EXPLAIN_OK, "nothing charged");
		else
			diag(d, EXPLAIN_EMPTY, EXPLAIN_OK,
			     "working set 0 B: all %s of usage is inactive page cache, which "
			     "reclaim takes first",
			     hu);
		return;
	}
	if (ws < MIB) {
		diag(d, EXPLAIN_EMPTY, EXPLAIN_OK, "working set %s: next to nothing is charged",
		     hws);
		return;
	}
	/* 2 */
	if (r->procs_ok && r->procs.processes == 0) {
		parts_add(&p, active, ws, "active page cache (reclaimable)");
		parts_add(&p, shmem, ws,
			  "shmem (kept until its tmpfs or /dev/shm files are deleted)");
		parts_add(&p, anon, ws, "anon");
		parts_add(&p, kernel, ws, "kernel");
		parts_finish(&p, list, sizeof(list));
		diag(d, EXPLAIN_NO_PROCESS, half(active, ws) ? EXPLAIN_OK : EXPLAIN_WATCH,
		     "no process: working set %s is %s%sleft charged by processes that exited, "
		     "not a leak in a running one",
		     hws, list, p.n ? " " : "");
		return;
	}
	/* 3 */
	bool has_limit = cgroup_mem_has(m, CM_LIMIT), has_high = cgroup_mem_has(m, CM_HIGH);
	if (has_limit || has_high) {
		bool use_high = has_high && (!has_limit || m->v[CM_HIGH] < m->v[CM_LIMIT]);
		uint64_t bound = use_high ? m->v[CM_HIGH] : m->v[CM_LIMIT];
		const char *bname = use_high ? "memory.high" : "the limit";
		explain_human_bytes(hb, sizeof(hb), bound);
		if (bound > 0 && pct(usage, bound) >= 90) {
			unsigned q = pct(usage, bound);
			uint64_t cache = inactive + unmapped;
			if (half(cache, usage)) {
				diag(d, EXPLAIN_NEAR_LIMIT_CACHE, EXPLAIN_OK,
				     "usage %s is %u%% of %s (%s), but %s of it is page cache no "
				     "process maps, which reclaim frees first: not a leak",
				     hu, q, bname, hb, explain_human_bytes(hx, sizeof(hx), cache));
			} else if (half(anon + shmem, usage)) {
				diag(d, EXPLAIN_NEAR_LIMIT_ANON, EXPLAIN_ACT,
				     "usage %s is %u%% of %s (%s) and %s of it is anon%s, which "
				     "reclaim cannot free: %s is near, look at the process",
				     hu, q, bname, hb,
				     explain_human_bytes(hx, sizeof(hx), anon + shmem),
				     shmem >= usage / 10 ? " and shmem" : "",
				     use_high ? "throttling" : "an OOM kill");
			} else {
				parts_add(&p, anon, usage, "anon");
				parts_add(&p, cache, usage, "page cache no process maps");
				parts_add(&p, active - unmapped, usage, "mapped page cache");
				parts_add(&p, shmem, usage, "shmem");
				parts_add(&p, kernel, usage, "kernel");
				parts_finish(&p, list, sizeof(list));
				diag(d, EXPLAIN_NEAR_LIMIT, EXPLAIN_WATCH,
				     "usage %s is %u%% of %s (%s): %s", hu, q, bname, hb,
				     p.n ? list : "no part dominates");
			}
			return;
		}
	}
	/* 4 to 8 */
	if (half(unmapped, ws)) {
		diag(d, EXPLAIN_PAGE_CACHE, EXPLAIN_OK,
		     "working set %s, %s of it active page cache that no process maps: "
		     "reclaimable, not a leak",
		     hws, explain_human_bytes(hx, sizeof(hx), unmapped));
	} else if (half(anon, ws)) {
		explain_human_bytes(ha, sizeof(ha), anon);
		uint64_t then = first ? first->mem.comp[COMP_ANON] : anon;
		if (first && anon > then && anon - then > MIB && anon - then > then / 100)
			diag(d, EXPLAIN_ANON, EXPLAIN_ACT,
			     "anon %s and rising (%s since the first sample) is most of the "
			     "working set %s: look at the process",
			     ha, explain_human_delta(hx, sizeof(hx), anon, then), hws);
		else
			diag(d, EXPLAIN_ANON, EXPLAIN_OK,
			     "anon %s is most of the working set %s: the processes' own memory; "
			     "if it keeps rising, look at the process",
			     ha, hws);
	} else if (half(shmem, ws)) {
		diag(d, EXPLAIN_SHMEM, EXPLAIN_WATCH,
		     "shmem %s is most of the working set %s: tmpfs or /dev/shm files and shared "
		     "memory, which reclaim cannot free without swap; look for files left in "
		     "/dev/shm",
		     explain_human_bytes(hx, sizeof(hx), shmem), hws);
	} else if (half(kernel, ws)) {
		diag(d, EXPLAIN_KERNEL, EXPLAIN_WATCH,
		     "kernel memory %s is most of the working set %s: slab (dentries, inodes, "
		     "sockets) and page tables, not the heap; look at open files and sockets",
		     explain_human_bytes(hx, sizeof(hx), kernel), hws);
	} else {
		parts_add(&p, anon, ws, "anon");
		parts_add(&p, unmapped, ws, "active page cache no process maps");
		parts_add(&p, active - unmapped, ws, "mapped page cache");
		parts_add(&p, shmem, ws, "shmem");
		parts_add(&p, kernel, ws, "kernel");
		parts_add(&p, m->comp[COMP_OTHER], ws, "other");
		parts_finish(&p, list, sizeof(list));
		diag(d, EXPLAIN_MIXED, EXPLAIN_OK, "working set %s: %s%s", hws,
		     p.n ? list : "no part is a tenth of it", p.n > 1 ? ", no part dominates" : "");
	}
	if (usage - ws >= usage / 4 && usage > ws) {
		size_t l = strlen(d->text);
		snprintf(d->text + l, sizeof(d->text) - l,
			 "; usage %s also holds %s of inactive page cache, reclaimed first", hu,
			 explain_human_bytes(hx, sizeof(hx), usage - ws));
	}
}

/* ---- output ---- */

struct style {
	bool color;
	const char *bold, *dim, *red, *yellow, *green, *reset;
};

static void style_init(struct style *st, FILE *out)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	st->color = isatty(fileno(out)) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
	st->bold = st->color ? "\033[1m" : "";
	st->dim = st->color ? "\033[2m" : "";
	st->red = st->color ? "\033[31m" : "";
	st->yellow = st->color ? "\033[33m" : "";
	st->green = st->color ? "\033[32m" : "";
	st->reset = st->color ? "\033[0m" : "";
}

/* Byte columns of the table, in order. */
enum col { C_USAGE, C_WSET, C_ANON, C_SHMEM, C_ACTIVE, C_INACTIVE, C_KERNEL, C_OTHER, C_RSS, C_N };

static const char *const col_names[C_N] = {"USAGE",    "WSET",	 "ANON",  "SHMEM", "ACTIVE",
					   "INACTIVE", "KERNEL", "OTHER", "RSS"};

static uint64_t col_value(const struct explain_row *r, enum col c)
{
	const struct cgroup_mem *m = &r->mem;
	switch (c) {
	case C_USAGE:
		return m->v[CM_USAGE];
	case C_WSET:
		return m->v[CM_WORKING_SET];
	case C_ANON:
		return m->comp[COMP_ANON];
	case C_SHMEM:
		return m->comp[COMP_SHMEM];
	case C_ACTIVE:
		return m->comp[COMP_FILE_ACTIVE];
	case C_INACTIVE:
		return m->comp[COMP_FILE_INACTIVE];
	case C_KERNEL:
		return m->comp[COMP_KERNEL];
	case C_OTHER:
		return m->comp[COMP_OTHER];
	case C_RSS:
	case C_N:
		break;
	}
	return r->procs.rss_anon + r->procs.rss_file + r->procs.rss_shmem;
}

#define COLW 9

static void add_header(struct mbuf *b, const struct style *st)
{
	mbuf_addstr(b, st->bold);
	for (int c = 0; c < C_N; c++)
		mbuf_printf(b, "%*s ", COLW, col_names[c]);
	mbuf_printf(b, "%5s %*s  CGROUP%s\n", "PIDS", COLW, "LIMIT", st->reset);
}

static void add_names_suffix(struct mbuf *b, const struct explain_row *r)
{
	if (!r->has_names)
		return;
	mbuf_addstr(b, "  (");
	add_term_safe(b, r->names.namespace_);
	mbuf_addc(b, '/');
	add_term_safe(b, r->names.pod);
	if (r->names.container[0]) {
		mbuf_addc(b, '/');
		add_term_safe(b, r->names.container);
	}
	mbuf_addc(b, ')');
}

static void add_row(struct mbuf *b, const struct explain_row *r, const struct explain_row *first,
		    bool watching, const struct style *st)
{
	char h[24];
	for (int c = 0; c < C_N; c++)
		mbuf_printf(b, "%*s ", COLW, explain_human_bytes(h, sizeof(h), col_value(r, c)));
	if (r->procs_ok)
		mbuf_printf(b, "%5" PRIu64 " ", r->procs.processes);
	else
		mbuf_printf(b, "%5s ", "?");
	if (cgroup_mem_has(&r->mem, CM_LIMIT))
		explain_human_bytes(h, sizeof(h), r->mem.v[CM_LIMIT]);
	else
		snprintf(h, sizeof(h), "-");
	mbuf_printf(b, "%*s  ", COLW, h);
	add_term_safe(b, r->path);
	add_names_suffix(b, r);
	mbuf_addc(b, '\n');

	if (watching) {
		if (!first) {
			mbuf_printf(b, "%s%*s new since the first sample%s\n", st->dim, COLW, "",
				    st->reset);
		} else {
			for (int c = 0; c < C_N; c++) {
				uint64_t now = col_value(r, c), then = col_value(first, c);
				const char *col = now > then   ? st->red
						  : now < then ? st->green
							       : st->dim;
				mbuf_printf(b, "%s%*s%s ", col, COLW,
					    explain_human_delta(h, sizeof(h), now, then),
					    st->reset);
			}
			int64_t dp = (int64_t)r->procs.processes - (int64_t)first->procs.processes;
			if (dp)
				mbuf_printf(b, "%+5" PRId64 " ", dp);
			else
				mbuf_printf(b, "%5s ", "0");
			mbuf_printf(b, "%*s  %schange since the first sample%s\n", COLW, "",
				    st->dim, st->reset);
		}
	}
	struct explain_diag d;
	explain_diagnose(r, first, &d);
	const char *col = d.severity == EXPLAIN_ACT	? st->red
			  : d.severity == EXPLAIN_WATCH ? st->yellow
							: st->green;
	mbuf_printf(b, "  -> %s%s%s\n", col, d.text, st->reset);
}

static void add_legend(struct mbuf *b, const struct style *st)
{
	mbuf_printf(b,
		    "%sUSAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - "
		    "INACTIVE (the kubelet's working set).\n"
		    "ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the "
		    "processes of the cgroup and below.%s\n",
		    st->dim, st->reset);
}

static void add_table(struct mbuf *b, const struct explain_ctx *ctx,
		      const struct explain_snapshot *s, const struct explain_snapshot *first,
		      const char *target, const struct style *st)
{
	mbuf_printf(b, "%scgroup %s at ", st->bold, cgroup_mode_name(ctx->scope->root.mode));
	add_term_safe(b, ctx->scope->root.path);
	mbuf_printf(b, ": %zu cgroup%s", s->n, s->n == 1 ? "" : "s");
	if (target) {
		mbuf_addstr(b, " matching ");
		add_term_safe(b, target);
	}
	mbuf_printf(b, ", largest working set first%s\n", st->reset);
	add_header(b, st);
	for (size_t i = 0; i < s->n; i++) {
		const struct explain_row *r = &s->rows[i];
		add_row(b, r, first ? explain_snapshot_find(first, r->path) : NULL, first != NULL,
			st);
	}
	if (s->skipped)
		mbuf_printf(b, "%lu cgroup(s) could not be read and are not shown.\n", s->skipped);
	add_legend(b, st);
}

static void json_str(struct mbuf *b, const char *key, const char *val)
{
	mbuf_printf(b, "\"%s\":\"", key);
	explain_json_escape(b, val);
	mbuf_addstr(b, "\",");
}

static void json_opt(struct mbuf *b, const char *key, const struct cgroup_mem *m,
		     enum cgroup_mem_field f)
{
	if (cgroup_mem_has(m, f))
		mbuf_printf(b, "\"%s\":%" PRIu64 ",", key, m->v[f]);
	else
		mbuf_printf(b, "\"%s\":null,", key);
}

static void json_delta(struct mbuf *b, const char *key, uint64_t now, uint64_t then)
{
	if (now >= then)
		mbuf_printf(b, "\"%s\":%" PRIu64, key, now - then);
	else
		mbuf_printf(b, "\"%s\":-%" PRIu64, key, then - now);
}

static void add_json_row(struct mbuf *b, const struct explain_row *r,
			 const struct explain_row *first, bool watching)
{
	const struct cgroup_mem *m = &r->mem;
	mbuf_addc(b, '{');
	json_str(b, "cgroup", r->path);
	if (r->id.uid[0])
		json_str(b, "uid", r->id.uid);
	if (r->id.container_id[0])
		json_str(b, "container_id", r->id.container_id);
	if (r->id.qos)
		json_str(b, "qos", r->id.qos);
	if (r->id.runtime)
		json_str(b, "runtime", r->id.runtime);
	if (r->has_names) {
		json_str(b, "namespace", r->names.namespace_);
		json_str(b, "pod", r->names.pod);
		if (r->names.container[0])
			json_str(b, "container", r->names.container);
	}
	mbuf_printf(b, "\"usage_bytes\":%" PRIu64 ",\"working_set_bytes\":%" PRIu64 ",",
		    m->v[CM_USAGE], m->v[CM_WORKING_SET]);
	json_opt(b, "limit_bytes", m, CM_LIMIT);
	json_opt(b, "high_bytes", m, CM_HIGH);
	mbuf_addstr(b, "\"components\":{");
	for (int i = 0; i < COMP_N; i++)
		mbuf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", mem_component_names[i],
			    m->comp[i]);
	mbuf_addstr(b, "},");
	if (r->procs_ok)
		mbuf_printf(b,
			    "\"processes\":%" PRIu64 ",\"process_rss_bytes\":{\"anon\":%" PRIu64
			    ",\"file\":%" PRIu64 ",\"shmem\":%" PRIu64 "},",
			    r->procs.processes, r->procs.rss_anon, r->procs.rss_file,
			    r->procs.rss_shmem);
	else
		mbuf_addstr(b, "\"processes\":null,\"process_rss_bytes\":null,");
	struct explain_diag d;
	explain_diagnose(r, first, &d);
	static const char *const sev[] = {"ok", "watch", "act"};
	mbuf_printf(b, "\"diagnosis\":{\"rule\":\"%s\",\"severity\":\"%s\",\"text\":\"",
		    explain_rule_names[d.rule], sev[d.severity]);
	explain_json_escape(b, d.text);
	mbuf_addstr(b, "\"}");
	if (watching && first) {
		mbuf_addstr(b, ",\"change\":{");
		json_delta(b, "usage_bytes", m->v[CM_USAGE], first->mem.v[CM_USAGE]);
		mbuf_addc(b, ',');
		json_delta(b, "working_set_bytes", m->v[CM_WORKING_SET],
			   first->mem.v[CM_WORKING_SET]);
		mbuf_addstr(b, ",\"components\":{");
		for (int i = 0; i < COMP_N; i++) {
			if (i)
				mbuf_addc(b, ',');
			json_delta(b, mem_component_names[i], m->comp[i], first->mem.comp[i]);
		}
		mbuf_addstr(b, "},");
		json_delta(b, "process_rss_bytes", col_value(r, C_RSS), col_value(first, C_RSS));
		mbuf_addc(b, '}');
	} else if (watching) {
		mbuf_addstr(b, ",\"new\":true");
	}
	mbuf_addc(b, '}');
}

static void add_json(struct mbuf *b, const struct explain_ctx *ctx,
		     const struct explain_snapshot *s, const struct explain_snapshot *first,
		     unsigned sample)
{
	mbuf_addstr(b, "{\"cgroup_root\":\"");
	explain_json_escape(b, ctx->scope->root.path);
	mbuf_printf(b, "\",\"cgroup_version\":%d,", ctx->scope->root.mode == CGROUP_V1 ? 1 : 2);
	if (first) {
		double since = (double)(s->taken.tv_sec - first->taken.tv_sec) +
			       (double)(s->taken.tv_nsec - first->taken.tv_nsec) / 1e9;
		mbuf_printf(b, "\"time\":%lld,\"sample\":%u,\"since_first_seconds\":%.1f,",
			    (long long)s->taken.tv_sec, sample, since);
	}
	mbuf_printf(b, "\"skipped\":%lu,\"cgroups\":[", s->skipped);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			mbuf_addc(b, ',');
		const struct explain_row *r = &s->rows[i];
		add_json_row(b, r, first ? explain_snapshot_find(first, r->path) : NULL,
			     first != NULL);
	}
	mbuf_addstr(b, "]}\n");
}

static int flush_buf(struct mbuf *b, FILE *out, struct errmsg *e)
{
	if (mbuf_error(b)) {
		errmsg_set(e, "output too large or out of memory");
		return mbuf_error(b);
	}
	if (b->len && fwrite(b->data, 1, b->len, out) != b->len) {
		errmsg_set(e, "write failed");
		return -EIO;
	}
	if (fflush(out) != 0) {
		errmsg_set(e, "write failed");
		return -EIO;
	}
	mbuf_reset(b);
	return 0;
}

/* Sleeps until *next (CLOCK_MONOTONIC) and advances it by step seconds, so
 * samples stay on a grid whatever a sample costs. */
static void sleep_until(struct timespec *next, unsigned step)
{
	next->tv_sec += step;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static void add_watch_banner(struct mbuf *b, const struct explain_snapshot *s,
			     const struct explain_snapshot *first, unsigned every, unsigned sample,
			     const struct style *st)
{
	char when[32];
	struct tm tm;
	time_t t0 = first->taken.tv_sec;
	localtime_r(&t0, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (st->color)
		mbuf_addstr(b, "\033[H\033[2J"); /* home and clear: the table redraws in place */
	mbuf_printf(b,
		    "%smemacct_exporter explain --watch %us: sample %u, change since the first "
		    "sample (%s, %llds ago). Ctrl-C stops.%s\n",
		    st->bold, every, sample, when, (long long)(s->taken.tv_sec - t0), st->reset);
}

int explain_run_samples(const struct config *cfg, const struct cgroup_scope *scope, FILE *out,
			unsigned max_samples, struct errmsg *e)
{
	struct explain_ctx ctx;
	explain_ctx_init(&ctx, cfg, scope);
	int rc;
	struct style st;
	style_init(&st, out);
	struct mbuf b;
	mbuf_init(&b, (size_t)64 << 20);
	struct explain_snapshot first, cur;
	memset(&cur, 0, sizeof(cur));
	const char *target = cfg->explain_target;
	rc = explain_snapshot_take(&ctx, target, 0, &first, e);
	if (rc)
		goto out;
	unsigned every = cfg->explain_watch_s;
	if (every == 0) {
		if (cfg->explain_json)
			add_json(&b, &ctx, &first, NULL, 0);
		else
			add_table(&b, &ctx, &first, NULL, target, &st);
		rc = flush_buf(&b, out, e);
		explain_snapshot_free(&first);
		goto out;
	}
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned sample = 1; max_samples == 0 || sample <= max_samples; sample++) {
		const struct explain_snapshot *s = &first;
		if (sample > 1) {
			sleep_until(&next, every);
			struct errmsg why = {{0}};
			int trc = explain_snapshot_take(&ctx, target, 0, &cur, &why);
			if (trc == -ENOMEM) {
				rc = trc;
				*e = why;
				break;
			}
			if (trc) {
				/* The container may have gone; keep watching. */
				mbuf_printf(&b, "%s\n", why.msg);
				if ((rc = flush_buf(&b, out, e)) != 0)
					break;
				continue;
			}
			s = &cur;
		}
		if (cfg->explain_json) {
			add_json(&b, &ctx, s, &first, sample);
		} else {
			add_watch_banner(&b, s, &first, every, sample, &st);
			add_table(&b, &ctx, s, &first, target, &st);
			if (!st.color)
				mbuf_addc(&b, '\n');
		}
		if (s == &cur)
			explain_snapshot_free(&cur);
		if ((rc = flush_buf(&b, out, e)) != 0)
			break;
	}
	explain_snapshot_free(&cur);
	explain_snapshot_free(&first);
out:
	mbuf_free(&b);
	return rc;
}

int explain_run(const struct config *cfg, const struct cgroup_scope *scope, FILE *out,
		struct errmsg *e)
{
	return explain_run_samples(cfg, scope, out, 0, e);
}
