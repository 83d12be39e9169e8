/* explain_run: the explain subcommand (see explain.h): takes a sample, has
 * it rendered as a table (explain_text.c) or JSON (explain_json.c) and
 * writes it out; with --watch, again every N seconds on a fixed grid until
 * killed. It renders nothing itself. */
#include "memacct/explain/explain.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "memacct/cli/flags.h"
#include "memacct/explain/explain_files.h"
#include "memacct/explain/explain_json.h"
#include "memacct/explain/explain_sample.h"
#include "memacct/explain/explain_text.h"
#include "memacct/util/mbuf.h"

/* Writes b to out and empties it. render_rc: what the renderer returned
 * (the table's errors stick in b). */
static int flush_buf(struct mbuf *b, FILE *out, int render_rc, struct errmsg *e)
{
	int rc = render_rc ? render_rc : mbuf_error(b);
	if (rc) {
		errmsg_set(e, "output too large or out of memory");
		return rc;
	}
	if (b->len && fwrite(b->data, 1, b->len, out) != b->len) {
		errmsg_set(e, "write failed");
		return -EIO;
	}
	if (fflush(out) != 0) {
		errmsg_set(e, "write failed");
		return -EIO;
	}
	mbuf_reset(b);
	return 0;
}

/* Sleeps until *next (CLOCK_MONOTONIC) and advances it by step seconds, so
 * samples stay on a grid whatever a sample costs. */
static void sleep_until(struct timespec *next, unsigned step)
{
	next->tv_sec += step;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

/* explain --files: the page cache per file of one cgroup. */
static int run_files(const struct config *cfg, struct explain_ctx *ctx,
		     const struct explain_snapshot *s, const struct explain_style *st,
		     struct mbuf *b, FILE *out, struct errmsg *e)
{
	const struct explain_row *row = explain_files_row(s, cfg->explain_target);
	if (!row) {
		errmsg_set(e, "--files: no cgroup with memory files to measure");
		return -ENOENT;
	}
	struct explain_files f;
	int rc = explain_files_take(ctx, row, cfg->explain_files_under, 0, &f, e);
	int wrc = 0;
	if (rc == 0) {
		if (cfg->explain_json)
			wrc = explain_files_json(b, &f);
		else
			explain_files_text(b, &f, st);
		rc = flush_buf(b, out, wrc, e);
	}
	explain_files_free(&f);
	return rc;
}

int explain_run_samples(const struct config *cfg, const struct cgroup_scope *scope, FILE *out,
			unsigned max_samples, struct errmsg *e)
{
	struct explain_ctx ctx;
	explain_ctx_init(&ctx, cfg, scope);
	int rc;
	struct explain_style st;
	explain_style_init(&st, out);
	struct mbuf b;
	mbuf_init(&b, (size_t)64 << 20);
	struct explain_snapshot first, cur;
	memset(&cur, 0, sizeof(cur));
	const char *target = cfg->explain_target;
	rc = explain_snapshot_take(&ctx, target, 0, &first, e);
	if (rc)
		goto out;
	unsigned every = cfg->explain_watch_s;
	if (cfg->explain_files) {
		rc = run_files(cfg, &ctx, &first, &st, &b, out, e);
		explain_snapshot_free(&first);
		goto out;
	}
	if (every == 0) {
		int wrc = 0;
		if (cfg->explain_json)
			wrc = explain_json_add(&b, &ctx, &first, NULL, 0);
		else
			explain_text_table(&b, &ctx, &first, NULL, target, &st);
		rc = flush_buf(&b, out, wrc, e);
		explain_snapshot_free(&first);
		goto out;
	}
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned sample = 1; max_samples == 0 || sample <= max_samples; sample++) {
		const struct explain_snapshot *s = &first;
		if (sample > 1) {
			sleep_until(&next, every);
			struct errmsg why = {{0}};
			int trc = explain_snapshot_take(&ctx, target, 0, &cur, &why);
			if (trc == -ENOMEM) {
				rc = trc;
				*e = why;
				break;
			}
			if (trc) {
				/* The container may have gone; keep watching. */
				mbuf_printf(&b, "%s\n", why.msg);
				if ((rc = flush_buf(&b, out, 0, e)) != 0)
					break;
				continue;
			}
			s = &cur;
		}
		int wrc = 0;
		if (cfg->explain_json) {
			wrc = explain_json_add(&b, &ctx, s, &first, sample);
		} else {
			explain_text_watch_banner(&b, s, &first, every, sample, &st);
			explain_text_table(&b, &ctx, s, &first, target, &st);
			if (!st.color)
				mbuf_addc(&b, '\n');
		}
		if (s == &cur)
			explain_snapshot_free(&cur);
		if ((rc = flush_buf(&b, out, wrc, e)) != 0)
			break;
	}
	explain_snapshot_free(&cur);
	explain_snapshot_free(&first);
out:
	mbuf_free(&b);
	return rc;
}

int explain_run(const struct config *cfg, const struct cgroup_scope *scope, FILE *out,
		struct errmsg *e)
{
	return explain_run_samples(cfg, scope, out, 0, e);
}
