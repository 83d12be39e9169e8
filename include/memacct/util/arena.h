/* arena: a bump allocator over anonymous mmap(2) slabs, freed all at once.
 * For the data of one scrape (expfmt's label and sample stores): many small
 * allocations that live exactly as long as their owner. Slabs come from the
 * kernel and go back to it at arena_free(), so what a scrape held leaves no
 * trace in malloc's per-thread arenas, and only the pages written count in
 * RSS. It does not free single allocations and is not thread-safe. */
#ifndef MEMACCT_ARENA_H
#define MEMACCT_ARENA_H

#include <stddef.h>

struct arena_slab;

struct arena {
	struct arena_slab *head; /* the slab allocations come from */
	size_t slab_size;	 /* bytes per slab (larger allocations get their own) */
	void *last;		 /* the last allocation, for arena_extend() */
	size_t last_size;
	size_t mapped; /* bytes mapped in all */
};

/* slab_size: bytes per slab, rounded up to whole pages. Maps nothing yet. */
void arena_init(struct arena *a, size_t slab_size);
/* Unmaps every slab; a is empty (and usable) again. */
void arena_free(struct arena *a);
/* n bytes, 8-aligned, uninitialised; NULL when the kernel has no memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Grows the last allocation p to n bytes, keeping its content: in place when
 * its slab has room, else at a new place (the old bytes stay allocated
 * until arena_free). Returns the allocation's address, or NULL when p is not
 * the last allocation or there is no memory. */
void *arena_extend(struct arena *a, void *p, size_t n);

#endif
