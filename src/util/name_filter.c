/* name_filter: include/exclude POSIX EREs on a name (see name_filter.h).
 * REG_NOSUB: only whether it matches counts. It does not log. */
#include "memacct/util/name_filter.h"

#include <errno.h>
#include <string.h>

static int compile(regex_t *re, bool *has, const char *pattern, const char *flag, struct errmsg *e)
{
	if (!pattern)
		return 0;
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[128];
		regerror(rc, re, why, sizeof(why));
		errmsg_set(e, "%s: invalid regex \"%s\": %s", flag, pattern, why);
		return -EINVAL;
	}
	*has = true;
	return 0;
}

int name_filter_init(struct name_filter *f, const char *include, const char *include_flag,
		     const char *exclude, const char *exclude_flag, struct errmsg *e)
{
	memset(f, 0, sizeof(*f));
	int rc = compile(&f->include, &f->has_include, include, include_flag, e);
	if (rc == 0)
		rc = compile(&f->exclude, &f->has_exclude, exclude, exclude_flag, e);
	if (rc < 0)
		name_filter_fini(f);
	return rc;
}

void name_filter_fini(struct name_filter *f)
{
	if (f->has_include)
		regfree(&f->include);
	if (f->has_exclude)
		regfree(&f->exclude);
	f->has_include = f->has_exclude = false;
}

bool name_filter_match(const struct name_filter *f, const char *name)
{
	if (f->has_include && regexec(&f->include, name, 0, NULL, 0) != 0)
		return false;
	if (f->has_exclude && regexec(&f->exclude, name, 0, NULL, 0) == 0)
		return false;
	return true;
}
