/* jetstream_model: the snapshot of one JetStream poll (see jetstream_model.h):
 * building it (the filters and the caps applied as streams and consumers
 * arrive, so memory follows the caps, not the server), finishing it (order,
 * duplicates, caps, derived reservations), what an earlier snapshot lends
 * (a missing stream's last state, an unchanged stream's consumers) and the
 * derived per-stream judgements. No I/O, no JSON. */
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

const char *js_ack_policy_name(enum js_ack_policy a)
{
	switch (a) {
	case JS_ACK_NONE:
		return "none";
	case JS_ACK_ALL:
		return "all";
	case JS_ACK_EXPLICIT:
		return "explicit";
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

void js_stream_fini(struct js_stream *st)
{
	free(st->name);
	st->name = NULL;
	free(st->cluster);
	st->cluster = NULL;
	for (unsigned i = 0; i < st->n_peers; i++)
		free(st->peers[i].name);
	free(st->peers);
	st->peers = NULL;
	st->n_peers = 0;
}

void js_snapshot_free(struct js_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_streams; i++)
		js_stream_fini(&s->streams[i]);
	free(s->streams);
	for (size_t i = 0; i < s->n_consumers; i++)
		free(s->consumers[i].name);
	free(s->consumers);
	free(s);
}

/* Of two records of one name, the one with this poll's state first, then
 * one with a config. */
static int rank(const struct js_stream *s)
{
	return s->missing ? (s->has_config ? 1 : 2) : 0;
}

static int by_name(const void *a, const void *b)
{
	const struct js_stream *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : rank(x) - rank(y);
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
 * and go can list one twice; the best record, see rank()) and cuts back to
 * max_streams. */
static void sort_unique_cap(struct js_snapshot *s)
{
	if (s->n_streams > 1)
		qsort(s->streams, s->n_streams, sizeof(*s->streams), by_name);
	size_t w = 0;
	for (size_t r = 0; r < s->n_streams; r++) {
		if (w > 0 && !strcmp(s->streams[w - 1].name, s->streams[r].name)) {
			js_stream_fini(&s->streams[r]);
			continue;
		}
		s->streams[w++] = s->streams[r];
	}
	s->n_streams = w;
	unsigned cap = max_streams(s);
	for (size_t r = cap; cap && r < s->n_streams; r++) {
		s->dropped++;
		reserve_out(s, &s->streams[r]);
		js_stream_fini(&s->streams[r]);
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
		js_stream_fini(st);
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
	st->cluster = NULL;
	st->peers = NULL;
	st->n_peers = 0;
	return 0;
}

void js_snapshot_finish_streams(struct js_snapshot *s)
{
	sort_unique_cap(s);
	s->seen = s->n_streams + s->filtered + s->dropped;
	s->missing = 0;
	for (size_t i = 0; i < s->n_streams; i++)
		s->missing += s->streams[i].missing;
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
}

const struct js_stream *js_snapshot_find(const struct js_snapshot *s, const char *name)
{
	size_t lo = 0, hi = s ? s->n_streams : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->streams[mid].name, name);
		if (c == 0)
			return &s->streams[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void js_snapshot_lend_missing(struct js_snapshot *s, const struct js_snapshot *prev)
{
	for (size_t i = 0; i < s->n_streams; i++) {
		struct js_stream *st = &s->streams[i];
		if (!st->missing)
			continue;
		const struct js_stream *p = js_snapshot_find(prev, st->name);
		if (!p || !p->has_state)
			continue;
		st->messages = p->messages;
		st->bytes = p->bytes;
		st->first_seq = p->first_seq;
		st->last_seq = p->last_seq;
		st->first_ts_ns = p->first_ts_ns;
		st->last_ts_ns = p->last_ts_ns;
		st->subjects = p->subjects;
		st->deleted = p->deleted;
		st->consumers = p->consumers;
		st->has_state = true;
		if (!st->cluster && p->cluster)
			st->cluster = strdup(p->cluster); /* NULL (no label) without memory */
		if (!st->has_config && p->has_config) {
			st->storage = p->storage;
			st->retention = p->retention;
			st->discard = p->discard;
			st->replicas = p->replicas;
			st->sealed = p->sealed;
			st->max_age_ns = p->max_age_ns;
			st->max_bytes = p->max_bytes;
			st->max_msgs = p->max_msgs;
			st->max_msgs_per_subject = p->max_msgs_per_subject;
			st->has_config = true;
		}
	}
}

/* --- consumers --- */

static int by_stream_name(const void *a, const void *b)
{
	const struct js_consumer *x = a, *y = b;
	if (x->stream != y->stream)
		return x->stream < y->stream ? -1 : 1;
	return strcmp(x->name, y->name);
}

static unsigned max_consumers(const struct js_snapshot *s)
{
	return s->filter ? s->filter->max_consumers : 0;
}

/* Sorts the kept consumers, keeps one of each (stream, name) and cuts back
 * to max_consumers; a stream that lost one to the cap is not complete. */
static void sort_unique_cap_consumers(struct js_snapshot *s)
{
	if (s->n_consumers > 1)
		qsort(s->consumers, s->n_consumers, sizeof(*s->consumers), by_stream_name);
	size_t w = 0;
	for (size_t r = 0; r < s->n_consumers; r++) {
		if (w > 0 && !by_stream_name(&s->consumers[w - 1], &s->consumers[r])) {
			free(s->consumers[r].name);
			continue;
		}
		s->consumers[w++] = s->consumers[r];
	}
	s->n_consumers = w;
	unsigned cap = max_consumers(s);
	for (size_t r = cap; cap && r < s->n_consumers; r++) {
		s->consumers_dropped++;
		s->streams[s->consumers[r].stream].consumers_complete = false;
		free(s->consumers[r].name);
	}
	if (cap && s->n_consumers > cap)
		s->n_consumers = cap;
}

int js_snapshot_add_consumer(struct js_snapshot *s, struct js_consumer *c)
{
	const struct js_filter *f = s->filter;
	if (c->stream >= s->n_streams) {
		free(c->name);
		c->name = NULL;
		return -EINVAL;
	}
	if (f && f->consumer_names && !name_filter_match(f->consumer_names, c->name)) {
		s->consumers_filtered++;
		s->streams[c->stream].consumers_filtered++;
		free(c->name);
		c->name = NULL;
		return 0;
	}
	unsigned cap = max_consumers(s);
	size_t limit = cap ? 2 * (size_t)cap : JS_MAX_CONSUMERS_HARD;
	if (cap && s->n_consumers == limit)
		sort_unique_cap_consumers(s); /* memory stays bounded by the cap */
	if (s->n_consumers == s->cap_consumers) {
		if (s->cap_consumers >= limit)
			return -EFBIG;
		size_t n = s->cap_consumers ? s->cap_consumers * 2 : 64;
		if (n > limit)
			n = limit;
		struct js_consumer *grown = realloc(s->consumers, n * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->consumers = grown;
		s->cap_consumers = n;
	}
	s->consumers[s->n_consumers++] = *c;
	c->name = NULL;
	return 0;
}

int js_snapshot_reuse_consumers(struct js_snapshot *s, size_t i, const struct js_snapshot *prev)
{
	const struct js_stream *p = js_snapshot_find(prev, s->streams[i].name);
	if (!p)
		return -ENOENT;
	s->streams[i].consumers_filtered += p->consumers_filtered;
	s->consumers_filtered += p->consumers_filtered;
	for (size_t k = 0; k < p->n_consumers; k++) {
		struct js_consumer c = prev->consumers[p->first_consumer + k];
		c.stream = (uint32_t)i;
		c.name = strdup(c.name);
		if (!c.name)
			return -ENOMEM;
		int rc = js_snapshot_add_consumer(s, &c);
		if (rc < 0) {
			free(c.name);
			return rc;
		}
	}
	return 0;
}

bool js_consumer_settled(const struct js_consumer *c)
{
	return c->num_ack_pending == 0 &&
	       (c->num_pending == 0 || (c->num_waiting == 0 && !c->push_bound));
}

bool js_snapshot_consumers_unchanged(const struct js_snapshot *s, size_t i,
				     const struct js_snapshot *prev)
{
	const struct js_stream *st = &s->streams[i];
	const struct js_stream *p = js_snapshot_find(prev, st->name);
	if (!p || st->missing || p->missing || !p->has_state || !p->consumers_complete)
		return false;
	if (p->first_seq != st->first_seq || p->last_seq != st->last_seq ||
	    p->messages != st->messages || p->consumers != st->consumers)
		return false;
	for (size_t k = 0; k < p->n_consumers; k++)
		if (!js_consumer_settled(&prev->consumers[p->first_consumer + k]))
			return false;
	return true;
}

void js_snapshot_finish(struct js_snapshot *s)
{
	js_snapshot_finish_streams(s);
	sort_unique_cap_consumers(s);
	size_t k = 0;
	for (size_t i = 0; i < s->n_streams; i++) {
		struct js_stream *st = &s->streams[i];
		st->first_consumer = k;
		while (k < s->n_consumers && s->consumers[k].stream == i)
			k++;
		st->n_consumers = k - st->first_consumer;
	}
	s->consumers_seen =
	    s->n_consumers + s->consumers_filtered + s->consumers_dropped + s->consumers_missing;
	s->filter = NULL;
}
