/* basic_auth: parses Basic credentials (util/base64's strict decoder),
 * compares user names in constant time through an HMAC of each, checks the
 * password with libxcrypt's crypt_rn on at most BASIC_AUTH_MAX_RUNNING
 * threads at once, and caches successes by HMAC(user, password). It does not
 * read files or log; the YAML is web_config.c's, the HTTP replies http.c's. */
#include "memacct/http/basic_auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "memacct/util/base64.h"
#include "memacct/util/mono.h"

#define MAC_LEN 32

struct user {
	char *name;
	char *hash;
	unsigned char name_mac[MAC_LEN];
};

struct cache_entry {
	unsigned char mac[MAC_LEN]; /* HMAC(key, user, password) of a success */
	uint64_t last_used;	    /* 0: empty */
};

struct basic_auth {
	struct user *users;
	size_t n_users, cap_users;
	const char *dummy_hash; /* borrowed: the costliest user's hash */
	unsigned dummy_cost;
	unsigned char key[MAC_LEN];

	pthread_mutex_t cache_lock; /* guards cache and clock */
	struct cache_entry cache[BASIC_AUTH_CACHE_SIZE];
	uint64_t clock;

	pthread_mutex_t slot_lock; /* guards the four below */
	pthread_cond_t slot_freed;
	struct crypt_data *slot[BASIC_AUTH_MAX_RUNNING];
	bool busy[BASIC_AUTH_MAX_RUNNING];
	unsigned waiting;
	bool cancelled;
	atomic_uint_fast64_t bcrypt_runs;
};

int basic_auth_new(struct basic_auth **out)
{
	struct basic_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->cache_lock, NULL);
	pthread_mutex_init(&a->slot_lock, NULL);
	atomic_init(&a->bcrypt_runs, 0);
	int rc = -mono_cond_init(&a->slot_freed);
	if (rc) {
		free(a);
		return rc;
	}
	if (getrandom(a->key, sizeof(a->key), 0) != (ssize_t)sizeof(a->key))
		rc = -errno;
	for (size_t i = 0; rc == 0 && i < BASIC_AUTH_MAX_RUNNING; i++) {
		a->slot[i] = calloc(1, sizeof(*a->slot[i]));
		if (!a->slot[i])
			rc = -ENOMEM;
	}
	if (rc) {
		basic_auth_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void basic_auth_free(struct basic_auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_users; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	for (size_t i = 0; i < BASIC_AUTH_MAX_RUNNING; i++) {
		if (a->slot[i])
			OPENSSL_cleanse(a->slot[i], sizeof(*a->slot[i]));
		free(a->slot[i]);
	}
	pthread_mutex_destroy(&a->cache_lock);
	pthread_mutex_destroy(&a->slot_lock);
	pthread_cond_destroy(&a->slot_freed);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

const char *basic_auth_bad_name(const char *name)
{
	if (!*name)
		return "empty user name";
	if (strlen(name) > BASIC_AUTH_USER_MAX_BYTES)
		return "user name longer than 256 bytes";
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c == ':' || *c < 0x20 || *c == 0x7f)
			return "user names may not contain ':' or control characters";
	return NULL;
}

/* "$2b$10$" + 53 characters of bcrypt's base64 alphabet; *cost any 00..99. */
static bool bcrypt_form(const char *h, unsigned *cost)
{
	static const char alphabet[] =
	    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$' ||
	    strspn(h + 7, alphabet) != 53)
		return false;
	*cost = (unsigned)(h[4] - '0') * 10 + (unsigned)(h[5] - '0');
	return true;
}

const char *basic_auth_bad_hash(const char *hash)
{
	unsigned cost = 0;
	if (!bcrypt_form(hash, &cost))
		return "not a bcrypt hash (want $2a$, $2b$ or $2y$, 60 characters, as"
		       " `htpasswd -nBC 10 \"\" | tr -d ':\\n'` prints)";
	if (cost < BASIC_AUTH_MIN_COST || cost > BASIC_AUTH_MAX_COST)
		return "bcrypt cost outside 04..12 (cost 12 takes about 0.2 s a check, each step"
		       " above doubles it: one login could pin a core)";
	int check = crypt_checksalt(hash);
	if (check != CRYPT_SALT_OK && check != CRYPT_SALT_METHOD_LEGACY)
		return "this libcrypt does not accept the hash";
	return NULL;
}

static int mac(const struct basic_auth *a, char domain, const char *s1, size_t len1,
	       const char *s2, size_t len2, unsigned char out[MAC_LEN])
{
	unsigned char buf[1 + BASIC_AUTH_USER_MAX_BYTES + 1 + BASIC_AUTH_CREDENTIALS_MAX_BYTES];
	if (len1 > BASIC_AUTH_USER_MAX_BYTES || len2 > BASIC_AUTH_CREDENTIALS_MAX_BYTES)
		return -EINVAL;
	size_t n = 0;
	buf[n++] = (unsigned char)domain;
	memcpy(buf + n, s1, len1);
	n += len1;
	buf[n++] = 0;
	if (len2)
		memcpy(buf + n, s2, len2);
	n += len2;
	unsigned int outlen = MAC_LEN;
	unsigned char *r = HMAC(EVP_sha256(), a->key, MAC_LEN, buf, n, out, &outlen);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r && outlen == MAC_LEN ? 0 : -EIO;
}

int basic_auth_add(struct basic_auth *a, const char *name, const char *hash)
{
	unsigned cost = 0;
	if (basic_auth_bad_name(name) || basic_auth_bad_hash(hash) || !bcrypt_form(hash, &cost))
		return -EINVAL;
	for (size_t i = 0; i < a->n_users; i++)
		if (strcmp(a->users[i].name, name) == 0)
			return -EEXIST;
	if (a->n_users == BASIC_AUTH_MAX_USERS)
		return -ENOSPC;
	if (a->n_users == a->cap_users) {
		size_t cap = a->cap_users ? 2 * a->cap_users : 4;
		struct user *u = realloc(a->users, cap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		a->users = u;
		a->cap_users = cap;
	}
	struct user *u = &a->users[a->n_users];
	memset(u, 0, sizeof(*u));
	if (mac(a, 'u', name, strlen(name), NULL, 0, u->name_mac))
		return -EIO;
	u->name = strdup(name);
	u->hash = strdup(hash);
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		return -ENOMEM;
	}
	a->n_users++;
	if (!a->dummy_hash || cost > a->dummy_cost) {
		a->dummy_hash = u->hash;
		a->dummy_cost = cost;
	}
	return 0;
}

size_t basic_auth_users(const struct basic_auth *a)
{
	return a->n_users;
}

uint64_t basic_auth_bcrypt_runs(const struct basic_auth *a)
{
	return atomic_load(&a->bcrypt_runs);
}

int basic_auth_parse(const char *h, char *buf, size_t cap, const char **user, const char **pass)
{
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "Basic", 5) != 0 || (h[5] != ' ' && h[5] != '\t'))
		return -EACCES;
	h += 5;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t len = strlen(h);
	while (len && (h[len - 1] == ' ' || h[len - 1] == '\t'))
		len--;
	if (cap == 0)
		return -EACCES;
	long n = base64_decode(BASE64_STD, h, len, (unsigned char *)buf, cap - 1);
	if (n < 0)
		return -EACCES;
	if (memchr(buf, '\0', (size_t)n))
		return -EACCES; /* crypt() would stop at it */
	buf[n] = '\0';
	char *colon = strchr(buf, ':');
	if (!colon)
		return -EACCES;
	*colon = '\0';
	*user = buf;
	*pass = colon + 1;
	return 0;
}

static bool cache_hit(struct basic_auth *a, const unsigned char key[MAC_LEN])
{
	bool hit = false;
	pthread_mutex_lock(&a->cache_lock);
	for (size_t i = 0; i < BASIC_AUTH_CACHE_SIZE; i++) {
		struct cache_entry *c = &a->cache[i];
		if (c->last_used && CRYPTO_memcmp(c->mac, key, MAC_LEN) == 0) {
			c->last_used = ++a->clock;
			hit = true;
		}
	}
	pthread_mutex_unlock(&a->cache_lock);
	return hit;
}

static void cache_put(struct basic_auth *a, const unsigned char key[MAC_LEN])
{
	pthread_mutex_lock(&a->cache_lock);
	size_t victim = 0;
	for (size_t i = 0; i < BASIC_AUTH_CACHE_SIZE; i++) {
		if (a->cache[i].last_used && CRYPTO_memcmp(a->cache[i].mac, key, MAC_LEN) == 0) {
			victim = i; /* another thread put it meanwhile */
			break;
		}
		if (a->cache[i].last_used < a->cache[victim].last_used)
			victim = i;
	}
	memcpy(a->cache[victim].mac, key, MAC_LEN);
	a->cache[victim].last_used = ++a->clock;
	pthread_mutex_unlock(&a->cache_lock);
}

/* Takes a free bcrypt slot, waiting up to BASIC_AUTH_WAIT_MS behind at most
 * BASIC_AUTH_MAX_WAITING others. Returns its index, -EBUSY or -ECANCELED. */
static int slot_take(struct basic_auth *a)
{
	struct timespec deadline = mono_after_ms(BASIC_AUTH_WAIT_MS);
	int rc = -EBUSY;
	bool queued = false;
	pthread_mutex_lock(&a->slot_lock);
	for (;;) {
		if (a->cancelled) {
			rc = -ECANCELED;
			break;
		}
		size_t i = 0;
		while (i < BASIC_AUTH_MAX_RUNNING && a->busy[i])
			i++;
		if (i < BASIC_AUTH_MAX_RUNNING) {
			a->busy[i] = true;
			rc = (int)i;
			break;
		}
		if (!queued) {
			if (a->waiting == BASIC_AUTH_MAX_WAITING)
				break;
			a->waiting++;
			queued = true;
		}
		if (pthread_cond_timedwait(&a->slot_freed, &a->slot_lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (queued)
		a->waiting--;
	pthread_mutex_unlock(&a->slot_lock);
	return rc;
}

static void slot_give(struct basic_auth *a, int i)
{
	pthread_mutex_lock(&a->slot_lock);
	a->busy[i] = false;
	pthread_cond_signal(&a->slot_freed);
	pthread_mutex_unlock(&a->slot_lock);
}

void basic_auth_cancel(struct basic_auth *a)
{
	pthread_mutex_lock(&a->slot_lock);
	a->cancelled = true;
	pthread_cond_broadcast(&a->slot_freed);
	pthread_mutex_unlock(&a->slot_lock);
}

/* One request's credentials, parsed and keyed. */
struct creds {
	char buf[BASIC_AUTH_CREDENTIALS_MAX_BYTES + 1];
	const char *user, *pass;
	unsigned char key[MAC_LEN]; /* HMAC(user, password): the cache key */
	size_t found, idx;	    /* whether the user exists, and which */
};

static void creds_wipe(struct creds *cr)
{
	OPENSSL_cleanse(cr, sizeof(*cr));
}

/* Parses the header and looks in the cache: 0 (a cached success), -EACCES
 * (malformed, or cached for an unknown user: never), or -EAGAIN (bcrypt
 * must decide; cr is filled). */
static int lookup(struct basic_auth *a, const char *authorization, struct creds *cr)
{
	if (!authorization || strlen(authorization) > 2 * BASIC_AUTH_CREDENTIALS_MAX_BYTES)
		return -EACCES;
	int rc = basic_auth_parse(authorization, cr->buf, sizeof(cr->buf), &cr->user, &cr->pass);
	if (rc)
		return rc;
	size_t ulen = strlen(cr->user);
	unsigned char umac[MAC_LEN];
	if (ulen > BASIC_AUTH_USER_MAX_BYTES || mac(a, 'u', cr->user, ulen, NULL, 0, umac) ||
	    mac(a, 'p', cr->user, ulen, cr->pass, strlen(cr->pass), cr->key))
		return -EACCES;
	/* Every user is compared, without branching on the result, so the
	 * time does not depend on which (if any) matched. */
	cr->found = 0;
	cr->idx = 0;
	for (size_t i = 0; i < a->n_users; i++) {
		size_t eq = (size_t)(CRYPTO_memcmp(umac, a->users[i].name_mac, MAC_LEN) == 0);
		size_t mask = (size_t)0 - eq;
		cr->idx = (cr->idx & ~mask) | (i & mask);
		cr->found |= eq;
	}
	if (cache_hit(a, cr->key))
		return cr->found ? 0 : -EACCES;
	return -EAGAIN;
}

int basic_auth_quick(struct basic_auth *a, const char *authorization)
{
	if (!a->n_users)
		return 0;
	struct creds cr;
	int rc = lookup(a, authorization, &cr);
	creds_wipe(&cr);
	return rc;
}

int basic_auth_check(struct basic_auth *a, const char *authorization)
{
	if (!a->n_users)
		return 0;
	struct creds cr;
	int rc = lookup(a, authorization, &cr);
	if (rc != -EAGAIN)
		goto out;
	rc = slot_take(a);
	if (rc < 0)
		goto out;
	int slot = rc;
	rc = -EACCES;
	const char *hash = cr.found ? a->users[cr.idx].hash : a->dummy_hash;
	size_t hlen = strlen(hash);
	const char *got = crypt_rn(cr.pass, hash, a->slot[slot], (int)sizeof(*a->slot[slot]));
	atomic_fetch_add(&a->bcrypt_runs, 1);
	bool match = got && strlen(got) == hlen && CRYPTO_memcmp(got, hash, hlen) == 0;
	slot_give(a, slot);
	if (match && cr.found) {
		cache_put(a, cr.key);
		rc = 0;
	}
out:
	creds_wipe(&cr);
	return rc;
}
