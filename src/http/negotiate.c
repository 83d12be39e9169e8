/* negotiate: picks the exposition format and gzip from Accept and
 * Accept-Encoding by q-value. No allocation; it does not format or compress. */
#include "memacct/http/negotiate.h"

#include <string.h>
#include <strings.h>

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return end;
}

/* memchr over [s, end), NULL when empty. */
static const char *find_char(const char *s, const char *end, char c)
{
	return s < end ? memchr(s, c, (size_t)(end - s)) : NULL;
}

static bool token_is(const char *s, const char *end, const char *want)
{
	size_t n = strlen(want);
	return (size_t)(end - s) == n && strncasecmp(s, want, n) == 0;
}

/* q-value "0", "0.5", "1", "1.000" -> thousandths; -1 when malformed. */
static int parse_q(const char *s, const char *end)
{
	if (s >= end || (*s != '0' && *s != '1'))
		return -1;
	int q = (*s - '0') * 1000;
	s++;
	if (s < end && *s == '.') {
		s++;
		int scale = 100;
		for (int i = 0; i < 3 && s < end && *s >= '0' && *s <= '9'; i++, s++, scale /= 10)
			q += (*s - '0') * scale;
	}
	return s == end && q <= 1000 ? q : -1;
}

/* One element "type/subtype;p=v;q=0.5": its media range [t, te) and, via the
 * out parameters, q (thousandths) and the version parameter. */
struct element {
	const char *type, *type_end;
	const char *version, *version_end;
	int q;
};

static void parse_element(const char *s, const char *end, struct element *el)
{
	el->q = 1000;
	el->version = el->version_end = NULL;
	s = skip_ws(s, end);
	const char *semi = find_char(s, end, ';');
	el->type = s;
	el->type_end = trim_end(s, semi ? semi : end);
	while (semi) {
		const char *p = skip_ws(semi + 1, end);
		semi = find_char(p, end, ';');
		const char *pend = trim_end(p, semi ? semi : end);
		const char *eq = find_char(p, pend, '=');
		if (!eq)
			continue;
		const char *k_end = trim_end(p, eq);
		const char *v = skip_ws(eq + 1, pend);
		if (token_is(p, k_end, "q"))
			el->q = parse_q(v, pend);
		else if (token_is(p, k_end, "version"))
			el->version = v, el->version_end = pend;
	}
}

enum expfmt_format negotiate_format(const char *accept)
{
	int q_om = 0, q_text = 0;
	if (!accept)
		return EXPFMT_TEXT_004;
	const char *s = accept;
	const char *all_end = s + strlen(s);
	while (s < all_end) {
		const char *comma = find_char(s, all_end, ',');
		const char *end = comma ? comma : all_end;
		struct element el;
		parse_element(s, end, &el);
		if (el.q > 0) {
			if (token_is(el.type, el.type_end, "application/openmetrics-text")) {
				if (!el.version || token_is(el.version, el.version_end, "1.0.0"))
					q_om = el.q > q_om ? el.q : q_om;
			} else if (token_is(el.type, el.type_end, "text/plain") ||
				   token_is(el.type, el.type_end, "text/*") ||
				   token_is(el.type, el.type_end, "*/*")) {
				q_text = el.q > q_text ? el.q : q_text;
			}
		}
		s = comma ? comma + 1 : all_end;
	}
	return q_om > q_text ? EXPFMT_OPENMETRICS_100 : EXPFMT_TEXT_004;
}

bool negotiate_gzip(const char *accept_encoding)
{
	if (!accept_encoding)
		return false;
	const char *s = accept_encoding;
	const char *all_end = s + strlen(s);
	int q_gzip = -1, q_star = -1;
	while (s < all_end) {
		const char *comma = find_char(s, all_end, ',');
		const char *end = comma ? comma : all_end;
		struct element el;
		parse_element(s, end, &el);
		if (token_is(el.type, el.type_end, "gzip"))
			q_gzip = el.q;
		else if (token_is(el.type, el.type_end, "*"))
			q_star = el.q;
		s = comma ? comma + 1 : all_end;
	}
	return q_gzip > 0 || (q_gzip < 0 && q_star > 0);
}
