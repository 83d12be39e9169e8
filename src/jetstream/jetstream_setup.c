/* jetstream_setup: the JetStream poller from the --nats.* flags (see
 * jetstream_setup.h): reads the secret files (--nats.password-file and
 * --nats.token-file win over --nats.password, --nats.token and their env
 * vars), compiles the stream and consumer filters, checks the API prefix
 * (--nats.domain or --nats.api-prefix), builds the NATS client and hands
 * them to a new poller. Secrets read here are wiped once cnats has its copies.
 * It does not start the poller, poll or log. */
#include "memacct/jetstream/jetstream_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/jetstream/jetstream_json.h"
#include "memacct/jetstream/jetstream_poll_consumers.h"
#include "memacct/jetstream/nats_client.h"
#include "memacct/util/readfile.h"

#define SECRET_FILE_MAX 4096
#define CREDS_FILE_MAX 65536

/* Copies urls with the user-info part of each URL ("user:pass@",
 * "token@") replaced by "***@", for log lines. */
static char *redact_urls(const char *urls)
{
	size_t n = strlen(urls);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	const char *p = urls;
	while (*p) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *scheme = NULL;
		for (const char *q = p; q + 2 < end; q++)
			if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
				scheme = q + 3;
				break;
			}
		const char *at = NULL;
		if (scheme)
			for (const char *q = scheme; q < end && *q != '/'; q++)
				if (*q == '@')
					at = q;
		if (at) {
			memcpy(out + o, p, (size_t)(scheme - p));
			o += (size_t)(scheme - p);
			/* "***" is never longer than what it replaces plus '@'
			 * and the scheme: at > scheme holds one character at least. */
			size_t hidden = (size_t)(at - scheme);
			const char *mask = hidden >= 3 ? "***" : "*";
			memcpy(out + o, mask, strlen(mask));
			o += strlen(mask);
			p = at;
		}
		memcpy(out + o, p, (size_t)(end - p));
		o += (size_t)(end - p);
		p = end;
		if (*p == ',')
			out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}

/* Reads a small regular file whole into buf (max bytes at most,
 * NUL-terminated: buf holds max + 1). A FIFO, socket or device is refused,
 * never opened blocking (util/readfile). */
static int read_small(const char *flag, const char *path, char *buf, size_t max, size_t *lenp,
		      struct errmsg *e)
{
	struct readbuf b = {.data = buf, .cap = max + 1, .max = max};
	int rc = readfile_at(AT_FDCWD, path, &b);
	*lenp = rc == 0 ? b.len : 0;
	if (rc == -EFBIG)
		errmsg_set(e, "%s: %s is larger than %zu bytes", flag, path, max);
	else if (rc == READFILE_NOT_REGULAR)
		errmsg_set(e, "%s: %s is not a regular file", flag, path);
	else if (rc < 0)
		errmsg_set(e, "%s: cannot read %s: %s", flag, path, strerror(-rc));
	return rc;
}

/* Reads a one-line secret (--nats.password-file, --nats.token-file): the
 * trailing newline and spaces are dropped; empty or holding a NUL byte is
 * -EINVAL. The stack copy is wiped. */
static int read_secret(const char *flag, const char *path, char **out, struct errmsg *e)
{
	char buf[SECRET_FILE_MAX + 1];
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_small(flag, path, buf, SECRET_FILE_MAX, &len, e);
	if (rc < 0)
		goto out;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
			   buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len)) {
		rc = -EINVAL;
		errmsg_set(e, "%s: %s %s", flag, path, len ? "holds a NUL byte" : "is empty");
		goto out;
	}
	*out = strdup(buf);
	if (!*out)
		rc = -ENOMEM;
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* The account of the creds' user, for the account label when the server
 * cannot say (before 2.10). Unreadable or odd creds are nats_client's to
 * report; here they only leave the hint empty. */
static void creds_account(const char *path, char *out, size_t cap)
{
	size_t len = 0;
	char *buf = malloc(CREDS_FILE_MAX + 1);
	out[0] = '\0';
	if (!buf)
		return;
	if (read_small("--nats.creds", path, buf, CREDS_FILE_MAX, &len, NULL) == 0 &&
	    js_parse_creds_account(buf, len, out, cap) < 0)
		out[0] = '\0';
	explicit_bzero(buf, CREDS_FILE_MAX + 1);
	free(buf);
}

/* The API prefix from --nats.domain ("$JS.<domain>.API") or
 * --nats.api-prefix (dot-separated subject tokens; one trailing dot is
 * dropped) into out; "" for the default. -EINVAL with e naming the flag. */
static int api_prefix(const struct config *cfg, char *out, size_t cap, struct errmsg *e)
{
	out[0] = '\0';
	if (cfg->nats_domain && cfg->nats_api_prefix) {
		errmsg_set(e, "--nats.domain and --nats.api-prefix are mutually exclusive");
		return -EINVAL;
	}
	if (cfg->nats_domain) {
		if (!js_subject_token_ok(cfg->nats_domain) ||
		    (size_t)snprintf(out, cap, "$JS.%s.API", cfg->nats_domain) >= cap) {
			errmsg_set(e,
				   "--nats.domain: \"%s\" is not a domain name (one subject token: "
				   "no '.', '*', '>' or spaces, at most %zu bytes)",
				   cfg->nats_domain, cap - 9);
			out[0] = '\0';
			return -EINVAL;
		}
		return 0;
	}
	if (!cfg->nats_api_prefix)
		return 0;
	size_t n = strlen(cfg->nats_api_prefix);
	if (n > 0 && cfg->nats_api_prefix[n - 1] == '.')
		n--;
	bool ok = n > 0 && n < cap;
	if (ok) {
		memcpy(out, cfg->nats_api_prefix, n);
		out[n] = '\0';
		for (char *tok = out, *dot; ok && tok; tok = dot ? dot + 1 : NULL) {
			dot = strchr(tok, '.');
			if (dot)
				*dot = '\0';
			ok = js_subject_token_ok(tok);
			if (dot)
				*dot = '.';
		}
	}
	if (!ok) {
		errmsg_set(e,
			   "--nats.api-prefix: \"%s\" is not a subject prefix (tokens separated by "
			   "'.', no '*', '>' or spaces, at most %zu bytes)",
			   cfg->nats_api_prefix, cap - 1);
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

/* A name filter on the heap from an include/exclude flag pair; *out NULL
 * when neither is set. */
static int heap_filter(struct name_filter **out, const char *inc, const char *inc_flag,
		       const char *exc, const char *exc_flag, struct errmsg *e)
{
	*out = NULL;
	if (!inc && !exc)
		return 0;
	struct name_filter *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	int rc = name_filter_init(f, inc, inc_flag, exc, exc_flag, e);
	if (rc < 0) {
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

static void free_filter(struct name_filter *f)
{
	if (f) {
		name_filter_fini(f);
		free(f);
	}
}

static unsigned clamp_u(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void wipe_free(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

int jetstream_setup(const struct config *cfg, struct logger *log, struct js_poller **out,
		    struct errmsg *e)
{
	struct name_filter *names = NULL, *consumer_names = NULL;
	struct nats_client *nc = NULL;
	char *password = NULL, *token = NULL, *log_urls = NULL;
	char account_hint[256] = "", api[JS_SUBJECT_MAX / 2];
	int rc;

	*out = NULL;
	if (!cfg->nats_urls || !*cfg->nats_urls)
		return 0; /* not configured */

	log_urls = redact_urls(cfg->nats_urls);
	if (!log_urls) {
		rc = -ENOMEM;
		goto out;
	}
	rc = heap_filter(&names, cfg->nats_stream_include, "--nats.stream-include",
			 cfg->nats_stream_exclude, "--nats.stream-exclude", e);
	if (rc == 0)
		rc = heap_filter(&consumer_names, cfg->nats_consumer_include,
				 "--nats.consumer-include", cfg->nats_consumer_exclude,
				 "--nats.consumer-exclude", e);
	if (rc == 0)
		rc = api_prefix(cfg, api, sizeof(api), e);
	if (rc < 0)
		goto out;
	if (cfg->nats_password_file) {
		rc = read_secret("--nats.password-file", cfg->nats_password_file, &password, e);
		if (rc < 0)
			goto out;
	}
	if (cfg->nats_token_file) {
		rc = read_secret("--nats.token-file", cfg->nats_token_file, &token, e);
		if (rc < 0)
			goto out;
	}

	unsigned interval_s = cfg->nats_poll_interval_s ? cfg->nats_poll_interval_s : 15;
	unsigned timeout_s = cfg->nats_poll_timeout_s ? cfg->nats_poll_timeout_s : 10;
	struct nats_client_opts o = {
	    .urls = cfg->nats_urls,
	    .creds = cfg->nats_creds,
	    .nkey_seed = cfg->nats_nkey,
	    .user = cfg->nats_user,
	    .password = password ? password : cfg->nats_password,
	    .token = token ? token : cfg->nats_token,
	    .tls_ca = cfg->nats_tls_ca,
	    .tls_cert = cfg->nats_tls_cert,
	    .tls_key = cfg->nats_tls_key,
	    .connect_timeout_ms = clamp_u(timeout_s * 1000u, 500, 5000),
	};
	rc = nats_client_new(&nc, &o, e);
	if (rc < 0)
		goto out;
	if (cfg->nats_creds)
		creds_account(cfg->nats_creds, account_hint, sizeof(account_hint));

	struct js_poller_config pc = {
	    .names = names,
	    .max_streams = cfg->nats_max_streams,
	    .consumer_names = consumer_names,
	    .max_consumers = cfg->nats_max_consumers,
	    .api_prefix = api[0] ? api : NULL,
	    .interval_s = interval_s,
	    .timeout_s = timeout_s,
	    .stale_after_s = cfg->nats_stale_after_s,
	    .urls = log_urls,
	    .account_hint = account_hint[0] ? account_hint : NULL,
	};
	nats_client_transport(nc, &pc.transport);
	names = consumer_names = NULL;
	nc = NULL; /* the poller owns them now, also when it fails */
	rc = js_poller_new(out, &pc, log);
out:
	free_filter(names);
	free_filter(consumer_names);
	nats_client_free(nc);
	wipe_free(password);
	wipe_free(token);
	free(log_urls);
	return rc;
}
