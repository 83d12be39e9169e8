/* explain_diagnose: one sentence of diagnosis per cgroup, drawn from a
 * sample's row (explain_sample.h): which rule, how serious, and the text.
 * It reads no file and renders nothing. */
#ifndef MEMACCT_EXPLAIN_DIAGNOSE_H
#define MEMACCT_EXPLAIN_DIAGNOSE_H

#include "memacct/explain/explain_sample.h"

/* How a diagnosis reads: fine (page cache, reclaimable), watch (worth a
 * look), act (a likely leak or a kill coming). Drives colours and CSS. */
enum explain_severity { EXPLAIN_OK, EXPLAIN_WATCH, EXPLAIN_ACT };

/* The rules, in the order they are tried (explain_rules[] below). */
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

/* "ok", "watch", "act": --json's severity and the page's CSS class. */
extern const char *const explain_severity_names[3];

struct explain_diag {
	enum explain_rule rule;
	enum explain_severity severity;
	char text[320];
};

/* What the rules read, worked out once per row by explain_facts_of(). */
struct explain_facts {
	uint64_t ws, usage; /* working set and usage */
	uint64_t anon, shmem, active, inactive, kernel, other;
	uint64_t unmapped;  /* active - min(active, RssFile): active page cache no
			     * process maps (RssFile of the cgroup and below) */
	bool no_process;    /* cgroup.procs of it and below were read: no process */
	bool near;	    /* usage >= 90% of the bound: the lower of memory.high
			     * (v2) and the limit */
	unsigned near_pct;  /* usage as a % of the bound, when near */
	uint64_t bound;	    /* when near */
	bool bound_is_high; /* the bound is memory.high */
	bool watching;	    /* --watch: anon_then is the first sample's anon */
	uint64_t anon_then;
};

void explain_facts_of(const struct explain_row *r, const struct explain_row *first,
		      struct explain_facts *f);

/* One rule: when it fires (the rules before it did not) and what it says. */
struct explain_rule_def {
	enum explain_rule rule;
	const char *name; /* short and stable ("page_cache"): --json, CSS, the man page */
	bool (*fires)(const struct explain_facts *f);
	/* Sets d's severity and text. */
	void (*say)(const struct explain_facts *f, struct explain_diag *d);
	/* Appends why usage exceeds the working set when inactive page cache
	 * is a quarter of usage or more. */
	bool tells_inactive;
};

/* The rule table, first match wins; explain_rules[i].rule == i, and the
 * last one (mixed) always fires. */
extern const struct explain_rule_def explain_rules[EXPLAIN_RULE_N];

/* explain_rules[rule].name. */
const char *explain_rule_name(enum explain_rule rule);

/* One sentence for row r. first: the same cgroup's first sample in --watch
 * (NULL otherwise), which lets the anon rule say "and rising". */
void explain_diagnose(const struct explain_row *r, const struct explain_row *first,
		      struct explain_diag *d);

#endif
