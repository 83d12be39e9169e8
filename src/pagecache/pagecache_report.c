/* pagecache_report: sorts the measured files by cached bytes, keeps the top
 * N and sums what they and all measured files explain of the cgroup's file
 * page cache. It does not measure or print. */
#include "memacct/pagecache/pagecache_report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_cached_desc(const void *a, const void *b)
{
	const struct pagecache_file *fa = *(const struct pagecache_file *const *)a;
	const struct pagecache_file *fb = *(const struct pagecache_file *const *)b;
	if (fa->cached != fb->cached)
		return fa->cached < fb->cached ? 1 : -1;
	if (fa->size != fb->size)
		return fa->size < fb->size ? 1 : -1;
	return strcmp(fa->path, fb->path);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int pagecache_report_build(const struct pagecache_set *s, size_t top_n, uint64_t cgroup_file_bytes,
			   struct pagecache_report *r)
{
	memset(r, 0, sizeof(*r));
	r->cgroup_file_bytes = cgroup_file_bytes;
	const struct pagecache_file **rows = malloc((s->n ? s->n : 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct pagecache_file *f = &s->files[i];
		if (f->rc != 0)
			continue;
		rows[n++] = f;
		if (f->shmem)
			r->shmem_cached = add_sat(r->shmem_cached, f->cached);
		else
			r->measured_cached = add_sat(r->measured_cached, f->cached);
	}
	qsort(rows, n, sizeof(*rows), by_cached_desc);
	r->nmeasured = n;
	r->nrows = top_n && top_n < n ? top_n : n;
	for (size_t i = 0; i < r->nrows; i++)
		if (!rows[i]->shmem)
			r->rows_cached = add_sat(r->rows_cached, rows[i]->cached);
	r->unexplained =
	    cgroup_file_bytes > r->measured_cached ? cgroup_file_bytes - r->measured_cached : 0;
	r->rows = rows;
	return 0;
}

void pagecache_report_free(struct pagecache_report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->nrows = 0;
}

double pagecache_share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

/* Appends to buf like snprintf at offset *used; *used counts what would
 * have been written, so the caller sees a cut line as snprintf shows it. */
__attribute__((format(printf, 4, 5))) static void appendf(char *buf, size_t len, size_t *used,
							  const char *fmt, ...)
{
	va_list ap;
	size_t at = *used < len ? *used : len - 1;
	va_start(ap, fmt);
	int n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	*used += n > 0 ? (size_t)n : 0;
}

size_t pagecache_denied_line(const struct pagecache_list_stats *st, char *buf, size_t len)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	if (!st->denied)
		return 0;
	size_t used = 0;
	appendf(buf, len, &used,
		"%llu process%s could not be read (root or CAP_SYS_PTRACE needed):",
		(unsigned long long)st->denied, st->denied == 1 ? "" : "es");
	for (unsigned i = 0; i < st->ndenied_pids; i++)
		appendf(buf, len, &used, " %d", st->denied_pids[i]);
	if (st->denied > st->ndenied_pids)
		appendf(buf, len, &used, " and %llu more",
			(unsigned long long)(st->denied - st->ndenied_pids));
	return used < len ? used : len - 1;
}
