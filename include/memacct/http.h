/* http: the HTTP server (the only file that includes libmicrohttpd):
 * GET <telemetry path> (a scrape, at most --web.max-requests at once, then
 * 503), GET / (a cheap landing page), GET /healthz. It formats no metrics
 * (scrape.h does). */
#ifndef MEMACCT_HTTP_H
#define MEMACCT_HTTP_H

#include "memacct/errmsg.h"
#include "memacct/flags.h"
#include "memacct/log.h"
#include "memacct/scrape.h"

struct http_server;

/* Binds --web.listen-address and starts serving in background threads.
 * s and log are borrowed. Returns 0, or -errno with e naming the address
 * (e.g. "address already in use"). */
int http_start(const struct config *cfg, struct scraper *s, struct logger *log,
	       struct http_server **out, struct errmsg *e);
/* Stops accepting, finishes in-flight requests, frees. */
void http_stop(struct http_server *h);

/* Splits "[host]:port" (host may be empty, a name, an IPv4 or a bracketed
 * IPv6 address) into host (empty = any) and port. -EINVAL when malformed. */
int http_split_address(const char *addr, char *host, size_t hostlen, char *port,
		       size_t portlen);

#endif
