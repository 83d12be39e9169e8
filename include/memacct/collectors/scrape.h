/* scrape: the collector table and one scrape: runs every enabled collector
 * (or those a collect[] filter names) into a fresh registry, adds
 * memacct_scrape_collector_duration_seconds and _success, and hands the
 * registry over to be streamed (or writes the exposition). Collector
 * failures are logged with back-off, never fatal. It does no HTTP
 * (routes.c) and no parsing.
 * Thread-safety: scraper_scrape() may run in several threads at once. */
#ifndef MEMACCT_SCRAPE_H
#define MEMACCT_SCRAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "memacct/util/errmsg.h"
#include "memacct/expo/expfmt.h"
#include "memacct/cli/flags.h"
#include "memacct/util/log.h"

struct scraper;

struct collector_env;

/* Initialises the enabled collectors with env (borrowed: it must outlive the
 * scraper). -EINVAL and e when a --collector.NAME names no collector or a
 * collector's init fails (e names the flag/path). */
int scraper_new(const struct collector_env *env, struct scraper **out, struct errmsg *e);

/* Whether cfg turns the collector called name on (its default, then the
 * --[no-]collector.NAME flags). False for a name no collector has. */
bool scraper_collector_on(const struct config *cfg, const char *name);
void scraper_free(struct scraper *s);

/* Which active collectors one scrape runs: node_exporter's collect[] query
 * parameter (/metrics?collect[]=cgroup&collect[]=node). Zero-initialise it;
 * with no collect[] argument every active collector runs. */
struct scrape_filter {
	uint32_t active; /* bit i: the scraper's i-th active collector */
};

/* Takes one query argument key=value of a scrape request into f: collect[]
 * must name an active collector; other keys are ignored. -EINVAL with e (a
 * line for the client) when the name is missing, unknown or a collector that
 * is off. */
int scraper_filter_arg(const struct scraper *s, struct scrape_filter *f, const char *key,
		       const char *value, struct errmsg *e);

/* One scrape of the collectors f selects (NULL: all) into a new registry
 * (*out; the caller frees it), to be read with a registry cursor. Returns
 * 0, or -ENOMEM/-EFBIG when it could not be built (then *out is NULL). */
int scraper_collect(struct scraper *s, const struct scrape_filter *f, struct registry **out);

/* One scrape into out (appended), of the collectors f selects (NULL: all).
 * Returns 0, or -ENOMEM/-EFBIG when the output could not be built (then out
 * holds nothing useful). */
int scraper_scrape(struct scraper *s, const struct scrape_filter *f, struct mbuf *out,
		   enum expfmt_format fmt);

/* Upper bound on one scrape's output (its text, never held whole when
 * streamed). */
#define SCRAPE_MAX_BYTES ((size_t)512 << 20)

#endif
