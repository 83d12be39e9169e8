/* expfmt: the per-scrape metric registry and the exposition writer (text
 * 0.0.4 and OpenMetrics 1.0). The only place that escapes label values and
 * HELP. A family's samples are a byte stream in segments from the
 * registry's arena: per sample varint(zigzag(set id + 1 minus the previous
 * sample's)), varint(extra id + 1 << 1 | is a double), the value (varint,
 * or the double's 8 bytes); label texts live in two label stores (the
 * common sets and the one extra label). It does not know where numbers come
 * from, and does no I/O: the HTTP layer sends what the cursor produces. */
#include "memacct/expo/expfmt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/expo/label_store.h"
#include "memacct/util/arena.h"
#include "memacct/util/utf8.h"
#include "memacct/util/varint.h"

/* The samples' arena and the label sets' slabs: only written pages count. */
#define SLAB_BYTES ((size_t)256 << 10)
#define EXTRA_SLAB_BYTES ((size_t)4 << 10)
/* Largest encoded sample: three varints of up to 64 bits. */
#define SAMPLE_MAX (3 * VARINT_MAX)
#define SEG_FIRST 128
#define SEG_MAX ((size_t)64 << 10)
/* The cursor formats about this much before handing it out. */
#define CURSOR_FILL ((size_t)16 << 10)

struct seg {
	struct seg *next;
	uint32_t len, cap;
	unsigned char data[];
};

struct family {
	const char *name; /* borrowed literal */
	const char *help; /* borrowed literal */
	size_t name_len;
	enum metric_type type;
	struct seg *first, *last; /* encoded samples */
	uint32_t prev_set;	  /* set code of the last sample */
	struct registry *reg;
};

struct registry {
	struct family **fams;
	size_t n, cap;
	struct arena arena;	   /* families and their segments */
	struct label_store sets;   /* common label sets ('k="v",...') */
	struct label_store extras; /* the extra label ('key="val"') */
	struct mbuf scratch;	   /* an extra label being escaped */
	size_t total;		   /* formatted bytes over all families */
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
	if (!r)
		return NULL;
	r->max = max_bytes;
	arena_init(&r->arena, SLAB_BYTES);
	label_store_init(&r->sets, SLAB_BYTES);
	label_store_init(&r->extras, EXTRA_SLAB_BYTES);
	mbuf_init(&r->scratch, max_bytes);
	return r;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	free(r->fams);
	arena_free(&r->arena);
	label_store_free(&r->sets);
	label_store_free(&r->extras);
	mbuf_free(&r->scratch);
	free(r);
}

size_t registry_bytes(const struct registry *r)
{
	return sizeof(*r) + r->cap * sizeof(*r->fams) + r->arena.mapped +
	       label_store_bytes(&r->sets) + label_store_bytes(&r->extras) + r->scratch.cap;
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
	struct family *f = arena_alloc(&r->arena, sizeof(*f));
	if (!f) {
		registry_fail(r, -ENOMEM);
		return NULL;
	}
	*f = (struct family){
	    .name = name, .help = help, .name_len = strlen(name), .type = type, .reg = r};
	r->fams[r->n++] = f;
	return f;
}

/* Room for one more encoded sample at the end of f's stream. */
static struct seg *seg_room(struct family *f)
{
	struct seg *last = f->last;
	if (last && last->cap - last->len >= SAMPLE_MAX)
		return last;
	size_t cap = last ? 2 * (size_t)last->cap : SEG_FIRST;
	if (cap > SEG_MAX)
		cap = SEG_MAX;
	struct seg *s = arena_alloc(&f->reg->arena, sizeof(*s) + cap);
	if (!s)
		return NULL;
	*s = (struct seg){.cap = (uint32_t)cap};
	if (last)
		last->next = s;
	else
		f->first = s;
	f->last = s;
	return s;
}

/* The code (id + 1, 0 for none) of the extra label key="val", escaped into
 * r->scratch to be looked up; *len is its length. */
static int extra_code(struct registry *r, const char *key, const char *val, uint32_t *code,
		      size_t *len)
{
	*code = 0;
	*len = 0;
	if (!key)
		return 0;
	struct mbuf *b = &r->scratch;
	mbuf_reset(b);
	mbuf_addstr(b, key);
	mbuf_add(b, "=\"", 2);
	expfmt_escape_label(b, val, strlen(val));
	int rc = mbuf_addc(b, '"');
	uint32_t id;
	if (!rc)
		rc = label_store_id(&r->extras, b->data, b->len, &id);
	if (rc)
		return rc;
	*code = id + 1;
	*len = b->len;
	return 0;
}

/* Adds one sample whose value prints in value_len bytes. */
static void add_sample(struct family *f, const struct labels *ls, const char *key, const char *val,
		       bool is_f64, uint64_t bits, size_t value_len)
{
	struct registry *r = f->reg;
	uint32_t set = 0, extra = 0, id;
	size_t set_len = ls ? ls->buf.len : 0, extra_len = 0;
	int rc = 0;
	if (set_len) {
		rc = label_store_id(&r->sets, ls->buf.data, set_len, &id);
		set = id + 1;
	}
	if (!rc)
		rc = extra_code(r, key, val, &extra, &extra_len);
	if (rc) {
		registry_fail(r, rc);
		return;
	}
	/* name{set,extra} value\n */
	size_t line = f->name_len + 1 + value_len + 1;
	if (set || extra)
		line += 2 + set_len + extra_len + (set && extra);
	if (line > r->max || r->total > r->max - line) {
		registry_fail(r, -EFBIG);
		return;
	}
	struct seg *s = seg_room(f);
	if (!s) {
		registry_fail(r, -ENOMEM);
		return;
	}
	unsigned char *p = s->data + s->len;
	int64_t delta = (int64_t)set - (int64_t)f->prev_set;
	size_t n = varint_put(p, ((uint64_t)delta << 1) ^ (uint64_t)(delta >> 63));
	n += varint_put(p + n, (uint64_t)extra << 1 | is_f64);
	if (is_f64) {
		memcpy(p + n, &bits, 8);
		n += 8;
	} else {
		n += varint_put(p + n, bits);
	}
	s->len += (uint32_t)n;
	f->prev_set = set;
	r->total += line;
}

void metric_u64(struct family *f, const struct labels *ls, const char *key, const char *val,
		uint64_t v)
{
	if (!f || f->reg->err)
		return;
	char num[MBUF_NUM_MAX];
	add_sample(f, ls, key, val, false, v, mbuf_fmt_u64(num, v));
}

void metric_f64(struct family *f, const struct labels *ls, const char *key, const char *val,
		double v)
{
	if (!f || f->reg->err)
		return;
	char num[MBUF_NUM_MAX];
	uint64_t bits;
	memcpy(&bits, &v, 8);
	add_sample(f, ls, key, val, true, bits, mbuf_fmt_f64(num, v));
}

int registry_error(const struct registry *r)
{
	return r->err;
}

/* ---- the writer ---- */

struct registry_cursor {
	const struct registry *r;
	enum expfmt_format fmt;
	size_t fam;	       /* the family being written */
	bool in_family;	       /* its HELP and TYPE are out */
	const struct seg *seg; /* its next sample: seg->data + off */
	size_t off;
	uint32_t prev_set;
	bool ended; /* everything is in out */
	struct label_reader sets, extras;
	struct mbuf out; /* formatted, not yet read from off on */
	size_t out_off;
};

/* OpenMetrics names a counter family without its _total suffix. */
static void write_family_name(struct mbuf *out, const struct family *f, enum expfmt_format fmt)
{
	size_t n = f->name_len;
	if (fmt == EXPFMT_OPENMETRICS_100 && f->type == METRIC_COUNTER && n > 6 &&
	    strcmp(f->name + n - 6, "_total") == 0)
		n -= 6;
	mbuf_add(out, f->name, n);
}

static void write_header(struct mbuf *out, const struct family *f, enum expfmt_format fmt)
{
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
}

/* Decodes the sample at the cursor and writes its line. */
static int write_sample(struct registry_cursor *c, const struct family *f)
{
	const unsigned char *p = c->seg->data + c->off;
	uint64_t delta, extra, v;
	p = varint_get(p, &delta);
	p = varint_get(p, &extra);
	bool is_f64 = extra & 1;
	extra >>= 1;
	if (is_f64) {
		memcpy(&v, p, 8);
		p += 8;
	} else {
		p = varint_get(p, &v);
	}
	c->off = (size_t)(p - c->seg->data);
	c->prev_set += (uint32_t)((delta >> 1) ^ (0 - (delta & 1)));
	const char *set_text = NULL, *extra_text = NULL;
	size_t set_len = 0, extra_len = 0;
	int rc = 0;
	if (c->prev_set)
		rc = label_reader_get(&c->sets, c->prev_set - 1, &set_text, &set_len);
	if (!rc && extra)
		rc = label_reader_get(&c->extras, (uint32_t)extra - 1, &extra_text, &extra_len);
	if (rc)
		return rc;
	struct mbuf *out = &c->out;
	mbuf_add(out, f->name, f->name_len);
	if (set_text || extra_text) {
		mbuf_addc(out, '{');
		mbuf_add(out, set_text, set_len);
		if (set_text && extra_text)
			mbuf_addc(out, ',');
		mbuf_add(out, extra_text, extra_len);
		mbuf_addc(out, '}');
	}
	mbuf_addc(out, ' ');
	if (is_f64) {
		double d;
		memcpy(&d, &v, 8);
		mbuf_add_f64(out, d);
	} else {
		mbuf_add_u64(out, v);
	}
	return mbuf_addc(out, '\n');
}

/* Formats the next lines into c->out, about CURSOR_FILL bytes. */
static int fill(struct registry_cursor *c)
{
	const struct registry *r = c->r;
	mbuf_reset(&c->out);
	c->out_off = 0;
	while (c->out.len < CURSOR_FILL && !c->ended) {
		if (c->fam == r->n) {
			if (c->fmt == EXPFMT_OPENMETRICS_100)
				mbuf_addstr(&c->out, "# EOF\n");
			c->ended = true;
			break;
		}
		const struct family *f = r->fams[c->fam];
		if (!c->in_family) {
			if (!f->first) { /* no sample */
				c->fam++;
				continue;
			}
			write_header(&c->out, f, c->fmt);
			c->in_family = true;
			c->seg = f->first;
			c->off = 0;
			c->prev_set = 0;
			continue;
		}
		if (c->seg && c->off == c->seg->len) {
			c->seg = c->seg->next;
			c->off = 0;
		}
		if (!c->seg) {
			c->in_family = false;
			c->fam++;
			continue;
		}
		int rc = write_sample(c, f);
		if (rc)
			return rc;
	}
	return mbuf_error(&c->out);
}

int registry_cursor_new(const struct registry *r, enum expfmt_format fmt,
			struct registry_cursor **out)
{
	if (r->err)
		return r->err;
	struct registry_cursor *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->r = r;
	c->fmt = fmt;
	label_reader_init(&c->sets, &r->sets);
	label_reader_init(&c->extras, &r->extras);
	mbuf_init(&c->out, SIZE_MAX / 2);
	*out = c;
	return 0;
}

void registry_cursor_free(struct registry_cursor *c)
{
	if (!c)
		return;
	label_reader_free(&c->sets);
	label_reader_free(&c->extras);
	mbuf_free(&c->out);
	free(c);
}

ssize_t registry_cursor_read(struct registry_cursor *c, char *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		if (c->out_off == c->out.len) {
			if (c->ended)
				break;
			int rc = fill(c);
			if (rc)
				return rc;
			continue;
		}
		size_t k = c->out.len - c->out_off;
		if (k > cap - n)
			k = cap - n;
		memcpy(buf + n, c->out.data + c->out_off, k);
		c->out_off += k;
		n += k;
	}
	return (ssize_t)n;
}

int registry_write(const struct registry *r, struct mbuf *out, enum expfmt_format fmt)
{
	struct registry_cursor *c;
	int rc = registry_cursor_new(r, fmt, &c);
	if (rc)
		return rc;
	for (;;) {
		if (c->out_off == c->out.len) {
			if (c->ended)
				break;
			if ((rc = fill(c)))
				break;
			continue;
		}
		rc = mbuf_add(out, c->out.data + c->out_off, c->out.len - c->out_off);
		c->out_off = c->out.len;
		if (rc)
			break;
	}
	registry_cursor_free(c);
	return rc ? rc : mbuf_error(out);
}
