/* name_filter: an include/exclude pair of POSIX extended regular expressions
 * on a name (a cgroup path, a JetStream stream name), compiled once at start
 * with an error that names the flag each came from. A name passes when it
 * matches the include (or there is none) and does not match the exclude.
 * It knows no flags of its own and reads nothing. */
#ifndef MEMACCT_NAME_FILTER_H
#define MEMACCT_NAME_FILTER_H

#include <regex.h>
#include <stdbool.h>

#include "memacct/util/errmsg.h"

struct name_filter {
	regex_t include, exclude;
	bool has_include, has_exclude;
};

/* Compiles include and exclude (either may be NULL: no such filter).
 * include_flag and exclude_flag name where each came from, for e:
 * "--flag: invalid regex \"(\": <regerror's reason>". Returns 0 or -EINVAL;
 * on error nothing is held. */
int name_filter_init(struct name_filter *f, const char *include, const char *include_flag,
		     const char *exclude, const char *exclude_flag, struct errmsg *e);
void name_filter_fini(struct name_filter *f);

/* Whether name passes. Thread-safe (regexec on a compiled regex). */
bool name_filter_match(const struct name_filter *f, const char *name);

#endif
