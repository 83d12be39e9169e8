/* log: logfmt or JSON lines (json-c, through json_out) to one stream, a
 * whole line per call under a lock, and a back-off for recurring failures.
 * It does not decide what is worth logging. */
#include "memacct/util/log.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>

#include "memacct/util/json_out.h"
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

/* Writes v for logfmt: quoted only when it is empty or holds a space,
 * quote, '=', backslash or control character (escapes are only read back
 * inside quotes). */
static void put_value(struct mbuf *b, const char *v)
{
	bool quote = *v == '\0';
	for (const char *s = v; *s && !quote; s++)
		quote =
		    *s == ' ' || *s == '"' || *s == '=' || *s == '\\' || (unsigned char)*s < 0x20;
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

/* The line being written: logfmt straight into b, JSON into o first. */
struct line {
	enum log_format fmt;
	struct mbuf *b;
	struct json_object *o;
};

/* Adds k=v to the line (JSON: invalid UTF-8 as U+FFFD). 0 or -ENOMEM. */
static int put_pair(struct line *l, const char *k, const char *v)
{
	if (l->fmt == LOG_JSON)
		return json_out_put(l->o, k, json_out_string(v));
	if (l->b->len)
		mbuf_addc(l->b, ' ');
	mbuf_addstr(l->b, k);
	mbuf_addc(l->b, '=');
	put_value(l->b, v);
	return 0;
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
	struct line l = {.fmt = lg->format, .b = &b};
	if (l.fmt == LOG_JSON)
		l.o = json_object_new_object();
	bool failed = put_pair(&l, "ts", ts) != 0;
	failed |= put_pair(&l, "level", names[lvl]) != 0;
	failed |= put_pair(&l, "msg", msg) != 0;
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		failed |= put_pair(&l, k, v ? v : "") != 0;
	}
	va_end(ap);
	if (l.fmt == LOG_JSON && !failed)
		failed = json_out_write(&b, l.o) != 0;
	json_object_put(l.o);
	mbuf_addc(&b, '\n');
	if (!failed && !mbuf_error(&b)) {
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
