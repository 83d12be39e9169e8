/* explain_files: `explain --files` and /explain?files=CGROUP: which files
 * hold one cgroup's page cache. It opens the cgroup a sample row names,
 * hands it (and an optional --files-under directory) to the pagecache
 * subsystem (list, measure, rank), and renders the ranking as a table, as
 * JSON or as an HTML section. It samples no memory files itself (the row
 * carries file_active and file_inactive) and prints nothing. */
#ifndef MEMACCT_EXPLAIN_FILES_H
#define MEMACCT_EXPLAIN_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memacct/pagecache/pagecache_report.h"
#include "memacct/pagecache/pagecache_set.h"
#include "memacct/util/errmsg.h"

struct explain_ctx;
struct explain_row;
struct explain_snapshot;
struct explain_style;
struct mbuf;

/* Rows a table shows. */
#define EXPLAIN_FILES_TOP 20
/* Bounds of one run: wall time and files measured (the largest first). */
#define EXPLAIN_FILES_DEADLINE_MS 5000
#define EXPLAIN_FILES_MAX_MEASURED 20000

struct explain_files {
	const char *cgroup; /* the row's path (borrowed) */
	uint64_t file_active, file_inactive;
	struct pagecache_set set;
	struct pagecache_report rep;
	double seconds; /* listing and measuring took */
};

/* The row of s that --files measures: the target's topmost cgroup (the pod
 * for a pod UID, the container for a container id), or the root without a
 * target. NULL when s has none. */
const struct explain_row *explain_files_row(const struct explain_snapshot *s, const char *target);

/* Lists the files the processes of row's cgroup (and its descendants')
 * hold open or map, plus every file below under (NULL: none), measures
 * them within the bounds above (deadline_ms 0: the default) and ranks them.
 * 0, or -errno with e naming what could not be opened (-ENOENT: the cgroup
 * is gone). *f must be freed with explain_files_free either way. */
int explain_files_take(const struct explain_ctx *ctx, const struct explain_row *row,
		       const char *under, unsigned deadline_ms, struct explain_files *f,
		       struct errmsg *e);
void explain_files_free(struct explain_files *f);

/* The table for a terminal (names made safe). */
void explain_files_text(struct mbuf *b, const struct explain_files *f,
			const struct explain_style *st);
/* One JSON object, newline-terminated. 0 or -ENOMEM. */
int explain_files_json(struct mbuf *b, const struct explain_files *f);
/* An HTML <section> for /explain?files= (names escaped). */
void explain_files_html(struct mbuf *b, const struct explain_files *f);

#endif
