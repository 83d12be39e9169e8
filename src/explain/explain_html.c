/* explain_html: the /explain page (explain_page.h), the browser's view of
 * `explain`: the top cgroups by working set, each with its numbers, its
 * diagnosis and a stacked bar of the split against its limit (plain HTML
 * and inline CSS: no JavaScript, no external assets; a meta refresh keeps
 * it live), and the JetStream streams (size, oldest message age, an
 * "unbounded" marker) from whatever producer the server hands in. Samples
 * come from explain_sample.c, sentences from explain_diagnose.c, units and
 * escaping from explain_format.c. It does not speak HTTP (http.c does) and
 * does not poll NATS (the JetStream collector does). */
#include "memacct/explain/explain_page.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/cli/flags.h"
#include "memacct/explain/explain_diagnose.h"
#include "memacct/explain/explain_files.h"
#include "memacct/explain/explain_format.h"
#include "memacct/explain/explain_sample.h"
#include "memacct/util/mbuf.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Streams listed at most on the page (largest first); a line counts the
 * rest. */
#define STREAMS_SHOWN 200
/* Streams kept from a producer at most: a cap on what one render holds. */
#define STREAMS_MAX 100000

/* Seconds between the page's own reloads. */
#define REFRESH_S 10

struct stream_row {
	char *name, *account, *storage; /* owned */
	struct explain_stream v;	/* its strings point at the fields above */
};

struct explain_stream_sink {
	struct stream_row *rows;
	size_t n, cap;
	size_t dropped;
	int err;
	bool has_status, up;
	double last_success_age_s;
	char error[256];
};

struct explain_page {
	struct explain_ctx ctx;
	struct explain_sources src;
	const char *metrics_href; /* --web.telemetry-path without its '/': relative links
				     survive a reverse proxy's prefix */
};

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int explain_stream_add(struct explain_stream_sink *sink, const struct explain_stream *st)
{
	if (sink->err)
		return sink->err;
	if (sink->n == STREAMS_MAX) {
		sink->dropped++;
		return 0;
	}
	if (sink->n == sink->cap) {
		size_t ncap = sink->cap ? sink->cap * 2 : 32;
		struct stream_row *nr = realloc(sink->rows, ncap * sizeof(*nr));
		if (!nr)
			return sink->err = -ENOMEM;
		sink->rows = nr;
		sink->cap = ncap;
	}
	struct stream_row *r = &sink->rows[sink->n];
	r->v = *st;
	r->name = dup_or_empty(st->name);
	r->account = dup_or_empty(st->account);
	r->storage = dup_or_empty(st->storage);
	if (!r->name || !r->account || !r->storage) {
		free(r->name);
		free(r->account);
		free(r->storage);
		return sink->err = -ENOMEM;
	}
	r->v.name = r->name;
	r->v.account = r->account;
	r->v.storage = r->storage;
	sink->n++;
	return 0;
}

void explain_stream_status(struct explain_stream_sink *sink, bool up, double last_success_age_s,
			   const char *error)
{
	sink->has_status = true;
	sink->up = up;
	sink->last_success_age_s = last_success_age_s;
	snprintf(sink->error, sizeof(sink->error), "%s", error ? error : "");
}

static void sink_free(struct explain_stream_sink *sink)
{
	for (size_t i = 0; i < sink->n; i++) {
		free(sink->rows[i].name);
		free(sink->rows[i].account);
		free(sink->rows[i].storage);
	}
	free(sink->rows);
	memset(sink, 0, sizeof(*sink));
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>memacct_exporter: explain</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}\n"
    "h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em}\n"
    ".meta,.legend{color:#555;margin:.2em 0}\n"
    "table{border-collapse:collapse;margin-top:.6em}\n"
    "th,td{padding:.35em .5em;border-bottom:1px solid #e3e3e3;vertical-align:top}\n"
    "th{text-align:left;font-weight:600;background:#f6f6f6;position:sticky;top:0}\n"
    "td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "td.cg{min-width:24em;max-width:44em}code{font-size:12px;word-break:break-all}\n"
    ".names{font-weight:600}.diag{margin-top:.2em}\n"
    ".sev-ok .diag{color:#1b6e20}.sev-watch .diag{color:#8a5a00}"
    ".sev-act .diag{color:#b00020;font-weight:600}\n"
    ".bar{position:relative;display:flex;width:320px;height:18px;background:#f0f0f0;"
    "border:1px solid #bbb;box-sizing:content-box;overflow:visible}\n"
    ".seg{display:block;height:100%;flex:none}\n"
    ".mark{position:absolute;top:-3px;height:24px;width:0;border-left:2px solid #000}\n"
    ".mark.rss{border-left:2px dotted #000}.mark.high{border-left:2px dashed #b00020}\n"
    ".nolimit{font-size:11px;color:#777}\n"
    ".sw{display:inline-block;width:.9em;height:.9em;vertical-align:-1px;margin:0 .25em 0 .8em;"
    "border:1px solid #999}\n"
    ".anon{background:#d62728}.shmem{background:#9467bd}.kernel{background:#8c564b}"
    ".other{background:#7f7f7f}.file_active{background:#1f77b4}"
    ".file_inactive{background:#aec7e8}\n"
    ".badge{display:inline-block;padding:0 .4em;border-radius:3px;background:#b00020;"
    "color:#fff;font-size:12px;font-weight:600}\n"
    ".err{color:#b00020}\n"
    "</style>\n";

/* Bar segments, in drawing order: the working set first, inactive page
 * cache last, so the working-set mark falls where inactive begins. */
static const enum mem_component bar_order[] = {COMP_ANON,  COMP_SHMEM,	     COMP_KERNEL,
					       COMP_OTHER, COMP_FILE_ACTIVE, COMP_FILE_INACTIVE};

static double share(uint64_t v, uint64_t scale)
{
	return scale ? 100.0 * (double)v / (double)scale : 0.0;
}

static void add_bar(struct mbuf *b, const struct explain_row *r)
{
	const struct cgroup_mem *m = &r->mem;
	uint64_t usage = m->v[CM_USAGE];
	bool limited = cgroup_mem_has(m, CM_LIMIT) && m->v[CM_LIMIT] >= usage;
	uint64_t scale = limited ? m->v[CM_LIMIT] : usage;
	uint64_t rss = explain_row_rss(r);
	char h[24];
	mbuf_printf(b, "<div class=\"bar\" data-scale=\"%" PRIu64 "\" title=\"", scale);
	mbuf_printf(b, "%s of %s", explain_human_bytes(h, sizeof(h), usage),
		    limited ? "the limit " : "usage (no limit)");
	if (limited)
		mbuf_addstr(b, explain_human_bytes(h, sizeof(h), scale));
	mbuf_addstr(b, "\">");
	for (size_t i = 0; i < NELEM(bar_order); i++) {
		enum mem_component c = bar_order[i];
		mbuf_printf(b,
			    "<span class=\"seg %s\" data-component=\"%s\" data-bytes=\"%" PRIu64
			    "\" style=\"width:%.4f%%\" title=\"%s %s\"></span>",
			    mem_component_names[c], mem_component_names[c], m->comp[c],
			    share(m->comp[c], scale), mem_component_names[c],
			    explain_human_bytes(h, sizeof(h), m->comp[c]));
	}
	double ws = share(m->v[CM_WORKING_SET], scale), rs = share(rss, scale);
	mbuf_printf(b,
		    "<span class=\"mark ws\" data-bytes=\"%" PRIu64
		    "\" style=\"left:%.4f%%\" title=\"working set %s\"></span>",
		    m->v[CM_WORKING_SET], ws > 100 ? 100 : ws,
		    explain_human_bytes(h, sizeof(h), m->v[CM_WORKING_SET]));
	if (cgroup_mem_has(m, CM_HIGH) && m->v[CM_HIGH] <= scale)
		mbuf_printf(b,
			    "<span class=\"mark high\" data-bytes=\"%" PRIu64
			    "\" style=\"left:%.4f%%\" title=\"memory.high %s\"></span>",
			    m->v[CM_HIGH], share(m->v[CM_HIGH], scale),
			    explain_human_bytes(h, sizeof(h), m->v[CM_HIGH]));
	if (r->procs_ok)
		mbuf_printf(b,
			    "<span class=\"mark rss\" data-bytes=\"%" PRIu64
			    "\" style=\"left:%.4f%%\" title=\"process RSS %s\"></span>",
			    rss, rs > 100 ? 100 : rs, explain_human_bytes(h, sizeof(h), rss));
	mbuf_addstr(b, "</div>");
	if (!limited)
		mbuf_printf(b, "<div class=\"nolimit\">%s</div>",
			    cgroup_mem_has(m, CM_LIMIT) ? "over its limit: bar = usage"
							: "no limit: bar = usage");
}

static void add_num(struct mbuf *b, uint64_t v)
{
	char h[24];
	mbuf_printf(b, "<td class=\"num\">%s</td>", explain_human_bytes(h, sizeof(h), v));
}

/* s percent-encoded for a query value (anything but A-Z a-z 0-9 / . _ -). */
static void add_url_component(struct mbuf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '/' || *p == '.' || *p == '_' || *p == '-')
			mbuf_addc(b, (char)*p);
		else
			mbuf_printf(b, "%%%02X", *p);
	}
}

static void add_cgroup_row(struct mbuf *b, const struct explain_row *r)
{
	const struct cgroup_mem *m = &r->mem;
	struct explain_diag d;
	explain_diagnose(r, NULL, &d);
	mbuf_printf(b, "<tr class=\"sev-%s\" data-rule=\"%s\" data-cgroup=\"",
		    explain_severity_names[d.severity], explain_rule_name(d.rule));
	explain_add_html(b, r->path);
	mbuf_printf(b, "\" data-usage=\"%" PRIu64 "\" data-working-set=\"%" PRIu64 "\">",
		    m->v[CM_USAGE], m->v[CM_WORKING_SET]);
	mbuf_addstr(b, "<td class=\"cg\">");
	if (r->has_names) {
		mbuf_addstr(b, "<div class=\"names\">");
		explain_add_html(b, r->names.namespace_);
		mbuf_addc(b, '/');
		explain_add_html(b, r->names.pod);
		if (r->names.container[0]) {
			mbuf_addc(b, '/');
			explain_add_html(b, r->names.container);
		}
		mbuf_addstr(b, "</div>");
	}
	mbuf_addstr(b, "<code>");
	explain_add_html(b, r->path);
	mbuf_addstr(b, "</code><div class=\"diag\">");
	explain_add_html(b, d.text);
	/* Which files hold its page cache: computed only when asked. */
	mbuf_addstr(b, "</div><a class=\"files\" href=\"explain?files=");
	add_url_component(b, r->path);
	mbuf_addstr(b, "\">page cache by file</a></td><td>");
	add_bar(b, r);
	mbuf_addstr(b, "</td>");
	add_num(b, m->v[CM_USAGE]);
	add_num(b, m->v[CM_WORKING_SET]);
	add_num(b, m->comp[COMP_ANON]);
	add_num(b, m->comp[COMP_SHMEM]);
	add_num(b, m->comp[COMP_FILE_ACTIVE]);
	add_num(b, m->comp[COMP_FILE_INACTIVE]);
	add_num(b, m->comp[COMP_KERNEL]);
	add_num(b, m->comp[COMP_OTHER]);
	if (r->procs_ok) {
		add_num(b, explain_row_rss(r));
		mbuf_printf(b, "<td class=\"num\">%" PRIu64 "</td>", r->procs.processes);
	} else {
		mbuf_addstr(b, "<td class=\"num\">?</td><td class=\"num\">?</td>");
	}
	if (cgroup_mem_has(m, CM_LIMIT))
		add_num(b, m->v[CM_LIMIT]);
	else
		mbuf_addstr(b, "<td class=\"num\">none</td>");
	mbuf_addstr(b, "</tr>\n");
}

static void add_cgroups(struct mbuf *b, const struct explain_page *p)
{
	struct explain_snapshot s;
	struct errmsg e = {{0}};
	mbuf_addstr(b, "<h1>Memory by cgroup</h1>\n<p class=\"meta\">cgroup ");
	mbuf_addstr(b, cgroup_mode_name(p->ctx.scope->root.mode));
	mbuf_addstr(b, " at <code>");
	explain_add_html(b, p->ctx.scope->root.path);
	mbuf_addstr(b, "</code>");
	int rc = explain_snapshot_take(&p->ctx, NULL, EXPLAIN_HTML_MAX_ROWS, &s, &e);
	if (rc) {
		mbuf_addstr(b,
			    "</p>\n<p class=\"err\" id=\"cgroup-error\">Cannot read the cgroups: ");
		explain_add_html(b, e.msg[0] ? e.msg : strerror(-rc));
		mbuf_addstr(b, "</p>\n");
		return;
	}
	char when[40];
	struct tm tm;
	gmtime_r(&s.taken.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	mbuf_printf(b,
		    " &middot; %zu cgroups, the %zu with the largest working set shown &middot; "
		    "sampled %s, reloads every %d s &middot; <a href=\"./\">home</a> &middot; "
		    "<a href=\"",
		    s.matched_total, s.n, when, REFRESH_S);
	explain_add_html(b, p->metrics_href);
	mbuf_addstr(b, "\">metrics</a></p>\n");
	if (s.skipped)
		mbuf_printf(b, "<p class=\"err\">%lu cgroup(s) could not be read.</p>\n",
			    s.skipped);
	mbuf_addstr(b, "<p class=\"legend\">Bar: the split against the limit (or usage when "
		       "there is none).");
	for (size_t i = 0; i < NELEM(bar_order); i++)
		mbuf_printf(b, "<span class=\"sw %s\"></span>%s", mem_component_names[bar_order[i]],
			    mem_component_names[bar_order[i]]);
	mbuf_addstr(b, ". Marks: solid, the working set (usage &minus; file_inactive); dotted, "
		       "the processes' RSS (the cgroup and below); red dashed, memory.high.</p>\n");
	mbuf_addstr(b, "<table id=\"cgroups\"><thead><tr><th>cgroup</th><th>split</th>"
		       "<th class=\"num\">usage</th><th class=\"num\">working set</th>"
		       "<th class=\"num\">anon</th><th class=\"num\">shmem</th>"
		       "<th class=\"num\">file active</th><th class=\"num\">file inactive</th>"
		       "<th class=\"num\">kernel</th><th class=\"num\">other</th>"
		       "<th class=\"num\">RSS</th><th class=\"num\">procs</th>"
		       "<th class=\"num\">limit</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < s.n; i++)
		add_cgroup_row(b, &s.rows[i]);
	mbuf_addstr(b, "</tbody></table>\n");
	explain_snapshot_free(&s);
}

static int cmp_stream_bytes(const void *a, const void *b)
{
	const struct stream_row *x = a, *y = b;
	if (x->v.bytes != y->v.bytes)
		return x->v.bytes > y->v.bytes ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void add_limit_cell(struct mbuf *b, const struct explain_stream *v)
{
	char h[24];
	bool any = false;
	mbuf_addstr(b, "<td>");
	if (v->max_bytes) {
		mbuf_printf(b, "%s", explain_human_bytes(h, sizeof(h), v->max_bytes));
		any = true;
	}
	if (v->max_messages) {
		mbuf_printf(b, "%s%" PRIu64 " msgs", any ? ", " : "", v->max_messages);
		any = true;
	}
	if (v->max_age_s > 0) {
		mbuf_printf(b, "%s%s", any ? ", " : "",
			    explain_human_age(h, sizeof(h), v->max_age_s));
		any = true;
	}
	if (!any)
		mbuf_addstr(b, "none");
	mbuf_addstr(b, "</td>");
}

/* "none", or "N: P undelivered (the most behind), A unacked". */
static void add_consumer_cell(struct mbuf *b, const struct explain_stream *v)
{
	if (!v->consumers) {
		mbuf_addstr(b, "<td>none</td>");
		return;
	}
	mbuf_printf(b,
		    "<td data-pending=\"%" PRIu64 "\" data-ack-pending=\"%" PRIu64 "\">%" PRIu64
		    ": %" PRIu64 " undelivered, %" PRIu64 " unacked</td>",
		    v->max_pending, v->ack_pending, v->consumers, v->max_pending, v->ack_pending);
}

static void add_streams(struct mbuf *b, const struct explain_page *p)
{
	mbuf_addstr(b, "<h2>JetStream streams</h2>\n");
	if (!p->src.streams) {
		mbuf_addstr(b, "<p class=\"meta\" id=\"jetstream-none\">JetStream not configured "
			       "(start the exporter with --nats.url).</p>\n");
		return;
	}
	struct explain_stream_sink sink;
	memset(&sink, 0, sizeof(sink));
	int rc = p->src.streams(p->src.streams_arg, &sink);
	if (sink.has_status) {
		char h[24];
		mbuf_printf(b, "<p class=\"meta\">poller %s", sink.up ? "up" : "down");
		if (sink.last_success_age_s >= 0)
			mbuf_printf(b, ", last successful poll %s ago",
				    explain_human_age(h, sizeof(h), sink.last_success_age_s));
		else
			mbuf_addstr(b, ", no successful poll yet");
		if (sink.error[0]) {
			mbuf_addstr(b, "; last error: ");
			explain_add_html(b, sink.error);
		}
		mbuf_addstr(b, "</p>\n");
	}
	if (rc || sink.err) {
		mbuf_printf(
		    b, "<p class=\"err\" id=\"jetstream-error\">The stream list is %s: %s.</p>\n",
		    rc ? "unavailable" : "incomplete", strerror(-(rc ? rc : sink.err)));
		if (rc) {
			sink_free(&sink);
			return;
		}
	}
	if (sink.n)
		qsort(sink.rows, sink.n, sizeof(*sink.rows), cmp_stream_bytes);
	size_t unbounded = 0;
	for (size_t i = 0; i < sink.n; i++)
		unbounded += sink.rows[i].v.unbounded;
	mbuf_printf(b,
		    "<p class=\"meta\">%zu stream%s, %zu unbounded (limits retention with no "
		    "max age, bytes or messages)",
		    sink.n + sink.dropped, sink.n + sink.dropped == 1 ? "" : "s", unbounded);
	size_t shown = sink.n < STREAMS_SHOWN ? sink.n : STREAMS_SHOWN;
	if (shown < sink.n + sink.dropped)
		mbuf_printf(b, "; the %zu largest shown", shown);
	mbuf_addstr(b, ".</p>\n<table id=\"streams\"><thead><tr><th>stream</th><th>account</th>"
		       "<th>storage</th><th class=\"num\">size</th><th class=\"num\">messages</th>"
		       "<th class=\"num\">oldest message</th><th>limits</th><th>consumers</th>"
		       "<th></th></tr></thead>"
		       "\n<tbody>\n");
	for (size_t i = 0; i < shown; i++) {
		const struct explain_stream *v = &sink.rows[i].v;
		char h[24];
		mbuf_addstr(b, "<tr data-stream=\"");
		explain_add_html(b, v->name);
		mbuf_printf(b, "\" data-bytes=\"%" PRIu64 "\"%s><td><code>", v->bytes,
			    v->unbounded ? " class=\"unbounded\"" : "");
		explain_add_html(b, v->name);
		mbuf_addstr(b, "</code></td><td>");
		explain_add_html(b, v->account);
		mbuf_addstr(b, "</td><td>");
		explain_add_html(b, v->storage);
		mbuf_printf(b, "</td><td class=\"num\">%s</td><td class=\"num\">%" PRIu64 "</td>",
			    explain_human_bytes(h, sizeof(h), v->bytes), v->messages);
		mbuf_printf(b, "<td class=\"num\">%s</td>",
			    v->has_oldest ? explain_human_age(h, sizeof(h), v->oldest_age_s)
					  : "empty");
		add_limit_cell(b, v);
		add_consumer_cell(b, v);
		mbuf_printf(b, "<td>%s</td></tr>\n",
			    v->unbounded ? "<span class=\"badge\">unbounded</span>" : "");
	}
	mbuf_addstr(b, "</tbody></table>\n");
	sink_free(&sink);
}

int explain_page_new(const struct config *cfg, const struct cgroup_scope *scope,
		     const struct explain_sources *src, struct explain_page **out, struct errmsg *e)
{
	(void)e;
	*out = NULL;
	struct explain_page *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (src)
		p->src = *src;
	const char *tp = cfg->telemetry_path ? cfg->telemetry_path : "/metrics";
	p->metrics_href = tp[0] == '/' && tp[1] ? tp + 1 : "metrics";
	explain_ctx_init(&p->ctx, cfg, scope);
	*out = p;
	return 0;
}

void explain_page_free(struct explain_page *p)
{
	if (!p)
		return;
	free(p);
}

int explain_page_render(struct explain_page *p, struct mbuf *out, struct errmsg *e)
{
	mbuf_addstr(out, page_head);
	mbuf_printf(out, "<meta http-equiv=\"refresh\" content=\"%d\">\n</head><body>\n",
		    REFRESH_S);
	add_cgroups(out, p);
	add_streams(out, p);
	mbuf_addstr(out, "<p class=\"meta\">memacct_exporter " MEMACCT_VERSION
			 " &middot; the same numbers as <code>memacct_exporter explain</code>"
			 " and the memacct_cgroup_* metrics.</p>\n</body></html>\n");
	int rc = mbuf_error(out);
	if (rc)
		errmsg_set(e, "/explain page: %s", strerror(-rc));
	return rc;
}

int explain_page_render_files(struct explain_page *p, const char *target, struct mbuf *out,
			      struct errmsg *e)
{
	mbuf_addstr(out, page_head);
	mbuf_addstr(out, "</head><body>\n<p class=\"meta\"><a href=\"explain\">&larr; all cgroups</a></p>\n");
	struct explain_snapshot s;
	struct errmsg why = {{0}};
	int rc = explain_snapshot_take(&p->ctx, target, 0, &s, &why);
	const struct explain_row *row = rc ? NULL : explain_files_row(&s, target);
	if (!rc && !row)
		errmsg_set(&why, "no cgroup with memory files matches");
	if (row) {
		struct explain_files f;
		rc = explain_files_take(&p->ctx, row, NULL, EXPLAIN_HTML_FILES_DEADLINE_MS, &f, &why);
		if (rc == 0)
			explain_files_html(out, &f);
		explain_files_free(&f);
	}
	if (rc || !row) {
		mbuf_addstr(out, "<p class=\"err\" id=\"files-error\">Page cache by file of ");
		explain_add_html(out, target);
		mbuf_addstr(out, ": ");
		explain_add_html(out, why.msg[0] ? why.msg : strerror(-rc));
		mbuf_addstr(out, "</p>\n");
	}
	if (!rc || row)
		explain_snapshot_free(&s);
	mbuf_addstr(out, "</body></html>\n");
	rc = mbuf_error(out);
	if (rc)
		errmsg_set(e, "/explain?files page: %s", strerror(-rc));
	return rc;
}

int explain_html(const struct config *cfg, const struct cgroup_scope *scope,
		 const struct explain_sources *src, struct mbuf *out, struct errmsg *e)
{
	struct explain_page *p;
	int rc = explain_page_new(cfg, scope, src, &p, e);
	if (rc)
		return rc;
	rc = explain_page_render(p, out, e);
	explain_page_free(p);
	return rc;
}
