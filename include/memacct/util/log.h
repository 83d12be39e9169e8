/* log: structured log lines (logfmt or JSON) to one stream, one whole line
 * per call under a lock, plus a back-off for recurring failures (collectd's
 * "complain" idea) so a dead dependency is one line per interval, not a
 * flood. It decides nothing about what is worth logging: callers do. */
#ifndef MEMACCT_LOG_H
#define MEMACCT_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "memacct/util/errmsg.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_LOGFMT, LOG_JSON };

struct logger {
	enum log_level level;
	enum log_format format;
	FILE *out; /* borrowed */
	pthread_mutex_t lock;
};

/* level: debug|info|warn|error; format: logfmt|json. -EINVAL names the flag. */
int logger_init(struct logger *lg, const char *level, const char *format, FILE *out,
		struct errmsg *e);
void logger_fini(struct logger *lg);

/* Logs msg with key/value string pairs, terminated by NULL:
 * log_kv(lg, LOG_WARN, "poll failed", "url", u, "err", why, NULL). Values are
 * quoted/escaped as the format needs. lg may be NULL (then nothing). */
void log_kv(struct logger *lg, enum log_level lvl, const char *msg, ...)
	__attribute__((sentinel));

/* Back-off for a recurring failure: log_backoff_due() says whether to log now
 * (the first failure, then at most once per interval_s) and how many were
 * suppressed since; log_backoff_clear() after a success (so the next failure
 * logs at once). Not thread-safe: one per failing thing, owned by its user. */
struct log_backoff {
	unsigned interval_s;
	time_t last; /* 0: never logged */
	unsigned long suppressed;
};

bool log_backoff_due(struct log_backoff *b, time_t now, unsigned long *suppressed);
void log_backoff_clear(struct log_backoff *b);

#endif
