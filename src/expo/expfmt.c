/* expfmt: the per-scrape metric registry and the exposition writer (text
 * 0.0.4 and OpenMetrics 1.0). The only place that escapes label values and
 * HELP. It does not know where numbers come from, and does no I/O: the HTTP
 * layer sends what registry_write() produced. */
#include "memacct/expo/expfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/utf8.h"

struct family {
	const char *name; /* borrowed literal */
	const char *help; /* borrowed literal */
	enum metric_type type;
	struct mbuf samples; /* formatted sample lines */
	struct registry *reg;
};

struct registry {
	struct family **fams;
	size_t n, cap;
	size_t total; /* formatted bytes over all families */
	size_t max;
	int err;
};

/* ---- labels and escaping ---- */

void labels_init(struct labels *l)
{
	mbuf_init(&l->buf, 1 << 20);
}

void labels_free(struct labels *l)
{
	mbuf_free(&l->buf);
}

void labels_reset(struct labels *l)
{
	mbuf_reset(&l->buf);
}

int expfmt_escape_label(struct mbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* run: start of the pending plain bytes */
	while (i < n) {
		const char *rep = NULL;
		size_t len = 1;
		if (p[i] == '\\')
			rep = "\\\\";
		else if (p[i] == '"')
			rep = "\\\"";
		else if (p[i] == '\n')
			rep = "\\n";
		else if (p[i] >= 0x80 && (len = utf8_seq_len(p + i, n - i)) == 0)
			rep = "\xEF\xBF\xBD", len = 1; /* U+FFFD */
		else if (p[i] == '\0')
			rep = "\xEF\xBF\xBD"; /* NUL cannot appear in the output */
		if (rep) {
			mbuf_add(out, s + run, i - run);
			mbuf_addstr(out, rep);
			i += len;
			run = i;
		} else {
			i += len;
		}
	}
	return mbuf_add(out, s + run, i - run);
}

int expfmt_escape_help(struct mbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			mbuf_addstr(out, "\\\\");
		else if (*s == '\n')
			mbuf_addstr(out, "\\n");
		else
			mbuf_addc(out, *s);
	}
	return mbuf_error(out);
}

int labels_addn(struct labels *l, const char *key, const char *val, size_t n)
{
	if (l->buf.len)
		mbuf_addc(&l->buf, ',');
	mbuf_addstr(&l->buf, key);
	mbuf_add(&l->buf, "=\"", 2);
	expfmt_escape_label(&l->buf, val, n);
	return mbuf_addc(&l->buf, '"');
}

int labels_add(struct labels *l, const char *key, const char *val)
{
	return labels_addn(l, key, val, strlen(val));
}

/* ---- registry ---- */

struct registry *registry_new(size_t max_bytes)
{
	struct registry *r = calloc(1, sizeof(*r));
	if (r)
		r->max = max_bytes;
	return r;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		mbuf_free(&r->fams[i]->samples);
		free(r->fams[i]);
	}
	free(r->fams);
	free(r);
}

static void registry_fail(struct registry *r, int err)
{
	if (!r->err)
		r->err = err;
}

struct family *registry_family(struct registry *r, const char *name, enum metric_type type,
			       const char *help)
{
	if (r->err)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->fams[i]->name, name) == 0)
			return r->fams[i];
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct family **f = realloc(r->fams, cap * sizeof(*f));
		if (!f) {
			registry_fail(r, -ENOMEM);
			return NULL;
		}
		r->fams = f;
		r->cap = cap;
	}
	struct family *f = calloc(1, sizeof(*f));
	if (!f) {
		registry_fail(r, -ENOMEM);
		return NULL;
	}
	f->name = name;
	f->help = help;
	f->type = type;
	f->reg = r;
	mbuf_init(&f->samples, r->max);
	r->fams[r->n++] = f;
	return f;
}

/* Appends 'name{labels,key="val"} ' and returns the length before, so the
 * caller can account the line once its value is written. */
static size_t sample_head(struct family *f, const struct labels *ls, const char *key,
			  const char *val)
{
	struct mbuf *b = &f->samples;
	size_t before = b->len;
	bool any = (ls && ls->buf.len) || key;
	mbuf_addstr(b, f->name);
	if (any) {
		mbuf_addc(b, '{');
		if (ls && ls->buf.len) {
			mbuf_add(b, ls->buf.data, ls->buf.len);
			if (key)
				mbuf_addc(b, ',');
		}
		if (key) {
			mbuf_addstr(b, key);
			mbuf_add(b, "=\"", 2);
			expfmt_escape_label(b, val, strlen(val));
			mbuf_addc(b, '"');
		}
		mbuf_addc(b, '}');
	}
	mbuf_addc(b, ' ');
	return before;
}

static void sample_done(struct family *f, size_t before)
{
	struct registry *r = f->reg;
	mbuf_addc(&f->samples, '\n');
	if (f->samples.err) {
		registry_fail(r, f->samples.err);
		return;
	}
	r->total += f->samples.len - before;
	if (r->total > r->max)
		registry_fail(r, -EFBIG);
}

void metric_u64(struct family *f, const struct labels *ls, const char *key, const char *val,
		uint64_t v)
{
	if (!f || f->reg->err)
		return;
	size_t before = sample_head(f, ls, key, val);
	mbuf_add_u64(&f->samples, v);
	sample_done(f, before);
}

void metric_f64(struct family *f, const struct labels *ls, const char *key, const char *val,
		double v)
{
	if (!f || f->reg->err)
		return;
	size_t before = sample_head(f, ls, key, val);
	mbuf_add_f64(&f->samples, v);
	sample_done(f, before);
}

int registry_error(const struct registry *r)
{
	return r->err;
}

/* OpenMetrics names a counter family without its _total suffix. */
static void write_family_name(struct mbuf *out, const struct family *f, enum expfmt_format fmt)
{
	size_t n = strlen(f->name);
	if (fmt == EXPFMT_OPENMETRICS_100 && f->type == METRIC_COUNTER && n > 6 &&
	    strcmp(f->name + n - 6, "_total") == 0)
		n -= 6;
	mbuf_add(out, f->name, n);
}

int registry_write(const struct registry *r, struct mbuf *out, enum expfmt_format fmt)
{
	if (r->err)
		return r->err;
	for (size_t i = 0; i < r->n; i++) {
		const struct family *f = r->fams[i];
		if (!f->samples.len)
			continue;
		mbuf_addstr(out, "# HELP ");
		write_family_name(out, f, fmt);
		mbuf_addc(out, ' ');
		if (fmt == EXPFMT_OPENMETRICS_100) {
			for (const char *s = f->help; *s; s++) {
				if (*s == '"')
					mbuf_addstr(out, "\\\"");
				else if (*s == '\\')
					mbuf_addstr(out, "\\\\");
				else if (*s == '\n')
					mbuf_addstr(out, "\\n");
				else
					mbuf_addc(out, *s);
			}
		} else {
			expfmt_escape_help(out, f->help);
		}
		mbuf_addstr(out, "\n# TYPE ");
		write_family_name(out, f, fmt);
		mbuf_addstr(out, f->type == METRIC_COUNTER ? " counter\n" : " gauge\n");
		mbuf_add(out, f->samples.data, f->samples.len);
	}
	if (fmt == EXPFMT_OPENMETRICS_100)
		mbuf_addstr(out, "# EOF\n");
	return mbuf_error(out);
}
