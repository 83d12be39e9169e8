/* parse: pointer-advancing, overflow-checked parsers for the kernel's text
 * pseudo-files (formats in the header). No allocation, no sscanf. It does
 * not read files and does not know what the numbers mean. */
#include "memacct/util/parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t acc = 0;
	int rc = 0;
	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (acc > (UINT64_MAX - d) / 10)
			rc = -ERANGE;
		else
			acc = acc * 10 + d;
	}
	*p = s;
	if (rc == 0)
		*v = acc;
	return rc;
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_hex_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t acc = 0;
	int d;
	if (parse_hex_digit(*s) < 0)
		return -EINVAL;
	for (; (d = parse_hex_digit(*s)) >= 0; s++) {
		if (acc >> 60)
			return -ERANGE;
		acc = acc << 4 | (uint64_t)d;
	}
	*p = s;
	*v = acc;
	return 0;
}

static const char *line_end(const char *s)
{
	const char *e = strchr(s, '\n');
	return e ? e : s + strlen(s);
}

/* Parses " value[ kB]" up to eol into *v. */
static int parse_value(const char *s, const char *eol, uint64_t *v)
{
	while (s < eol && is_blank(*s))
		s++;
	if (s >= eol)
		return -EINVAL;
	uint64_t n;
	int rc = parse_u64(&s, &n);
	if (rc)
		return rc;
	while (s < eol && is_blank(*s))
		s++;
	if (s + 2 == eol && s[0] == 'k' && s[1] == 'B') {
		if (n > UINT64_MAX / 1024)
			return -ERANGE;
		n *= 1024;
		s += 2;
	}
	if (s != eol)
		return -EINVAL;
	*v = n;
	return 0;
}

int parse_keyed(const char *text, const struct keyed_field *fields, size_t nfields,
		uint64_t *out, uint64_t *seen)
{
	int first_err = 0;
	const char *s = text;
	/* Most lines match no wanted key: a line is skipped on its first byte
	 * when no key starts with it, else keys are compared by length and
	 * last byte before the rest (v1's all start with "total_"). */
	size_t lens[64];
	uint64_t first[4] = {0, 0, 0, 0};
	bool by_len = nfields <= sizeof(lens) / sizeof(lens[0]);
	for (size_t i = 0; by_len && i < nfields; i++) {
		unsigned char c = (unsigned char)fields[i].key[0];
		lens[i] = strlen(fields[i].key);
		first[c >> 6] |= UINT64_C(1) << (c & 63);
	}
	*seen = 0;
	while (*s) {
		const char *eol = line_end(s);
		unsigned char c0 = (unsigned char)*s;
		if (by_len && !(first[c0 >> 6] >> (c0 & 63) & 1)) {
			s = *eol ? eol + 1 : eol;
			continue;
		}
		const char *k = s;
		while (s < eol && !is_blank(*s) && *s != ':')
			s++;
		size_t klen = (size_t)(s - k);
		if (s < eol && *s == ':')
			s++;
		for (size_t i = 0; i < nfields; i++) {
			const char *want = fields[i].key;
			if (by_len ? lens[i] != klen || !klen || want[klen - 1] != k[klen - 1] ||
					 memcmp(want, k, klen) != 0
				   : strncmp(want, k, klen) != 0 || want[klen] != '\0')
				continue;
			uint64_t v;
			int rc = parse_value(s, eol, &v);
			if (rc == 0) {
				out[fields[i].slot] = v;
				*seen |= UINT64_C(1) << fields[i].slot;
			} else if (!first_err) {
				first_err = rc;
			}
			break;
		}
		s = *eol ? eol + 1 : eol;
	}
	return first_err;
}

int parse_single_u64(const char *text, uint64_t *v, bool *is_max)
{
	const char *s = text;
	if (is_max)
		*is_max = false;
	if (is_max && strncmp(s, "max", 3) == 0) {
		*is_max = true;
		*v = UINT64_MAX;
		s += 3;
	} else {
		int rc = parse_u64(&s, v);
		if (rc)
			return rc;
	}
	while (*s == '\n' || is_blank(*s))
		s++;
	return *s ? -EINVAL : 0;
}

int parse_psi(const char *text, struct psi_totals *t)
{
	const char *s = text;
	int first_err = 0;
	memset(t, 0, sizeof(*t));
	while (*s) {
		const char *eol = line_end(s);
		uint64_t *dst = NULL;
		bool *has = NULL;
		if (strncmp(s, "some ", 5) == 0)
			dst = &t->some_us, has = &t->has_some;
		else if (strncmp(s, "full ", 5) == 0)
			dst = &t->full_us, has = &t->has_full;
		if (dst) {
			const char *tot = strstr(s, "total=");
			int rc = -EINVAL;
			if (tot && tot < eol) {
				const char *p = tot + 6;
				rc = parse_u64(&p, dst);
				if (rc == 0 && p != eol && !is_blank(*p))
					rc = -EINVAL;
			}
			if (rc == 0)
				*has = true;
			else if (!first_err)
				first_err = rc;
		} else if (eol != s && !first_err) {
			first_err = -EINVAL;
		}
		s = *eol ? eol + 1 : eol;
	}
	return first_err;
}

int parse_next_pid(const char **p, int *pid)
{
	const char *s = *p;
	while (*s == '\n')
		s++;
	if (!*s) {
		*p = s;
		return 0;
	}
	const char *eol = line_end(s);
	uint64_t v;
	int rc = parse_u64(&s, &v);
	*p = *eol ? eol + 1 : eol;
	if (rc || s != eol || v == 0 || v > 0x7fffffff)
		return -EINVAL;
	*pid = (int)v;
	return 1;
}
