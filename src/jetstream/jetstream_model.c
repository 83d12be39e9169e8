/* jetstream_model: the snapshot of one JetStream poll (see jetstream_model.h):
 * building it, finishing it (order, duplicates, filter, cap, derived
 * reservations) and the derived per-stream judgements. No I/O, no JSON. */
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

struct js_snapshot *js_snapshot_new(void)
{
	struct js_snapshot *s = calloc(1, sizeof(*s));
	if (s)
		s->refs = 1;
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

int js_snapshot_add(struct js_snapshot *s, struct js_stream *st)
{
	if (s->n_streams == s->cap_streams) {
		if (s->cap_streams >= JS_MAX_STREAMS_HARD)
			return -EFBIG;
		size_t cap = s->cap_streams ? s->cap_streams * 2 : 64;
		if (cap > JS_MAX_STREAMS_HARD)
			cap = JS_MAX_STREAMS_HARD;
		struct js_stream *n = realloc(s->streams, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->streams = n;
		s->cap_streams = cap;
	}
	s->streams[s->n_streams++] = *st;
	st->name = NULL;
	return 0;
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

static bool keep(const struct js_filter *f, const char *name)
{
	return !f || !f->names || name_filter_match(f->names, name);
}

void js_snapshot_finish(struct js_snapshot *s, const struct js_filter *f)
{
	if (s->n_streams > 1)
		qsort(s->streams, s->n_streams, sizeof(*s->streams), by_name);

	/* Unique names: paging while streams come and go can list one twice;
	 * one copy is kept. */
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
	s->seen = w;

	if (!s->account.has_reserved) {
		uint64_t mem = 0, file = 0;
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

	w = 0;
	s->filtered = 0;
	s->dropped = 0;
	for (size_t r = 0; r < s->n_streams; r++) {
		struct js_stream *st = &s->streams[r];
		if (!keep(f, st->name)) {
			s->filtered++;
			free(st->name);
			continue;
		}
		if (f && f->max_streams && w >= f->max_streams) {
			s->dropped++;
			free(st->name);
			continue;
		}
		s->streams[w++] = *st;
	}
	s->n_streams = w;
}
