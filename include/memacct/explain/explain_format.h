/* explain_format: how explain writes a value for a person: sizes in binary
 * units ("64.1 MiB"), signed changes ("+200 MiB"), ages ("3d 4h"), and
 * names (cgroup paths, pod and stream names) made safe for a terminal or an
 * HTML page. It knows no cgroup, no rule and no layout. */
#ifndef MEMACCT_EXPLAIN_FORMAT_H
#define MEMACCT_EXPLAIN_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct mbuf;

/* Human units, used everywhere explain prints bytes: "0 B", "512 B",
 * "4 KiB", "64.1 MiB", "200 MiB", "1.5 GiB": binary units, one decimal
 * below 100 of a unit and none when it is .0 or the value is 100 or more.
 * Writes at most len bytes (16 is always enough); returns buf. */
char *explain_human_bytes(char *buf, size_t len, uint64_t v);
/* The same with a sign for a change: "+200 MiB", "-4 KiB", "0". */
char *explain_human_delta(char *buf, size_t len, uint64_t now, uint64_t then);
/* An age: "3d 4h", "5h 12m", "7m 3s", "42s" (negative or NaN: "0s"). */
char *explain_human_age(char *buf, size_t len, double secs);

/* Appends s for a terminal: control characters (an ESC could drive the
 * terminal) and invalid UTF-8 as \xNN; bidi controls (utf8.h), which could
 * make a name show as another, as \u{202e}. */
void explain_add_term(struct mbuf *out, const char *s);
/* Appends s as HTML text or an attribute value: markup characters as
 * entities, invalid UTF-8 and control characters (other than tab and
 * newline) as U+FFFD, bidi controls visibly as the text \u{202e}. */
void explain_add_html(struct mbuf *out, const char *s);

#endif
