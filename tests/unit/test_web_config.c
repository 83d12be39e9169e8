/* Unit tests for web_config.c: the exporter-toolkit YAML (valid, malformed,
 * unknown and unsupported fields, missing files, fail-closed bytes), bcrypt
 * hash validation (form and cost bound) and that basic_auth_users reach a
 * working struct basic_auth. Credential checks themselves are
 * test_basic_auth.c's. Hashes are made here with libxcrypt at cost 4 so the
 * tests stay fast; no TLS handshake happens here
 * (tests/integration/web_config.sh does that). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first. */
#include <cmocka.h>

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "memacct/util/readfile.h"
#include "memacct/http/basic_auth.h"
#include "memacct/http/web_config.h"

#define PEM_CERT "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define PEM_KEY "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"

struct fixture {
	char dir[64];
	char path[128];
	char alice[128]; /* bcrypt of "wonderland", $2b$ */
	char bob[128];	 /* bcrypt of "builder", rewritten as $2y$ */
};

static void make_hash(const char *password, char *out, size_t cap)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)));
	const char *h = crypt_rn(password, salt, &cd, sizeof(cd));
	assert_non_null(h);
	assert_true(strlen(h) < cap);
	strcpy(out, h);
}

static void write_file(const struct fixture *f, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_web_config.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/web.yml", f->dir);
	make_hash("wonderland", f->alice, sizeof(f->alice));
	make_hash("builder", f->bob, sizeof(f->bob));
	f->bob[2] = 'y';
	write_file(f, "cert.pem", PEM_CERT);
	write_file(f, "key.pem", PEM_KEY);
	write_file(f, "garbage.pem", "not a certificate\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Writes text as web.yml and loads it. */
static int load(const struct fixture *f, const char *text, struct web_config **wc, struct errmsg *e)
{
	write_file(f, "web.yml", text);
	memset(e, 0, sizeof(*e));
	*wc = NULL;
	return web_config_load(f->path, wc, e);
}

/* Loading text fails with want_rc and a message holding each substring. */
static void expect_error(const struct fixture *f, const char *text, int want_rc, const char *want1,
			 const char *want2)
{
	struct web_config *wc;
	struct errmsg e;
	int rc = load(f, text, &wc, &e);
	print_message("%s\n  -> %s\n", text, e.msg);
	assert_int_equal(rc, want_rc);
	assert_null(wc);
	assert_non_null(strstr(e.msg, f->path));
	assert_non_null(strstr(e.msg, want1));
	if (want2)
		assert_non_null(strstr(e.msg, want2));
}

static void expect_invalid(const struct fixture *f, const char *text, const char *want1,
			   const char *want2)
{
	expect_error(f, text, -EINVAL, want1, want2);
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	struct web_config *wc = NULL;
	struct errmsg e = {{0}};
	char p[192];
	snprintf(p, sizeof(p), "%s/nope.yml", f->dir);
	assert_int_equal(web_config_load(p, &wc, &e), -ENOENT);
	assert_null(wc);
	assert_non_null(strstr(e.msg, p));
	assert_non_null(strstr(e.msg, "No such file"));
}

static void test_empty_is_plain_http(void **state)
{
	struct fixture *f = *state;
	/* A document that names a section and leaves it empty configures
	 * nothing on purpose: plain HTTP without auth. */
	static const char *const texts[] = {"tls_server_config:\n",
					    "basic_auth_users: {}\nhttp_server_config: ~\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct web_config *wc;
		struct errmsg e;
		assert_int_equal(load(f, texts[i], &wc, &e), 0);
		assert_false(web_config_tls(wc)->enabled);
		assert_null(web_config_auth(wc));
		const struct web_header *h;
		assert_int_equal(web_config_headers(wc, &h), 0);
		web_config_free(wc);
	}
}

/* Fail closed: a file with no document at all (emptied by a crash, or only
 * comments) is refused, not read as "no TLS, no auth". */
static void test_empty_file_is_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const texts[] = {"", "# nothing\n", "---\n", "\n\n   \n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		expect_invalid(f, texts[i], "the file is empty", "leave --web.config.file out");
}

/* Writes n raw bytes as web.yml and expects a load failure naming want. */
static void expect_bytes_refused(const struct fixture *f, const char *bytes, size_t n,
				 const char *want)
{
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(bytes, 1, n, fp), n);
	fclose(fp);
	struct web_config *wc = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(web_config_load(f->path, &wc, &e), -EILSEQ);
	print_message("-> %s\n", e.msg);
	assert_null(wc);
	assert_non_null(strstr(e.msg, f->path));
	assert_non_null(strstr(e.msg, want));
}

/* A NUL byte anywhere used to end the parse there: 4 KiB of zeros (a file
 * after a crash) or a NUL before basic_auth_users started the exporter
 * with no auth. Now each is refused, naming the byte. */
static void test_nul_and_invalid_utf8_are_refused(void **state)
{
	struct fixture *f = *state;
	char zeros[4096] = {0};
	expect_bytes_refused(f, zeros, sizeof(zeros), "byte 0: a NUL byte");
	char text[512];
	int n = snprintf(text, sizeof(text), "http_server_config: {}\n%cbasic_auth_users:\n  alice: %s\n",
			 0, f->alice);
	expect_bytes_refused(f, text, (size_t)n, "byte 23: a NUL byte");
	static const char bad_utf8[] = "basic_auth_users:\n  al\xffice: x\n";
	expect_bytes_refused(f, bad_utf8, sizeof(bad_utf8) - 1, "byte 22: invalid UTF-8");
	/* A truncated multi-byte sequence at the very end (a cut-off write). */
	static const char cut[] = "# caf\xc3";
	expect_bytes_refused(f, cut, sizeof(cut) - 1, "invalid UTF-8");
}

/* A FIFO (or any special file) as the config or as a PEM file is refused at
 * once; opening it must not wait for a writer. */
static void test_special_files_are_refused(void **state)
{
	struct fixture *f = *state;
	char fifo[192];
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct web_config *wc = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(web_config_load(fifo, &wc, &e), READFILE_NOT_REGULAR);
	assert_null(wc);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_non_null(strstr(e.msg, fifo));
	expect_error(f, "tls_server_config:\n  cert_file: fifo\n  key_file: key.pem\n",
		     READFILE_NOT_REGULAR, "cert_file", "not a regular file");
	memset(&e, 0, sizeof(e));
	assert_int_equal(web_config_load("/dev/null", &wc, &e), READFILE_NOT_REGULAR);
	assert_non_null(strstr(e.msg, "/dev/null"));
	unlink(fifo);
}

static void test_malformed_yaml(void **state)
{
	struct fixture *f = *state;
	expect_invalid(f, "tls_server_config: [unclosed\n", "YAML", "line 2");
	expect_invalid(f, "basic_auth_users:\n  alice: a\n alice2: b\n", "YAML", "line");
	expect_invalid(f, "- a\n- b\n", "top level", "want a mapping");
	expect_invalid(f, "just a string\n", "top level", "want a mapping");
	expect_invalid(f, "tls_server_config: {}\n---\nbasic_auth_users: {}\n", "more than one",
		       NULL);
	expect_invalid(f, "tls_server_config: 3\n", "tls_server_config", "want a mapping");
	expect_invalid(f, "? [a, b]\n: c\n", "keys must be strings", NULL);
	/* Aliases back to an enclosing mapping end in an error, not a loop. */
	expect_invalid(f, "--- &r\nhttp_server_config:\n  headers: *r\n", "http_server_config",
		       "can not be configured");
	expect_invalid(f, "--- &r\ntls_server_config: *r\n", "tls_server_config.tls_server_config",
		       "unknown field");
}

static void test_unknown_and_unsupported_fields(void **state)
{
	struct fixture *f = *state;
	expect_invalid(f, "tls_config:\n  cert_file: cert.pem\n", "line 1: tls_config",
		       "unknown field");
	expect_invalid(f, "tls_server_config:\n  cert_fil: cert.pem\n",
		       "line 2: tls_server_config.cert_fil", "unknown field");
	expect_invalid(f, "http_server_config:\n  http3: true\n", "http_server_config.http3",
		       "unknown field");
	expect_invalid(f, "rate_limit:\n  interval: 1s\n", "rate_limit", "not supported");
	expect_invalid(
	    f,
	    "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
	    "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: cert.pem\n",
	    "client_auth_type", "not supported");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  client_auth_type: Maybe\n",
		       "client_auth_type", "unknown value \"Maybe\"");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  client_ca_file: cert.pem\n",
		       "client_ca_file", "without a client auth policy");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		       "tls_server_config.cipher_suites", "not supported");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  curve_preferences: [X25519]\n",
		       "curve_preferences", "not supported");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  client_allowed_sans: [a.example]\n",
		       "client_allowed_sans", "not supported");
	expect_invalid(f, "tls_server_config:\n  cert_file: cert.pem\n  cert_file: cert.pem\n",
		       "line 3", "appears twice");
}

static void test_tls(void **state)
{
	struct fixture *f = *state;
	struct web_config *wc;
	struct errmsg e;
	/* Relative paths are relative to the config's directory. */
	assert_int_equal(load(f,
			      "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
			      "  client_auth_type: NoClientCert\n  cipher_suites: []\n",
			      &wc, &e),
			 0);
	const struct web_tls *t = web_config_tls(wc);
	assert_true(t->enabled);
	assert_string_equal(t->cert_pem, PEM_CERT);
	assert_string_equal(t->key_pem, PEM_KEY);
	assert_int_equal(t->min_version, WEB_TLS12);
	assert_int_equal(t->max_version, WEB_TLS13);
	assert_true(t->prefer_server_cipher_suites);
	web_config_free(wc);

	/* Absolute paths, versions, inline PEM. */
	char text[512];
	snprintf(text, sizeof(text),
		 "tls_server_config:\n  cert_file: %s/cert.pem\n  key: |\n"
		 "    -----BEGIN PRIVATE KEY-----\n    MIIE\n    -----END PRIVATE KEY-----\n"
		 "  min_version: TLS13\n  max_version: TLS13\n"
		 "  prefer_server_cipher_suites: false\n",
		 f->dir);
	assert_int_equal(load(f, text, &wc, &e), 0);
	t = web_config_tls(wc);
	assert_true(t->enabled);
	assert_string_equal(t->key_pem, PEM_KEY);
	assert_int_equal(t->min_version, WEB_TLS13);
	assert_false(t->prefer_server_cipher_suites);
	web_config_free(wc);

	expect_error(f, "tls_server_config:\n  cert_file: missing.pem\n  key_file: key.pem\n",
		     -ENOENT, "line 2: tls_server_config.cert_file: cannot read",
		     "missing.pem: No such file");
	expect_error(f, "tls_server_config:\n  cert_file: cert.pem\n  key_file: missing.pem\n",
		     -ENOENT, "line 3: tls_server_config.key_file: cannot read", NULL);
	expect_invalid(f, "tls_server_config:\n  cert_file: cert.pem\n",
		       "missing one of key or key_file", NULL);
	expect_invalid(f, "tls_server_config:\n  key_file: key.pem\n",
		       "missing one of cert or cert_file", NULL);
	expect_invalid(f, "tls_server_config:\n  cert_file: garbage.pem\n  key_file: key.pem\n",
		       "tls_server_config.cert_file", "not PEM");
	expect_invalid(f, "tls_server_config:\n  cert_file: cert.pem\n  key_file: cert.pem\n",
		       "tls_server_config.key_file", "not PEM");
	expect_invalid(
	    f, "tls_server_config:\n  cert_file: cert.pem\n  cert: x\n  key_file: key.pem\n",
	    "cert and cert_file are both set", NULL);
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  min_version: TLS14\n",
		       "tls_server_config.min_version", "unknown version \"TLS14\"");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  min_version: TLS13\n  max_version: TLS12\n",
		       "min_version is above max_version", NULL);
	expect_invalid(f, "tls_server_config:\n  cert_file: [a, b]\n", "cert_file",
		       "want a string");
	expect_invalid(f,
		       "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
		       "  prefer_server_cipher_suites: maybe\n",
		       "prefer_server_cipher_suites", "want true or false");
}

static void test_http_server_config(void **state)
{
	struct fixture *f = *state;
	struct web_config *wc;
	struct errmsg e;
	assert_int_equal(
	    load(f,
		 "http_server_config:\n  http2: true\n  headers:\n"
		 "    X-Frame-Options: sameorigin\n    x-content-type-options: nosniff\n"
		 "    Strict-Transport-Security: max-age=31536000\n"
		 "    Content-Security-Policy: \"\"\n",
		 &wc, &e),
	    0);
	assert_true(web_config_http2_requested(wc));
	const struct web_header *h;
	assert_int_equal(web_config_headers(wc, &h), 3);
	assert_string_equal(h[0].name, "X-Frame-Options");
	assert_string_equal(h[0].value, "sameorigin");
	assert_string_equal(h[1].name, "X-Content-Type-Options");
	assert_string_equal(h[2].value, "max-age=31536000");
	web_config_free(wc);

	assert_int_equal(load(f, "http_server_config:\n  http2: false\n", &wc, &e), 0);
	assert_false(web_config_http2_requested(wc));
	web_config_free(wc);

	expect_invalid(f, "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
		       "http_server_config.headers.X-Frame-Options", "invalid value \"allow\"");
	expect_invalid(f, "http_server_config:\n  headers:\n    X-Powered-By: me\n", "X-Powered-By",
		       "can not be configured");
	expect_invalid(
	    f, "http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: a\"\n",
	    "X-XSS-Protection", "control characters");
	expect_invalid(f, "http_server_config:\n  headers:\n    X-XSS-Protection: \"a\\0b\"\n",
		       "X-XSS-Protection", "NUL");
	expect_invalid(f, "http_server_config:\n  http2: maybe\n", "http_server_config.http2",
		       "want true or false");
}

static void test_bad_hashes_and_users(void **state)
{
	struct fixture *f = *state;
	/* Not bcrypt's form, and costs outside 4..12 (cost 31 would pin a core
	 * for hours per login). */
	static const struct {
		const char *hash, *want;
	} bad[] = {
	    {"wonderland", "not a bcrypt hash"},
	    {"$1$abcdefgh$0123456789012345678901", "not a bcrypt hash"},
	    {"$6$rounds=5000$abcdefgh$0123456789", "not a bcrypt hash"},
	    {"$2b$10$tooshort", "not a bcrypt hash"},
	    {"$2x$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "not a bcrypt hash"},
	    {"$2b$10$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!a", "not a bcrypt hash"},
	    {"$2b$03$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cost outside 04..12"},
	    {"$2b$13$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cost outside 04..12"},
	    {"$2y$14$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cost outside 04..12"},
	    {"$2a$31$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cost outside 04..12"},
	    {"$2b$32$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cost outside 04..12"},
	    {"$2b$99$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cost outside 04..12"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "basic_auth_users:\n  alice: '%s'\n", bad[i].hash);
		expect_invalid(f, text, "line 2: basic_auth_users.alice", bad[i].want);
	}
	char text[512];
	expect_invalid(f, "basic_auth_users:\n  alice:\n", "basic_auth_users.alice",
		       "missing password hash");
	expect_invalid(f, "basic_auth_users: [alice]\n", "basic_auth_users", "want a mapping");
	snprintf(text, sizeof(text), "basic_auth_users:\n  'a:b': '%s'\n", f->alice);
	expect_invalid(f, text, "basic_auth_users.a:b", "may not contain ':'");
	snprintf(text, sizeof(text), "basic_auth_users:\n  '': '%s'\n", f->alice);
	expect_invalid(f, text, "basic_auth_users", "empty user name");
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: '%s'\n  alice: '%s'\n", f->alice,
		 f->alice);
	expect_invalid(f, text, "line 3", "\"alice\" appears twice");
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: [a]\n");
	expect_invalid(f, text, "basic_auth_users.alice", "want a string");
	char longname[BASIC_AUTH_USER_MAX_BYTES + 2];
	memset(longname, 'u', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(text, sizeof(text), "basic_auth_users:\n  %s: '%s'\n", longname, f->alice);
	expect_invalid(f, text, "basic_auth_users: user name longer than 256 bytes", NULL);
	snprintf(text, sizeof(text), "basic_auth_users:\n  \"a\\tb\": '%s'\n", f->alice);
	expect_invalid(f, text, "basic_auth_users.a\tb", "control characters");
}

/* basic_auth_users reach a working checker: both users, the $2b$ and the
 * $2y$ hash, right and wrong passwords (the checker's own cases are
 * test_basic_auth.c's). */
static void test_users_are_checked(void **state)
{
	struct fixture *f = *state;
	struct web_config *wc;
	struct errmsg e;
	char text[512];
	snprintf(text, sizeof(text), "basic_auth_users:\n  alice: %s\n  bob: \"%s\"\n", f->alice,
		 f->bob);
	assert_int_equal(load(f, text, &wc, &e), 0);
	struct basic_auth *a = web_config_auth(wc);
	assert_non_null(a);
	assert_int_equal(basic_auth_users(a), 2);
	assert_int_equal(basic_auth_check(a, "Basic YWxpY2U6d29uZGVybGFuZA=="), 0); /* alice:wonderland */
	assert_int_equal(basic_auth_check(a, "Basic Ym9iOmJ1aWxkZXI="), 0);	      /* bob:builder */
	assert_int_equal(basic_auth_check(a, "Basic Ym9iOndvbmRlcmxhbmQ="), -EACCES); /* bob:wonderland */
	assert_int_equal(basic_auth_check(a, NULL), -EACCES);
	assert_int_equal(basic_auth_bcrypt_runs(a), 3);
	web_config_free(wc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_empty_is_plain_http),
	    cmocka_unit_test(test_empty_file_is_refused),
	    cmocka_unit_test(test_nul_and_invalid_utf8_are_refused),
	    cmocka_unit_test(test_special_files_are_refused),
	    cmocka_unit_test(test_malformed_yaml),
	    cmocka_unit_test(test_unknown_and_unsupported_fields),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_http_server_config),
	    cmocka_unit_test(test_bad_hashes_and_users),
	    cmocka_unit_test(test_users_are_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
