/* routes: what the HTTP server does with a connection and its requests, as
 * libmicrohttpd callbacks: exact-path routing (GET/HEAD <telemetry path>, /,
 * /healthz, /explain; anything else 404, paths compared byte for byte and
 * never percent-decoded), Basic auth on every path but /healthz, the
 * --web.max-requests cap (503), blocking work on threads of its own while
 * the connection is suspended, the configured response headers, and the
 * request deadline's bookkeeping. http.c owns the daemons and passes a
 * struct http_gen as every callback's closure; it is internal to src/http. */
#ifndef MEMACCT_ROUTES_H
#define MEMACCT_ROUTES_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "memacct/collectors/scrape.h"
#include "memacct/explain/explain_page.h"
#include "memacct/http/deadline.h"
#include "memacct/http/web_config.h"
#include "memacct/util/log.h"

/* What every daemon generation shares: the server's state. */
struct http_site {
	struct scraper *scraper;
	struct logger *log;
	const char *telemetry_path;
	unsigned max_requests; /* 0: no limit */
	atomic_uint in_flight; /* scrapes (until their body is sent) and /explain renders */
	struct explain_page *explain;
	struct deadline *deadline; /* NULL: no request deadline */
};

/* One daemon and the web config it serves with (a SIGHUP starts a new one).
 * Freed only after its daemon stopped. */
struct http_gen {
	struct http_site *site;
	struct MHD_Daemon *daemon;
	struct web_config *web; /* NULL without --web.config.file */
	char priorities[128];	/* GnuTLS priority string when TLS is on */
	atomic_uint active;	/* requests begun and not completed */
	atomic_uint auth_jobs;	/* jobs that run bcrypt */
	pthread_mutex_t job_lock; /* guards the three below */
	pthread_cond_t jobs_done;
	unsigned jobs;		/* job threads running (connections suspended) */
	bool stopping;		/* no new jobs */
	atomic_bool starting;	/* routes_log keeps the first start error */
	char start_error[256];
};

/* Sets up g's counters and job lock. 0 or -errno. */
int routes_gen_init(struct http_gen *g);
/* Before g's daemon stops: no new jobs, logins waiting for bcrypt give up,
 * and it returns once every job has finished and resumed its connection
 * (libmicrohttpd must not be stopped with one suspended). */
void routes_stop_jobs(struct http_gen *g);
void routes_gen_fini(struct http_gen *g);

/* MHD_AccessHandlerCallback */
enum MHD_Result routes_request(void *gen, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls);
/* MHD_OPTION_NOTIFY_COMPLETED */
void routes_completed(void *gen, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe);
/* MHD_OPTION_NOTIFY_CONNECTION */
void routes_connection(void *gen, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);
/* MHD_OPTION_UNESCAPE_CALLBACK, for the path and the query arguments:
 * decodes %XX in place (Prometheus sends collect[] as collect%5B%5D) except
 * %00, which stays as sent, so that "/metrics%00.html" is not "/metrics". */
size_t routes_unescape(void *gen, struct MHD_Connection *c, char *s);
/* MHD_OPTION_EXTERNAL_LOGGER: debug lines; the first line while starting is
 * kept in start_error. */
void routes_log(void *gen, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
