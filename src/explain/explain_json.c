/* explain_json: one sample as explain --json's JSON line (see
 * explain_json.h). It does not sample or write to the terminal. */
#include "memacct/explain/explain_json.h"

#include <inttypes.h>
#include <string.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/explain/explain_diagnose.h"
#include "memacct/explain/explain_sample.h"
#include "memacct/util/mbuf.h"
#include "memacct/util/utf8.h"

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
	mbuf_printf(b, "\"diagnosis\":{\"rule\":\"%s\",\"severity\":\"%s\",\"text\":\"",
		    explain_rule_name(d.rule), explain_severity_names[d.severity]);
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
		json_delta(b, "process_rss_bytes", explain_row_rss(r), explain_row_rss(first));
		mbuf_addc(b, '}');
	} else if (watching) {
		mbuf_addstr(b, ",\"new\":true");
	}
	mbuf_addc(b, '}');
}

int explain_json_add(struct mbuf *b, const struct explain_ctx *ctx,
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
	return mbuf_error(b);
}
