/* json_out: writing JSON through json-c with valid UTF-8 strings and
 * bidi controls escaped (see json_out.h). The UTF-8 rules are utf8.c's;
 * nothing here parses JSON. */
#include "memacct/util/json_out.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/mbuf.h"
#include "memacct/util/utf8.h"

struct json_object *json_out_string(const char *s)
{
	size_t n = strlen(s), bad;
	if (n > INT_MAX / 3)
		return NULL; /* json-c counts in int */
	if (utf8_valid(s, n, &bad))
		return json_object_new_string_len(s, (int)n);
	/* Each invalid byte (1 byte) becomes U+FFFD (3 bytes). */
	char *fixed = malloc(bad + (n - bad) * 3 + 1);
	if (!fixed)
		return NULL;
	memcpy(fixed, s, bad);
	size_t o = bad;
	const unsigned char *p = (const unsigned char *)s + bad;
	for (size_t left = n - bad; left;) {
		size_t l = utf8_seq_len(p, left);
		if (l == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++, left--;
			continue;
		}
		memcpy(fixed + o, p, l);
		o += l;
		p += l, left -= l;
	}
	struct json_object *js = json_object_new_string_len(fixed, (int)o);
	free(fixed);
	return js;
}

int json_out_put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!obj || !val || json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

int json_out_put_null(struct json_object *obj, const char *key)
{
	return obj && json_object_object_add(obj, key, NULL) == 0 ? 0 : -ENOMEM;
}

int json_out_write(struct mbuf *out, struct json_object *o)
{
	size_t len;
	const char *text = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return -ENOMEM;
	/* json-c copies non-ASCII as it is; bidi controls become \uXXXX (the
	 * same value) so that JSON read on a terminal shows names as they
	 * are. The text is valid UTF-8 and its structure ASCII, so any such
	 * sequence is inside a string. */
	const unsigned char *p = (const unsigned char *)text;
	size_t done = 0;
	for (size_t i = 0; i < len;) {
		size_t l = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, len - i);
		if (l > 1 && utf8_is_bidi_control(utf8_code_point(p + i, l))) {
			mbuf_add(out, text + done, i - done);
			mbuf_printf(out, "\\u%04x", utf8_code_point(p + i, l));
			done = i + l;
		}
		i += l ? l : 1;
	}
	mbuf_add(out, text + done, len - done);
	return mbuf_error(out);
}
