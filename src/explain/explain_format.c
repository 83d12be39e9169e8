/* explain_format: units and name escaping for explain's renderers (see
 * explain_format.h). The UTF-8 rules are util/utf8.c's; nothing here reads
 * a cgroup or decides a layout. */
#include "memacct/explain/explain_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "memacct/util/mbuf.h"
#include "memacct/util/utf8.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

char *explain_human_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return buf;
	}
	/* Pick the unit where the value is below 1024, round, and move up a
	 * unit when rounding reaches 1024 (1023.96 MiB is "1 GiB"). Integer
	 * arithmetic: rem < unit <= 2^60, so rem * 10 fits in 64 bits. */
	size_t u = 1;
	while (u + 1 < NELEM(units) && v >> (10 * (u + 1)) > 0)
		u++;
	for (;;) {
		uint64_t unit = UINT64_C(1) << (10 * u);
		uint64_t whole = v / unit, rem = v % unit;
		uint64_t tenths = whole * 10 + (rem * 10 + unit / 2) / unit;
		uint64_t rounded = whole + (rem >= unit - unit / 2);
		if (tenths >= 1000 && rounded >= 1024 && u + 1 < NELEM(units)) {
			u++;
			continue;
		}
		if (tenths >= 1000)
			snprintf(buf, len, "%" PRIu64 " %s", rounded, units[u]);
		else if (tenths % 10 == 0)
			snprintf(buf, len, "%" PRIu64 " %s", tenths / 10, units[u]);
		else
			snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10,
				 units[u]);
		return buf;
	}
}

char *explain_human_delta(char *buf, size_t len, uint64_t now, uint64_t then)
{
	if (now == then) {
		snprintf(buf, len, "0");
		return buf;
	}
	char tmp[24];
	explain_human_bytes(tmp, sizeof(tmp), now > then ? now - then : then - now);
	snprintf(buf, len, "%c%s", now > then ? '+' : '-', tmp);
	return buf;
}

char *explain_human_age(char *buf, size_t len, double secs)
{
	if (!(secs >= 0))
		secs = 0;
	uint64_t s = secs > 1e15 ? (uint64_t)1e15 : (uint64_t)secs;
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

void explain_add_term(struct mbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t l = utf8_seq_len(p, n);
		if (l == 0 || (l == 1 && (*p < 0x20 || *p == 0x7f))) {
			mbuf_printf(out, "\\x%02x", *p);
			p++, n--;
			continue;
		}
		/* C1 controls (U+0080..U+009F: some terminals take U+009B as
		 * CSI) and bidi controls are shown, not obeyed. */
		unsigned cp = l > 1 ? utf8_code_point(p, l) : 0;
		if (l > 1 && ((cp >= 0x80 && cp <= 0x9f) || utf8_is_bidi_control(cp)))
			mbuf_printf(out, "\\u{%04x}", cp);
		else
			mbuf_add(out, p, l);
		p += l, n -= l;
	}
}

void explain_add_html(struct mbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t l = utf8_seq_len(p, n);
		if (l == 0 || (l == 1 && ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f))) {
			mbuf_addstr(b, "\xef\xbf\xbd");
			p++, n--;
			continue;
		}
		switch (l == 1 ? *p : 0) {
		case '&':
			mbuf_addstr(b, "&amp;");
			break;
		case '<':
			mbuf_addstr(b, "&lt;");
			break;
		case '>':
			mbuf_addstr(b, "&gt;");
			break;
		case '"':
			mbuf_addstr(b, "&quot;");
			break;
		case '\'':
			mbuf_addstr(b, "&#39;");
			break;
		default:
			if (l > 1 && utf8_is_bidi_control(utf8_code_point(p, l)))
				mbuf_printf(b, "\\u{%04x}", utf8_code_point(p, l));
			else
				mbuf_add(b, p, l);
		}
		p += l, n -= l;
	}
}
