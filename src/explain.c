/* explain: placeholder until the terminal view lands (issue 6). */
#include "memacct/explain.h"

#include <errno.h>

int explain_run(const struct config *cfg, FILE *out, struct errmsg *e)
{
	(void)cfg;
	(void)out;
	errmsg_set(e, "not implemented yet");
	return -ENOSYS;
}
