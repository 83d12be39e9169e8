/* expfmt: the metric registry of one scrape and the exposition writer.
 * The only place that escapes label values and HELP text. Producers (the
 * collectors) never see the output format: they add samples to families, and
 * the writer groups them by family in registration order.
 *
 * The registry holds no text: a sample is its label set's id (each distinct
 * set stored once, label_store.h), its extra label's id and its value, a
 * few bytes; the text is formatted when read, a buffer at a time, through a
 * cursor (registry_cursor_read), so a scrape's memory follows its series,
 * not its body, and the body is never held whole.
 *
 * Thread-safety: a registry belongs to one scrape: one thread fills it, then
 * one thread at a time reads it. Nothing here is shared between scrapes.
 * Errors: the first error (-ENOMEM, -EFBIG) is kept and returned by
 * registry_error(), registry_write() and registry_cursor_new(); adds after
 * it are no-ops. */
#ifndef MEMACCT_EXPFMT_H
#define MEMACCT_EXPFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memacct/util/mbuf.h"

enum metric_type { METRIC_GAUGE, METRIC_COUNTER };

enum expfmt_format {
	EXPFMT_TEXT_004,	/* text/plain; version=0.0.4 */
	EXPFMT_OPENMETRICS_100, /* application/openmetrics-text; version=1.0.0 */
};

#define EXPFMT_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define EXPFMT_CONTENT_TYPE_OPENMETRICS                                                            \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* A pre-escaped label set: 'k1="v1",k2="v2"'. Build once per cgroup or stream
 * and pass to every sample of it. */
struct labels {
	struct mbuf buf;
};

void labels_init(struct labels *l);
void labels_free(struct labels *l);
void labels_reset(struct labels *l);
/* key must be a valid label name (a literal); val is any bytes up to NUL:
 * quotes, backslashes and newlines are escaped and invalid UTF-8 becomes
 * U+FFFD, so the output always parses. */
int labels_add(struct labels *l, const char *key, const char *val);
int labels_addn(struct labels *l, const char *key, const char *val, size_t n);

/* Appends s[0..n) to out escaped as a label value (without the quotes). */
int expfmt_escape_label(struct mbuf *out, const char *s, size_t n);
/* Appends s escaped as HELP text (backslash and newline). */
int expfmt_escape_help(struct mbuf *out, const char *s);

struct registry;
struct family;

/* max_bytes caps the whole registry's formatted size (the sample lines).
 * NULL on ENOMEM. */
struct registry *registry_new(size_t max_bytes);
void registry_free(struct registry *r);

/* Finds or creates a family. name and help are borrowed and must outlive the
 * registry (use literals). A counter's name ends in _total. Returns NULL only
 * after an error (then every add through NULL is a no-op). Look families up
 * once per collect, not once per sample: the lookup is a linear scan. */
struct family *registry_family(struct registry *r, const char *name, enum metric_type type,
			       const char *help);

/* Adds one sample. ls may be NULL (no common labels); key/val add one more
 * label when key is non-NULL (val escaped like labels_add). f may be NULL. */
void metric_u64(struct family *f, const struct labels *ls, const char *key, const char *val,
		uint64_t v);
void metric_f64(struct family *f, const struct labels *ls, const char *key, const char *val,
		double v);

int registry_error(const struct registry *r);
/* Bytes the registry holds (its stores, mapped), for tests and benchmarks. */
size_t registry_bytes(const struct registry *r);

/* The exposition: every family with at least one sample: HELP, TYPE,
 * samples. With OpenMetrics, counters lose _total in HELP/TYPE and '# EOF'
 * ends the output. */
struct registry_cursor;
/* A reader of r's exposition from its start; r must not change while read
 * and must outlive the cursor. Returns 0, registry_error(r), or -ENOMEM. */
int registry_cursor_new(const struct registry *r, enum expfmt_format fmt,
			struct registry_cursor **out);
void registry_cursor_free(struct registry_cursor *c);
/* Writes the next bytes into buf[0..cap): how many (cap when more follow),
 * 0 at the end, or -ENOMEM. Its own memory is a buffer of about 16 KiB
 * plus the longest line. */
ssize_t registry_cursor_read(struct registry_cursor *c, char *buf, size_t cap);
/* The whole exposition appended to out (tests, explain, small outputs). */
int registry_write(const struct registry *r, struct mbuf *out, enum expfmt_format fmt);

#endif
