/* explain_diagnose: the rules that turn a row's numbers into one sentence
 * (see explain_diagnose.h). The rules are listed below; the first that
 * matches gives the sentence. No I/O, no rendering. */
#include "memacct/explain/explain_diagnose.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memacct/explain/explain_format.h"

#define MIB (UINT64_C(1) << 20)

/* The rules, first match wins. ws = working set, usage, and the parts anon,
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

const char *const explain_severity_names[3] = {"ok", "watch", "act"};

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
