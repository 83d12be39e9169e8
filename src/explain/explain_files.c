/* explain_files: the page cache per file of one explain row (see
 * explain_files.h): opens the row's cgroup, runs the pagecache subsystem
 * (list, measure, rank) and renders its report as text, JSON or HTML. */
#include "memacct/explain/explain_files.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/explain/explain_format.h"
#include "memacct/explain/explain_sample.h"
#include "memacct/explain/explain_text.h"
#include "memacct/pagecache/pagecache_list.h"
#include "memacct/pagecache/pagecache_run.h"
#include "memacct/proc/proc_mem.h"
#include "memacct/util/json_out.h"
#include "memacct/util/mbuf.h"
#include "memacct/util/mono.h"

const struct explain_row *explain_files_row(const struct explain_snapshot *s, const char *target)
{
	if (!target)
		return explain_snapshot_find(s, "/");
	const struct explain_row *best = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!best || strlen(s->rows[i].path) < strlen(best->path))
			best = &s->rows[i];
	return best;
}


/* Opens a directory below root (path "/" is root itself). */
static int open_dir_at(const char *root, const char *path)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	int fd = openat(rootfd, strcmp(path, "/") == 0 ? "." : path + 1,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = errno;
	close(rootfd);
	return fd < 0 ? -err : fd;
}

int explain_files_take(const struct explain_ctx *ctx, const struct explain_row *row,
		       const char *under, unsigned deadline_ms, struct explain_files *f,
		       struct errmsg *e)
{
	memset(f, 0, sizeof(*f));
	struct pagecache_limits lim = {
	    .deadline_ns =
		pagecache_deadline_after_ms(deadline_ms ? deadline_ms : EXPLAIN_FILES_DEADLINE_MS),
	    .max_measured = EXPLAIN_FILES_MAX_MEASURED,
	};
	pagecache_set_init(&f->set, &lim);
	f->cgroup = row->path;
	f->file_active = row->mem.comp[COMP_FILE_ACTIVE];
	f->file_inactive = row->mem.comp[COMP_FILE_INACTIVE];
	double t0 = mono_now_s();
	const char *procfs = ctx->procfs ? ctx->procfs : "/proc";
	int procfd = proc_open_root(procfs, e);
	if (procfd < 0)
		return procfd;
	int rc = 0;
	int cgfd = open_dir_at(ctx->scope->root.path, row->path);
	if (cgfd < 0) {
		rc = cgfd;
		errmsg_set(e, "cgroup %s: %s", row->path, strerror(-rc));
		goto out;
	}
	rc = pagecache_list_cgroup(&f->set, cgfd, procfd);
	close(cgfd);
	if (rc) {
		errmsg_set(e, "cgroup %s: listing its processes' files: %s", row->path, strerror(-rc));
		goto out;
	}
	if (under && (rc = pagecache_list_under(&f->set, under)) != 0) {
		errmsg_set(e, "--files-under=%s: %s", under, strerror(-rc));
		goto out;
	}
	rc = pagecache_measure_set(&f->set, procfd, PAGECACHE_AUTO);
	if (rc == 0)
		rc = pagecache_report_build(&f->set, EXPLAIN_FILES_TOP,
					    f->file_active + f->file_inactive, &f->rep);
	if (rc)
		errmsg_set(e, "measuring page cache: %s", strerror(-rc));
out:
	close(procfd);
	f->seconds = mono_now_s() - t0;
	return rc;
}

void explain_files_free(struct explain_files *f)
{
	pagecache_report_free(&f->rep);
	pagecache_set_free(&f->set);
}

static const char *dirty_text(const struct pagecache_file *p, char *buf, size_t len)
{
	if (!p->dirty_known)
		return "?";
	return explain_human_bytes(buf, len, p->dirty);
}

/* What was not seen or not measured, one clause each; "" when nothing. */
static void add_gaps(struct mbuf *b, const struct explain_files *f, const char *sep)
{
	const struct pagecache_list_stats *l = &f->set.list;
	const struct pagecache_measure_stats *m = &f->set.measure;
	char line[512], sz[16];
	if (pagecache_denied_line(l, line, sizeof(line)))
		mbuf_printf(b, "%s%s", sep, line);
	if (l->cut_short || m->over_time)
		mbuf_printf(b, "%scut short by the %u s deadline: %llu files not measured (%s)", sep,
			    EXPLAIN_FILES_DEADLINE_MS / 1000, (unsigned long long)m->over_time,
			    explain_human_bytes(sz, sizeof(sz), m->unmeasured_bytes));
	if (m->over_cap)
		mbuf_printf(b, "%s%llu smaller files past the cap of %u not measured", sep,
			    (unsigned long long)m->over_cap, EXPLAIN_FILES_MAX_MEASURED);
	if (l->dropped)
		mbuf_printf(b, "%s%llu files past the listing cap not listed", sep,
			    (unsigned long long)l->dropped);
	if (m->denied)
		mbuf_printf(b,
			    "%s%llu files whose page cache this process may not see (root or "
			    "CAP_FOWNER needed)",
			    sep, (unsigned long long)m->denied);
}

void explain_files_text(struct mbuf *b, const struct explain_files *f,
			const struct explain_style *st)
{
	const struct pagecache_report *r = &f->rep;
	char a[16], c[16], d[16], s[16];
	mbuf_printf(b, "%sPage cache of ", st->bold);
	explain_add_term(b, f->cgroup);
	mbuf_printf(b, ": %s (file_active %s + file_inactive %s)%s\n",
		    explain_human_bytes(a, sizeof(a), f->file_active + f->file_inactive),
		    explain_human_bytes(c, sizeof(c), f->file_active),
		    explain_human_bytes(d, sizeof(d), f->file_inactive), st->reset);
	mbuf_printf(b, "%10s %10s %10s %6s  %s\n", "CACHED", "SIZE", "DIRTY", "SHARE", "FILE");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct pagecache_file *p = r->rows[i];
		mbuf_printf(b, "%10s %10s %10s %5.1f%%  ", explain_human_bytes(a, sizeof(a), p->cached),
			    explain_human_bytes(s, sizeof(s), p->size), dirty_text(p, d, sizeof(d)),
			    100.0 * pagecache_share(p->cached, r->cgroup_file_bytes));
		explain_add_term(b, p->path);
		if (p->deleted)
			mbuf_addstr(b, " (deleted)");
		if (p->shmem)
			mbuf_addstr(b, " (shmem: not in file page cache)");
		mbuf_addc(b, '\n');
	}
	if (r->nrows == 0)
		mbuf_addstr(b, "(no file held open or mapped by the cgroup's processes)\n");
	mbuf_printf(b,
		    "The %zu files listed explain %s (%.1f%%); all %zu measured files %s; "
		    "unexplained %s: page cache of files no process holds open or maps any more%s.\n",
		    r->nrows, explain_human_bytes(a, sizeof(a), r->rows_cached),
		    100.0 * pagecache_share(r->rows_cached, r->cgroup_file_bytes), r->nmeasured,
		    explain_human_bytes(c, sizeof(c), r->measured_cached),
		    explain_human_bytes(d, sizeof(d), r->unexplained),
		    f->set.list.processes ? "" : " (no process)");
	mbuf_printf(b, "%s%llu processes, %llu files measured (cachestat %llu, mincore %llu) in %.2f s",
		    st->dim, (unsigned long long)f->set.list.processes,
		    (unsigned long long)f->set.measure.measured,
		    (unsigned long long)f->set.measure.by_method[PAGECACHE_CACHESTAT],
		    (unsigned long long)f->set.measure.by_method[PAGECACHE_MINCORE], f->seconds);
	add_gaps(b, f, "; ");
	mbuf_printf(b, "%s\n", st->reset);
}

static int put(struct json_object *o, const char *k, struct json_object *v, int rc)
{
	int r = json_out_put(o, k, v);
	return rc ? rc : r;
}

int explain_files_json(struct mbuf *b, const struct explain_files *f)
{
	const struct pagecache_report *r = &f->rep;
	struct json_object *o = json_object_new_object();
	struct json_object *rows = json_object_new_array();
	int rc = o && rows ? 0 : -ENOMEM;
	rc = put(o, "cgroup", json_out_string(f->cgroup), rc);
	rc = put(o, "file_active_bytes", json_object_new_uint64(f->file_active), rc);
	rc = put(o, "file_inactive_bytes", json_object_new_uint64(f->file_inactive), rc);
	for (size_t i = 0; rows && i < r->nrows; i++) {
		const struct pagecache_file *p = r->rows[i];
		struct json_object *row = json_object_new_object();
		int rrc = row ? 0 : -ENOMEM;
		rrc = put(row, "path", json_out_string(p->path), rrc);
		rrc = put(row, "size_bytes", json_object_new_uint64(p->size), rrc);
		rrc = put(row, "cached_bytes", json_object_new_uint64(p->cached), rrc);
		if (p->dirty_known)
			rrc = put(row, "dirty_bytes", json_object_new_uint64(p->dirty), rrc);
		else if (row && json_out_put_null(row, "dirty_bytes") && !rrc)
			rrc = -ENOMEM;
		rrc = put(row, "deleted", json_object_new_boolean(p->deleted), rrc);
		rrc = put(row, "shmem", json_object_new_boolean(p->shmem), rrc);
		rrc = put(row, "method", json_out_string(pagecache_method_name(p->method)), rrc);
		if (rrc || json_object_array_add(rows, row)) {
			json_object_put(row);
			rc = rc ? rc : -ENOMEM;
		}
	}
	rc = put(o, "files", rows, rc);
	rc = put(o, "listed_cached_bytes", json_object_new_uint64(r->rows_cached), rc);
	rc = put(o, "measured_cached_bytes", json_object_new_uint64(r->measured_cached), rc);
	rc = put(o, "unexplained_bytes", json_object_new_uint64(r->unexplained), rc);
	rc = put(o, "files_measured", json_object_new_uint64(f->set.measure.measured), rc);
	rc = put(o, "processes", json_object_new_uint64(f->set.list.processes), rc);
	rc = put(o, "processes_denied", json_object_new_uint64(f->set.list.denied), rc);
	rc = put(o, "cut_short",
		 json_object_new_boolean(f->set.list.cut_short || f->set.measure.over_time ||
					 f->set.measure.over_cap),
		 rc);
	rc = put(o, "seconds", json_object_new_double(f->seconds), rc);
	if (rc == 0)
		rc = json_out_write(b, o);
	json_object_put(o);
	if (rc == 0 && mbuf_addc(b, '\n'))
		rc = mbuf_error(b);
	return rc;
}

void explain_files_html(struct mbuf *b, const struct explain_files *f)
{
	const struct pagecache_report *r = &f->rep;
	char a[16], c[16], d[16];
	mbuf_addstr(b, "<section id=\"files\"><h2>Page cache by file: ");
	explain_add_html(b, f->cgroup);
	mbuf_printf(b, "</h2>\n<p>file_active %s + file_inactive %s = %s</p>\n",
		    explain_human_bytes(a, sizeof(a), f->file_active),
		    explain_human_bytes(c, sizeof(c), f->file_inactive),
		    explain_human_bytes(d, sizeof(d), f->file_active + f->file_inactive));
	mbuf_addstr(b, "<table class=\"files\"><thead><tr><th>cached</th><th>size</th>"
		       "<th>dirty</th><th>share</th><th>file</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct pagecache_file *p = r->rows[i];
		mbuf_printf(b,
			    "<tr data-cached=\"%llu\"><td>%s</td><td>%s</td><td>%s</td>"
			    "<td>%.1f%%</td><td>",
			    (unsigned long long)p->cached, explain_human_bytes(a, sizeof(a), p->cached),
			    explain_human_bytes(c, sizeof(c), p->size), dirty_text(p, d, sizeof(d)),
			    100.0 * pagecache_share(p->cached, r->cgroup_file_bytes));
		explain_add_html(b, p->path);
		mbuf_printf(b, "%s%s</td></tr>\n", p->deleted ? " (deleted)" : "",
			    p->shmem ? " (shmem)" : "");
	}
	mbuf_printf(b,
		    "</tbody></table>\n<p>The %zu files listed explain %s; unexplained %s (page "
		    "cache of files no process holds open any more).",
		    r->nrows, explain_human_bytes(a, sizeof(a), r->rows_cached),
		    explain_human_bytes(c, sizeof(c), r->unexplained));
	struct mbuf gaps;
	mbuf_init(&gaps, 4096);
	add_gaps(&gaps, f, " ");
	if (gaps.len) {
		mbuf_addc(&gaps, '\0');
		if (!mbuf_error(&gaps))
			explain_add_html(b, gaps.data);
	}
	mbuf_free(&gaps);
	mbuf_addstr(b, "</p></section>\n");
}
