/* routes: the request side of the HTTP server, as libmicrohttpd callbacks
 * (see routes.h). Cheap answers (/healthz, /, 404, 405, 401 for a malformed
 * or missing Authorization, a cached login) are given in libmicrohttpd's
 * worker. Work that blocks (a scrape, /explain, a bcrypt check) runs on a
 * thread of its own while the connection is suspended, so a worker never
 * waits and every other connection it holds is served meanwhile; the thread
 * prepares a reply, resumes the connection, and the worker sends the reply
 * when libmicrohttpd calls back. A scrape's reply is its registry, formatted
 * (and gzip'd) by the worker as it sends (stream_response.c), so the body
 * is never held whole. The number of such threads is bounded by
 * --web.max-requests (scrapes, /explain; a scrape holds its slot until its
 * body is sent or abandoned, as long as its registry lives) and by
 * basic_auth's bounds (logins); past them the answer is 503 at once. It
 * does not start or stop daemons (http.c), build metrics (scrape.c), parse
 * the web config (web_config.c) or check passwords (basic_auth.c). */
#include "memacct/http/routes.h"

#include "memacct/http/basic_auth.h"
#include "memacct/http/negotiate.h"
#include "memacct/http/stream_response.h"
#include "memacct/util/parse.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scrapes (and /explain renders) at once with --web.max-requests=0. */
#define UNCAPPED_REQUESTS 1024
#define TEXT "text/plain; charset=utf-8"

enum route { ROUTE_METRICS, ROUTE_EXPLAIN, ROUTE_LANDING, ROUTE_HEALTHZ, ROUTE_NOT_FOUND,
	     ROUTE_NO_METHOD };
enum body_kind { BODY_PLAIN, BODY_NEGOTIATED, BODY_NEGOTIATED_GZIP };
enum extra_header { EXTRA_NONE, EXTRA_AUTHENTICATE, EXTRA_ALLOW };

/* A reply, built anywhere, sent by the worker. */
struct reply {
	unsigned code;
	const char *ctype;
	enum body_kind kind;
	enum extra_header extra;
	const char *text; /* static body, or NULL: */
	char *owned;	  /* malloc'd body of len bytes, or NULL: */
	size_t len;
	struct body_source stream; /* .read set: a streamed body (owned) */
};

/* Blocking work for one request, on its own thread. */
struct job {
	struct http_gen *g;
	struct MHD_Connection *c;
	enum route route;
	bool check_auth;     /* run bcrypt first */
	bool admitted;	     /* holds a --web.max-requests slot */
	char *authorization; /* copy, wiped after use */
	enum expfmt_format fmt;
	bool gzip;
	bool head; /* HEAD: no body */
	struct scrape_filter filter; /* /metrics?collect[]=... */
	struct reply bad_query;	     /* a bad collect[]: answered once authorized */
	char *files;		     /* /explain?files=CGROUP (copy), or NULL */
	struct reply reply;
};

/* A request's state between libmicrohttpd's calls (its con_cls). */
struct request {
	struct job *job; /* done once the connection is resumed */
};

static const char landing_page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>memacct_exporter</title>"
	"</head><body>\n<h1>memacct_exporter " MEMACCT_VERSION "</h1>\n"
	"<p>Container memory split (anon, shmem, page cache, kernel) beside process RSS, and "
	"JetStream stream retention.</p>\n<ul>\n"
	"<li><a href=\"metrics\">Metrics</a></li>\n"
	"<li><a href=\"explain\">Explain</a>: the split per cgroup, for people</li>\n"
	"<li><a href=\"healthz\">Health</a></li>\n</ul>\n</body></html>\n";

static struct reply text_reply(unsigned code, const char *ctype, const char *body)
{
	return (struct reply){.code = code, .ctype = ctype, .text = body, .len = strlen(body)};
}

/* The connection's deadline record (routes_connection put it there). */
static struct deadline_conn *conn_deadline(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Frees what r owns. */
static void reply_free(struct reply *r)
{
	free(r->owned);
	r->owned = NULL;
	if (r->stream.free)
		r->stream.free(r->stream.arg);
	r->stream = (struct body_source){0};
}

/* Queues r (taking its owned or streamed body) with the web config's
 * headers. */
static enum MHD_Result send_reply(struct http_gen *g, struct MHD_Connection *c, struct reply *r)
{
	deadline_received(g->site->deadline, conn_deadline(c));
	struct MHD_Response *resp;
	if (r->stream.read) {
		resp = stream_response_new(r->stream, r->kind == BODY_NEGOTIATED_GZIP, g->site->log,
					   "scrape");
		r->stream = (struct body_source){0}; /* taken, even on failure */
	} else if (r->owned) {
		resp = MHD_create_response_from_buffer(r->len, r->owned, MHD_RESPMEM_MUST_FREE);
	} else {
		resp = MHD_create_response_from_buffer(r->len, (void *)(uintptr_t)r->text,
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		reply_free(r);
		return MHD_NO;
	}
	r->owned = NULL; /* libmicrohttpd frees it now */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	if (r->kind != BODY_PLAIN)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (r->kind == BODY_NEGOTIATED_GZIP)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (r->extra == EXTRA_AUTHENTICATE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"memacct_exporter\", charset=\"UTF-8\"");
	if (r->extra == EXTRA_ALLOW)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	if (g->web) {
		const struct web_header *hd;
		size_t n = web_config_headers(g->web, &hd);
		for (size_t i = 0; i < n; i++)
			MHD_add_response_header(resp, hd[i].name, hd[i].value);
	}
	enum MHD_Result ret = MHD_queue_response(c, r->code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct reply unauthorized(void)
{
	struct reply r = text_reply(MHD_HTTP_UNAUTHORIZED, TEXT, "unauthorized\n");
	r.extra = EXTRA_AUTHENTICATE;
	return r;
}

/* Takes a --web.max-requests slot; false past the cap. */
static bool admit(struct http_site *s)
{
	unsigned cap = s->max_requests ? s->max_requests : UNCAPPED_REQUESTS;
	if (atomic_fetch_add(&s->in_flight, 1) < cap)
		return true;
	atomic_fetch_sub(&s->in_flight, 1);
	return false;
}

static struct reply too_many_scrapes(void)
{
	return text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
			  "too many concurrent scrapes (--web.max-requests)\n");
}

static void render_explain(struct job *j)
{
	struct http_site *s = j->g->site;
	struct mbuf body;
	struct errmsg e = {{0}};
	mbuf_init(&body, 64 << 20);
	int rc = j->files ? explain_page_render_files(s->explain, j->files, &body, &e)
			  : explain_page_render(s->explain, &body, &e);
	size_t len = 0;
	char *data = rc ? NULL : mbuf_detach(&body, &len);
	mbuf_free(&body);
	if (!data) {
		log_kv(s->log, LOG_ERROR, "explain page failed", "err",
		       e.msg[0] ? e.msg : strerror(rc ? -rc : ENOMEM), NULL);
		j->reply = text_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT,
				      "explain page failed; see the exporter's log\n");
		return;
	}
	j->reply = (struct reply){.code = MHD_HTTP_OK, .ctype = "text/html; charset=utf-8",
				  .owned = data, .len = len};
}

/* A scrape's body: its registry read by a cursor, and the
 * --web.max-requests slot the scrape holds while the registry lives. */
struct scrape_body {
	struct registry *reg;
	struct registry_cursor *cur;
	atomic_uint *in_flight;
};

static ssize_t scrape_body_read(void *arg, char *buf, size_t cap)
{
	struct scrape_body *b = arg;
	return registry_cursor_read(b->cur, buf, cap);
}

static void scrape_body_free(void *arg)
{
	struct scrape_body *b = arg;
	registry_cursor_free(b->cur);
	registry_free(b->reg);
	atomic_fetch_sub(b->in_flight, 1);
	free(b);
}

static void scrape(struct job *j)
{
	struct http_site *s = j->g->site;
	struct scrape_body *b = calloc(1, sizeof(*b));
	int rc = b ? scraper_collect(s->scraper, &j->filter, &b->reg) : -ENOMEM;
	if (!rc)
		rc = registry_cursor_new(b->reg, j->fmt, &b->cur);
	if (rc) {
		if (b)
			registry_free(b->reg);
		free(b);
		log_kv(s->log, LOG_ERROR, "scrape failed", "err", strerror(-rc), NULL);
		j->reply = text_reply(MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT,
				      "scrape failed; see the exporter's log\n");
		return;
	}
	j->reply = (struct reply){
		.code = MHD_HTTP_OK,
		.ctype = j->fmt == EXPFMT_OPENMETRICS_100 ? EXPFMT_CONTENT_TYPE_OPENMETRICS
							  : EXPFMT_CONTENT_TYPE_TEXT,
		.kind = j->gzip ? BODY_NEGOTIATED_GZIP : BODY_NEGOTIATED,
		.text = ""};
	/* HEAD gets GET's status and headers but an empty body's length:
	 * libmicrohttpd 0.9.75 sends a chunked reply's last chunk even to
	 * HEAD, which a kept-alive client would read as the next reply. */
	if (j->head) {
		registry_cursor_free(b->cur);
		registry_free(b->reg);
		free(b);
		return;
	}
	b->in_flight = &s->in_flight;
	j->admitted = false; /* the body holds the slot from here */
	j->reply.stream = (struct body_source){.read = scrape_body_read, .free = scrape_body_free,
					       .arg = b};
}

/* The reply to an authorized request on route r that does not block. */
static struct reply quick_reply(enum route r)
{
	switch (r) {
	case ROUTE_HEALTHZ:
		return text_reply(MHD_HTTP_OK, TEXT, "ok\n");
	case ROUTE_LANDING:
		return text_reply(MHD_HTTP_OK, "text/html; charset=utf-8", landing_page);
	case ROUTE_NO_METHOD: {
		struct reply rep = text_reply(MHD_HTTP_METHOD_NOT_ALLOWED, TEXT,
					      "method not allowed\n");
		rep.extra = EXTRA_ALLOW;
		return rep;
	}
	default:
		return text_reply(MHD_HTTP_NOT_FOUND, TEXT, "not found\n");
	}
}

/* The job's blocking work: bcrypt when asked, then the route's reply. */
static void job_work(struct job *j)
{
	if (j->check_auth) {
		int rc = basic_auth_check(web_config_auth(j->g->web), j->authorization);
		if (rc == -EBUSY || rc == -ECANCELED) {
			j->reply = text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
					      "too many logins being checked at once; retry\n");
			return;
		}
		if (rc) {
			j->reply = unauthorized();
			return;
		}
	}
	if (j->bad_query.code) {
		j->reply = j->bad_query;
		j->bad_query.owned = NULL;
		return;
	}
	if (j->route != ROUTE_METRICS && j->route != ROUTE_EXPLAIN) {
		j->reply = quick_reply(j->route);
		return;
	}
	if (!j->admitted && !(j->admitted = admit(j->g->site))) {
		j->reply = too_many_scrapes();
		return;
	}
	if (j->route == ROUTE_METRICS)
		scrape(j);
	else
		render_explain(j);
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	if (j->authorization) {
		explicit_bzero(j->authorization, strlen(j->authorization));
		free(j->authorization);
	}
	reply_free(&j->reply);
	free(j->bad_query.owned);
	free(j->files);
	free(j);
}

/* Hands the finished job back: the worker sends its reply once resumed. */
static void job_finish(struct job *j)
{
	struct http_gen *g = j->g;
	if (j->admitted)
		atomic_fetch_sub(&g->site->in_flight, 1);
	if (j->check_auth)
		atomic_fetch_sub(&g->auth_jobs, 1);
	MHD_resume_connection(j->c); /* j belongs to the worker from here */
	pthread_mutex_lock(&g->job_lock);
	if (--g->jobs == 0)
		pthread_cond_broadcast(&g->jobs_done);
	pthread_mutex_unlock(&g->job_lock);
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	job_work(j);
	job_finish(j);
	return NULL;
}

/* Suspends c and runs j on a thread of its own. Returns false (j not taken)
 * while the daemon is stopping. */
static bool job_start(struct http_gen *g, struct MHD_Connection *c, struct request *req,
		      struct job *j)
{
	pthread_mutex_lock(&g->job_lock);
	bool stopping = g->stopping;
	if (!stopping)
		g->jobs++;
	pthread_mutex_unlock(&g->job_lock);
	if (stopping)
		return false;
	j->g = g;
	j->c = c;
	req->job = j;
	deadline_received(g->site->deadline, conn_deadline(c)); /* all of it is here */
	MHD_suspend_connection(c);
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, job_run, j);
	pthread_attr_destroy(&attr);
	if (rc) {
		j->reply = text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
				      "cannot start a thread; retry\n");
		job_finish(j);
	}
	return true;
}

/* Exact paths only: "/metrics/x", "/healthz.x" and (with routes_unescape)
 * "/metrics%00.html" are 404. */
static enum route route_of(const struct http_site *s, const char *url, const char *method)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return ROUTE_NO_METHOD;
	if (strcmp(url, "/healthz") == 0)
		return ROUTE_HEALTHZ;
	if (strcmp(url, s->telemetry_path) == 0)
		return ROUTE_METRICS;
	if (strcmp(url, "/") == 0)
		return ROUTE_LANDING;
	if (strcmp(url, "/explain") == 0 && s->explain)
		return ROUTE_EXPLAIN;
	return ROUTE_NOT_FOUND;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The query's collect[] arguments, checked by scrape.c. */
struct collect_args {
	const struct scraper *s;
	struct scrape_filter f;
	struct errmsg e;
	int rc;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct collect_args *a = cls;
	(void)kind;
	a->rc = scraper_filter_arg(a->s, &a->f, key, value, &a->e);
	return a->rc ? MHD_NO : MHD_YES;
}

/* 400 with e's line (the reply owns a copy: e lives on the caller's stack). */
static struct reply bad_query_reply(const struct errmsg *e)
{
	size_t n = strlen(e->msg);
	char *msg = malloc(n + 2);
	if (!msg)
		return text_reply(MHD_HTTP_BAD_REQUEST, TEXT, "bad collect[]\n");
	memcpy(msg, e->msg, n);
	msg[n] = '\n';
	msg[n + 1] = '\0';
	return (struct reply){.code = MHD_HTTP_BAD_REQUEST, .ctype = TEXT, .owned = msg,
			      .len = n + 1};
}

/* Answers the request now, or hands it to a job. */
static enum MHD_Result dispatch(struct http_gen *g, struct MHD_Connection *c, struct request *req,
				const char *url, const char *method)
{
	enum route r = route_of(g->site, url, method);
	struct reply rep;
	/* With basic_auth_users, everything but /healthz needs credentials (401
	 * before 404 or 405, as exporter-toolkit); /healthz tells nothing but
	 * "the process serves", so probes need no secret. */
	struct basic_auth *auth = g->web ? web_config_auth(g->web) : NULL;
	bool check_auth = false;
	if (auth && strcmp(url, "/healthz") != 0) {
		int q = basic_auth_quick(auth, header(c, MHD_HTTP_HEADER_AUTHORIZATION));
		if (q == -EAGAIN)
			check_auth = true;
		else if (q) {
			rep = unauthorized();
			return send_reply(g, c, &rep);
		}
	}
	bool scrapes = r == ROUTE_METRICS || r == ROUTE_EXPLAIN;
	struct collect_args args = {.s = g->site->scraper};
	struct reply bad_query = {0};
	if (r == ROUTE_METRICS) {
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
		if (args.rc)
			bad_query = bad_query_reply(&args.e);
		/* Unauthenticated clients learn nothing: the 400 waits for the
		 * login check. */
		if (args.rc && !check_auth)
			return send_reply(g, c, &bad_query);
	}
	if (!check_auth && !scrapes) {
		rep = quick_reply(r);
		return send_reply(g, c, &rep);
	}
	/* Blocking work: admitted here, so threads stay within the caps. */
	if (check_auth) {
		unsigned most = BASIC_AUTH_MAX_RUNNING + BASIC_AUTH_MAX_WAITING;
		if (atomic_fetch_add(&g->auth_jobs, 1) >= most) {
			atomic_fetch_sub(&g->auth_jobs, 1);
			free(bad_query.owned);
			rep = text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
					 "too many logins being checked at once; retry\n");
			return send_reply(g, c, &rep);
		}
	}
	struct job *j = calloc(1, sizeof(*j));
	if (j) {
		j->bad_query = bad_query; /* job_free frees it from here */
		bad_query.owned = NULL;
	}
	free(bad_query.owned);
	const char *authz = check_auth ? header(c, MHD_HTTP_HEADER_AUTHORIZATION) : NULL;
	if (j && authz && !(j->authorization = strdup(authz))) {
		job_free(j);
		j = NULL;
	}
	bool admitted = j && scrapes && !check_auth ? admit(g->site) : false;
	if (!j || (scrapes && !check_auth && !admitted)) {
		if (check_auth)
			atomic_fetch_sub(&g->auth_jobs, 1);
		rep = j ? too_many_scrapes()
			: text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, "out of memory\n");
		job_free(j);
		return send_reply(g, c, &rep);
	}
	j->route = r;
	j->check_auth = check_auth;
	j->admitted = admitted;
	j->filter = args.f;
	const char *files = r == ROUTE_EXPLAIN
				? MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "files")
				: NULL;
	if (files && *files && !(j->files = strdup(files))) {
		if (admitted)
			atomic_fetch_sub(&g->site->in_flight, 1);
		if (check_auth)
			atomic_fetch_sub(&g->auth_jobs, 1);
		job_free(j);
		rep = text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, "out of memory\n");
		return send_reply(g, c, &rep);
	}
	j->fmt = negotiate_format(header(c, MHD_HTTP_HEADER_ACCEPT));
	j->gzip = negotiate_gzip(header(c, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	j->head = strcmp(method, "HEAD") == 0;
	if (job_start(g, c, req, j))
		return MHD_YES;
	if (admitted)
		atomic_fetch_sub(&g->site->in_flight, 1);
	if (check_auth)
		atomic_fetch_sub(&g->auth_jobs, 1);
	job_free(j);
	rep = text_reply(MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, "shutting down\n");
	return send_reply(g, c, &rep);
}

enum MHD_Result routes_request(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct http_gen *g = cls;
	(void)version;
	(void)upload;
	/* The first call only announces the request: answering there makes
	 * libmicrohttpd close the connection (no keep-alive for scrapers).
	 * routes_completed frees the state and undoes the count. */
	if (!*con_cls) {
		struct request *req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		atomic_fetch_add(&g->active, 1);
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a body is never used: discard it, answer at the end */
		return MHD_YES;
	}
	struct request *req = *con_cls;
	if (req->job) { /* resumed: the job's reply is ready */
		struct job *j = req->job;
		req->job = NULL;
		enum MHD_Result ret = send_reply(g, c, &j->reply);
		job_free(j);
		return ret;
	}
	return dispatch(g, c, req, url, method);
}

void routes_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_gen *g = cls;
	(void)toe;
	struct request *req = *con_cls;
	if (req) {
		job_free(req->job); /* a reply never sent (the client went away) */
		free(req);
		atomic_fetch_sub(&g->active, 1);
	}
	*con_cls = NULL;
	deadline_replied(g->site->deadline, conn_deadline(c));
}

void routes_connection(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct http_gen *g = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? deadline_open(g->site->deadline, ci->connect_fd) : NULL;
	} else {
		/* libmicrohttpd closes the fd after this call. */
		deadline_close(g->site->deadline, *socket_context);
		*socket_context = NULL;
	}
}

size_t routes_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *out = s;
	for (const char *p = s; *p; p++) {
		int hi, lo;
		if (p[0] == '%' && (hi = parse_hex_digit(p[1])) >= 0 &&
		    (lo = parse_hex_digit(p[2])) >= 0 && (hi | lo) != 0) {
			*out++ = (char)(hi << 4 | lo);
			p += 2;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

void routes_log(void *cls, const char *fmt, va_list ap)
{
	struct http_gen *g = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (atomic_load(&g->starting) && !g->start_error[0]) /* the first is the cause */
		snprintf(g->start_error, sizeof(g->start_error), "%s", msg);
	log_kv(g->site->log, LOG_DEBUG, "http", "detail", msg, NULL);
}

int routes_gen_init(struct http_gen *g)
{
	atomic_init(&g->active, 0);
	atomic_init(&g->auth_jobs, 0);
	atomic_init(&g->starting, false);
	int rc = pthread_mutex_init(&g->job_lock, NULL);
	if (rc)
		return -rc;
	rc = pthread_cond_init(&g->jobs_done, NULL);
	if (rc) {
		pthread_mutex_destroy(&g->job_lock);
		return -rc;
	}
	return 0;
}

void routes_stop_jobs(struct http_gen *g)
{
	pthread_mutex_lock(&g->job_lock);
	g->stopping = true;
	pthread_mutex_unlock(&g->job_lock);
	struct basic_auth *auth = g->web ? web_config_auth(g->web) : NULL;
	if (auth)
		basic_auth_cancel(auth);
	pthread_mutex_lock(&g->job_lock);
	while (g->jobs)
		pthread_cond_wait(&g->jobs_done, &g->job_lock);
	pthread_mutex_unlock(&g->job_lock);
}

void routes_gen_fini(struct http_gen *g)
{
	pthread_cond_destroy(&g->jobs_done);
	pthread_mutex_destroy(&g->job_lock);
}
