/* explain_text: the terminal table of one sample (see explain_text.h):
 * columns, the change row in --watch, the diagnosis line and the legend.
 * Names go through explain_add_term(). It does not sample or write to the
 * terminal. */
#include "memacct/explain/explain_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/explain/explain_diagnose.h"
#include "memacct/explain/explain_format.h"
#include "memacct/explain/explain_sample.h"
#include "memacct/util/mbuf.h"

void explain_style_init(struct explain_style *st, FILE *out)
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
	return explain_row_rss(r);
}

#define COLW 9

static void add_header(struct mbuf *b, const struct explain_style *st)
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
	explain_add_term(b, r->names.namespace_);
	mbuf_addc(b, '/');
	explain_add_term(b, r->names.pod);
	if (r->names.container[0]) {
		mbuf_addc(b, '/');
		explain_add_term(b, r->names.container);
	}
	mbuf_addc(b, ')');
}

static void add_row(struct mbuf *b, const struct explain_row *r, const struct explain_row *first,
		    bool watching, const struct explain_style *st)
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
	explain_add_term(b, r->path);
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

static void add_legend(struct mbuf *b, const struct explain_style *st)
{
	mbuf_printf(b,
		    "%sUSAGE = ANON + SHMEM + ACTIVE + INACTIVE + KERNEL + OTHER; WSET = USAGE - "
		    "INACTIVE (the kubelet's working set).\n"
		    "ACTIVE, INACTIVE: page cache on the active and inactive lists. RSS, PIDS: the "
		    "processes of the cgroup and below.%s\n",
		    st->dim, st->reset);
}

void explain_text_table(struct mbuf *b, const struct explain_ctx *ctx,
			const struct explain_snapshot *s, const struct explain_snapshot *first,
			const char *target, const struct explain_style *st)
{
	mbuf_printf(b, "%scgroup %s at ", st->bold, cgroup_mode_name(ctx->scope->root.mode));
	explain_add_term(b, ctx->scope->root.path);
	mbuf_printf(b, ": %zu cgroup%s", s->n, s->n == 1 ? "" : "s");
	if (target) {
		mbuf_addstr(b, " matching ");
		explain_add_term(b, target);
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

void explain_text_watch_banner(struct mbuf *b, const struct explain_snapshot *s,
			       const struct explain_snapshot *first, unsigned every,
			       unsigned sample, const struct explain_style *st)
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
