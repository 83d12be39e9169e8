/* pagecache_maps: a pointer-advancing parser for one line of
 * /proc/PID/maps (Documentation/filesystems/proc.rst, "/proc/PID/maps").
 * It does not read the file or decide which mappings matter. */
#include "memacct/pagecache/pagecache_list.h"

#include <errno.h>
#include <sys/sysmacros.h>

#include "memacct/util/parse.h"

static int expect(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

/* Skips one field of non-blanks and the blanks after it. */
static int skip_field(const char **p)
{
	const char *s = *p;
	if (!*s || *s == ' ')
		return -EINVAL;
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	*p = s;
	return 0;
}

int pagecache_maps_parse_line(const char *line, struct pagecache_maps_line *out)
{
	const char *p = line;
	uint64_t major, minor;
	int rc;
	if ((rc = parse_hex_u64(&p, &out->start)) || (rc = expect(&p, '-')) ||
	    (rc = parse_hex_u64(&p, &out->end)))
		return rc;
	out->range_end = p;
	if ((rc = expect(&p, ' ')) || (rc = skip_field(&p)) /* perms */ ||
	    (rc = skip_field(&p)) /* offset */ || (rc = parse_hex_u64(&p, &major)) ||
	    (rc = expect(&p, ':')) || (rc = parse_hex_u64(&p, &minor)) || (rc = expect(&p, ' ')) ||
	    (rc = parse_u64(&p, &out->ino)))
		return rc;
	if (major > 0xfffff || minor > 0xfffff)
		return -ERANGE;
	out->dev = makedev((unsigned)major, (unsigned)minor);
	if (*p && *p != ' ')
		return -EINVAL;
	while (*p == ' ')
		p++;
	out->path = p;
	return 0;
}
