/* http: serves /metrics, / and /healthz with libmicrohttpd (the only file
 * that includes it): one thread per connection, a cap on concurrent scrapes
 * (503 past it), a cap on connections and an idle timeout. With
 * --web.config.file it serves HTTPS through libmicrohttpd's GnuTLS support,
 * adds the configured response headers, and asks for Basic credentials on
 * every path but /healthz. It does not build metrics (scrape.c does) nor
 * parse the web config (web_config.c does) or check passwords (basic_auth.c
 * does). */
#include "memacct/http/http.h"

#include "memacct/explain/explain.h"
#include "memacct/http/basic_auth.h"
#include "memacct/http/gzip.h"
#include "memacct/http/negotiate.h"
#include "memacct/http/web_config.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct http_server {
	struct MHD_Daemon *daemon;
	struct scraper *scraper;
	struct logger *log;
	const char *telemetry_path;
	unsigned max_requests;
	atomic_uint in_flight;
	int listen_fd;
	struct web_config *web; /* NULL without --web.config.file */
	struct explain_page *explain; /* the /explain page's state */
	char priorities[128];	/* GnuTLS priority string when TLS is on */
	atomic_bool starting;	/* mhd_log keeps the message for start errors */
	char start_error[256];
};

int http_split_address(const char *addr, char *host, size_t hostlen, char *port,
		       size_t portlen)
{
	const char *colon;
	const char *h = addr;
	size_t hl;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
			return -EINVAL; /* bare IPv6 must be bracketed */
		hl = (size_t)(colon - addr);
	}
	const char *p = colon + 1;
	size_t pl = strlen(p);
	if (pl == 0 || pl >= portlen || hl >= hostlen || strspn(p, "0123456789") != pl)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, p, pl + 1);
	return 0;
}

/* Creates, binds and listens on addr; returns the fd or -errno. */
static int listen_on(const char *addr, struct errmsg *e)
{
	char host[256], port[16];
	if (http_split_address(addr, host, sizeof(host), port, sizeof(port))) {
		errmsg_set(e, "--web.listen-address: invalid address \"%s\" (want [host]:port)",
			   addr);
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int grc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (grc) {
		errmsg_set(e, "--web.listen-address: cannot resolve \"%s\": %s", addr,
			   gai_strerror(grc));
		return -EINVAL;
	}
	int err = EADDRNOTAVAIL;
	int fd = -1;
	/* For ":port", prefer a dual-stack IPv6 socket, else IPv4. */
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
			if (!host[0] && (pass == 0) != (ai->ai_family == AF_INET6))
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1, zero = 0;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6 && !host[0])
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
				err = errno;
				close(fd);
				fd = -1;
			}
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errmsg_set(e, "--web.listen-address: cannot listen on %s: %s", addr,
			   strerror(err));
		return -err;
	}
	return fd;
}

/* Adds the web config's headers, queues and releases r. */
static enum MHD_Result queue(struct http_server *h, struct MHD_Connection *c, unsigned code,
			     struct MHD_Response *r)
{
	if (h->web) {
		const struct web_header *hd;
		size_t n = web_config_headers(h->web, &hd);
		for (size_t i = 0; i < n; i++)
			MHD_add_response_header(r, hd[i].name, hd[i].value);
	}
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct http_server *h, struct MHD_Connection *c, unsigned code,
				 const char *ctype, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	return queue(h, c, code, r);
}

static enum MHD_Result send_unauthorized(struct http_server *h, struct MHD_Connection *c)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(body) - 1, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Basic realm=\"memacct_exporter\", charset=\"UTF-8\"");
	return queue(h, c, MHD_HTTP_UNAUTHORIZED, r);
}

static const char landing_page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>memacct_exporter</title>"
	"</head><body>\n<h1>memacct_exporter " MEMACCT_VERSION "</h1>\n"
	"<p>Container memory split (anon, shmem, page cache, kernel) beside process RSS, and "
	"JetStream stream retention.</p>\n<ul>\n"
	"<li><a href=\"metrics\">Metrics</a></li>\n"
	"<li><a href=\"explain\">Explain</a>: the split per cgroup, for people</li>\n"
	"<li><a href=\"healthz\">Health</a></li>\n</ul>\n</body></html>\n";

/* Counts a request that walks the cgroups against --web.max-requests.
 * Returns false (with a 503 queued in *ret) past the limit; either way the
 * caller calls release() when done. */
static bool admit(struct http_server *h, struct MHD_Connection *c, enum MHD_Result *ret)
{
	unsigned n = atomic_fetch_add(&h->in_flight, 1) + 1;
	if (!h->max_requests || n <= h->max_requests)
		return true;
	*ret = send_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
			 "too many concurrent scrapes (--web.max-requests)\n");
	return false;
}

static void release(struct http_server *h)
{
	atomic_fetch_sub(&h->in_flight, 1);
}

enum body_kind { BODY_PLAIN, BODY_NEGOTIATED, BODY_NEGOTIATED_GZIP };

/* Sends data[0..len) (takes ownership: freed by libmicrohttpd, or here on
 * failure) with a Content-Type; a negotiated body also says Vary, and a
 * gzipped one Content-Encoding. */
static enum MHD_Result send_owned(struct http_server *h, struct MHD_Connection *c,
				  const char *ctype, enum body_kind kind, char *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (kind != BODY_PLAIN)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (kind == BODY_NEGOTIATED_GZIP)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(h, c, MHD_HTTP_OK, r);
}

static enum MHD_Result serve_explain(struct http_server *h, struct MHD_Connection *c)
{
	enum MHD_Result ret;
	if (!admit(h, c, &ret))
		goto out;
	struct mbuf body;
	struct errmsg e = {{0}};
	mbuf_init(&body, 64 << 20);
	int rc = explain_page_render(h->explain, &body, &e);
	size_t len = 0;
	char *data = rc ? NULL : mbuf_detach(&body, &len);
	mbuf_free(&body);
	if (!data) {
		log_kv(h->log, LOG_ERROR, "explain page failed", "err",
		       e.msg[0] ? e.msg : strerror(rc ? -rc : ENOMEM), NULL);
		ret = send_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
				"explain page failed; see the exporter's log\n");
		goto out;
	}
	ret = send_owned(h, c, "text/html; charset=utf-8", BODY_PLAIN, data, len);
out:
	release(h);
	return ret;
}

static enum MHD_Result serve_metrics(struct http_server *h, struct MHD_Connection *c)
{
	enum MHD_Result ret;
	if (!admit(h, c, &ret))
		goto out;
	enum expfmt_format fmt = negotiate_format(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
	bool gzip = negotiate_gzip(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	struct mbuf body;
	mbuf_init(&body, SCRAPE_MAX_BYTES);
	int rc = scraper_scrape(h->scraper, &body, fmt);
	size_t len = 0;
	char *data = rc ? NULL : mbuf_detach(&body, &len);
	if (data && gzip) {
		char *z = NULL;
		size_t zlen = 0;
		rc = gzip_compress(data, len, &z, &zlen);
		free(data);
		data = z;
		len = zlen;
	}
	if (!data) {
		mbuf_free(&body);
		log_kv(h->log, LOG_ERROR, "scrape failed", "err", strerror(rc ? -rc : ENOMEM),
		       NULL);
		ret = send_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
				"scrape failed; see the exporter's log\n");
		goto out;
	}
	ret = send_owned(h, c,
			 fmt == EXPFMT_OPENMETRICS_100 ? EXPFMT_CONTENT_TYPE_OPENMETRICS
						       : EXPFMT_CONTENT_TYPE_TEXT,
			 gzip ? BODY_NEGOTIATED_GZIP : BODY_NEGOTIATED, data, len);
out:
	release(h);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *h = cls;
	(void)version;
	(void)upload;
	/* The first call only announces the request: answering there makes
	 * libmicrohttpd close the connection (no keep-alive for scrapers). */
	static const int request_seen = 1;
	if (!*con_cls) {
		*con_cls = (void *)(uintptr_t)&request_seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a body is never used: discard it, answer at the end */
		return MHD_YES;
	}
	bool healthz = strcmp(url, "/healthz") == 0;
	/* With basic_auth_users, everything but /healthz needs credentials (401
	 * before 404 or 405, as exporter-toolkit); /healthz tells nothing but
	 * "the process serves", so probes need no secret. */
	struct basic_auth *auth = h->web ? web_config_auth(h->web) : NULL;
	if (auth && !healthz) {
		int arc = basic_auth_check(auth, MHD_lookup_connection_value(
							 c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
		if (arc == -EBUSY || arc == -ECANCELED)
			return send_text(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
					 "too many logins at once; retry\n");
		if (arc)
			return send_unauthorized(h, c);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
			19, (void *)(uintptr_t) "method not allowed\n", MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Allow", "GET, HEAD");
		return queue(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	}
	if (strcmp(url, h->telemetry_path) == 0)
		return serve_metrics(h, c);
	if (strcmp(url, "/") == 0)
		return send_text(h, c, MHD_HTTP_OK, "text/html; charset=utf-8", landing_page);
	if (strcmp(url, "/explain") == 0)
		return serve_explain(h, c);
	if (healthz)
		return send_text(h, c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n");
	return send_text(h, c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *h = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (atomic_load(&h->starting) && !h->start_error[0]) /* the first is the cause */
		snprintf(h->start_error, sizeof(h->start_error), "%s", msg);
	log_kv(h->log, LOG_DEBUG, "http", "detail", msg, NULL);
}

/* exporter-toolkit's min/max_version and prefer_server_cipher_suites as a
 * GnuTLS priority string over its NORMAL set. */
static void tls_priorities(const struct web_tls *t, char *out, size_t cap)
{
	static const char *const vers[] = {"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"};
	size_t n = (size_t)snprintf(out, cap, "NORMAL:-VERS-ALL");
	for (int v = (int)t->min_version; v <= (int)t->max_version && n < cap; v++)
		n += (size_t)snprintf(out + n, cap - n, ":+VERS-%s", vers[v - WEB_TLS10]);
	if (t->prefer_server_cipher_suites && n < cap)
		snprintf(out + n, cap - n, ":%%SERVER_PRECEDENCE");
}

static void free_server(struct http_server *h)
{
	web_config_free(h->web);
	explain_page_free(h->explain);
	free(h);
}

/* Loads --web.config.file into h. */
static int load_web_config(struct http_server *h, const char *path, struct errmsg *e)
{
	int rc = web_config_load(path, &h->web, e);
	if (rc)
		return rc;
	const struct web_tls *t = web_config_tls(h->web);
	if (t->enabled && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		errmsg_set(e, "--web.config.file=%s: tls_server_config: this libmicrohttpd is built"
			      " without TLS support", path);
		return -ENOTSUP;
	}
	if (t->enabled)
		tls_priorities(t, h->priorities, sizeof(h->priorities));
	return 0;
}

/* Logs what the web config turned on, once the server runs. */
static void log_web_config(struct http_server *h, const char *path)
{
	const struct web_tls *t = web_config_tls(h->web);
	char users[24];
	struct basic_auth *auth = web_config_auth(h->web);
	snprintf(users, sizeof(users), "%zu", auth ? basic_auth_users(auth) : 0);
	log_kv(h->log, LOG_INFO, "web config loaded", "file", path, "tls",
	       t->enabled ? "true" : "false", "tls_priorities", t->enabled ? h->priorities : "",
	       "basic_auth_users", users, NULL);
	if (web_config_http2_requested(h->web))
		log_kv(h->log, LOG_INFO,
		       "http_server_config.http2 ignored: libmicrohttpd serves HTTP/1.1 only", NULL);
}

int http_start(const struct config *cfg, struct scraper *s, const struct explain_sources *src,
	       struct logger *log, struct http_server **out, struct errmsg *e)
{
	if (cfg->telemetry_path[0] != '/' || strcmp(cfg->telemetry_path, "/") == 0 ||
	    strcmp(cfg->telemetry_path, "/healthz") == 0) {
		errmsg_set(e, "--web.telemetry-path: \"%s\" must start with / and not be / or /healthz",
			   cfg->telemetry_path);
		return -EINVAL;
	}
	struct http_server *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->scraper = s;
	h->log = log;
	h->telemetry_path = cfg->telemetry_path;
	h->max_requests = cfg->max_requests;
	atomic_init(&h->in_flight, 0);
	atomic_init(&h->starting, true);
	if (cfg->web_config_file) {
		int rc = load_web_config(h, cfg->web_config_file, e);
		if (rc) {
			free_server(h);
			return rc;
		}
	}
	int prc = explain_page_new(cfg, src, &h->explain, e);
	if (prc) {
		free_server(h);
		return prc;
	}
	const struct web_tls *tls = h->web ? web_config_tls(h->web) : NULL;
	bool use_tls = tls && tls->enabled;
	/* TLS options go in an array so the plain-HTTP call stays the same. */
	struct MHD_OptionItem tls_opts[] = {
		{use_tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0,
		 use_tls ? tls->cert_pem : NULL},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, use_tls ? tls->key_pem : NULL},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, h->priorities},
		{MHD_OPTION_END, 0, NULL},
	};
	h->listen_fd = listen_on(cfg->listen_address, e);
	if (h->listen_fd < 0) {
		int rc = h->listen_fd;
		free_server(h);
		return rc;
	}
	h->daemon = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			/* wake the polling thread to reap closed connections at once */
			MHD_USE_ITC |
			(use_tls ? MHD_USE_TLS : 0),
		0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
		MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections : 1024,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
		MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	atomic_store(&h->starting, false);
	if (!h->daemon) {
		if (use_tls)
			errmsg_set(e, "--web.config.file=%s: tls_server_config: cannot start HTTPS on %s: %s",
				   cfg->web_config_file, cfg->listen_address,
				   h->start_error[0] ? h->start_error : "libmicrohttpd refused the"
									" certificate or key");
		else
			errmsg_set(e, "--web.listen-address: cannot start the HTTP server on %s",
				   cfg->listen_address);
		/* No close(listen_fd): libmicrohttpd closed it already. */
		free_server(h);
		return -EIO;
	}
	if (h->web)
		log_web_config(h, cfg->web_config_file);
	*out = h;
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon); /* closes listen_fd too: it owns it once started */
	free_server(h);
}
