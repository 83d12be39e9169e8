/* scrape: the collector table and one scrape: runs every enabled collector
 * into a fresh registry, adds memacct_scrape_collector_duration_seconds and
 * _success, and writes the exposition. Collector failures are logged with
 * back-off, never fatal. It does no HTTP (http.c) and no parsing.
 * Thread-safety: scraper_scrape() may run in several threads at once. */
#ifndef MEMACCT_SCRAPE_H
#define MEMACCT_SCRAPE_H

#include <stdbool.h>

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

/* One scrape into out (appended). Returns 0, or -ENOMEM/-EFBIG when the
 * output could not be built (then out holds nothing useful). */
int scraper_scrape(struct scraper *s, struct mbuf *out, enum expfmt_format fmt);

/* Upper bound on one scrape's output. */
#define SCRAPE_MAX_BYTES ((size_t)512 << 20)

#endif
