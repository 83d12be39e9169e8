/* jetstream_json: decodes the JetStream API's JSON replies into the model
 * (jetstream_model.h) with json-c, and reads the account out of a .creds
 * file's user JWT. Each function returns 0 or -errno with e set; none talks
 * to NATS or keeps state.
 *
 * json-c rather than jansson: jansson rejects integers above INT64_MAX,
 * which the server writes for unset uint64 fields. */
#ifndef MEMACCT_JETSTREAM_JSON_H
#define MEMACCT_JETSTREAM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "memacct/jetstream/jetstream_model.h"
#include "memacct/util/errmsg.h"

/* Parses Go's RFC 3339 timestamps ("2024-05-01T10:00:00.123456789Z", or an
 * offset such as "+02:00") into Unix nanoseconds. Go's zero time
 * ("0001-01-01T00:00:00Z") and any year before 1970 give 0. -EINVAL when
 * malformed, -ERANGE past year 2262. */
int js_parse_time(const char *s, int64_t *ns);

/* A JetStream API error reply ({"error":{"code":..,"description":..}}) is
 * -EREMOTEIO with e = "JetStream API error CODE: DESCRIPTION".
 *
 * Decoding is bounded: json-c spends about 800 bytes on every object, 150
 * on every array and 100 on every scalar, up to 260 times the reply's size
 * (4 MiB of "{}," would take a gigabyte). A reply whose tree would take
 * more than JS_JSON_TREE_MAX is -EFBIG before json-c sees it. */
#define JS_JSON_TREE_MAX ((size_t)16 << 20)

/* $JS.API.INFO reply into a (name untouched). -EINVAL when not JSON. */
int js_parse_account_info(const char *json, size_t len, struct js_account *a, struct errmsg *e);

/* $SYS.REQ.USER.INFO reply: copies data.account into name (cap bytes).
 * -ENOENT when the reply has none. */
int js_parse_user_account(const char *json, size_t len, char *name, size_t cap, struct errmsg *e);

/* The account a .creds file's user belongs to: its JWT's
 * nats.issuer_account (signing keys) or else iss, an account public key
 * ("A..."), the name the server gives the account. 0, -EINVAL when no user
 * JWT is found, -ENOMEM. Does not check signatures. */
int js_parse_creds_account(const char *text, size_t len, char *name, size_t cap);

/* What a $JS.API.STREAM.LIST or CONSUMER.LIST page says besides its
 * records. */
struct js_page {
	uint64_t total;	      /* the server's count */
	size_t count;	      /* records in this page, any skipped as malformed included */
	uint64_t fingerprint; /* of the page's names in order: tells a repeated page */
	uint64_t missing;     /* names in the reply's missing array / offline object */
};

/* One $JS.API.STREAM.LIST page: adds its streams to snap (js_snapshot_add)
 * and fills page. A stream named in the reply's "missing" array or
 * "offline" object is added as missing (without state; without config when
 * the page does not list it otherwise). A total that is not an integer
 * from 0 to 2^63 - 1 (1e400, -1, 2^64) is -EINVAL: it would otherwise read
 * as 2^64 - 1. -EFBIG past JS_MAX_STREAMS_HARD or JS_JSON_TREE_MAX. */
int js_parse_stream_page(const char *json, size_t len, struct js_snapshot *snap,
			 struct js_page *page, struct errmsg *e);

/* One $JS.API.CONSUMER.LIST.<stream> page for the finished stream at index
 * stream: adds its consumers to snap (js_snapshot_add_consumer) and fills
 * page. A consumer named in the reply's "missing" array is not added (the
 * server lists no state for it) but counted in page->missing. Errors as
 * js_parse_stream_page (-EFBIG past JS_MAX_CONSUMERS_HARD). */
int js_parse_consumer_page(const char *json, size_t len, struct js_snapshot *snap, uint32_t stream,
			   struct js_page *page, struct errmsg *e);

#endif
