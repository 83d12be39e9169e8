/* pagecache_set: the deduplicated file list (an array plus an
 * open-addressing index by device and inode), its limits and counters. It
 * does not read /proc or measure anything. */
#include "memacct/pagecache/pagecache_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/mono.h"

static const char *const method_names[PAGECACHE_METHOD_N] = {"auto", "cachestat", "mincore"};

const char *pagecache_method_name(enum pagecache_method m)
{
	return (unsigned)m < PAGECACHE_METHOD_N ? method_names[m] : "?";
}

int pagecache_method_parse(const char *name, enum pagecache_method *m)
{
	for (unsigned i = 0; i < PAGECACHE_METHOD_N; i++)
		if (strcmp(name, method_names[i]) == 0) {
			*m = (enum pagecache_method)i;
			return 0;
		}
	return -EINVAL;
}


uint64_t pagecache_deadline_after_ms(unsigned ms)
{
	return mono_now_ns() + (uint64_t)ms * 1000000u;
}

bool pagecache_deadline_passed(uint64_t deadline_ns)
{
	return deadline_ns && mono_now_ns() >= deadline_ns;
}

void pagecache_set_init(struct pagecache_set *s, const struct pagecache_limits *limits)
{
	memset(s, 0, sizeof(*s));
	if (limits)
		s->limits = *limits;
	if (!s->limits.max_files)
		s->limits.max_files = PAGECACHE_MAX_FILES_DEFAULT;
	if (!s->limits.max_depth)
		s->limits.max_depth = PAGECACHE_MAX_DEPTH_DEFAULT;
}

void pagecache_set_free(struct pagecache_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].path);
	free(s->files);
	free(s->slots);
	s->files = NULL;
	s->slots = NULL;
	s->n = s->cap = s->nslots = 0;
}

static size_t hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ (dev * 0x9e3779b97f4a7c15u)) * 0xff51afd7ed558ccdu;
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding (dev, ino), or the empty slot where it would go. */
static size_t *slot_for(const struct pagecache_set *s, uint64_t dev, uint64_t ino)
{
	size_t mask = s->nslots - 1;
	for (size_t i = hash(dev, ino) & mask;; i = (i + 1) & mask) {
		size_t *slot = &s->slots[i];
		if (!*slot)
			return slot;
		const struct pagecache_file *f = &s->files[*slot - 1];
		if (f->dev == dev && f->ino == ino)
			return slot;
	}
}

struct pagecache_file *pagecache_set_find(const struct pagecache_set *s, uint64_t dev, uint64_t ino)
{
	if (!s->nslots)
		return NULL;
	size_t *slot = slot_for(s, dev, ino);
	return *slot ? &s->files[*slot - 1] : NULL;
}

/* Keeps the index at most half full. */
static int grow_index(struct pagecache_set *s)
{
	if (s->nslots && (s->n + 1) * 2 <= s->nslots)
		return 0;
	size_t nslots = s->nslots ? s->nslots * 2 : 256;
	size_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	for (size_t i = 0; i < s->n; i++)
		*slot_for(s, s->files[i].dev, s->files[i].ino) = i + 1;
	return 0;
}

int pagecache_set_add(struct pagecache_set *s, uint64_t dev, uint64_t ino, uint64_t size,
		      const char *path, struct pagecache_file **f, bool *added)
{
	*added = false;
	*f = pagecache_set_find(s, dev, ino);
	if (*f)
		return 0;
	if (s->n >= s->limits.max_files) {
		s->list.dropped++;
		return -ENOSPC;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pagecache_file *files = realloc(s->files, cap * sizeof(*files));
		if (!files)
			return -ENOMEM;
		s->files = files;
		s->cap = cap;
	}
	int rc = grow_index(s);
	if (rc)
		return rc;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	struct pagecache_file *nf = &s->files[s->n];
	memset(nf, 0, sizeof(*nf));
	nf->dev = dev;
	nf->ino = ino;
	nf->size = size;
	nf->path = copy;
	nf->fd = -1;
	nf->rc = PAGECACHE_NOT_MEASURED;
	*slot_for(s, dev, ino) = s->n + 1;
	s->n++;
	*f = nf;
	*added = true;
	return 0;
}

void pagecache_set_note_denied(struct pagecache_set *s, int pid)
{
	s->list.denied++;
	if (s->list.ndenied_pids < PAGECACHE_DENIED_PIDS_MAX)
		s->list.denied_pids[s->list.ndenied_pids++] = pid;
}
