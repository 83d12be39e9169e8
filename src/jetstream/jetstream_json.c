/* jetstream_json: decodes the JetStream API's JSON replies ($JS.API.INFO,
 * $JS.API.STREAM.LIST and CONSUMER.LIST pages, $SYS.REQ.USER.INFO) into the
 * structs of jetstream_model.h, with json-c. The schemas are nats-server's
 * (server/jetstream_api.go, server/stream.go, server/consumer.go); fields a
 * server leaves out (omitempty: num_subjects, num_deleted, last_active,
 * cluster, ...) read as 0 or absent. It does not talk to NATS and keeps no
 * state. */
#include "memacct/jetstream/jetstream_json.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "memacct/util/base64.h"
#include "memacct/util/fnv1a.h"

#define JSON_MAX_DEPTH 32

/* --- time --- */

/* Two digits at *p (advancing); -1 when not digits. */
static int digits(const char **p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int js_parse_time(const char *s, int64_t *ns)
{
	const char *p = s;
	int Y, M, D, h, m, sec;
	int64_t frac = 0;

	*ns = 0;
	if (!s)
		return -EINVAL;
	if ((Y = digits(&p, 4)) < 0 || *p++ != '-' || (M = digits(&p, 2)) < 0 || *p++ != '-' ||
	    (D = digits(&p, 2)) < 0 || (*p != 'T' && *p != 't'))
		return -EINVAL;
	p++;
	if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (m = digits(&p, 2)) < 0 || *p++ != ':' ||
	    (sec = digits(&p, 2)) < 0)
		return -EINVAL;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	if (*p == '.') {
		p++;
		int n = 0;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 9)
				frac = frac * 10 + (*p - '0');
		for (; n < 9; n++)
			frac *= 10;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh, om;
		if ((oh = digits(&p, 2)) < 0 || *p++ != ':' || (om = digits(&p, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -EINVAL;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (Y < 1970)
		return 0; /* Go's zero time and anything before the epoch: none */

	int64_t secs =
	    days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec - off;
	if (secs < 0)
		return 0;
	if (secs > INT64_MAX / 1000000000 - 1)
		return -ERANGE;
	*ns = secs * 1000000000 + frac;
	return 0;
}

/* --- json-c helpers --- */

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static uint64_t get_u64(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_uint64(v); /* negatives read 0 */
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!(d > 0))
			return 0;
		return d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
	}
	return 0;
}

static int64_t get_i64(json_object *o, const char *k, int64_t def)
{
	json_object *v = get(o, k);
	if (!v)
		return def;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v); /* clamps past INT64_MAX */
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d != d)
			return def;
		if (d >= 9223372036854775807.0)
			return INT64_MAX;
		if (d <= -9223372036854775808.0)
			return INT64_MIN;
		return (int64_t)d;
	}
	return def;
}

static const char *get_str(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool get_bool(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* What json-c would allocate for json's tree, over-estimated from a count
 * of objects, arrays and scalars (measured with json-c 0.16: 792, 152 and
 * 72-88 bytes each) plus the bytes themselves (strings are copied). One
 * pass, no allocation. */
static size_t tree_estimate(const char *json, size_t len)
{
	size_t cost = len;
	bool in_string = false, escaped = false, in_scalar = false;
	for (size_t i = 0; i < len; i++) {
		char c = json[i];
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			cost += 96;
			in_scalar = false;
			break;
		case '{':
			cost += 800;
			in_scalar = false;
			break;
		case '[':
			cost += 160;
			in_scalar = false;
			break;
		case '}':
		case ']':
		case ',':
		case ':':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			in_scalar = false;
			break;
		default: /* a number, true, false or null begins */
			if (!in_scalar)
				cost += 96;
			in_scalar = true;
		}
	}
	return cost;
}

static int parse_root(const char *json, size_t len, json_object **out, const char *what,
		      struct errmsg *e)
{
	*out = NULL;
	if (!json || len == 0) {
		errmsg_set(e, "%s: empty reply", what);
		return -EINVAL;
	}
	if (len > INT_MAX) {
		errmsg_set(e, "%s: reply too large", what);
		return -EFBIG;
	}
	size_t tree = tree_estimate(json, len);
	if (tree > JS_JSON_TREE_MAX) {
		errmsg_set(e,
			   "%s: a reply of %zu bytes would take about %zu MiB to decode (over "
			   "%zu MiB)",
			   what, len, tree >> 20, JS_JSON_TREE_MAX >> 20);
		return -EFBIG;
	}
	json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_object *root = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		errmsg_set(e, "%s: not JSON: %s", what,
			   json_tokener_error_desc(root ? jerr
							: (jerr == json_tokener_continue
							       ? json_tokener_error_parse_eof
							       : jerr)));
		json_object_put(root);
		return -EINVAL;
	}
	if (!json_object_is_type(root, json_type_object)) {
		errmsg_set(e, "%s: reply is not a JSON object", what);
		json_object_put(root);
		return -EINVAL;
	}
	json_object *err = get(root, "error");
	if (err) {
		const char *d = get_str(err, "description");
		errmsg_set(e, "%s: JetStream API error %lld: %s", what,
			   (long long)get_i64(err, "code", 0), d ? d : "(no description)");
		json_object_put(root);
		return -EREMOTEIO;
	}
	*out = root;
	return 0;
}

/* --- replies --- */

int js_parse_account_info(const char *json, size_t len, struct js_account *a, struct errmsg *e)
{
	json_object *root;
	int rc = parse_root(json, len, &root, "$JS.API.INFO", e);
	if (rc < 0)
		return rc;

	a->memory = get_u64(root, "memory");
	a->storage = get_u64(root, "storage");
	a->has_reserved = get(root, "reserved_memory") || get(root, "reserved_storage");
	a->reserved_memory = get_u64(root, "reserved_memory");
	a->reserved_storage = get_u64(root, "reserved_storage");
	a->streams = get_i64(root, "streams", 0);
	a->consumers = get_i64(root, "consumers", 0);
	json_object *api = get(root, "api");
	a->api_total = get_u64(api, "total");
	a->api_errors = get_u64(api, "errors");
	json_object *lim = get(root, "limits");
	a->max_memory = get_i64(lim, "max_memory", -1);
	a->max_storage = get_i64(lim, "max_storage", -1);
	a->max_streams = get_i64(lim, "max_streams", -1);
	a->max_consumers = get_i64(lim, "max_consumers", -1);
	json_object_put(root);
	return 0;
}

int js_parse_user_account(const char *json, size_t len, char *name, size_t cap, struct errmsg *e)
{
	json_object *root;
	int rc = parse_root(json, len, &root, "$SYS.REQ.USER.INFO", e);
	if (rc < 0)
		return rc;
	const char *acc = get_str(get(root, "data"), "account");
	if (!acc || !*acc) {
		errmsg_set(e, "$SYS.REQ.USER.INFO: no account in the reply");
		rc = -ENOENT;
	} else if (cap > 0) {
		size_t n = strnlen(acc, cap - 1);
		memcpy(name, acc, n);
		name[n] = '\0';
	}
	json_object_put(root);
	return rc;
}

static enum js_storage storage_of(const char *s)
{
	if (s && !strcmp(s, "file"))
		return JS_STORAGE_FILE;
	if (s && !strcmp(s, "memory"))
		return JS_STORAGE_MEMORY;
	return JS_STORAGE_UNKNOWN;
}

static enum js_retention retention_of(const char *s)
{
	if (s && !strcmp(s, "limits"))
		return JS_RETENTION_LIMITS;
	if (s && !strcmp(s, "interest"))
		return JS_RETENTION_INTEREST;
	if (s && !strcmp(s, "workqueue"))
		return JS_RETENTION_WORKQUEUE;
	return JS_RETENTION_UNKNOWN;
}

static enum js_discard discard_of(const char *s)
{
	if (s && !strcmp(s, "old"))
		return JS_DISCARD_OLD;
	if (s && !strcmp(s, "new"))
		return JS_DISCARD_NEW;
	return JS_DISCARD_UNKNOWN;
}

/* A stream's "cluster" object: the leader first, then the followers, at
 * most JS_MAX_REPLICAS. Only a cluster with a name is one (a single server
 * may report a bare leader). 0 or -ENOMEM. */
static int replicas_of(json_object *cl, struct js_stream *st)
{
	const char *cname = get_str(cl, "name");
	if (!cname || !*cname)
		return 0;
	st->cluster = strdup(cname);
	if (!st->cluster)
		return -ENOMEM;
	json_object *reps = get(cl, "replicas");
	size_t n =
	    reps && json_object_is_type(reps, json_type_array) ? json_object_array_length(reps) : 0;
	const char *leader = get_str(cl, "leader");
	st->peers = calloc(JS_MAX_REPLICAS, sizeof(*st->peers));
	if (!st->peers)
		return -ENOMEM;
	if (leader && *leader) {
		st->peers[0] = (struct js_replica){.leader = true, .current = true};
		st->peers[0].name = strdup(leader);
		if (!st->peers[0].name)
			return -ENOMEM;
		st->n_peers = 1;
	}
	for (size_t i = 0; i < n && st->n_peers < JS_MAX_REPLICAS; i++) {
		json_object *r = json_object_array_get_idx(reps, i);
		const char *name = get_str(r, "name");
		if (!name || !*name)
			continue;
		struct js_replica *rp = &st->peers[st->n_peers];
		rp->current = get_bool(r, "current");
		rp->offline = get_bool(r, "offline");
		rp->lag = get_u64(r, "lag");
		rp->active_ns = get_i64(r, "active", 0);
		rp->name = strdup(name);
		if (!rp->name)
			return -ENOMEM;
		st->n_peers++;
	}
	return 0;
}

/* One element of "streams": 0, 1 when it has no usable name (skipped),
 * -ENOMEM (st holds what was allocated: js_stream_fini it). */
static int stream_of(json_object *si, struct js_stream *st)
{
	json_object *cfg = get(si, "config");
	json_object *state = get(si, "state");
	const char *name = get_str(cfg, "name");
	memset(st, 0, sizeof(*st));
	if (!name || !*name)
		return 1;

	st->storage = storage_of(get_str(cfg, "storage"));
	st->retention = retention_of(get_str(cfg, "retention"));
	st->discard = discard_of(get_str(cfg, "discard"));
	st->replicas = get_i64(cfg, "num_replicas", 1);
	st->sealed = get_bool(cfg, "sealed");
	st->max_age_ns = get_i64(cfg, "max_age", 0);
	st->max_bytes = get_i64(cfg, "max_bytes", -1);
	st->max_msgs = get_i64(cfg, "max_msgs", -1);
	st->max_msgs_per_subject = get_i64(cfg, "max_msgs_per_subject", -1);
	st->has_config = true;

	st->messages = get_u64(state, "messages");
	st->bytes = get_u64(state, "bytes");
	st->first_seq = get_u64(state, "first_seq");
	st->last_seq = get_u64(state, "last_seq");
	if (js_parse_time(get_str(state, "first_ts"), &st->first_ts_ns) < 0)
		st->first_ts_ns = 0;
	if (js_parse_time(get_str(state, "last_ts"), &st->last_ts_ns) < 0)
		st->last_ts_ns = 0;
	st->subjects = get_u64(state, "num_subjects");
	st->deleted = get_u64(state, "num_deleted");
	st->consumers = get_u64(state, "consumer_count");
	st->has_state = true;

	st->name = strdup(name);
	if (!st->name)
		return -ENOMEM;
	return replicas_of(get(si, "cluster"), st);
}

/* FNV-1a over the names, each with its terminating NUL. */
static uint64_t fingerprint_add(uint64_t h, const char *name)
{
	return fnv1a64(h, name, strlen(name) + 1);
}

/* The page's "total": an integer from 0 to INT64_MAX. json-c reads 1e400
 * as a double (inf) and clamps 2^64 and beyond to UINT64_MAX: neither is a
 * count. */
static int page_total(json_object *root, const char *what, const char *noun, uint64_t *total,
		      struct errmsg *e)
{
	json_object *v = get(root, "total");
	*total = 0;
	if (!v) {
		errmsg_set(e, "%s: no \"total\" in the reply", what);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
	    json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
		errmsg_set(e, "%s: \"total\" is not a %s count: %.40s", what, noun,
			   json_object_to_json_string(v));
		return -EINVAL;
	}
	*total = json_object_get_uint64(v);
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names a list reply says it could not get: its "missing" array
 * (nats-server 2.9+) and the keys of its "offline" object (2.10+; an
 * array of names is read too), sorted for lookups. *out points into
 * root's strings (valid while root is); NULL when none. 0 or -ENOMEM. */
static int missing_names(json_object *root, const char ***out, size_t *n)
{
	json_object *miss = get(root, "missing"), *off = get(root, "offline");
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (miss && json_object_is_type(miss, json_type_array))
		cap += json_object_array_length(miss);
	if (off && json_object_is_type(off, json_type_array))
		cap += json_object_array_length(off);
	if (off && json_object_is_type(off, json_type_object))
		cap += (size_t)json_object_object_length(off);
	if (cap == 0)
		return 0;
	const char **names = malloc(cap * sizeof(*names));
	if (!names)
		return -ENOMEM;
	json_object *arrays[2] = {miss, off};
	for (int a = 0; a < 2; a++) {
		if (!arrays[a] || !json_object_is_type(arrays[a], json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(arrays[a]); i++) {
			json_object *v = json_object_array_get_idx(arrays[a], i);
			if (v && json_object_is_type(v, json_type_string) &&
			    *json_object_get_string(v))
				names[(*n)++] = json_object_get_string(v);
		}
	}
	if (off && json_object_is_type(off, json_type_object)) {
		json_object_object_foreach(off, key, val)
		{
			(void)val;
			if (*key)
				names[(*n)++] = key;
		}
	}
	qsort(names, *n, sizeof(*names), by_str);
	size_t w = 0;
	for (size_t r = 0; r < *n; r++)
		if (w == 0 || strcmp(names[w - 1], names[r]))
			names[w++] = names[r];
	*n = w;
	*out = names;
	return 0;
}

/* The index of name in the sorted unique names, or -1. */
static long missing_index(const char *const *names, size_t n, const char *name)
{
	const char *const *hit = n ? bsearch(&name, names, n, sizeof(*names), by_str) : NULL;
	return hit ? (long)(hit - names) : -1;
}

static int list_array(json_object *root, const char *key, const char *what, json_object **arr,
		      struct errmsg *e)
{
	*arr = get(root, key);
	if (!*arr || json_object_is_type(*arr, json_type_null)) {
		*arr = NULL;
		return 0;
	}
	if (!json_object_is_type(*arr, json_type_array)) {
		errmsg_set(e, "%s: \"%s\" is not an array", what, key);
		*arr = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Adds the missing names the page does not list with a config (nats-server
 * 2.10 lists offline streams by name only) as records without config or
 * state, for the snapshot to count and an earlier poll to lend its state
 * to. listed[k]: names[k] was in the page's streams. */
static int add_name_only(struct js_snapshot *snap, const char *const *names, size_t n,
			 const bool *listed, struct js_page *page)
{
	for (size_t k = 0; k < n; k++) {
		if (listed[k])
			continue;
		struct js_stream st = {.missing = true,
				       .storage = JS_STORAGE_UNKNOWN,
				       .retention = JS_RETENTION_UNKNOWN,
				       .discard = JS_DISCARD_UNKNOWN};
		st.name = strdup(names[k]);
		if (!st.name)
			return -ENOMEM;
		page->fingerprint = fingerprint_add(page->fingerprint, st.name);
		page->missing++;
		int rc = js_snapshot_add(snap, &st);
		if (rc < 0) {
			js_stream_fini(&st);
			return rc;
		}
	}
	return 0;
}

/* A list reply (STREAM.LIST, CONSUMER.LIST), opened: its JSON, the array
 * of records under key, the sorted missing names. */
struct list_reply {
	json_object *root, *arr; /* arr NULL: none */
	const char **missing;	 /* sorted, unique; into root's strings */
	size_t n_missing;
};

/* Parses a list reply into r and fills page's total. On error r holds
 * nothing (-errno with e); else close_list() it. */
static int open_list(const char *json, size_t len, const char *what, const char *noun,
		     const char *key, struct list_reply *r, struct js_page *page, struct errmsg *e)
{
	memset(r, 0, sizeof(*r));
	memset(page, 0, sizeof(*page));
	page->fingerprint = FNV1A64_BASIS;
	int rc = parse_root(json, len, &r->root, what, e);
	if (rc < 0)
		return rc;
	rc = page_total(r->root, what, noun, &page->total, e);
	if (rc == 0)
		rc = list_array(r->root, key, what, &r->arr, e);
	if (rc == 0)
		rc = missing_names(r->root, &r->missing, &r->n_missing);
	if (rc < 0) {
		json_object_put(r->root);
		memset(r, 0, sizeof(*r));
	}
	return rc;
}

static void close_list(struct list_reply *r)
{
	free(r->missing);
	json_object_put(r->root);
}

int js_parse_stream_page(const char *json, size_t len, struct js_snapshot *snap,
			 struct js_page *page, struct errmsg *e)
{
	struct list_reply r;
	int rc = open_list(json, len, "$JS.API.STREAM.LIST", "stream", "streams", &r, page, e);
	if (rc < 0)
		return rc;
	json_object *arr = r.arr;
	const char **missing = r.missing;
	size_t n_missing = r.n_missing;
	bool *listed = NULL;
	if (n_missing && !(listed = calloc(n_missing, sizeof(*listed))))
		rc = -ENOMEM;
	size_t n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct js_stream st;
		page->count++;
		rc = stream_of(json_object_array_get_idx(arr, i), &st);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0) {
			page->fingerprint = fingerprint_add(page->fingerprint, st.name);
			long k = missing_index(missing, n_missing, st.name);
			if (k >= 0 && !listed[k]) {
				/* nats-server 2.9 lists it with a zeroed state */
				listed[k] = true;
				st.missing = true;
				st.has_state = false;
				page->missing++;
			} else if (k >= 0) {
				st.missing = true; /* listed twice in the page */
				st.has_state = false;
			}
			rc = js_snapshot_add(snap, &st);
		}
		if (rc < 0) {
			js_stream_fini(&st);
			if (rc == -EFBIG)
				errmsg_set(e, "more than %d streams", JS_MAX_STREAMS_HARD);
		}
	}
	if (rc == 0 && n_missing) {
		rc = add_name_only(snap, missing, n_missing, listed, page);
		if (rc == -EFBIG)
			errmsg_set(e, "more than %d streams", JS_MAX_STREAMS_HARD);
	}
	free(listed);
	close_list(&r);
	return rc;
}

static enum js_ack_policy ack_policy_of(const char *s)
{
	for (int a = JS_ACK_NONE; s && a < JS_ACK_UNKNOWN; a++)
		if (!strcmp(s, js_ack_policy_name((enum js_ack_policy)a)))
			return (enum js_ack_policy)a;
	return JS_ACK_UNKNOWN;
}

static int64_t time_of(json_object *o, const char *k)
{
	int64_t ns = 0;
	if (js_parse_time(get_str(o, k), &ns) < 0)
		ns = 0;
	return ns;
}

/* One element of "consumers": false when it has no usable name. */
static bool consumer_of(json_object *ci, struct js_consumer *c)
{
	json_object *cfg = get(ci, "config");
	json_object *dl = get(ci, "delivered"), *af = get(ci, "ack_floor");
	const char *name = get_str(ci, "name");
	memset(c, 0, sizeof(*c));
	if (!name || !*name)
		return false;
	const char *deliver = get_str(cfg, "deliver_subject");
	const char *durable = get_str(cfg, "durable_name");
	c->push = deliver && *deliver;
	c->push_bound = get_bool(ci, "push_bound");
	c->durable = durable && *durable;
	c->ack_policy = ack_policy_of(get_str(cfg, "ack_policy"));
	c->max_ack_pending = get_i64(cfg, "max_ack_pending", -1);
	c->num_pending = get_u64(ci, "num_pending");
	c->num_ack_pending = get_u64(ci, "num_ack_pending");
	c->num_redelivered = get_u64(ci, "num_redelivered");
	c->num_waiting = get_u64(ci, "num_waiting");
	c->delivered_stream_seq = get_u64(dl, "stream_seq");
	c->ack_floor_stream_seq = get_u64(af, "stream_seq");
	c->last_delivered_ns = time_of(dl, "last_active");
	c->last_ack_ns = time_of(af, "last_active");
	c->name = strdup(name);
	return true;
}

int js_parse_consumer_page(const char *json, size_t len, struct js_snapshot *snap, uint32_t stream,
			   struct js_page *page, struct errmsg *e)
{
	struct list_reply r;
	int rc =
	    open_list(json, len, "$JS.API.CONSUMER.LIST", "consumer", "consumers", &r, page, e);
	if (rc < 0)
		return rc;
	json_object *arr = r.arr;
	size_t n = arr ? json_object_array_length(arr) : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct js_consumer c;
		page->count++;
		if (!consumer_of(json_object_array_get_idx(arr, i), &c))
			continue;
		if (!c.name) {
			rc = -ENOMEM;
			break;
		}
		page->fingerprint = fingerprint_add(page->fingerprint, c.name);
		if (missing_index(r.missing, r.n_missing, c.name) >= 0) {
			/* its leader did not answer: no state to export */
			free(c.name);
			continue;
		}
		c.stream = stream;
		rc = js_snapshot_add_consumer(snap, &c);
		if (rc < 0) {
			free(c.name);
			if (rc == -EFBIG)
				errmsg_set(e, "more than %d consumers", JS_MAX_CONSUMERS_HARD);
		}
	}
	page->missing = r.n_missing; /* each name once, listed zeroed or not at all */
	close_list(&r);
	return rc;
}

/* --- creds --- */

int js_parse_creds_account(const char *text, size_t len, char *name, size_t cap)
{
	static const char begin[] = "-----BEGIN NATS USER JWT-----";
	const char *p = memmem(text, len, begin, sizeof(begin) - 1);
	const char *end = text + len;
	int rc = -EINVAL;

	if (!p || cap == 0)
		return -EINVAL;
	p += sizeof(begin) - 1;
	while (p < end && (*p == '\n' || *p == '\r' || *p == ' '))
		p++;
	/* header.payload.signature: decode the payload. */
	const char *dot1 = memchr(p, '.', (size_t)(end - p));
	if (!dot1)
		return -EINVAL;
	const char *q = dot1 + 1, *dot2 = q;
	while (dot2 < end && *dot2 != '.' && base64_is_char(BASE64_URL, *dot2))
		dot2++;
	if (dot2 >= end || *dot2 != '.' || dot2 == q)
		return -EINVAL;
	size_t n = (size_t)(dot2 - q);
	char *json = malloc(n * 3 / 4 + 4);
	if (!json)
		return -ENOMEM;
	long o = base64_decode(BASE64_URL, q, n, (unsigned char *)json, n * 3 / 4 + 4);
	if (o < 0) {
		free(json);
		return -EINVAL;
	}
	json_object *root;
	struct errmsg e;
	if (parse_root(json, (size_t)o, &root, "creds JWT", &e) == 0) {
		json_object *nats = get(root, "nats");
		const char *a = get_str(nats, "issuer_account");
		if (!a || !*a)
			a = get_str(root, "iss");
		if (a && *a) {
			size_t l = strnlen(a, cap - 1);
			memcpy(name, a, l);
			name[l] = '\0';
			rc = 0;
		}
		json_object_put(root);
	}
	free(json);
	return rc;
}
