/* http: serves /metrics, / and /healthz with libmicrohttpd (the only file
 * that includes it): one thread per connection, a cap on concurrent scrapes
 * (503 past it), a cap on connections and an idle timeout. It does not build
 * metrics; scrape.c does. */
#include "memacct/http.h"

#include "memacct/gzip.h"
#include "memacct/negotiate.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
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

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *ctype,
				 const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static const char landing_page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>memacct_exporter</title>"
	"</head><body>\n<h1>memacct_exporter " MEMACCT_VERSION "</h1>\n"
	"<p>Container memory split (anon, shmem, page cache, kernel) beside process RSS, and "
	"JetStream stream retention.</p>\n<ul>\n"
	"<li><a href=\"metrics\">Metrics</a></li>\n"
	"<li><a href=\"healthz\">Health</a></li>\n</ul>\n</body></html>\n";

static enum MHD_Result serve_metrics(struct http_server *h, struct MHD_Connection *c)
{
	unsigned n = atomic_fetch_add(&h->in_flight, 1) + 1;
	enum MHD_Result ret;
	if (h->max_requests && n > h->max_requests) {
		ret = send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
				"too many concurrent scrapes (--web.max-requests)\n");
		goto out;
	}
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
		ret = send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
				"scrape failed; see the exporter's log\n");
		goto out;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		ret = MHD_NO;
		goto out;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == EXPFMT_OPENMETRICS_100 ? EXPFMT_CONTENT_TYPE_OPENMETRICS
							      : EXPFMT_CONTENT_TYPE_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gzip)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
out:
	atomic_fetch_sub(&h->in_flight, 1);
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
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
			19, (void *)(uintptr_t) "method not allowed\n", MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Allow", "GET, HEAD");
		enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, h->telemetry_path) == 0)
		return serve_metrics(h, c);
	if (strcmp(url, "/") == 0)
		return send_text(c, MHD_HTTP_OK, "text/html; charset=utf-8", landing_page);
	if (strcmp(url, "/healthz") == 0)
		return send_text(c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n");
	return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *h = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_kv(h->log, LOG_DEBUG, "http", "detail", msg, NULL);
}

int http_start(const struct config *cfg, struct scraper *s, struct logger *log,
	       struct http_server **out, struct errmsg *e)
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
	h->listen_fd = listen_on(cfg->listen_address, e);
	if (h->listen_fd < 0) {
		int rc = h->listen_fd;
		free(h);
		return rc;
	}
	h->daemon = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections : 1024,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
	if (!h->daemon) {
		errmsg_set(e, "--web.listen-address: cannot start the HTTP server on %s",
			   cfg->listen_address);
		close(h->listen_fd);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	close(h->listen_fd);
	free(h);
}
