/* label_store: interned, front-coded label sets; see
 * include/memacct/expo/label_store.h. An entry is varint(shared with the
 * entry before) varint(length of the rest) rest; the entries of a block of
 * 16 lie one after the other in one arena allocation, which grows in place
 * while the block fills. It does not escape or format anything. */
#include "memacct/expo/label_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/fnv1a.h"
#include "memacct/util/varint.h"

#define BLOCK 16
#define NONE UINT32_MAX
/* The longest text a store or reader holds (longer: an error). */
#define TEXT_MAX ((size_t)1 << 30)

static uint32_t hash_text(const char *p, size_t n)
{
	return fnv1a32(FNV1A32_BASIS, p, n);
}

void label_store_init(struct label_store *s, size_t slab_size)
{
	*s = (struct label_store){.recent_id = NONE};
	arena_init(&s->arena, slab_size);
	mbuf_init(&s->last, TEXT_MAX);
	mbuf_init(&s->recent, TEXT_MAX);
}

void label_store_free(struct label_store *s)
{
	if (s->probe) {
		label_reader_free(s->probe);
		free(s->probe);
	}
	arena_free(&s->arena);
	free(s->blocks);
	free(s->slots);
	free(s->tags);
	mbuf_free(&s->last);
	mbuf_free(&s->recent);
	label_store_init(s, s->arena.slab_size);
}

size_t label_store_bytes(const struct label_store *s)
{
	return s->arena.mapped + s->cap_blocks * sizeof(*s->blocks) +
	       s->n_slots * (sizeof(*s->slots) + sizeof(*s->tags)) + s->last.cap + s->recent.cap;
}

/* ---- reading ---- */

void label_reader_init(struct label_reader *r, const struct label_store *s)
{
	*r = (struct label_reader){.s = s, .id = NONE};
	mbuf_init(&r->text, TEXT_MAX);
}

void label_reader_free(struct label_reader *r)
{
	mbuf_free(&r->text);
	r->id = NONE;
}

/* Decodes the entry at r->next into r->text (the previous entry's text). */
static int decode_next(struct label_reader *r)
{
	uint64_t shared, rest;
	const unsigned char *p = varint_get(r->next, &shared);
	p = varint_get(p, &rest);
	r->text.len = shared <= r->text.len ? shared : r->text.len;
	int rc = mbuf_add(&r->text, p, rest);
	r->next = p + rest;
	return rc;
}

int label_reader_get(struct label_reader *r, uint32_t id, const char **text, size_t *n)
{
	const struct label_store *s = r->s;
	if (id >= s->n)
		return -EINVAL;
	if (r->id == NONE || id < r->id || id / BLOCK != r->id / BLOCK) {
		mbuf_reset(&r->text);
		r->next = s->blocks[id / BLOCK];
		r->id = id / BLOCK * BLOCK;
		int rc = decode_next(r);
		if (rc) {
			r->id = NONE;
			return rc;
		}
	}
	while (r->id < id) {
		int rc = decode_next(r);
		if (rc) {
			r->id = NONE;
			return rc;
		}
		r->id++;
	}
	*text = r->text.data ? r->text.data : "";
	*n = r->text.len;
	return 0;
}

/* ---- adding ---- */

static size_t common_prefix(const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = na < nb ? na : nb, i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Appends text as entry s->n. */
static int append(struct label_store *s, const char *text, size_t n)
{
	bool starts = s->n % BLOCK == 0;
	size_t shared = starts ? 0 : common_prefix(s->last.data, s->last.len, text, n);
	unsigned char head[2 * VARINT_MAX];
	size_t hn = varint_put(head, shared);
	hn += varint_put(head + hn, n - shared);
	size_t add = hn + (n - shared);
	if (starts && s->n_blocks == s->cap_blocks) {
		size_t cap = s->cap_blocks ? 2 * s->cap_blocks : 64;
		unsigned char **b = realloc(s->blocks, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		s->blocks = b;
		s->cap_blocks = cap;
	}
	unsigned char *block;
	if (starts) {
		block = arena_alloc(&s->arena, add);
		s->block_len = 0;
	} else {
		block = arena_extend(&s->arena, s->blocks[s->n_blocks - 1], s->block_len + add);
	}
	if (!block)
		return -ENOMEM;
	if (starts)
		s->n_blocks++;
	s->blocks[s->n_blocks - 1] = block;
	memcpy(block + s->block_len, head, hn);
	memcpy(block + s->block_len + hn, text + shared, n - shared);
	s->block_len += add;
	mbuf_reset(&s->last);
	if (mbuf_add(&s->last, text, n))
		return -ENOMEM;
	s->n++;
	if (s->probe)
		s->probe->id = NONE; /* its block may have moved */
	return 0;
}

/* The hash table: slots[i] holds id + 1 (0: empty), tags[i] 8 bits of
 * the text's hash, so that a probe decodes a stored text (to compare) only
 * once in 256 mismatches. 5 bytes a slot, at most 3/4 full. */
static uint8_t tag_of(uint32_t h)
{
	return (uint8_t)(h >> 24);
}

static int grow_slots(struct label_store *s)
{
	size_t n = s->n_slots ? 2 * s->n_slots : 256;
	uint32_t *t = calloc(n, sizeof(*t));
	uint8_t *tags = malloc(n);
	if (!t || !tags) {
		free(t);
		free(tags);
		return -ENOMEM;
	}
	/* Re-hashing needs the texts: decode them in order (the fast path). */
	for (uint32_t id = 0; id < s->n; id++) {
		const char *text;
		size_t len;
		int rc = label_reader_get(s->probe, id, &text, &len);
		if (rc) {
			free(t);
			free(tags);
			return rc;
		}
		uint32_t h = hash_text(text, len);
		size_t j = h & (n - 1);
		while (t[j])
			j = (j + 1) & (n - 1);
		t[j] = id + 1;
		tags[j] = tag_of(h);
	}
	free(s->slots);
	free(s->tags);
	s->slots = t;
	s->tags = tags;
	s->n_slots = n;
	return 0;
}

/* The slot for text: the one holding it, or the empty one to put it in. */
static int find_slot(struct label_store *s, const char *text, size_t n, uint32_t h, size_t *at)
{
	size_t mask = s->n_slots - 1;
	for (size_t j = h & mask;; j = (j + 1) & mask) {
		if (!s->slots[j]) {
			*at = j;
			return 0;
		}
		if (s->tags[j] != tag_of(h))
			continue;
		const char *t;
		size_t tn;
		int rc = label_reader_get(s->probe, s->slots[j] - 1, &t, &tn);
		if (rc)
			return rc;
		if (tn == n && memcmp(t, text, n) == 0) {
			*at = j;
			return 0;
		}
	}
}

int label_store_id(struct label_store *s, const char *text, size_t n, uint32_t *id)
{
	/* A collector passes one set for several samples in a row. */
	if (s->recent_id != NONE && s->recent.len == n &&
	    (!n || memcmp(s->recent.data, text, n) == 0)) {
		*id = s->recent_id;
		return 0;
	}
	if (!s->probe) {
		s->probe = malloc(sizeof(*s->probe));
		if (!s->probe)
			return -ENOMEM;
		label_reader_init(s->probe, s);
	}
	int rc = 0;
	if ((s->n + 1) * 4 > s->n_slots * 3 && (rc = grow_slots(s)))
		return rc;
	uint32_t h = hash_text(text, n);
	size_t at;
	rc = find_slot(s, text, n, h, &at);
	if (rc)
		return rc;
	if (!s->slots[at]) {
		if (s->n == NONE - 1)
			return -EOVERFLOW;
		rc = append(s, text, n);
		if (rc)
			return rc;
		s->slots[at] = s->n;
		s->tags[at] = tag_of(h);
	}
	*id = s->slots[at] - 1;
	s->recent_id = NONE;
	mbuf_reset(&s->recent);
	if (mbuf_add(&s->recent, text, n) == 0)
		s->recent_id = *id;
	return 0;
}
