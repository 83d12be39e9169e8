/* explain_page: GET /explain, the browser's view of `explain`
 * (src/explain/explain_html.c): the top cgroups by working set with their
 * split, diagnosis and a bar against the limit, and the JetStream streams a
 * producer hands in. The page object is what main sets up once and the
 * HTTP server renders per request; the stream sink is what the JetStream
 * collector fills. It does not speak HTTP and does not poll NATS. */
#ifndef MEMACCT_EXPLAIN_PAGE_H
#define MEMACCT_EXPLAIN_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/util/errmsg.h"

struct cgroup_scope;
struct config;
struct mbuf;

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
	/* Its consumers the poll has (after the consumer filter and cap): how
	 * many, the most messages one of them has not been delivered yet
	 * (num_pending), and the messages delivered and not acked (sum of
	 * num_ack_pending). */
	uint64_t consumers, max_pending, ack_pending;
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
 * from several HTTP threads at once. src is copied; its pointers, scope and
 * cfg's strings are borrowed: they must outlive the page. Returns 0 or
 * -errno with e. */
struct explain_page;
int explain_page_new(const struct config *cfg, const struct cgroup_scope *scope,
		     const struct explain_sources *src, struct explain_page **out,
		     struct errmsg *e);
void explain_page_free(struct explain_page *p);
/* Renders the whole /explain document (text/html; charset=utf-8) into out
 * (appended). Returns 0 or -ENOMEM/-EFBIG (out's error); a failure to read
 * the cgroups is shown on the page, not returned. */
int explain_page_render(struct explain_page *p, struct mbuf *out, struct errmsg *e);

/* GET /explain?files=CGROUP: which files hold one cgroup's page cache (the
 * table of `explain --files`), computed on demand and bounded (2 s, the
 * largest files first; the page says when it was cut short). target is a
 * cgroup path, container id or pod UID as explain takes it. Returns 0 or
 * -ENOMEM/-EFBIG; a cgroup that cannot be found or read is shown on the
 * page, not returned. */
#define EXPLAIN_HTML_FILES_DEADLINE_MS 2000
int explain_page_render_files(struct explain_page *p, const char *target, struct mbuf *out,
			      struct errmsg *e);

/* One-shot: explain_page_new + render + free. src may be NULL. */
int explain_html(const struct config *cfg, const struct cgroup_scope *scope,
		 const struct explain_sources *src, struct mbuf *out, struct errmsg *e);

#endif
