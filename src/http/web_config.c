/* web_config: parses and validates exporter-toolkit's web config file
 * (libyaml's document API, then a walk over a key table per section) and
 * reads the PEM files it names; basic_auth_users go to a struct basic_auth
 * (basic_auth.c checks the credentials). It neither listens nor speaks TLS
 * (http.c does) and it never logs: errors go back in a struct errmsg naming
 * the file, the line and the field. */
#include "memacct/http/web_config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "memacct/http/basic_auth.h"
#include "memacct/util/readfile.h"
#include "memacct/util/utf8.h"

struct web_config {
	struct web_tls tls;
	struct web_header headers[WEB_CONFIG_MAX_HEADERS];
	size_t n_headers;
	bool http2_requested;
	struct basic_auth *auth; /* NULL without basic_auth_users */
};

/* ---- parsing ---------------------------------------------------------- */

struct parse_ctx {
	yaml_document_t *doc;
	const char *path; /* the config file, for messages */
	char *dir;	  /* its directory, for relative paths */
	struct web_config *wc;
	struct errmsg *e;
	/* tls_server_config, resolved after the walk */
	const yaml_node_t *cert, *key, *cert_file, *key_file, *client_ca, *client_ca_file,
	    *client_auth_type, *tls_any;
};

__attribute__((format(printf, 4, 5))) static int fail(struct parse_ctx *p, const yaml_node_t *n,
						      const char *field, const char *fmt, ...)
{
	char why[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n)
		errmsg_set(p->e, "--web.config.file=%s: line %zu: %s: %s", p->path,
			   (size_t)n->start_mark.line + 1, field, why);
	else
		errmsg_set(p->e, "--web.config.file=%s: %s: %s", p->path, field, why);
	return -EINVAL;
}

/* "section.key" into field, cut to fit: it only names the field in an error
 * message. (Using snprintf's result tells gcc the cut is meant.) */
static void field_name(char *field, size_t size, const char *section, const char *key)
{
	if (snprintf(field, size, "%s.%s", section, key) < 0)
		field[0] = '\0';
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, ~ or null scalar: YAML's null, which leaves the default. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = scalar(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static const char *node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE    ? "a mapping"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
					       : "a scalar";
}

/* A string value: a scalar without NUL bytes. */
static int want_string(struct parse_ctx *p, const yaml_node_t *n, const char *field)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(p, n, field, "want a string, got %s", node_kind(n));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail(p, n, field, "contains a NUL byte");
	return 0;
}

/* YAML 1.1 booleans, as Go's yaml.v2 reads them. */
static int want_bool(struct parse_ctx *p, const yaml_node_t *n, const char *field, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
					  "YES",  "on",	  "On",	  "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
					 "NO",	  "off",   "Off",   "OFF"};
	if (n->type == YAML_SCALAR_NODE) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(scalar(n), yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcmp(scalar(n), no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return fail(p, n, field, "want true or false, got %s%s%s",
		    n->type == YAML_SCALAR_NODE ? "\"" : "",
		    n->type == YAML_SCALAR_NODE ? scalar(n) : node_kind(n),
		    n->type == YAML_SCALAR_NODE ? "\"" : "");
}

/* Walks a mapping: checks keys are unique scalars and hands each pair to fn.
 * section names the mapping in messages ("" at the top). */
typedef int (*pair_fn)(struct parse_ctx *p, const char *section, const yaml_node_t *k,
		       const yaml_node_t *v);

static int walk_mapping(struct parse_ctx *p, const yaml_node_t *n, const char *section, pair_fn fn)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(p, n, section, "want a mapping, got %s", node_kind(n));
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		if (!k || !v)
			return fail(p, n, section, "malformed mapping");
		if (k->type != YAML_SCALAR_NODE || strlen(scalar(k)) != k->data.scalar.length)
			return fail(p, k, section, "keys must be strings");
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
			const yaml_node_t *k2 = yaml_document_get_node(p->doc, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(k2), scalar(k)) == 0)
				return fail(p, k, section, "\"%s\" appears twice", scalar(k));
		}
		int rc = fn(p, section, k, v);
		if (rc)
			return rc;
	}
	return 0;
}

/* A list that must be empty or null: fields we refuse when used. */
static bool empty_list(const yaml_node_t *n)
{
	return is_null(n) || (n->type == YAML_SEQUENCE_NODE &&
			      n->data.sequence.items.start == n->data.sequence.items.top);
}

static int parse_version(struct parse_ctx *p, const yaml_node_t *n, const char *field,
			 enum web_tls_version *out)
{
	static const char *const names[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
	int rc = want_string(p, n, field);
	if (rc)
		return rc;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(scalar(n), names[i]) == 0) {
			*out = (enum web_tls_version)(WEB_TLS10 + (int)i);
			return 0;
		}
	return fail(p, n, field, "unknown version \"%s\" (want TLS10, TLS11, TLS12 or TLS13)",
		    scalar(n));
}

static int tls_pair(struct parse_ctx *p, const char *section, const yaml_node_t *k,
		    const yaml_node_t *v)
{
	const char *key = scalar(k);
	char field[96];
	field_name(field, sizeof(field), section, key);
	struct web_tls *t = &p->wc->tls;
	const yaml_node_t **slot = NULL;
	if (strcmp(key, "cert") == 0)
		slot = &p->cert;
	else if (strcmp(key, "key") == 0)
		slot = &p->key;
	else if (strcmp(key, "cert_file") == 0)
		slot = &p->cert_file;
	else if (strcmp(key, "key_file") == 0)
		slot = &p->key_file;
	else if (strcmp(key, "client_ca") == 0)
		slot = &p->client_ca;
	else if (strcmp(key, "client_ca_file") == 0)
		slot = &p->client_ca_file;
	else if (strcmp(key, "client_auth_type") == 0)
		slot = &p->client_auth_type;
	if (slot) {
		if (is_null(v))
			return 0;
		int rc = want_string(p, v, field);
		if (rc)
			return rc;
		if (*scalar(v)) {
			*slot = v;
			p->tls_any = v;
		}
		return 0;
	}
	if (strcmp(key, "min_version") == 0)
		return is_null(v) ? 0 : parse_version(p, v, field, &t->min_version);
	if (strcmp(key, "max_version") == 0)
		return is_null(v) ? 0 : parse_version(p, v, field, &t->max_version);
	if (strcmp(key, "prefer_server_cipher_suites") == 0)
		return is_null(v) ? 0 : want_bool(p, v, field, &t->prefer_server_cipher_suites);
	if (strcmp(key, "cipher_suites") == 0 || strcmp(key, "curve_preferences") == 0) {
		if (empty_list(v))
			return 0;
		return fail(
		    p, v, field,
		    "not supported: GnuTLS chooses from its NORMAL priority set (forward-secret"
		    " AEAD first), which does not map one to one onto Go's names; remove it,"
		    " or set min_version: TLS13");
	}
	if (strcmp(key, "client_allowed_sans") == 0) {
		if (is_null(v))
			return 0;
		return fail(p, v, field, "not supported (client certificates are not supported)");
	}
	return fail(p, k, field, "unknown field");
}

/* The five headers exporter-toolkit lets a config set, with the values it
 * accepts (NULL: any). */
static const struct {
	const char *name;
	const char *allowed[3];
} header_table[WEB_CONFIG_MAX_HEADERS] = {
    {"Strict-Transport-Security", {NULL}},
    {"X-Content-Type-Options", {"nosniff", NULL}},
    {"X-Frame-Options", {"deny", "sameorigin", NULL}},
    {"X-XSS-Protection", {NULL}},
    {"Content-Security-Policy", {NULL}},
};

static int header_pair(struct parse_ctx *p, const char *section, const yaml_node_t *k,
		       const yaml_node_t *v)
{
	char field[96];
	field_name(field, sizeof(field), section, scalar(k));
	size_t i = 0;
	while (i < WEB_CONFIG_MAX_HEADERS && strcasecmp(header_table[i].name, scalar(k)) != 0)
		i++;
	if (i == WEB_CONFIG_MAX_HEADERS)
		return fail(p, k, field,
			    "this header can not be configured (only Strict-Transport-Security,"
			    " X-Content-Type-Options, X-Frame-Options, X-XSS-Protection,"
			    " Content-Security-Policy)");
	if (is_null(v))
		return 0;
	int rc = want_string(p, v, field);
	if (rc)
		return rc;
	const char *val = scalar(v);
	if (!*val)
		return 0; /* "Unset if blank" */
	for (const unsigned char *c = (const unsigned char *)val; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return fail(p, v, field, "control characters are not allowed in a header");
	if (header_table[i].allowed[0]) {
		bool ok = false;
		for (size_t j = 0; header_table[i].allowed[j]; j++)
			ok |= strcmp(val, header_table[i].allowed[j]) == 0;
		if (!ok)
			return fail(p, v, field, "invalid value \"%s\" (want %s%s%s)", val,
				    header_table[i].allowed[0],
				    header_table[i].allowed[1] ? " or " : "",
				    header_table[i].allowed[1] ? header_table[i].allowed[1] : "");
	}
	for (size_t j = 0; j < p->wc->n_headers; j++)
		if (strcmp(p->wc->headers[j].name, header_table[i].name) == 0)
			return fail(p, k, field, "set twice");
	char *copy = strdup(val);
	if (!copy)
		return -ENOMEM;
	p->wc->headers[p->wc->n_headers].name = header_table[i].name;
	p->wc->headers[p->wc->n_headers].value = copy;
	p->wc->n_headers++;
	return 0;
}

static int http_pair(struct parse_ctx *p, const char *section, const yaml_node_t *k,
		     const yaml_node_t *v)
{
	const char *key = scalar(k);
	char field[96];
	field_name(field, sizeof(field), section, key);
	if (strcmp(key, "http2") == 0) {
		bool on = false;
		int rc = is_null(v) ? 0 : want_bool(p, v, field, &on);
		p->wc->http2_requested = on;
		return rc;
	}
	if (strcmp(key, "headers") == 0)
		return walk_mapping(p, v, field, header_pair);
	return fail(p, k, field, "unknown field");
}

static int user_pair(struct parse_ctx *p, const char *section, const yaml_node_t *k,
		     const yaml_node_t *v)
{
	const char *name = scalar(k);
	char field[BASIC_AUTH_USER_MAX_BYTES + 32];
	field_name(field, sizeof(field), section, name);
	const char *why = basic_auth_bad_name(name);
	if (why)
		return fail(p, k, *name && strlen(name) <= BASIC_AUTH_USER_MAX_BYTES ? field : section,
			    "%s", why);
	if (is_null(v))
		return fail(p, v, field, "missing password hash");
	int rc = want_string(p, v, field);
	if (rc)
		return rc;
	why = basic_auth_bad_hash(scalar(v));
	if (why)
		return fail(p, v, field, "%s", why);
	rc = basic_auth_add(p->wc->auth, name, scalar(v));
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return fail(p, k, field, "cannot add the user: %s", strerror(-rc));
	return 0;
}

static int top_pair(struct parse_ctx *p, const char *section, const yaml_node_t *k,
		    const yaml_node_t *v)
{
	(void)section;
	const char *key = scalar(k);
	if (strcmp(key, "tls_server_config") == 0)
		return walk_mapping(p, v, key, tls_pair);
	if (strcmp(key, "http_server_config") == 0)
		return walk_mapping(p, v, key, http_pair);
	if (strcmp(key, "basic_auth_users") == 0) {
		if (is_null(v))
			return 0;
		if (v->type != YAML_MAPPING_NODE)
			return fail(p, v, key, "want a mapping of user: bcrypt hash, got %s",
				    node_kind(v));
		size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
		if (n > BASIC_AUTH_MAX_USERS)
			return fail(p, v, key, "more than %d users", BASIC_AUTH_MAX_USERS);
		if (n && !p->wc->auth) {
			int rc = basic_auth_new(&p->wc->auth);
			if (rc)
				return fail(p, v, key, "cannot set up: %s", strerror(-rc));
		}
		return walk_mapping(p, v, key, user_pair);
	}
	if (strcmp(key, "rate_limit") == 0)
		return fail(p, k, key,
			    "not supported (--web.max-requests caps concurrent scrapes)");
	return fail(
	    p, k, key,
	    "unknown field (want tls_server_config, http_server_config or basic_auth_users)");
}

/* Why slurp refused a file, for the error line. */
static const char *slurp_error(int rc)
{
	switch (rc) {
	case -EFBIG:
		return "larger than 1 MiB";
	case READFILE_NOT_REGULAR:
		return "not a regular file";
	default:
		return strerror(-rc);
	}
}

/* Where a file is not text: the first bad byte and what it is. */
struct not_text {
	size_t offset;
	const char *what;
};

/* Reads a whole regular file, NUL-terminated, into *out (the caller frees).
 * A file with a NUL byte or invalid UTF-8 is -EILSEQ (*bad says where):
 * everything after a NUL would otherwise be ignored, which could drop TLS
 * or basic_auth_users without a word (fail closed). */
static int slurp(const char *path, char **out, size_t *len, struct not_text *bad)
{
	struct readbuf b;
	readbuf_init(&b, WEB_CONFIG_MAX_FILE_BYTES);
	int rc = readfile_at(AT_FDCWD, path, &b);
	if (rc) {
		readbuf_free(&b);
		return rc;
	}
	if (!b.data) { /* defensive: readfile allocates before its first read */
		b.data = calloc(1, 1);
		if (!b.data)
			return -ENOMEM;
	}
	const char *nul = memchr(b.data, '\0', b.len);
	size_t bad_utf8 = 0;
	if (nul || !utf8_valid(b.data, b.len, &bad_utf8)) {
		bad->offset = nul ? (size_t)(nul - b.data) : bad_utf8;
		bad->what = nul ? "a NUL byte" : "invalid UTF-8";
		readbuf_free(&b);
		return -EILSEQ;
	}
	*out = b.data;
	*len = b.len;
	return 0;
}

/* PEM from an inline field or a file named by a _file field (relative to the
 * config's directory). */
static int load_pem(struct parse_ctx *p, const yaml_node_t *inline_node,
		    const yaml_node_t *file_node, const char *field, const char *want, char **out)
{
	char fld[64];
	if (inline_node && file_node)
		return fail(p, file_node, "tls_server_config",
			    "%s and %s_file are both set; use one", field, field);
	if (inline_node) {
		snprintf(fld, sizeof(fld), "tls_server_config.%s", field);
		*out = strdup(scalar(inline_node));
		if (!*out)
			return -ENOMEM;
	} else {
		snprintf(fld, sizeof(fld), "tls_server_config.%s_file", field);
		const char *name = scalar(file_node);
		char *full = NULL;
		if (name[0] == '/') {
			full = strdup(name);
		} else {
			size_t n = strlen(p->dir) + 1 + strlen(name) + 1;
			full = malloc(n);
			if (full)
				snprintf(full, n, "%s/%s", p->dir, name);
		}
		if (!full)
			return -ENOMEM;
		size_t len = 0;
		struct not_text bad = {0, NULL};
		int rc = slurp(full, out, &len, &bad);
		if (rc == -EILSEQ)
			fail(p, file_node, fld, "%s: byte %zu: %s (truncated or corrupted?)", full,
			     bad.offset, bad.what);
		else if (rc)
			fail(p, file_node, fld, "cannot read %s: %s", full, slurp_error(rc));
		if (rc) {
			free(full);
			return rc;
		}
		free(full);
		inline_node = file_node;
	}
	if (!strstr(*out, "-----BEGIN ") || !strstr(*out, want))
		return fail(p, inline_node, fld, "not PEM (no \"-----BEGIN ...%s\" line)", want);
	return 0;
}

static int resolve_tls(struct parse_ctx *p)
{
	struct web_tls *t = &p->wc->tls;
	if (p->client_auth_type) {
		const char *a = scalar(p->client_auth_type);
		if (strcmp(a, "NoClientCert") != 0) {
			static const char *const known[] = {
			    "RequestClientCert", "RequireAnyClientCert", "RequireClientCert",
			    "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
			for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				if (strcmp(a, known[i]) == 0)
					return fail(p, p->client_auth_type,
						    "tls_server_config.client_auth_type",
						    "%s is not supported (only NoClientCert): use"
						    " basic_auth_users, or a TLS proxy for client"
						    " certificates",
						    a);
			return fail(p, p->client_auth_type, "tls_server_config.client_auth_type",
				    "unknown value \"%s\"", a);
		}
	}
	if (p->client_ca_file || p->client_ca)
		return fail(p, p->client_ca_file ? p->client_ca_file : p->client_ca,
			    p->client_ca_file ? "tls_server_config.client_ca_file"
					      : "tls_server_config.client_ca",
			    "a client CA is configured without a client auth policy (client"
			    " certificates are not supported)");
	if (t->min_version > t->max_version)
		return fail(p, NULL, "tls_server_config", "min_version is above max_version");
	if (!p->tls_any)
		return 0;
	if (!p->cert && !p->cert_file)
		return fail(p, p->tls_any, "tls_server_config", "missing one of cert or cert_file");
	if (!p->key && !p->key_file)
		return fail(p, p->tls_any, "tls_server_config", "missing one of key or key_file");
	int rc = load_pem(p, p->cert, p->cert_file, "cert", "CERTIFICATE", &t->cert_pem);
	if (rc == 0)
		rc = load_pem(p, p->key, p->key_file, "key", "PRIVATE KEY", &t->key_pem);
	if (rc == 0)
		t->enabled = true;
	return rc;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int parse_file(struct parse_ctx *p, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		errmsg_set(p->e, "--web.config.file=%s: line %zu column %zu: YAML: %s%s%s", p->path,
			   (size_t)parser.problem_mark.line + 1,
			   (size_t)parser.problem_mark.column + 1,
			   parser.problem ? parser.problem : "syntax error",
			   parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	p->doc = &doc;
	int rc = 0;
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	/* An empty file (or only comments) configures nothing: with the flag
	 * given that is a mistake (a file emptied by a crash), not "no auth". */
	if (root && !is_null(root))
		rc = walk_mapping(p, root, "top level", top_pair);
	else
		rc = fail(p, NULL, "top level",
			  "the file is empty; leave --web.config.file out to serve plain HTTP "
			  "without auth");
	/* One document only: a second one would be silently ignored. */
	if (rc == 0 && root) {
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			rc = fail(p, NULL, "top level", "YAML error after the first document");
		} else {
			if (yaml_document_get_root_node(&next))
				rc = fail(p, yaml_document_get_root_node(&next), "top level",
					  "more than one YAML document");
			yaml_document_delete(&next);
		}
	}
	/* The TLS fields point into the document: resolve before freeing it. */
	if (rc == 0)
		rc = resolve_tls(p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	p->doc = NULL;
	return rc;
}

int web_config_load(const char *path, struct web_config **out, struct errmsg *e)
{
	struct parse_ctx p = {.path = path, .e = e};
	char *text = NULL;
	int rc;
	struct web_config *wc = calloc(1, sizeof(*wc));
	if (!wc)
		return -ENOMEM;
	wc->tls.min_version = WEB_TLS12;
	wc->tls.max_version = WEB_TLS13;
	wc->tls.prefer_server_cipher_suites = true;
	p.wc = wc;

	size_t len = 0;
	struct not_text bad = {0, NULL};
	rc = slurp(path, &text, &len, &bad);
	if (rc == -EILSEQ) {
		errmsg_set(e, "--web.config.file=%s: byte %zu: %s (truncated or corrupted?)", path,
			   bad.offset, bad.what);
		goto out;
	}
	if (rc) {
		errmsg_set(e, "--web.config.file=%s: cannot read: %s", path, slurp_error(rc));
		goto out;
	}
	p.dir = dir_of(path);
	if (!p.dir) {
		rc = -ENOMEM;
		goto out;
	}
	rc = parse_file(&p, text, len);
out:
	if (rc == -ENOMEM && e && !e->msg[0])
		errmsg_set(e, "--web.config.file=%s: out of memory", path);
	free(text);
	free(p.dir);
	if (rc) {
		web_config_free(wc);
		return rc;
	}
	*out = wc;
	return 0;
}

void web_config_free(struct web_config *wc)
{
	if (!wc)
		return;
	free(wc->tls.cert_pem);
	if (wc->tls.key_pem) {
		OPENSSL_cleanse(wc->tls.key_pem, strlen(wc->tls.key_pem));
		free(wc->tls.key_pem);
	}
	for (size_t i = 0; i < wc->n_headers; i++)
		free(wc->headers[i].value);
	basic_auth_free(wc->auth);
	OPENSSL_cleanse(wc, sizeof(*wc));
	free(wc);
}

const struct web_tls *web_config_tls(const struct web_config *wc)
{
	return &wc->tls;
}

size_t web_config_headers(const struct web_config *wc, const struct web_header **headers)
{
	*headers = wc->headers;
	return wc->n_headers;
}

bool web_config_http2_requested(const struct web_config *wc)
{
	return wc->http2_requested;
}

struct basic_auth *web_config_auth(const struct web_config *wc)
{
	return wc->auth;
}
