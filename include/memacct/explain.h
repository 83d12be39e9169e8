/* explain: the human view of the split for a person at a terminal
 * (`memacct_exporter explain [CGROUP|CONTAINER_ID|POD_UID]`): one table row
 * per cgroup, sorted by working set, and one sentence of diagnosis. It reads
 * the same sources as the collectors (cgroup_mem.c, proc_mem.c) once; it does
 * not serve HTTP. */
#ifndef MEMACCT_EXPLAIN_H
#define MEMACCT_EXPLAIN_H

#include <stdio.h>

#include "memacct/errmsg.h"
#include "memacct/flags.h"

/* Runs explain as cfg says, printing to out. 0, or -errno with e set. */
int explain_run(const struct config *cfg, FILE *out, struct errmsg *e);

#endif
