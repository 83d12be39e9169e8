/* explain_json: one sample as explain --json's JSON line (see
 * explain_json.h), built with json-c through util/json_out (strings made
 * valid UTF-8). It does not sample or write to the terminal. */
#include "memacct/explain/explain_json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/explain/explain_diagnose.h"
#include "memacct/explain/explain_sample.h"
#include "memacct/util/json_out.h"
#include "memacct/util/mbuf.h"

/* Adds key: val to o (taking val); the first failure sticks in *err. */
static void put(struct json_object *o, const char *key, struct json_object *val, int *err)
{
	int rc = json_out_put(o, key, val);
	if (rc && !*err)
		*err = rc;
}

static void put_str(struct json_object *o, const char *key, const char *s, int *err)
{
	put(o, key, json_out_string(s), err);
}

static void put_u64(struct json_object *o, const char *key, uint64_t v, int *err)
{
	put(o, key, json_object_new_uint64(v), err);
}

/* The field, or null when the cgroup has none (no limit). */
static void put_opt(struct json_object *o, const char *key, const struct cgroup_mem *m,
		    enum cgroup_mem_field f, int *err)
{
	if (cgroup_mem_has(m, f))
		put_u64(o, key, m->v[f], err);
	else if (json_out_put_null(o, key) && !*err)
		*err = -ENOMEM;
}

/* now - then, signed (a byte count's change is far from 2^63). */
static void put_delta(struct json_object *o, const char *key, uint64_t now, uint64_t then, int *err)
{
	if (now >= then) {
		put_u64(o, key, now - then, err);
		return;
	}
	uint64_t d = then - now;
	put(o, key, json_object_new_int64(d <= (uint64_t)INT64_MAX ? -(int64_t)d : INT64_MIN), err);
}

static struct json_object *components(const struct cgroup_mem *m, const struct cgroup_mem *then,
				      int *err)
{
	struct json_object *c = json_object_new_object();
	for (int i = 0; i < COMP_N; i++) {
		if (then)
			put_delta(c, mem_component_names[i], m->comp[i], then->comp[i], err);
		else
			put_u64(c, mem_component_names[i], m->comp[i], err);
	}
	return c;
}

static struct json_object *row_json(const struct explain_row *r, const struct explain_row *first,
				    bool watching, int *err)
{
	const struct cgroup_mem *m = &r->mem;
	struct json_object *o = json_object_new_object();
	put_str(o, "cgroup", r->path, err);
	if (r->id.uid[0])
		put_str(o, "uid", r->id.uid, err);
	if (r->id.container_id[0])
		put_str(o, "container_id", r->id.container_id, err);
	if (r->id.qos)
		put_str(o, "qos", r->id.qos, err);
	if (r->id.runtime)
		put_str(o, "runtime", r->id.runtime, err);
	if (r->has_names) {
		put_str(o, "namespace", r->names.namespace_, err);
		put_str(o, "pod", r->names.pod, err);
		if (r->names.container[0])
			put_str(o, "container", r->names.container, err);
	}
	put_u64(o, "usage_bytes", m->v[CM_USAGE], err);
	put_u64(o, "working_set_bytes", m->v[CM_WORKING_SET], err);
	put_opt(o, "limit_bytes", m, CM_LIMIT, err);
	put_opt(o, "high_bytes", m, CM_HIGH, err);
	put(o, "components", components(m, NULL, err), err);
	if (r->procs_ok) {
		put_u64(o, "processes", r->procs.processes, err);
		struct json_object *rss = json_object_new_object();
		put_u64(rss, "anon", r->procs.rss_anon, err);
		put_u64(rss, "file", r->procs.rss_file, err);
		put_u64(rss, "shmem", r->procs.rss_shmem, err);
		put(o, "process_rss_bytes", rss, err);
	} else if ((json_out_put_null(o, "processes") ||
		    json_out_put_null(o, "process_rss_bytes")) &&
		   !*err) {
		*err = -ENOMEM;
	}
	struct explain_diag d;
	explain_diagnose(r, first, &d);
	struct json_object *diag = json_object_new_object();
	put_str(diag, "rule", explain_rule_name(d.rule), err);
	put_str(diag, "severity", explain_severity_names[d.severity], err);
	put_str(diag, "text", d.text, err);
	put(o, "diagnosis", diag, err);
	if (watching && first) {
		struct json_object *ch = json_object_new_object();
		put_delta(ch, "usage_bytes", m->v[CM_USAGE], first->mem.v[CM_USAGE], err);
		put_delta(ch, "working_set_bytes", m->v[CM_WORKING_SET],
			  first->mem.v[CM_WORKING_SET], err);
		put(ch, "components", components(m, &first->mem, err), err);
		put_delta(ch, "process_rss_bytes", explain_row_rss(r), explain_row_rss(first), err);
		put(o, "change", ch, err);
	} else if (watching) {
		put(o, "new", json_object_new_boolean(1), err);
	}
	return o;
}

int explain_json_add(struct mbuf *b, const struct explain_ctx *ctx,
		     const struct explain_snapshot *s, const struct explain_snapshot *first,
		     unsigned sample)
{
	int err = 0;
	struct json_object *o = json_object_new_object();
	put_str(o, "cgroup_root", ctx->scope->root.path, &err);
	put(o, "cgroup_version", json_object_new_int(ctx->scope->root.mode == CGROUP_V1 ? 1 : 2),
	    &err);
	if (first) {
		double since = (double)(s->taken.tv_sec - first->taken.tv_sec) +
			       (double)(s->taken.tv_nsec - first->taken.tv_nsec) / 1e9;
		char text[32];
		snprintf(text, sizeof(text), "%.1f", since);
		put(o, "time", json_object_new_int64((int64_t)s->taken.tv_sec), &err);
		put(o, "sample", json_object_new_int64((int64_t)sample), &err);
		put(o, "since_first_seconds", json_object_new_double_s(since, text), &err);
	}
	put_u64(o, "skipped", s->skipped, &err);
	struct json_object *rows = json_object_new_array_ext((int)(s->n < 1 ? 1 : s->n));
	for (size_t i = 0; i < s->n && !err; i++) {
		const struct explain_row *r = &s->rows[i];
		struct json_object *row = row_json(
		    r, first ? explain_snapshot_find(first, r->path) : NULL, first != NULL, &err);
		if (!rows || !row || json_object_array_add(rows, row) != 0) {
			json_object_put(row);
			err = -ENOMEM;
		}
	}
	put(o, "cgroups", rows, &err);
	if (!err)
		err = json_out_write(b, o);
	if (!err)
		mbuf_addc(b, '\n');
	json_object_put(o);
	return err ? err : mbuf_error(b);
}
