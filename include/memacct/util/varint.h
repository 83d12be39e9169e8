/* varint: unsigned LEB128 (7 bits a byte, the high bit set on all but the
 * last), for compact in-memory records (expfmt's samples, label_store's
 * entries). At most VARINT_MAX bytes for 64 bits. No bounds checks: the
 * reader trusts bytes its own writer made. */
#ifndef MEMACCT_VARINT_H
#define MEMACCT_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX 10

/* Writes v at p; returns the bytes written. */
static inline size_t varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Reads one at p into *v; returns the byte after it. */
static inline const unsigned char *varint_get(const unsigned char *p, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0;; shift += 7) {
		unsigned char b = *p++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	*v = r;
	return p;
}

#endif
