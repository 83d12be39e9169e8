/* explain_diagnose: one sentence of diagnosis per cgroup, drawn from a
 * sample's row (explain_sample.h): which rule, how serious, and the text.
 * It reads no file and renders nothing. */
#ifndef MEMACCT_EXPLAIN_DIAGNOSE_H
#define MEMACCT_EXPLAIN_DIAGNOSE_H

#include "memacct/explain/explain_sample.h"

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
/* "ok", "watch", "act". */
extern const char *const explain_severity_names[3];

struct explain_diag {
	enum explain_rule rule;
	enum explain_severity severity;
	char text[320];
};

/* One sentence for row r. first: the same cgroup's first sample in --watch
 * (NULL otherwise), which lets the anon rule say "and rising". The rules
 * are listed in src/explain/explain_diagnose.c. */
void explain_diagnose(const struct explain_row *r, const struct explain_row *first,
		      struct explain_diag *d);

#endif
