/* basic_auth: HTTP Basic credentials (RFC 7617) checked against bcrypt
 * hashes with libxcrypt: the users of a web config's basic_auth_users, a
 * cache of successful checks keyed on an HMAC (never the password), and a
 * bound on the bcrypt work that runs at once. It neither reads the YAML
 * (web_config.c does) nor speaks HTTP (http.c maps the results to 401/503).
 *
 * Costs: bcrypt's cost doubles the work per step. Measured with libxcrypt on
 * this project's 2-core machine: cost 10 0.05-0.06 s, 12 0.19-0.21 s, 14
 * 0.79-0.91 s per check. BASIC_AUTH_MAX_COST is 12, so one check ends within
 * a fraction of a second and shutdown never waits long for one; a cost-31
 * hash (about 7 hours a check here) is refused when the config is read. */
#ifndef MEMACCT_BASIC_AUTH_H
#define MEMACCT_BASIC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BASIC_AUTH_MIN_COST 4
#define BASIC_AUTH_MAX_COST 12
#define BASIC_AUTH_MAX_USERS 1024
#define BASIC_AUTH_USER_MAX_BYTES 256
/* Decoded user:password of one Authorization header. */
#define BASIC_AUTH_CREDENTIALS_MAX_BYTES 1024
/* The successful (user, password) checks remembered (least recently used
 * goes first). */
#define BASIC_AUTH_CACHE_SIZE 64
/* bcrypt runs at once; further checks wait for one to end, at most
 * BASIC_AUTH_MAX_WAITING of them and for at most BASIC_AUTH_WAIT_MS, then
 * are refused with -EBUSY. */
#define BASIC_AUTH_MAX_RUNNING 2
#define BASIC_AUTH_MAX_WAITING 8
#define BASIC_AUTH_WAIT_MS 1000

struct basic_auth;

/* An empty user list with a fresh random HMAC key. 0, -ENOMEM, or -errno of
 * getrandom. */
int basic_auth_new(struct basic_auth **out);
void basic_auth_free(struct basic_auth *a);

/* Why name cannot be a user (empty, longer than BASIC_AUTH_USER_MAX_BYTES,
 * a ':' or a control character), or NULL when it can. */
const char *basic_auth_bad_name(const char *name);
/* Why hash is not accepted (not bcrypt's $2a$/$2b$/$2y$ form, or a cost
 * outside BASIC_AUTH_MIN_COST..BASIC_AUTH_MAX_COST), or NULL. */
const char *basic_auth_bad_hash(const char *hash);
/* Adds a user whose name and hash passed the two checks above. 0, -EEXIST
 * (the name is there already), -ENOSPC (BASIC_AUTH_MAX_USERS), -ENOMEM,
 * -EIO (HMAC failed). */
int basic_auth_add(struct basic_auth *a, const char *name, const char *hash);
size_t basic_auth_users(const struct basic_auth *a);

/* Splits an Authorization header value "Basic <base64(user:password)>"
 * (the scheme case-insensitive, blanks around the token allowed) into user
 * and password, NUL-terminated inside buf (cap bytes). -EACCES when it is not
 * Basic, not strict base64, longer than cap - 1 decoded bytes, has no ':' or
 * holds a NUL byte. */
int basic_auth_parse(const char *header, char *buf, size_t cap, const char **user,
		     const char **pass);

/* Checks a request's Authorization header (NULL when absent). Returns 0 when
 * access is allowed (always when there are no users); -EACCES for no header,
 * not Basic, malformed, an unknown user or a wrong password; -EBUSY when no
 * bcrypt slot came free in time (see BASIC_AUTH_MAX_RUNNING); -ECANCELED
 * after basic_auth_cancel. An unknown user costs one bcrypt run like a known
 * one (against the costliest hash) and names are compared in constant time,
 * so timing does not tell whether a user exists. A cache hit runs no bcrypt
 * and never waits. Thread-safe. */
int basic_auth_check(struct basic_auth *a, const char *authorization);

/* basic_auth_check without bcrypt, which never blocks: 0 when allowed (no
 * users, or a cached success), -EACCES when the header alone decides
 * (absent, not Basic, malformed), -EAGAIN when only basic_auth_check can
 * tell (any well-formed credentials not in the cache). */
int basic_auth_quick(struct basic_auth *a, const char *authorization);

/* Makes waiting and later checks that need bcrypt return -ECANCELED at once
 * (shutdown); cache hits still pass. A running bcrypt finishes. */
void basic_auth_cancel(struct basic_auth *a);

/* bcrypt runs so far (a cache hit runs none). */
uint64_t basic_auth_bcrypt_runs(const struct basic_auth *a);

#endif
