/* log: logfmt or JSON lines to one stream, a whole line per call under a
 * lock, and a back-off for recurring failures. It does not decide what is
 * worth logging. */
#include "memacct/util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>

#include "memacct/util/mbuf.h"

int logger_init(struct logger *lg, const char *level, const char *format, FILE *out,
		struct errmsg *e)
{
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	lg->out = out;
	lg->level = LOG_INFO;
	lg->format = LOG_LOGFMT;
	size_t i;
	for (i = 0; i < 4 && strcmp(level, levels[i]) != 0; i++)
		;
	if (i == 4) {
		errmsg_set(e, "--log.level: unknown level \"%s\" (want debug, info, warn or error)",
			   level);
		return -EINVAL;
	}
	lg->level = (enum log_level)i;
	if (strcmp(format, "json") == 0) {
		lg->format = LOG_JSON;
	} else if (strcmp(format, "logfmt") != 0) {
		errmsg_set(e, "--log.format: unknown format \"%s\" (want logfmt or json)", format);
		return -EINVAL;
	}
	pthread_mutex_init(&lg->lock, NULL);
	return 0;
}

void logger_fini(struct logger *lg)
{
	pthread_mutex_destroy(&lg->lock);
}

/* Writes v quoted for the format (always quoted in JSON; in logfmt only
 * when it holds a space, quote, '=', backslash or control character: escapes
 * are only read back inside quotes). */
static void put_value(struct mbuf *b, enum log_format fmt, const char *v)
{
	bool quote = fmt == LOG_JSON || *v == '\0';
	for (const char *s = v; *s && !quote; s++)
		quote = *s == ' ' || *s == '"' || *s == '=' || *s == '\\' ||
			(unsigned char)*s < 0x20;
	if (quote)
		mbuf_addc(b, '"');
	for (const char *s = v; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			mbuf_addc(b, '\\'), mbuf_addc(b, (char)c);
		else if (c == '\n')
			mbuf_addstr(b, "\\n");
		else if (c < 0x20)
			mbuf_printf(b, "\\u%04x", c);
		else
			mbuf_addc(b, (char)c);
	}
	if (quote)
		mbuf_addc(b, '"');
}

static void put_pair(struct mbuf *b, enum log_format fmt, bool first, const char *k,
		     const char *v)
{
	if (fmt == LOG_JSON) {
		mbuf_addstr(b, first ? "{\"" : ",\"");
		mbuf_addstr(b, k);
		mbuf_addstr(b, "\":");
	} else {
		if (!first)
			mbuf_addc(b, ' ');
		mbuf_addstr(b, k);
		mbuf_addc(b, '=');
	}
	put_value(b, fmt, v);
}

void log_kv(struct logger *lg, enum log_level lvl, const char *msg, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	if (!lg || lvl < lg->level)
		return;
	char ts[40];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

	struct mbuf b;
	mbuf_init(&b, 64 * 1024);
	put_pair(&b, lg->format, true, "ts", ts);
	put_pair(&b, lg->format, false, "level", names[lvl]);
	put_pair(&b, lg->format, false, "msg", msg);
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		put_pair(&b, lg->format, false, k, v ? v : "");
	}
	va_end(ap);
	mbuf_addstr(&b, lg->format == LOG_JSON ? "}\n" : "\n");
	if (!mbuf_error(&b)) {
		pthread_mutex_lock(&lg->lock);
		fwrite(b.data, 1, b.len, lg->out);
		fflush(lg->out);
		pthread_mutex_unlock(&lg->lock);
	}
	mbuf_free(&b);
}

bool log_backoff_due(struct log_backoff *b, time_t now, unsigned long *suppressed)
{
	if (b->last != 0 && now - b->last < (time_t)b->interval_s) {
		b->suppressed++;
		return false;
	}
	if (suppressed)
		*suppressed = b->suppressed;
	b->suppressed = 0;
	b->last = now;
	return true;
}

void log_backoff_clear(struct log_backoff *b)
{
	b->last = 0;
	b->suppressed = 0;
}
