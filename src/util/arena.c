/* arena: bump allocation over mmap'd slabs; see include/memacct/util/arena.h.
 * It knows nothing of what is stored. */
#include "memacct/util/arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct arena_slab {
	struct arena_slab *next;
	size_t size; /* mapped bytes, this header included */
	size_t used; /* bytes given out, this header included */
};

#define HEADER ((sizeof(struct arena_slab) + 15) & ~(size_t)15)

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (n > SIZE_MAX - page)
		return 0;
	return (n + page - 1) / page * page;
}

void arena_init(struct arena *a, size_t slab_size)
{
	*a = (struct arena){.slab_size = page_round(slab_size)};
}

void arena_free(struct arena *a)
{
	struct arena_slab *s = a->head;
	while (s) {
		struct arena_slab *next = s->next;
		munmap(s, s->size);
		s = next;
	}
	arena_init(a, a->slab_size);
}

/* Maps a slab with room for n bytes; a big one goes behind the head, so the
 * head's free room stays in use. */
static struct arena_slab *slab_new(struct arena *a, size_t n)
{
	if (n > SIZE_MAX - HEADER)
		return NULL;
	size_t size = page_round(HEADER + n);
	if (!size)
		return NULL;
	if (size < a->slab_size)
		size = a->slab_size;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct arena_slab *s = p;
	s->size = size;
	s->used = HEADER;
	a->mapped += size;
	bool big = size > a->slab_size && a->head;
	if (big) {
		s->next = a->head->next;
		a->head->next = s;
	} else {
		s->next = a->head;
		a->head = s;
	}
	return s;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t need = (n + 7) & ~(size_t)7;
	if (need < n)
		return NULL;
	struct arena_slab *s = a->head;
	if (!s || s->size - s->used < need) {
		s = slab_new(a, need);
		if (!s)
			return NULL;
	}
	void *p = (char *)s + s->used;
	s->used += need;
	a->last = p;
	a->last_size = need;
	return p;
}

void *arena_extend(struct arena *a, void *p, size_t n)
{
	if (!p || p != a->last)
		return NULL;
	size_t need = (n + 7) & ~(size_t)7;
	if (need < n)
		return NULL;
	if (need <= a->last_size)
		return p;
	struct arena_slab *s = a->head;
	char *end = (char *)p + a->last_size;
	if (s && end == (char *)s + s->used && s->size - s->used >= need - a->last_size) {
		s->used += need - a->last_size;
		a->last_size = need;
		return p;
	}
	size_t old = a->last_size;
	void *q = arena_alloc(a, n);
	if (q)
		memcpy(q, p, old);
	return q;
}
