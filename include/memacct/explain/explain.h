/* explain: the human view of the split for a person at a terminal
 * (`memacct_exporter explain [CGROUP|CONTAINER_ID|POD_UID]`) and in a
 * browser (GET /explain, explain_html.c): one row per cgroup, sorted by
 * working set, with one sentence of diagnosis drawn from the numbers. It
 * reads the same sources as the collectors (cgroup_mem.c, proc_mem.c) once
 * per sample; it does not serve HTTP and exports no metrics. */
#ifndef MEMACCT_EXPLAIN_H
#define MEMACCT_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "memacct/cgroup/cgroup_fs.h"
#include "memacct/cgroup/cgroup_id.h"
#include "memacct/cgroup/cgroup_mem.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/cgroup/cgroup_walk.h"
#include "memacct/util/errmsg.h"
#include "memacct/cli/flags.h"
#include "memacct/util/mbuf.h"
#include "memacct/cgroup/podlogs.h"
#include "memacct/proc/proc_mem.h"

/* Runs explain as cfg says (target, --watch, --json) over scope's cgroups
 * (borrowed), printing to out. Colours only when out is a terminal (and
 * NO_COLOR is unset). With --watch it runs until killed. 0, or -errno with
 * e set: -ENOENT when the target matches no cgroup, -EINVAL when it is
 * ambiguous or malformed. */
int explain_run(const struct config *cfg, const struct cgroup_scope *scope, FILE *out,
		struct errmsg *e);

/* explain_run() that stops after max_samples samples (0: as explain_run),
 * for tests of --watch. */
int explain_run_samples(const struct config *cfg, const struct cgroup_scope *scope, FILE *out,
			unsigned max_samples, struct errmsg *e);

/* ---- the pieces explain_run() and explain_html.c share ---- */

/* What every sample reads from: the cgroup root, the include/exclude filter
 * and pod names (main's cgroup scope, the one the collectors use) and /proc.
 * Read-only, so samples may be taken in several threads at once. */
struct explain_ctx {
	const struct cgroup_scope *scope; /* borrowed */
	const char *procfs;		  /* borrowed from the config */
};

void explain_ctx_init(struct explain_ctx *ctx, const struct config *cfg,
		      const struct cgroup_scope *scope);

struct explain_row {
	char *path; /* below the cgroupfs root, "/" for the root; owned */
	struct cgroup_identity id;
	struct podlogs_names names; /* valid when has_names */
	bool has_names;
	struct cgroup_mem mem;	   /* mem.has_split is true for every row */
	struct proc_mem procs_own; /* this cgroup's own processes */
	struct proc_mem procs;	   /* this cgroup's and its descendants' */
	bool procs_ok;		   /* cgroup.procs of it and below were read */
};

/* One sample: every cgroup with a usage split (a v2 root has none), sorted
 * by working set, largest first (ties by path). */
struct explain_snapshot {
	struct explain_row *rows;
	size_t n, cap;
	struct explain_row **by_path; /* rows sorted by path, for _find() */
	size_t matched_total;	      /* rows before max_rows cut the list */
	struct timespec taken;	      /* CLOCK_REALTIME */
	unsigned long skipped;	      /* cgroups that could not be opened or read */
};

/* Rows kept at most; anything past it is counted in matched_total. */
#define EXPLAIN_MAX_ROWS 100000

/* Takes a sample. target: NULL for every cgroup, else a cgroup path (exact,
 * with or without the leading '/'), a container id (64 hex, or a prefix of
 * at least 12 that names one container), or a pod UID (dashes or
 * underscores: the pod's cgroup and its containers'). max_rows: keep the
 * largest n only (0: EXPLAIN_MAX_ROWS). Returns 0; -ENOENT when the target
 * matches nothing, -EINVAL when it is ambiguous or cannot be one of these
 * (e says which); -ENOMEM. */
int explain_snapshot_take(const struct explain_ctx *ctx, const char *target, size_t max_rows,
			  struct explain_snapshot *s, struct errmsg *e);
void explain_snapshot_free(struct explain_snapshot *s);
/* The row of s with this path, or NULL. */
const struct explain_row *explain_snapshot_find(const struct explain_snapshot *s, const char *path);

/* How a diagnosis reads: fine (page cache, reclaimable), watch (worth a
 * look), act (a likely leak or a kill coming). Drives colours and CSS. */
enum explain_severity { EXPLAIN_OK, EXPLAIN_WATCH, EXPLAIN_ACT };

enum explain_rule {
	EXPLAIN_EMPTY,		  /* nothing charged, or all of it inactive cache */
	EXPLAIN_NO_PROCESS,	  /* charged memory with no process left */
	EXPLAIN_NEAR_LIMIT_CACHE, /* near limit/high, mostly reclaimable cache */
	EXPLAIN_NEAR_LIMIT_ANON,  /* near limit/high, mostly anon */
	EXPLAIN_NEAR_LIMIT,	  /* near limit/high, mixed */
	EXPLAIN_PAGE_CACHE,	  /* active cache no process maps dominates */
	EXPLAIN_ANON,		  /* anon is most of the working set */
	EXPLAIN_SHMEM,		  /* shmem is most of the working set */
	EXPLAIN_KERNEL,		  /* kernel memory is most of the working set */
	EXPLAIN_MIXED,		  /* no part dominates */
	EXPLAIN_RULE_N
};

/* Short stable names of the rules ("page_cache", ...), for --json and CSS. */
extern const char *const explain_rule_names[EXPLAIN_RULE_N];

struct explain_diag {
	enum explain_rule rule;
	enum explain_severity severity;
	char text[320];
};

/* One sentence for row r. first: the same cgroup's first sample in --watch
 * (NULL otherwise), which lets the anon rule say "and rising". The rules
 * are listed in src/explain/explain.c. */
void explain_diagnose(const struct explain_row *r, const struct explain_row *first,
		      struct explain_diag *d);

/* Human units, used everywhere explain prints bytes: "0 B", "512 B",
 * "4 KiB", "64.1 MiB", "200 MiB", "1.5 GiB": binary units, one decimal
 * below 100 of a unit and none when it is .0 or the value is 100 or more.
 * Writes at most len bytes (16 is always enough); returns buf. */
char *explain_human_bytes(char *buf, size_t len, uint64_t v);
/* The same with a sign for a change: "+200 MiB", "-4 KiB", "0". */
char *explain_human_delta(char *buf, size_t len, uint64_t now, uint64_t then);

/* Appends s as the body of a JSON string (no quotes); invalid UTF-8
 * becomes U+FFFD. Shared by --json and the page's data attributes. */
int explain_json_escape(struct mbuf *out, const char *s);

/* ---- /explain: the HTML page (src/explain/explain_html.c) ---- */

/* One JetStream stream as the page shows it. Strings are copied by
 * explain_stream_add(), so the producer may free them right after. */
struct explain_stream {
	const char *name;
	const char *account; /* NULL or "" when unknown */
	const char *storage; /* "file" | "memory" */
	uint64_t bytes, messages;
	bool has_oldest;       /* false when the stream is empty */
	double oldest_age_s;   /* now - first message time */
	bool unbounded;	       /* limits retention, no max_age/bytes/msgs */
	uint64_t max_bytes;    /* 0: unlimited */
	uint64_t max_messages; /* 0: unlimited */
	double max_age_s;      /* 0: unlimited */
};

struct explain_stream_sink;

/* Adds one stream row (copied). Returns 0 or -ENOMEM (then later adds are
 * no-ops and the page says the list is incomplete). */
int explain_stream_add(struct explain_stream_sink *sink, const struct explain_stream *st);
/* Optional: the poller's state, shown above the table. last_success_age_s
 * < 0 means never. error: the last poll error or NULL (copied). */
void explain_stream_status(struct explain_stream_sink *sink, bool up, double last_success_age_s,
			   const char *error);

/* Producer of the stream rows (the JetStream collector). Called once per
 * page render, in an HTTP thread, possibly in several at once: it must take
 * its own lock around its last poll result and call explain_stream_add()
 * per stream. Returns 0, or -errno (the page then says the list is
 * unavailable). */
typedef int (*explain_streams_fn)(void *arg, struct explain_stream_sink *sink);

struct explain_sources {
	explain_streams_fn streams; /* NULL: "JetStream not configured" */
	void *streams_arg;
};

/* Rows the page shows (the top cgroups by working set). */
#define EXPLAIN_HTML_MAX_ROWS 50

/* The page's state: the explain_ctx, found once. Thread-safe to render
 * from several HTTP threads at once. src is copied; its pointers and cfg's
 * strings are borrowed: they must outlive the page. Returns 0 or -errno
 * with e. */
struct explain_page;
int explain_page_new(const struct config *cfg, const struct cgroup_scope *scope,
		     const struct explain_sources *src, struct explain_page **out, struct errmsg *e);
void explain_page_free(struct explain_page *p);
/* Renders the whole /explain document (text/html; charset=utf-8) into out
 * (appended). Returns 0 or -ENOMEM/-EFBIG (out's error); a failure to read
 * the cgroups is shown on the page, not returned. */
int explain_page_render(struct explain_page *p, struct mbuf *out, struct errmsg *e);

/* One-shot: explain_page_new + render + free. src may be NULL. */
int explain_html(const struct config *cfg, const struct cgroup_scope *scope,
		 const struct explain_sources *src, struct mbuf *out, struct errmsg *e);

#endif
