/* explain_text: one sample as the terminal table `memacct_exporter explain`
 * prints: a row per cgroup with its split, processes and limit, the
 * diagnosis under it, and in --watch the change since the first sample and
 * a banner. It appends to a buffer; it does not sample, sleep or write to
 * the terminal (explain_run.c does). */
#ifndef MEMACCT_EXPLAIN_TEXT_H
#define MEMACCT_EXPLAIN_TEXT_H

#include <stdbool.h>
#include <stdio.h>

struct explain_ctx;
struct explain_snapshot;
struct mbuf;

/* Terminal escapes, all "" without colours. */
struct explain_style {
	bool color;
	const char *bold, *dim, *red, *yellow, *green, *reset;
};

/* Colours only when out is a terminal, NO_COLOR is unset or empty and TERM
 * is not "dumb". */
void explain_style_init(struct explain_style *st, FILE *out);

/* The table of s. first: the first sample in --watch (NULL otherwise): each
 * row then shows its change since it. target: as the user gave it, for the
 * title (NULL: every cgroup). */
void explain_text_table(struct mbuf *b, const struct explain_ctx *ctx,
			const struct explain_snapshot *s, const struct explain_snapshot *first,
			const char *target, const struct explain_style *st);

/* The --watch title line (home and clear first when colours are on). */
void explain_text_watch_banner(struct mbuf *b, const struct explain_snapshot *s,
			       const struct explain_snapshot *first, unsigned every,
			       unsigned sample, const struct explain_style *st);

#endif
