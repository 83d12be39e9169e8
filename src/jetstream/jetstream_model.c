/* jetstream_model: the snapshot of one JetStream poll (see jetstream_model.h):
 * building it (the filter and the cap applied as streams arrive, so memory
 * follows the cap, not the server), finishing it (order, duplicates, cap,
 * derived reservations) and the derived per-stream judgements. No I/O, no
 * JSON. */
#include "memacct/jetstream/jetstream_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *js_storage_name(enum js_storage s)
{
	switch (s) {
	case JS_STORAGE_FILE:
		return "file";
	case JS_STORAGE_MEMORY:
		return "memory";
	default:
		return "unknown";
	}
}

const char *js_retention_name(enum js_retention r)
{
	switch (r) {
	case JS_RETENTION_LIMITS:
		return "limits";
	case JS_RETENTION_INTEREST:
		return "interest";
	case JS_RETENTION_WORKQUEUE:
		return "workqueue";
	default:
		return "unknown";
	}
}

const char *js_discard_name(enum js_discard d)
{
	switch (d) {
	case JS_DISCARD_OLD:
		return "old";
	case JS_DISCARD_NEW:
		return "new";
	default:
		return "unknown";
	}
}

bool js_stream_unbounded(const struct js_stream *s)
{
	return s->retention == JS_RETENTION_LIMITS && !s->sealed && s->max_age_ns <= 0 &&
	       s->max_bytes <= 0 && s->max_msgs <= 0;
}

bool js_stream_time_bounded_only(const struct js_stream *s)
{
	return s->retention == JS_RETENTION_LIMITS && !s->sealed && s->max_age_ns > 0 &&
	       s->max_bytes <= 0 && s->max_msgs <= 0;
}

struct js_snapshot *js_snapshot_new(const struct js_filter *f)
{
	struct js_snapshot *s = calloc(1, sizeof(*s));
	if (s) {
		s->refs = 1;
		s->filter = f;
	}
	return s;
}

void js_snapshot_free(struct js_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_streams; i++)
		free(s->streams[i].name);
	free(s->streams);
	free(s);
}

static int by_name(const void *a, const void *b)
{
	const struct js_stream *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static uint64_t reservation(const struct js_stream *st)
{
	if (st->max_bytes <= 0)
		return 0;
	uint64_t r = st->replicas > 1 ? (uint64_t)st->replicas : 1;
	uint64_t b = (uint64_t)st->max_bytes;
	return b > UINT64_MAX / r ? UINT64_MAX : b * r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* A stream left out still reserves what its limits say. */
static void reserve_out(struct js_snapshot *s, const struct js_stream *st)
{
	if (st->storage == JS_STORAGE_MEMORY)
		s->reserved_memory_out = sat_add(s->reserved_memory_out, reservation(st));
	else if (st->storage == JS_STORAGE_FILE)
		s->reserved_storage_out = sat_add(s->reserved_storage_out, reservation(st));
}

static unsigned max_streams(const struct js_snapshot *s)
{
	return s->filter ? s->filter->max_streams : 0;
}

/* Sorts the kept streams, keeps one of each name (paging while streams come
 * and go can list one twice) and cuts back to max_streams. */
static void sort_unique_cap(struct js_snapshot *s)
{
	if (s->n_streams > 1)
		qsort(s->streams, s->n_streams, sizeof(*s->streams), by_name);
	size_t w = 0;
	for (size_t r = 0; r < s->n_streams; r++) {
		if (w > 0 && !strcmp(s->streams[w - 1].name, s->streams[r].name)) {
			free(s->streams[w - 1].name);
			s->streams[w - 1] = s->streams[r];
			continue;
		}
		s->streams[w++] = s->streams[r];
	}
	s->n_streams = w;
	unsigned cap = max_streams(s);
	for (size_t r = cap; cap && r < s->n_streams; r++) {
		s->dropped++;
		reserve_out(s, &s->streams[r]);
		free(s->streams[r].name);
	}
	if (cap && s->n_streams > cap)
		s->n_streams = cap;
}

int js_snapshot_add(struct js_snapshot *s, struct js_stream *st)
{
	const struct js_filter *f = s->filter;
	if (f && f->names && !name_filter_match(f->names, st->name)) {
		s->filtered++;
		reserve_out(s, st);
		free(st->name);
		st->name = NULL;
		return 0;
	}
	unsigned cap = max_streams(s);
	size_t limit = cap ? 2 * (size_t)cap : JS_MAX_STREAMS_HARD;
	if (cap && s->n_streams == limit)
		sort_unique_cap(s); /* memory stays bounded by the cap */
	if (s->n_streams == s->cap_streams) {
		if (s->cap_streams >= limit)
			return -EFBIG;
		size_t n = s->cap_streams ? s->cap_streams * 2 : 64;
		if (n > limit)
			n = limit;
		struct js_stream *grown = realloc(s->streams, n * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->streams = grown;
		s->cap_streams = n;
	}
	s->streams[s->n_streams++] = *st;
	st->name = NULL;
	return 0;
}

void js_snapshot_finish(struct js_snapshot *s)
{
	sort_unique_cap(s);
	s->seen = s->n_streams + s->filtered + s->dropped;
	if (!s->account.has_reserved) {
		uint64_t mem = s->reserved_memory_out, file = s->reserved_storage_out;
		for (size_t i = 0; i < s->n_streams; i++) {
			const struct js_stream *st = &s->streams[i];
			if (st->storage == JS_STORAGE_MEMORY)
				mem = sat_add(mem, reservation(st));
			else if (st->storage == JS_STORAGE_FILE)
				file = sat_add(file, reservation(st));
		}
		s->account.reserved_memory = mem;
		s->account.reserved_storage = file;
	}
	s->filter = NULL;
}
