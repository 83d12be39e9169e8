/* http: the HTTP server: GET <telemetry path> (a scrape, at most
 * --web.max-requests at once, then 503), GET / (a cheap landing page),
 * GET /healthz, GET /explain (the human view, counted against
 * --web.max-requests too: it walks the cgroups), served from an epoll loop
 * with a pool of worker threads, with connection caps (in all and per
 * client address), an idle timeout and a request deadline, and a reload of
 * --web.config.file. It formats no metrics (scrape.h does) and no HTML
 * beyond the landing page (explain_html.c does); routes.h is the request
 * side. */
#ifndef MEMACCT_HTTP_H
#define MEMACCT_HTTP_H

#include "memacct/util/errmsg.h"
#include "memacct/cli/flags.h"
#include "memacct/util/log.h"
#include "memacct/collectors/scrape.h"

struct http_server;
struct explain_page;

/* Binds --web.listen-address and starts serving in background threads.
 * cfg, s, explain (the /explain page; NULL: /explain answers 404) and log
 * are borrowed and must outlive the server. Returns 0, or -errno with e
 * naming the address (e.g. "address already in use"), file or flag. */
int http_start(const struct config *cfg, struct scraper *s, struct explain_page *explain,
	       struct logger *log, struct http_server **out, struct errmsg *e);
/* Re-reads --web.config.file (SIGHUP): on success a new daemon with the new
 * config takes over the listening socket and the old one finishes its
 * requests (up to 2 s) and stops; TLS, users and headers all change. On
 * failure the old config keeps serving. Logs one line either way. Returns 0
 * or the -errno of the failure. Call from one thread, not with http_stop. */
int http_reload(struct http_server *h);
/* Stops accepting; logins waiting for bcrypt give up; running handlers
 * finish; frees. */
void http_stop(struct http_server *h);

/* Splits "[host]:port" (host may be empty, a name, an IPv4 or a bracketed
 * IPv6 address) into host (empty = any) and port. -EINVAL when malformed. */
int http_split_address(const char *addr, char *host, size_t hostlen, char *port,
		       size_t portlen);

#endif
