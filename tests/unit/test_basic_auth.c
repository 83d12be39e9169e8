/* Unit tests for basic_auth.c: header parsing (good and malformed Basic
 * headers), name and hash validation (the cost bound), right and wrong
 * passwords, unknown users, the bcrypt-free basic_auth_quick, the cache and
 * its bound, concurrent callers, the bound on bcrypt runs at once (-EBUSY
 * past it, never a wait beyond BASIC_AUTH_WAIT_MS) and cancellation
 * (-ECANCELED at once, cache hits still pass). Hashes are made here with
 * libxcrypt at cost 4 so the tests stay fast, except the bound tests which
 * use cost 12 to keep the slots busy. The YAML side is test_web_config.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first. */
#include <cmocka.h>

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memacct/http/basic_auth.h"

static void make_hash(const char *password, unsigned cost, char *out, size_t cap)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn("$2b$", cost, NULL, 0, salt, sizeof(salt)));
	const char *h = crypt_rn(password, salt, &cd, sizeof(cd));
	assert_non_null(h);
	assert_true(strlen(h) < cap);
	strcpy(out, h);
}

static char *basic(const char *user_pass)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(user_pass);
	char *out = malloc(6 + (n + 2) / 3 * 4 + 1);
	assert_non_null(out);
	strcpy(out, "Basic ");
	char *o = out + 6;
	const unsigned char *s = (const unsigned char *)user_pass;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int check(struct basic_auth *a, const char *user_pass)
{
	char *h = basic(user_pass);
	int rc = basic_auth_check(a, h);
	free(h);
	return rc;
}

/* alice:wonderland ($2b$) and bob:builder (rewritten as $2y$), cost c. */
static struct basic_auth *two_users(unsigned c)
{
	struct basic_auth *a;
	char alice[128], bob[128];
	make_hash("wonderland", c, alice, sizeof(alice));
	make_hash("builder", c, bob, sizeof(bob));
	bob[2] = 'y';
	assert_int_equal(basic_auth_new(&a), 0);
	assert_int_equal(basic_auth_add(a, "alice", alice), 0);
	assert_int_equal(basic_auth_add(a, "bob", bob), 0);
	return a;
}

static void test_parse(void **state)
{
	(void)state;
	char buf[64];
	const char *u, *p;
	assert_int_equal(basic_auth_parse("Basic YWxpY2U6d29uZGVybGFuZA==", buf, sizeof(buf), &u, &p),
			 0);
	assert_string_equal(u, "alice");
	assert_string_equal(p, "wonderland");
	/* Password with colons: split at the first. */
	assert_int_equal(basic_auth_parse(" basic\tYTpiOmM= \t", buf, sizeof(buf), &u, &p), 0);
	assert_string_equal(u, "a");
	assert_string_equal(p, "b:c");
	/* Empty user and password. */
	assert_int_equal(basic_auth_parse("Basic Og==", buf, sizeof(buf), &u, &p), 0);
	assert_string_equal(u, "");
	assert_string_equal(p, "");
	static const char *const bad[] = {
	    "", "Basic", "Basic ", "Bearer YTpi", "BasicYTpi", "Basic YTpi!", "Basic YWxpY2U=",
	    "Basic YWxpY2UAOndvbmRlcmxhbmQ=", /* a NUL byte */
	    "Basic YTpi YTpi",		       /* two tokens */
	    "Basic ====",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s\n", bad[i]);
		assert_int_equal(basic_auth_parse(bad[i], buf, sizeof(buf), &u, &p), -EACCES);
	}
	/* Longer than the buffer: refused, never truncated. */
	assert_int_equal(basic_auth_parse("Basic YWxpY2U6d29uZGVybGFuZA==", buf, 8, &u, &p), -EACCES);
	assert_int_equal(basic_auth_parse("Basic YTpi", buf, 0, &u, &p), -EACCES);
}

static void test_names_and_hashes(void **state)
{
	(void)state;
	assert_null(basic_auth_bad_name("prometheus"));
	assert_non_null(basic_auth_bad_name(""));
	assert_non_null(basic_auth_bad_name("a:b"));
	assert_non_null(basic_auth_bad_name("a\nb"));
	assert_non_null(basic_auth_bad_name("a\x7f"));
	char longname[BASIC_AUTH_USER_MAX_BYTES + 2];
	memset(longname, 'u', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_non_null(basic_auth_bad_name(longname));
	longname[BASIC_AUTH_USER_MAX_BYTES] = '\0';
	assert_null(basic_auth_bad_name(longname));

	char h[128];
	make_hash("x", 4, h, sizeof(h));
	assert_null(basic_auth_bad_hash(h));
	for (unsigned cost = 0; cost < 100; cost++) {
		h[4] = (char)('0' + cost / 10);
		h[5] = (char)('0' + cost % 10);
		const char *why = basic_auth_bad_hash(h);
		bool ok = cost >= BASIC_AUTH_MIN_COST && cost <= BASIC_AUTH_MAX_COST;
		assert_true(ok ? why == NULL : why != NULL && strstr(why, "cost outside 04..12"));
	}
	assert_non_null(strstr(basic_auth_bad_hash("$1$abc$def"), "not a bcrypt hash"));
	struct basic_auth *a;
	assert_int_equal(basic_auth_new(&a), 0);
	assert_int_equal(basic_auth_add(a, "alice", "plaintext"), -EINVAL);
	assert_int_equal(basic_auth_add(a, "a:b", "$2b$04$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
			 -EINVAL);
	assert_int_equal(basic_auth_add(a, "a", "$2b$31$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
			 -EINVAL);
	assert_int_equal(basic_auth_add(a, "a", "$2b$04$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	assert_int_equal(basic_auth_add(a, "a", "$2b$04$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
			 -EEXIST);
	assert_int_equal(basic_auth_users(a), 1);
	basic_auth_free(a);
}

static void test_no_users_allows_all(void **state)
{
	(void)state;
	struct basic_auth *a;
	assert_int_equal(basic_auth_new(&a), 0);
	assert_int_equal(basic_auth_check(a, NULL), 0);
	assert_int_equal(basic_auth_check(a, "Basic !!!"), 0);
	assert_int_equal(basic_auth_quick(a, NULL), 0);
	basic_auth_free(a);
}

static void test_passwords(void **state)
{
	(void)state;
	struct basic_auth *a = two_users(4);
	assert_int_equal(basic_auth_users(a), 2);

	/* basic_auth_quick never runs bcrypt: it tells what the header alone or
	 * the cache decides, and -EAGAIN for the rest. */
	assert_int_equal(basic_auth_quick(a, NULL), -EACCES);
	assert_int_equal(basic_auth_quick(a, "Basic !!!!"), -EACCES);
	assert_int_equal(basic_auth_quick(a, "Basic YWxpY2U6d29uZGVybGFuZA=="), -EAGAIN);
	assert_int_equal(basic_auth_quick(a, "Basic YWxpY2U6d3Jvbmc="), -EAGAIN); /* alice:wrong */
	assert_int_equal(basic_auth_quick(a, "Basic ZXZlOng="), -EAGAIN);	      /* eve:x */
	assert_int_equal(basic_auth_bcrypt_runs(a), 0);

	/* Right passwords; the second check of each is a cache hit. */
	assert_int_equal(check(a, "alice:wonderland"), 0);
	assert_int_equal(basic_auth_quick(a, "Basic YWxpY2U6d29uZGVybGFuZA=="), 0);
	assert_int_equal(check(a, "bob:builder"), 0); /* a $2y$ hash */
	uint64_t runs = basic_auth_bcrypt_runs(a);
	assert_int_equal(runs, 2);
	assert_int_equal(check(a, "alice:wonderland"), 0);
	assert_int_equal(check(a, "bob:builder"), 0);
	assert_int_equal(basic_auth_bcrypt_runs(a), runs);

	/* Wrong passwords and unknown users: denied, one bcrypt run each, and
	 * never cached (the same wrong guess costs a run again). */
	static const char *const denied[] = {
	    "alice:builder",	"bob:wonderland",   "alice:", "alice:wonderland2",
	    "Alice:wonderland", "carol:wonderland", "carol:", ":wonderland"};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		print_message("%s\n", denied[i]);
		assert_int_equal(check(a, denied[i]), -EACCES);
		assert_int_equal(basic_auth_bcrypt_runs(a), ++runs);
	}
	assert_int_equal(check(a, "carol:wonderland"), -EACCES);
	assert_int_equal(basic_auth_bcrypt_runs(a), ++runs);

	/* Malformed headers: denied before any bcrypt run. */
	static const char *const malformed[] = {
	    "",
	    "Bearer abc",
	    "Basic",
	    "Basic ",
	    "Basic !!!!",
	    "Basic YWxpY2U=",	   /* "alice", no colon */
	    "Basic YWxpY2U6d29uZ", /* a dangling 6 bits */
	    "Basicx YWxpY2U6d29uZGVybGFuZA==",
	    "Basic YWxpY2UAOndvbmRlcmxhbmQ=", /* a NUL in the user */
	};
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		print_message("%s\n", malformed[i]);
		assert_int_equal(basic_auth_check(a, malformed[i]), -EACCES);
		assert_int_equal(basic_auth_bcrypt_runs(a), runs);
	}
	assert_int_equal(basic_auth_check(a, NULL), -EACCES);
	/* A header longer than any credentials: refused unread. */
	char *huge = malloc(3 * BASIC_AUTH_CREDENTIALS_MAX_BYTES);
	assert_non_null(huge);
	memcpy(huge, "Basic ", 6);
	memset(huge + 6, 'A', 3 * BASIC_AUTH_CREDENTIALS_MAX_BYTES - 7);
	huge[3 * BASIC_AUTH_CREDENTIALS_MAX_BYTES - 1] = '\0';
	assert_int_equal(basic_auth_check(a, huge), -EACCES);
	free(huge);
	/* A user name over the limit: refused without bcrypt. */
	char longuser[BASIC_AUTH_USER_MAX_BYTES + 8];
	memset(longuser, 'u', sizeof(longuser) - 3);
	strcpy(longuser + sizeof(longuser) - 3, ":x");
	assert_int_equal(check(a, longuser), -EACCES);
	assert_int_equal(basic_auth_bcrypt_runs(a), runs);
	/* The scheme is case-insensitive; padding is optional. */
	assert_int_equal(basic_auth_check(a, "basic YWxpY2U6d29uZGVybGFuZA=="), 0);
	assert_int_equal(basic_auth_check(a, "BASIC   YWxpY2U6d29uZGVybGFuZA "), 0);
	/* A password with a NUL would be cut short by crypt(): refused. */
	assert_int_equal(basic_auth_check(a, "Basic YWxpY2U6d29uZGVybGFuZABleHRyYQ=="), -EACCES);
	basic_auth_free(a);
}

/* More successful users than cache slots: the least recently used one is
 * checked with bcrypt again, the others stay cached. */
static void test_cache_bound(void **state)
{
	(void)state;
	enum { N = BASIC_AUTH_CACHE_SIZE + 4 };
	struct basic_auth *a;
	assert_int_equal(basic_auth_new(&a), 0);
	for (int i = 0; i < N; i++) {
		char user[16], pw[16], hash[128];
		snprintf(user, sizeof(user), "u%d", i);
		snprintf(pw, sizeof(pw), "pw%d", i);
		make_hash(pw, 4, hash, sizeof(hash));
		assert_int_equal(basic_auth_add(a, user, hash), 0);
	}
	for (int i = 0; i < N; i++) {
		char up[32];
		snprintf(up, sizeof(up), "u%d:pw%d", i, i);
		assert_int_equal(check(a, up), 0);
	}
	assert_int_equal(basic_auth_bcrypt_runs(a), N);
	assert_int_equal(check(a, "u67:pw67"), 0); /* recent: cached */
	assert_int_equal(check(a, "u8:pw8"), 0);
	assert_int_equal(basic_auth_bcrypt_runs(a), N);
	assert_int_equal(check(a, "u0:pw0"), 0); /* evicted: bcrypt again */
	assert_int_equal(basic_auth_bcrypt_runs(a), N + 1);
	basic_auth_free(a);
}

struct hammer {
	struct basic_auth *a;
	const char *right, *wrong;
	int rounds;
	int ok, denied, busy, cancelled, other;
	double max_wait_s;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *hammer_run(void *arg)
{
	struct hammer *hm = arg;
	for (int i = 0; i < hm->rounds; i++) {
		for (int k = 0; k < 2; k++) {
			double t0 = now_s();
			int rc = check(hm->a, k == 0 && hm->right ? hm->right : hm->wrong);
			double dt = now_s() - t0;
			if (dt > hm->max_wait_s)
				hm->max_wait_s = dt;
			if (rc == 0)
				hm->ok++;
			else if (rc == -EACCES)
				hm->denied++;
			else if (rc == -EBUSY)
				hm->busy++;
			else if (rc == -ECANCELED)
				hm->cancelled++;
			else
				hm->other++;
		}
	}
	return NULL;
}

/* Four threads (no more than running + waiting slots): nobody is refused,
 * every right password passes, every wrong one is denied. */
static void test_concurrent_checks(void **state)
{
	(void)state;
	struct basic_auth *a = two_users(4);
	pthread_t th[4];
	struct hammer hm[4];
	for (int i = 0; i < 4; i++) {
		hm[i] = (struct hammer){.a = a, .right = "alice:wonderland",
					.wrong = i % 2 ? "alice:nope" : "mallory:nope", .rounds = 20};
		assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &hm[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(hm[i].ok, 20);
		assert_int_equal(hm[i].denied, 20);
		assert_int_equal(hm[i].busy + hm[i].cancelled + hm[i].other, 0);
	}
	/* 80 wrong checks, plus the right one at least once. */
	assert_true(basic_auth_bcrypt_runs(a) >= 81);
	assert_true(basic_auth_bcrypt_runs(a) <= 84);
	basic_auth_free(a);
}

/* 24 threads of wrong passwords at cost 12 (about 0.2 s a run): at most
 * BASIC_AUTH_MAX_RUNNING run at once, the rest wait at most
 * BASIC_AUTH_WAIT_MS and then get -EBUSY, never a long queue; a cached login
 * passes at once meanwhile. Then basic_auth_cancel: waiting and new uncached
 * checks return -ECANCELED at once, the cached one still passes. */
static void test_bounded_and_cancelled(void **state)
{
	(void)state;
	enum { T = 24 };
	struct basic_auth *a = two_users(12);
	assert_int_equal(check(a, "alice:wonderland"), 0); /* now cached */
	uint64_t runs0 = basic_auth_bcrypt_runs(a);
	pthread_t th[T];
	struct hammer hm[T];
	double t0 = now_s();
	for (int i = 0; i < T; i++) {
		hm[i] = (struct hammer){.a = a, .wrong = "bob:wrong", .rounds = 1};
		assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &hm[i]), 0);
	}
	/* While they run and wait, the cached login is not held up. */
	double c0 = now_s();
	assert_int_equal(check(a, "alice:wonderland"), 0);
	double cached_s = now_s() - c0;
	int denied = 0, busy = 0;
	double max_wait = 0;
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(hm[i].ok + hm[i].cancelled + hm[i].other, 0);
		denied += hm[i].denied;
		busy += hm[i].busy;
		if (hm[i].max_wait_s > max_wait)
			max_wait = hm[i].max_wait_s;
	}
	double all_s = now_s() - t0;
	uint64_t runs = basic_auth_bcrypt_runs(a) - runs0;
	/* The slots never idle while checks wait, so this is an upper bound of
	 * one run's time as the machine ran it (its load varies): the bounds
	 * below are in runs, not seconds. */
	double run_s = denied ? 2.0 * all_s / denied : all_s;
	print_message("48 wrong checks from 24 threads in %.2f s: %d denied after bcrypt (one run"
		      " <= %.2f s), %d busy, longest check %.2f s, a cached login %.4f s\n",
		      all_s, denied, run_s, busy, max_wait, cached_s);
	assert_int_equal(denied + busy, 2 * T);
	assert_int_equal((uint64_t)denied, runs);
	assert_true(busy > 0);	/* 48 runs at ~0.2 s on 2 slots cannot fit in the wait */
	assert_true(denied >= 2);
	assert_true(cached_s < 0.05);
	/* The longest check: a wait of BASIC_AUTH_WAIT_MS plus one bcrypt run
	 * (twice over, and half a second of slack). Without the bound the last
	 * of 48 checks would wait for 23 rounds of runs. */
	assert_true(max_wait < BASIC_AUTH_WAIT_MS / 1000.0 + 2 * run_s + 0.5);

	/* Cancel while checks are waiting: they and later ones end at once. */
	for (int i = 0; i < T; i++) {
		hm[i] = (struct hammer){.a = a, .wrong = "bob:wrong", .rounds = 1};
		assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &hm[i]), 0);
	}
	struct timespec ms50 = {0, 50 * 1000 * 1000};
	nanosleep(&ms50, NULL);
	double k0 = now_s();
	basic_auth_cancel(a);
	int cancelled = 0;
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		cancelled += hm[i].cancelled;
	}
	double joined_s = now_s() - k0;
	print_message("after cancel: %d cancelled, all threads done in %.2f s\n", cancelled, joined_s);
	assert_true(cancelled > 0);
	/* Running bcrypts finish, nothing else is waited for. */
	assert_true(joined_s < 2 * run_s + 0.5);
	assert_int_equal(check(a, "bob:builder"), -ECANCELED);
	assert_int_equal(check(a, "alice:wonderland"), 0); /* cached: no bcrypt */
	basic_auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_names_and_hashes),
	    cmocka_unit_test(test_no_users_allows_all),
	    cmocka_unit_test(test_passwords),
	    cmocka_unit_test(test_cache_bound),
	    cmocka_unit_test(test_concurrent_checks),
	    cmocka_unit_test(test_bounded_and_cancelled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
