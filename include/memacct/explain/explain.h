/* explain: `memacct_exporter explain [CGROUP|CONTAINER_ID|POD_UID]`, the
 * split for a person at a terminal (src/explain/explain_run.c): samples
 * (explain_sample.h), a sentence of diagnosis per cgroup
 * (explain_diagnose.h), printed as a table (explain_text.h) or JSON
 * (explain_json.h), once or every --watch seconds. The browser's view,
 * GET /explain, is explain_page.h. It exports no metrics and serves no
 * HTTP. */
#ifndef MEMACCT_EXPLAIN_H
#define MEMACCT_EXPLAIN_H

#include <stdio.h>

#include "memacct/util/errmsg.h"

struct cgroup_scope;
struct config;

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

#endif
