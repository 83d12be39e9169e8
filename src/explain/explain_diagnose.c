/* explain_diagnose: the rule table that turns a row's numbers into one
 * sentence (see explain_diagnose.h). Each rule is a condition and a
 * sentence; the first rule whose condition holds speaks. No I/O, no
 * rendering.
 *
 * ws = working set; "unmapped" = active page cache no process of the
 * cgroup or below maps (file_active − RssFile); "bound" = the lower of
 * memory.high (v2) and the limit. "x is half of y" means x >= y / 2.
 *
 *  empty             ws < 1 MiB: nothing charged, all of usage inactive
 *                    page cache (reclaim takes it first), or next to
 *                    nothing (ok).
 *  no_process        no process in the cgroup or below (their cgroup.procs
 *                    were read): what is left is page cache and shmem the
 *                    exited processes left charged, listed; not a leak in a
 *                    running process (ok when active page cache is half of
 *                    ws, else watch).
 *  near_limit_cache  usage >= 90% of bound and inactive + unmapped is half
 *                    of usage: reclaim frees it first, not a leak (ok).
 *  near_limit_anon   usage >= 90% of bound and anon + shmem is half of
 *                    usage: reclaim cannot free it, an OOM kill (throttling
 *                    at memory.high) is near: look at the process (act).
 *  near_limit        usage >= 90% of bound otherwise: the parts of at least
 *                    a tenth of usage are listed (watch).
 *  page_cache        unmapped is half of ws: reclaimable, not a leak (ok).
 *  anon              anon is half of ws: the processes' own memory (ok); in
 *                    --watch, when anon grew since the first sample by more
 *                    than 1 MiB and 1%, "and rising", look at the process
 *                    (act).
 *  shmem             shmem is half of ws: tmpfs and /dev/shm files (watch).
 *  kernel            kernel is half of ws: slab, sockets, page tables
 *                    (watch).
 *  mixed             always: the parts of at least a tenth of ws are listed,
 *                    other too (ok).
 * page_cache to mixed add why usage is larger than the working set when
 * inactive page cache is at least a quarter of usage. */
#include "memacct/explain/explain_diagnose.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memacct/explain/explain_format.h"

#define MIB (UINT64_C(1) << 20)

const char *const explain_severity_names[3] = {"ok", "watch", "act"};

/* ---- helpers ---- */

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

static void say(struct explain_diag *d, enum explain_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct explain_diag *d, enum explain_severity sev, const char *fmt, ...)
{
	va_list ap;
	d->severity = sev;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
}

/* Human sizes of the numbers every sentence may name. */
struct words {
	char ws[24], usage[24], bound[24], x[24];
	const char *bound_name; /* "memory.high" | "the limit" */
};

static void words_of(const struct explain_facts *f, struct words *w)
{
	explain_human_bytes(w->ws, sizeof(w->ws), f->ws);
	explain_human_bytes(w->usage, sizeof(w->usage), f->usage);
	explain_human_bytes(w->bound, sizeof(w->bound), f->bound);
	w->bound_name = f->bound_is_high ? "memory.high" : "the limit";
}

void explain_facts_of(const struct explain_row *r, const struct explain_row *first,
		      struct explain_facts *f)
{
	const struct cgroup_mem *m = &r->mem;
	memset(f, 0, sizeof(*f));
	f->ws = m->v[CM_WORKING_SET];
	f->usage = m->v[CM_USAGE];
	f->anon = m->comp[COMP_ANON];
	f->shmem = m->comp[COMP_SHMEM];
	f->active = m->comp[COMP_FILE_ACTIVE];
	f->inactive = m->comp[COMP_FILE_INACTIVE];
	f->kernel = m->comp[COMP_KERNEL];
	f->other = m->comp[COMP_OTHER];
	uint64_t rss_file = r->procs.rss_file;
	f->unmapped = f->active - (rss_file < f->active ? rss_file : f->active);
	f->no_process = r->procs_ok && r->procs.processes == 0;
	bool has_limit = cgroup_mem_has(m, CM_LIMIT), has_high = cgroup_mem_has(m, CM_HIGH);
	if (has_limit || has_high) {
		f->bound_is_high = has_high && (!has_limit || m->v[CM_HIGH] < m->v[CM_LIMIT]);
		f->bound = f->bound_is_high ? m->v[CM_HIGH] : m->v[CM_LIMIT];
		f->near_pct = pct(f->usage, f->bound);
		f->near = f->bound > 0 && f->near_pct >= 90;
	}
	f->watching = first != NULL;
	f->anon_then = first ? first->mem.comp[COMP_ANON] : f->anon;
}

/* ---- the rules, in table order ---- */

static bool empty_fires(const struct explain_facts *f)
{
	return f->ws < MIB;
}

static void empty_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	words_of(f, &w);
	if (f->ws == 0 && f->usage == 0)
		say(d, EXPLAIN_OK, "nothing charged");
	else if (f->ws == 0)
		say(d, EXPLAIN_OK,
		    "working set 0 B: all %s of usage is inactive page cache, which reclaim takes "
		    "first",
		    w.usage);
	else
		say(d, EXPLAIN_OK, "working set %s: next to nothing is charged", w.ws);
}

static bool no_process_fires(const struct explain_facts *f)
{
	return f->no_process;
}

static void no_process_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	struct parts p = {{0}, 0, 0};
	char list[200];
	words_of(f, &w);
	parts_add(&p, f->active, f->ws, "active page cache (reclaimable)");
	parts_add(&p, f->shmem, f->ws,
		  "shmem (kept until its tmpfs or /dev/shm files are deleted)");
	parts_add(&p, f->anon, f->ws, "anon");
	parts_add(&p, f->kernel, f->ws, "kernel");
	parts_finish(&p, list, sizeof(list));
	say(d, half(f->active, f->ws) ? EXPLAIN_OK : EXPLAIN_WATCH,
	    "no process: working set %s is %s%sleft charged by processes that exited, not a leak "
	    "in a running one",
	    w.ws, list, p.n ? " " : "");
}

/* Page cache no process maps: inactive and unmapped active. */
static uint64_t unmapped_cache(const struct explain_facts *f)
{
	return f->inactive + f->unmapped;
}

static bool near_limit_cache_fires(const struct explain_facts *f)
{
	return f->near && half(unmapped_cache(f), f->usage);
}

static void near_limit_cache_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	words_of(f, &w);
	say(d, EXPLAIN_OK,
	    "usage %s is %u%% of %s (%s), but %s of it is page cache no process maps, which "
	    "reclaim frees first: not a leak",
	    w.usage, f->near_pct, w.bound_name, w.bound,
	    explain_human_bytes(w.x, sizeof(w.x), unmapped_cache(f)));
}

static bool near_limit_anon_fires(const struct explain_facts *f)
{
	return f->near && half(f->anon + f->shmem, f->usage);
}

static void near_limit_anon_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	words_of(f, &w);
	say(d, EXPLAIN_ACT,
	    "usage %s is %u%% of %s (%s) and %s of it is anon%s, which reclaim cannot free: %s "
	    "is near, look at the process",
	    w.usage, f->near_pct, w.bound_name, w.bound,
	    explain_human_bytes(w.x, sizeof(w.x), f->anon + f->shmem),
	    f->shmem >= f->usage / 10 ? " and shmem" : "",
	    f->bound_is_high ? "throttling" : "an OOM kill");
}

static bool near_limit_fires(const struct explain_facts *f)
{
	return f->near;
}

static void near_limit_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	struct parts p = {{0}, 0, 0};
	char list[200];
	words_of(f, &w);
	parts_add(&p, f->anon, f->usage, "anon");
	parts_add(&p, unmapped_cache(f), f->usage, "page cache no process maps");
	parts_add(&p, f->active - f->unmapped, f->usage, "mapped page cache");
	parts_add(&p, f->shmem, f->usage, "shmem");
	parts_add(&p, f->kernel, f->usage, "kernel");
	parts_finish(&p, list, sizeof(list));
	say(d, EXPLAIN_WATCH, "usage %s is %u%% of %s (%s): %s", w.usage, f->near_pct, w.bound_name,
	    w.bound, p.n ? list : "no part dominates");
}

static bool page_cache_fires(const struct explain_facts *f)
{
	return half(f->unmapped, f->ws);
}

static void page_cache_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	words_of(f, &w);
	say(d, EXPLAIN_OK,
	    "working set %s, %s of it active page cache that no process maps: reclaimable, not a "
	    "leak",
	    w.ws, explain_human_bytes(w.x, sizeof(w.x), f->unmapped));
}

static bool anon_fires(const struct explain_facts *f)
{
	return half(f->anon, f->ws);
}

static void anon_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	char ha[24];
	words_of(f, &w);
	explain_human_bytes(ha, sizeof(ha), f->anon);
	uint64_t then = f->anon_then;
	if (f->watching && f->anon > then && f->anon - then > MIB && f->anon - then > then / 100)
		say(d, EXPLAIN_ACT,
		    "anon %s and rising (%s since the first sample) is most of the working set %s: "
		    "look at the process",
		    ha, explain_human_delta(w.x, sizeof(w.x), f->anon, then), w.ws);
	else
		say(d, EXPLAIN_OK,
		    "anon %s is most of the working set %s: the processes' own memory; if it keeps "
		    "rising, look at the process",
		    ha, w.ws);
}

static bool shmem_fires(const struct explain_facts *f)
{
	return half(f->shmem, f->ws);
}

static void shmem_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	words_of(f, &w);
	say(d, EXPLAIN_WATCH,
	    "shmem %s is most of the working set %s: tmpfs or /dev/shm files and shared memory, "
	    "which reclaim cannot free without swap; look for files left in /dev/shm",
	    explain_human_bytes(w.x, sizeof(w.x), f->shmem), w.ws);
}

static bool kernel_fires(const struct explain_facts *f)
{
	return half(f->kernel, f->ws);
}

static void kernel_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	words_of(f, &w);
	say(d, EXPLAIN_WATCH,
	    "kernel memory %s is most of the working set %s: slab (dentries, inodes, sockets) and "
	    "page tables, not the heap; look at open files and sockets",
	    explain_human_bytes(w.x, sizeof(w.x), f->kernel), w.ws);
}

static bool mixed_fires(const struct explain_facts *f)
{
	(void)f;
	return true;
}

static void mixed_say(const struct explain_facts *f, struct explain_diag *d)
{
	struct words w;
	struct parts p = {{0}, 0, 0};
	char list[200];
	words_of(f, &w);
	parts_add(&p, f->anon, f->ws, "anon");
	parts_add(&p, f->unmapped, f->ws, "active page cache no process maps");
	parts_add(&p, f->active - f->unmapped, f->ws, "mapped page cache");
	parts_add(&p, f->shmem, f->ws, "shmem");
	parts_add(&p, f->kernel, f->ws, "kernel");
	parts_add(&p, f->other, f->ws, "other");
	parts_finish(&p, list, sizeof(list));
	say(d, EXPLAIN_OK, "working set %s: %s%s", w.ws, p.n ? list : "no part is a tenth of it",
	    p.n > 1 ? ", no part dominates" : "");
}

/* clang-format off */
const struct explain_rule_def explain_rules[EXPLAIN_RULE_N] = {
    {EXPLAIN_EMPTY,            "empty",            empty_fires,            empty_say,            false},
    {EXPLAIN_NO_PROCESS,       "no_process",       no_process_fires,       no_process_say,       false},
    {EXPLAIN_NEAR_LIMIT_CACHE, "near_limit_cache", near_limit_cache_fires, near_limit_cache_say, false},
    {EXPLAIN_NEAR_LIMIT_ANON,  "near_limit_anon",  near_limit_anon_fires,  near_limit_anon_say,  false},
    {EXPLAIN_NEAR_LIMIT,       "near_limit",       near_limit_fires,       near_limit_say,       false},
    {EXPLAIN_PAGE_CACHE,       "page_cache",       page_cache_fires,       page_cache_say,       true},
    {EXPLAIN_ANON,             "anon",             anon_fires,             anon_say,             true},
    {EXPLAIN_SHMEM,            "shmem",            shmem_fires,            shmem_say,            true},
    {EXPLAIN_KERNEL,           "kernel",           kernel_fires,           kernel_say,           true},
    {EXPLAIN_MIXED,            "mixed",            mixed_fires,            mixed_say,            true},
};
/* clang-format on */

const char *explain_rule_name(enum explain_rule rule)
{
	return (unsigned)rule < EXPLAIN_RULE_N ? explain_rules[rule].name : "?";
}

void explain_diagnose(const struct explain_row *r, const struct explain_row *first,
		      struct explain_diag *d)
{
	struct explain_facts f;
	explain_facts_of(r, first, &f);
	const struct explain_rule_def *rule = &explain_rules[EXPLAIN_MIXED];
	for (size_t i = 0; i < EXPLAIN_RULE_N; i++) {
		if (explain_rules[i].fires(&f)) {
			rule = &explain_rules[i];
			break;
		}
	}
	d->rule = rule->rule;
	rule->say(&f, d);
	if (rule->tells_inactive && f.usage > f.ws && f.usage - f.ws >= f.usage / 4) {
		char hu[24], hx[24];
		size_t l = strlen(d->text);
		snprintf(d->text + l, sizeof(d->text) - l,
			 "; usage %s also holds %s of inactive page cache, reclaimed first",
			 explain_human_bytes(hu, sizeof(hu), f.usage),
			 explain_human_bytes(hx, sizeof(hx), f.usage - f.ws));
	}
}
