/* label_store: the label sets of one scrape, each stored once, so that a
 * sample costs a number instead of its ~300 bytes of labels. A label set
 * is the escaped text between the braces ('cgroup="/a",level="pod"'); each
 * distinct text gets an id, 0, 1, 2, ... in the order first seen. Texts are
 * front-coded (each one as the length it shares with the one before plus
 * the rest; every 16th whole, to decode from), which halves the cgroup
 * collector's sets: a cgroup's set is a prefix of its info set, a child's
 * starts with its parent's path. Memory comes from an arena (arena.h).
 * It does not escape anything (expfmt.c does) and is not thread-safe: one
 * writer, then readers. */
#ifndef MEMACCT_LABEL_STORE_H
#define MEMACCT_LABEL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "memacct/util/arena.h"
#include "memacct/util/mbuf.h"

struct label_store {
	struct arena arena;
	unsigned char **blocks; /* every 16th entry starts a block */
	size_t n_blocks, cap_blocks;
	size_t block_len;   /* bytes of the last block */
	uint32_t n;	    /* entries */
	struct mbuf last;   /* the last entry's text, to front-code the next */
	uint32_t recent_id; /* the id last returned, and its text */
	struct mbuf recent;
	struct label_reader *probe; /* decodes candidates of the hash table */
	uint32_t *slots;	    /* open addressing on the texts' hashes: id + 1 */
	uint8_t *tags;		    /* 8 bits of each slot's hash */
	size_t n_slots;
};

/* A position for decoding; several may read one store at once. */
struct label_reader {
	const struct label_store *s;
	uint32_t id;		   /* decoded in text; UINT32_MAX: none */
	const unsigned char *next; /* the entry after id */
	struct mbuf text;
};

/* slab_size: the arena's slab (a larger store maps more slabs). */
void label_store_init(struct label_store *s, size_t slab_size);
void label_store_free(struct label_store *s);
/* The id of text[0..n) (added when new). 0, or -ENOMEM. */
int label_store_id(struct label_store *s, const char *text, size_t n, uint32_t *id);
/* Bytes the store holds (its slabs mapped, index and hash table). */
size_t label_store_bytes(const struct label_store *s);

void label_reader_init(struct label_reader *r, const struct label_store *s);
void label_reader_free(struct label_reader *r);
/* The text of id (below the store's count): *text stays valid until the
 * next call. Reading ids in increasing order is the fast path. 0 or
 * -ENOMEM. */
int label_reader_get(struct label_reader *r, uint32_t id, const char **text, size_t *n);

#endif
