/* json_out: JSON the exporter writes, built with json-c (explain --json,
 * the JSON log format). Strings are made valid UTF-8 first, an invalid
 * byte becoming U+FFFD, because json-c copies bytes as they come. The text
 * is compact, with '/' left unescaped and bidi controls (utf8.h) written
 * as \uXXXX, the same value, so names read on a terminal cannot reorder
 * it. It does not parse JSON
 * (jetstream_json.c does). */
#ifndef MEMACCT_JSON_OUT_H
#define MEMACCT_JSON_OUT_H

struct json_object;
struct mbuf;

/* A JSON string of s (NUL-terminated) with each invalid UTF-8 byte as
 * U+FFFD. NULL when out of memory. */
struct json_object *json_out_string(const char *s);

/* Adds key: val to obj, taking val. val NULL (a failed json_object_new_*)
 * or obj NULL fails: 0 or -ENOMEM; val is released on failure. */
int json_out_put(struct json_object *obj, const char *key, struct json_object *val);
/* Adds key: null. 0 or -ENOMEM. */
int json_out_put_null(struct json_object *obj, const char *key);

/* Appends o as compact JSON text (no newline), bidi controls as \uXXXX.
 * 0, -ENOMEM, or out's error. */
int json_out_write(struct mbuf *out, struct json_object *o);

#endif
