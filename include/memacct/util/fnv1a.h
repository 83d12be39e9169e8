/* fnv1a: the FNV-1a hash, 64 and 32 bits, over bytes, chainable (pass the
 * last result as h to go on; start from FNV1A64_BASIS or FNV1A32_BASIS).
 * For hash tables and fingerprints of what the exporter itself reads; not
 * for anything an attacker must not be able to collide. */
#ifndef MEMACCT_FNV1A_H
#define MEMACCT_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A64_BASIS UINT64_C(14695981039346656037)
#define FNV1A32_BASIS UINT32_C(2166136261)

static inline uint64_t fnv1a64(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

static inline uint32_t fnv1a32(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT32_C(16777619);
	return h;
}

#endif
