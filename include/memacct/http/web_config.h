/* web_config: the --web.config.file of Prometheus' exporter-toolkit (YAML):
 * tls_server_config, http_server_config and basic_auth_users. It parses and
 * validates the file and reads the PEM files it names; the users become a
 * struct basic_auth (basic_auth.h checks credentials). It does not speak HTTP
 * or TLS: http.c maps the result onto libmicrohttpd and GnuTLS.
 *
 * The schema is exporter-toolkit's docs/web-configuration.md. What differs:
 *  - unknown fields are errors (as yaml.UnmarshalStrict there);
 *  - client_auth_type: only NoClientCert (the default); client_ca_file and
 *    client_ca are then refused, as exporter-toolkit refuses a CA without a
 *    client auth policy. The other policies, client_allowed_sans,
 *    cipher_suites (non-empty) and curve_preferences (non-empty) are refused
 *    with an error naming the field: GnuTLS' cipher and curve choice does not
 *    map one to one onto Go's names, and a policy we would silently weaken is
 *    worse than an error;
 *  - http_server_config.http2 is accepted and ignored (libmicrohttpd speaks
 *    HTTP/1.1 only); web_config_http2_requested() lets the caller say so;
 *  - rate_limit is refused (--web.max-requests caps concurrent scrapes);
 *  - user names may not contain ':' (Basic auth could never match them);
 *  - password hashes must be bcrypt ($2a$, $2b$ or $2y$) of cost 4 to
 *    BASIC_AUTH_MAX_COST (12; exporter-toolkit takes up to 31);
 *  - a file that is empty, holds a NUL byte or invalid UTF-8, or is not a
 *    regular file is refused (fail closed).
 * Relative paths are relative to the directory of the config file, as in
 * exporter-toolkit. */
#ifndef MEMACCT_WEB_CONFIG_H
#define MEMACCT_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memacct/util/errmsg.h"

/* Caps: a config, certificate or key file larger than this is refused. */
#define WEB_CONFIG_MAX_FILE_BYTES (1024 * 1024)

enum web_tls_version { WEB_TLS10 = 10, WEB_TLS11, WEB_TLS12, WEB_TLS13 };

struct web_tls {
	bool enabled;	/* cert and key are set: serve HTTPS only */
	char *cert_pem; /* NUL-terminated PEM chain (cert_file's content or cert) */
	char *key_pem;	/* NUL-terminated PEM key (key_file's content or key) */
	enum web_tls_version min_version; /* default TLS12 */
	enum web_tls_version max_version; /* default TLS13 */
	bool prefer_server_cipher_suites; /* default true */
};

/* One of the five response headers exporter-toolkit allows. */
struct web_header {
	const char *name; /* static */
	char *value;
};

#define WEB_CONFIG_MAX_HEADERS 5

struct web_config;
struct basic_auth;

/* Reads and validates path, and the certificate and key files it names.
 * Returns 0 with *out set (free with web_config_free), or -errno with e
 * naming the file, the line and the field: -ENOENT and other open errors for
 * a missing config, certificate or key file, -EFBIG for one over
 * WEB_CONFIG_MAX_FILE_BYTES, -EINVAL for malformed YAML, an unknown or
 * unsupported field, a bad value or a bad hash, an empty file, -EILSEQ for a
 * NUL byte or invalid UTF-8, READFILE_NOT_REGULAR for a FIFO or device,
 * -ENOMEM. */
int web_config_load(const char *path, struct web_config **out, struct errmsg *e);
void web_config_free(struct web_config *wc);

/* Borrowed views, valid until web_config_free. */
const struct web_tls *web_config_tls(const struct web_config *wc);
size_t web_config_headers(const struct web_config *wc, const struct web_header **headers);
/* True when http_server_config.http2 was set to true explicitly. */
bool web_config_http2_requested(const struct web_config *wc);
/* The basic_auth_users, or NULL when there are none (no authentication). */
struct basic_auth *web_config_auth(const struct web_config *wc);

#endif
