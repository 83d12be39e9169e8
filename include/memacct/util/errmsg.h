/* errmsg: a small fixed buffer a function fills with a human sentence naming
 * the file, flag or field that failed, beside its -errno return. Callers log
 * it; the function that fills it never prints. Messages longer than the
 * buffer are cut (they are for people, not parsers). */
#ifndef MEMACCT_ERRMSG_H
#define MEMACCT_ERRMSG_H

#include <stdarg.h>
#include <stdio.h>

struct errmsg {
	char msg[512];
};

__attribute__((format(printf, 2, 3))) static inline void errmsg_set(struct errmsg *e,
								    const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

#endif
