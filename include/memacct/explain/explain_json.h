/* explain_json: one sample as the one-line JSON object of
 * `memacct_exporter explain --json` (the fields are listed in
 * docs/memacct_exporter.1). It appends to a buffer; it does not sample or
 * write to the terminal. */
#ifndef MEMACCT_EXPLAIN_JSON_H
#define MEMACCT_EXPLAIN_JSON_H

struct explain_ctx;
struct explain_snapshot;
struct mbuf;

/* Appends s as one JSON line (json-c; invalid UTF-8 in names as U+FFFD).
 * first and sample: in --watch, the first sample (each row then carries
 * its change, or "new") and this sample's number; NULL and 0 otherwise.
 * Returns 0, -ENOMEM, or b's error (nothing appended but on success). */
int explain_json_add(struct mbuf *b, const struct explain_ctx *ctx,
		     const struct explain_snapshot *s, const struct explain_snapshot *first,
		     unsigned sample);

#endif
