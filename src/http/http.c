/* http: the HTTP server's lifecycle with libmicrohttpd. One listening
 * socket; a daemon serving it from epoll with a pool of worker threads (no
 * thread per connection, no select() and its 1,024-fd ceiling), a cap on
 * connections in all and per client address, an idle timeout, a request
 * deadline (deadline.c) and RLIMIT_NOFILE raised to fit
 * --web.max-connections. With --web.config.file it serves HTTPS through
 * libmicrohttpd's GnuTLS support; a reload (SIGHUP) starts a daemon with the
 * new config on the same socket, then retires the old one, or keeps the old
 * one when the new config is bad. What a request gets is routes.c's.
 *
 * The workers never block: a scrape, /explain or a bcrypt check runs on a
 * thread of its own while its connection is suspended (routes.c), so a few
 * workers (one per CPU, 2 to 8) serve thousands of connections, and a slow
 * scrape or login delays no other request. */
#include "memacct/http/http.h"

#include "memacct/explain/explain_page.h"
#include "memacct/http/basic_auth.h"
#include "memacct/http/deadline.h"
#include "memacct/http/routes.h"
#include "memacct/http/web_config.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIN_WORKERS 2
#define MAX_WORKERS 8
/* Open files besides connections: what the scrapes running at once read,
 * the workers' epoll and eventfds (two daemons' worth during a reload),
 * NATS, the log. */
#define NOFILE_RESERVE 512
/* Each connection's memory (request line and headers, reply headers).
 * Above 32 KiB libmicrohttpd maps it per connection (mmap) and unmaps it at
 * close, so what a flood of connections took goes back to the kernel; at 32
 * KiB or less it mallocs, and glibc keeps freed chunks in each worker's
 * arena (RSS grew by 25 MB over five rounds of 3,100 connections). */
#define CONNECTION_MEMORY (40 * 1024)
/* How long a reload lets the old daemon's requests finish. */
#define DRAIN_MS 2000

struct http_server {
	struct http_site site;
	struct http_gen *gen; /* the daemon serving now */
	const struct config *cfg;
	int listen_fd;	      /* owned by gen's daemon */
	unsigned max_connections; /* --web.max-connections, 0 read as 1024 */
	unsigned workers;
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
			/* A backlog that absorbs a burst of connects while every
			 * worker is busy; the kernel caps it at somaxconn. */
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
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

/* Raises RLIMIT_NOFILE's soft limit (to the hard one) when
 * --web.max-connections needs more; refuses when even the hard one is too
 * low for a value above the default (1024). At the default, a low hard
 * limit is no reason not to start: connections past it are refused. */
static int fit_nofile(unsigned max_connections, struct errmsg *e)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0; /* cannot tell: libmicrohttpd refuses what it cannot accept */
	rlim_t need = (rlim_t)max_connections + NOFILE_RESERVE;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need && max_connections > 1024) {
		errmsg_set(e,
			   "--web.max-connections=%u needs %llu open files, above this process's hard"
			   " limit of %llu (ulimit -Hn): lower the flag or raise the limit",
			   max_connections, (unsigned long long)need,
			   (unsigned long long)rl.rlim_max);
		return -EMFILE;
	}
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		int err = errno;
		errmsg_set(e, "--web.max-connections=%u: cannot raise the open files limit to %llu: %s",
			   max_connections, (unsigned long long)rl.rlim_cur, strerror(err));
		return -err;
	}
	return 0;
}

/* libmicrohttpd's workers: one per CPU, 2 to 8 (they only parse and send). */
static unsigned pool_size(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < MIN_WORKERS)
		return MIN_WORKERS;
	return cpus > MAX_WORKERS ? MAX_WORKERS : (unsigned)cpus;
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

static void gen_free(struct http_gen *g)
{
	if (!g)
		return;
	routes_gen_fini(g);
	web_config_free(g->web);
	free(g);
}

/* Reads --web.config.file into a new generation (no daemon yet). */
static int gen_load(struct http_server *h, struct http_gen **out, struct errmsg *e)
{
	struct http_gen *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->site = &h->site;
	int irc = routes_gen_init(g);
	if (irc) {
		free(g);
		return irc;
	}
	const char *path = h->cfg->web_config_file;
	if (path) {
		int rc = web_config_load(path, &g->web, e);
		if (rc) {
			gen_free(g);
			return rc;
		}
		const struct web_tls *t = web_config_tls(g->web);
		if (t->enabled && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			errmsg_set(e, "--web.config.file=%s: tls_server_config: this libmicrohttpd is"
				      " built without TLS support", path);
			gen_free(g);
			return -ENOTSUP;
		}
		if (t->enabled)
			tls_priorities(t, g->priorities, sizeof(g->priorities));
	}
	*out = g;
	return 0;
}

/* Whether fd is still the socket whose inode was ino (libmicrohttpd closes
 * the listening socket on some start failures, not on others). */
static bool still_open(int fd, ino_t ino)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_ino == ino;
}

/* Starts g's daemon on listen_fd, which it then owns (closed here if the
 * start fails). */
static int gen_start(struct http_server *h, struct http_gen *g, int listen_fd, struct errmsg *e)
{
	const struct config *cfg = h->cfg;
	const struct web_tls *tls = g->web ? web_config_tls(g->web) : NULL;
	bool use_tls = tls && tls->enabled;
	/* TLS options go in an array so the plain-HTTP call stays the same. */
	struct MHD_OptionItem tls_opts[] = {
		{use_tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0,
		 use_tls ? tls->cert_pem : NULL},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, use_tls ? tls->key_pem : NULL},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, g->priorities},
		{MHD_OPTION_END, 0, NULL},
	};
	struct stat st;
	ino_t ino = fstat(listen_fd, &st) == 0 ? st.st_ino : 0;
	atomic_store(&g->starting, true);
	g->start_error[0] = '\0';
	g->daemon = MHD_start_daemon(
		MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			MHD_ALLOW_SUSPEND_RESUME | /* with ITC: MHD_quiesce_daemon too */
			(use_tls ? MHD_USE_TLS : 0),
		0, NULL, NULL, routes_request, g, MHD_OPTION_EXTERNAL_LOGGER, routes_log, g,
		MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_THREAD_POOL_SIZE, h->workers,
		MHD_OPTION_CONNECTION_LIMIT, h->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, routes_completed, g,
		MHD_OPTION_NOTIFY_CONNECTION, routes_connection, g,
		MHD_OPTION_UNESCAPE_CALLBACK, routes_unescape, g,
		MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	atomic_store(&g->starting, false);
	if (g->daemon)
		return 0;
	if (ino && still_open(listen_fd, ino))
		close(listen_fd);
	if (use_tls)
		errmsg_set(e, "--web.config.file=%s: tls_server_config: cannot start HTTPS on %s: %s",
			   cfg->web_config_file, cfg->listen_address,
			   g->start_error[0] ? g->start_error
					     : "libmicrohttpd refused the certificate or key");
	else
		errmsg_set(e, "--web.listen-address: cannot start the HTTP server on %s%s%s",
			   cfg->listen_address, g->start_error[0] ? ": " : "", g->start_error);
	return -EIO;
}

/* Logs what the web config turned on, once its daemon runs. */
static void log_web_config(struct http_server *h, const struct http_gen *g, const char *msg)
{
	const struct web_tls *t = web_config_tls(g->web);
	struct basic_auth *auth = web_config_auth(g->web);
	char users[24];
	snprintf(users, sizeof(users), "%zu", auth ? basic_auth_users(auth) : 0);
	log_kv(h->site.log, LOG_INFO, msg, "file", h->cfg->web_config_file, "tls",
	       t->enabled ? "true" : "false", "tls_priorities", t->enabled ? g->priorities : "",
	       "basic_auth_users", users, NULL);
	if (web_config_http2_requested(g->web))
		log_kv(h->site.log, LOG_INFO,
		       "http_server_config.http2 ignored: libmicrohttpd serves HTTP/1.1 only", NULL);
}

/* Stops g's daemon: logins waiting for bcrypt give up at once, jobs
 * running finish, every connection closes. */
static void gen_stop(struct http_gen *g)
{
	if (!g)
		return;
	routes_stop_jobs(g);
	if (g->daemon)
		MHD_stop_daemon(g->daemon);
	gen_free(g);
}

static void free_server(struct http_server *h)
{
	deadline_stop(h->site.deadline);
	free(h);
}

int http_start(const struct config *cfg, struct scraper *s, struct explain_page *explain,
	       struct logger *log, struct http_server **out, struct errmsg *e)
{
	if (cfg->telemetry_path[0] != '/' || strcmp(cfg->telemetry_path, "/") == 0 ||
	    strcmp(cfg->telemetry_path, "/healthz") == 0) {
		errmsg_set(e, "--web.telemetry-path: \"%s\" must start with / and not be / or /healthz",
			   cfg->telemetry_path);
		return -EINVAL;
	}
	unsigned max_connections = cfg->max_connections ? cfg->max_connections : 1024;
	int rc = fit_nofile(max_connections, e);
	if (rc)
		return rc;
	struct http_server *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = cfg;
	h->max_connections = max_connections;
	h->site.scraper = s;
	h->site.log = log;
	h->site.telemetry_path = cfg->telemetry_path;
	h->site.max_requests = cfg->max_requests;
	atomic_init(&h->site.in_flight, 0);
	h->workers = pool_size();
	h->listen_fd = -1;
	h->site.explain = explain;
	rc = gen_load(h, &h->gen, e);
	if (rc == 0) {
		rc = deadline_start(cfg->read_timeout_s, cfg->connection_timeout_s,
				    &h->site.deadline);
		if (rc)
			errmsg_set(e, "--web.read-timeout: cannot start its watchdog: %s",
				   strerror(-rc));
	}
	if (rc == 0) {
		h->listen_fd = listen_on(cfg->listen_address, e);
		rc = h->listen_fd < 0 ? h->listen_fd : 0;
	}
	if (rc == 0)
		rc = gen_start(h, h->gen, h->listen_fd, e);
	if (rc) {
		gen_free(h->gen);
		free_server(h);
		return rc;
	}
	char workers[16];
	snprintf(workers, sizeof(workers), "%u", h->workers);
	log_kv(log, LOG_DEBUG, "http workers", "workers", workers, NULL);
	if (h->gen->web)
		log_web_config(h, h->gen, "web config loaded");
	*out = h;
	return 0;
}

/* Waits until g has no request in progress, at most DRAIN_MS. */
static void drain(struct http_gen *g)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	for (int waited = 0; atomic_load(&g->active) && waited < DRAIN_MS; waited += 10)
		nanosleep(&tick, NULL);
}

int http_reload(struct http_server *h)
{
	struct logger *log = h->site.log;
	const char *path = h->cfg->web_config_file;
	if (!path) {
		log_kv(log, LOG_INFO, "reload: no --web.config.file, nothing to reload", NULL);
		return 0;
	}
	struct errmsg e = {{0}};
	struct http_gen *g = NULL;
	int rc = gen_load(h, &g, &e);
	int fd = -1;
	if (rc == 0) {
		fd = fcntl(h->listen_fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			errmsg_set(&e, "--web.config.file=%s: cannot share the listening socket: %s",
				   path, strerror(errno));
		}
	}
	if (rc == 0)
		rc = gen_start(h, g, fd, &e);
	if (rc) {
		log_kv(log, LOG_ERROR, "web config reload failed; keeping the previous one", "err",
		       e.msg[0] ? e.msg : strerror(-rc), NULL);
		gen_free(g);
		return rc;
	}
	/* The new daemon accepts on its copy of the socket; the old one stops
	 * accepting, finishes what it serves, and goes. */
	struct http_gen *old = h->gen;
	MHD_socket old_fd = MHD_quiesce_daemon(old->daemon);
	if (old_fd != MHD_INVALID_SOCKET)
		close(old_fd);
	h->gen = g;
	h->listen_fd = fd;
	log_web_config(h, g, "web config reloaded");
	drain(old);
	gen_stop(old);
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	gen_stop(h->gen); /* closes listen_fd too: its daemon owns it */
	free_server(h);
}
