/* main: wiring only. Parses flags, sets up logging and what is shared, once
 * (the cgroup scope; the JetStream poller), hands it to the collectors, the
 * /explain page and the explain subcommand, starts the HTTP server and the
 * poller, then waits for signals: SIGTERM/SIGINT shut down cleanly, SIGHUP
 * reloads the web config, other stray ones are logged and ignored. It reads
 * no files itself. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "memacct/cgroup/cgroup_cache.h"
#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/cli/flags.h"
#include "memacct/collectors/collector.h"
#include "memacct/collectors/scrape.h"
#include "memacct/explain/explain.h"
#include "memacct/explain/explain_page.h"
#include "memacct/http/http.h"
#include "memacct/jetstream/jetstream_setup.h"
#include "memacct/util/log.h"

/* The soft RLIMIT_NOFILE up to the hard one: the cgroup cache holds files
 * open across scrapes (its cap is derived from the soft limit). */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int serve(const struct config *cfg, struct logger *log, const struct cgroup_scope *scope)
{
	struct errmsg e = {{0}};
	struct scraper *s = NULL;
	struct explain_page *page = NULL;
	struct http_server *h = NULL;
	/* Blocked before any thread starts, so only sigwait() sees them:
	 * SIGTERM/SIGINT stop, SIGHUP reloads the web config, and the signals
	 * whose default is to end the process without a fault behind them
	 * (a stray kill -USR1, an alarm) are logged and ignored. SIGQUIT and
	 * the fault signals keep their default. */
	static const int waited[] = {SIGTERM, SIGINT,	 SIGHUP,  SIGUSR1,   SIGUSR2, SIGALRM,
				     SIGIO,   SIGPROF, SIGVTALRM, SIGPWR, SIGSTKFLT};
	sigset_t sigs;
	sigemptyset(&sigs);
	for (size_t i = 0; i < sizeof(waited) / sizeof(waited[0]); i++)
		sigaddset(&sigs, waited[i]);
	for (int rt = SIGRTMIN; rt <= SIGRTMAX; rt++)
		sigaddset(&sigs, rt);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The JetStream poller: built once (with --nats.url and the jetstream
	 * collector on), lent to the collector and /explain, started last. */
	struct js_poller *poller = NULL;
	int rc = 0;
	if (scraper_collector_on(cfg, "jetstream"))
		rc = jetstream_setup(cfg, log, &poller, &e);
	struct collector_env env = {.cfg = cfg, .log = log, .scope = scope, .poller = poller};
	if (rc == 0 && scope)
		rc = cgroup_cache_new(scope, cfg->cgroup_max_open_files, cfg->max_connections, false,
				      &env.cgroup_cache, &e);
	if (rc == 0)
		rc = scraper_new(&env, &s, &e);
	if (rc == 0 && scope) {
		struct explain_sources src = {0};
		src.streams_arg = poller;
		src.streams = poller ? jetstream_explain_streams : NULL;
		rc = explain_page_new(cfg, scope, &src, &page, &e);
	}
	if (rc == 0)
		rc = http_start(cfg, s, page, log, &h, &e);
	if (rc == 0 && poller) {
		rc = js_poller_start(poller);
		if (rc)
			errmsg_set(&e, "cannot start the JetStream poller thread: %s",
				   strerror(-rc));
	}
	if (rc) {
		fprintf(stderr, "memacct_exporter: %s\n", e.msg[0] ? e.msg : strerror(-rc));
		http_stop(h);
		explain_page_free(page);
		scraper_free(s);
		js_poller_free(poller);
		cgroup_cache_free(env.cgroup_cache);
		return 1;
	}
	log_kv(log, LOG_INFO, "listening", "address", cfg->listen_address, "version",
	       MEMACCT_VERSION, NULL);
	int sig = 0;
	char name[32];
	for (;;) {
		sigwait(&sigs, &sig);
		if (sig >= SIGRTMIN && sig <= SIGRTMAX)
			snprintf(name, sizeof(name), "SIGRTMIN+%d", sig - SIGRTMIN);
		else
			snprintf(name, sizeof(name), "SIG%s", sigabbrev_np(sig));
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			http_reload(h);
		else
			log_kv(log, LOG_WARN, "signal ignored", "signal", name, NULL);
	}
	log_kv(log, LOG_INFO, "shutting down", "signal", name, NULL);
	http_stop(h);
	explain_page_free(page);
	scraper_free(s);
	js_poller_free(poller);
	cgroup_cache_free(env.cgroup_cache);
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct errmsg e = {{0}};
	if (flags_parse(&cfg, argc, argv, &e)) {
		fprintf(stderr, "memacct_exporter: %s\n", e.msg);
		return 2;
	}
	if (cfg.mode == MODE_HELP) {
		flags_usage(stdout, "memacct_exporter");
		return 0;
	}
	if (cfg.mode == MODE_VERSION) {
		printf("memacct_exporter %s\n", MEMACCT_VERSION);
		return 0;
	}
	struct logger log;
	if (logger_init(&log, cfg.log_level, cfg.log_format, stderr, &e)) {
		fprintf(stderr, "memacct_exporter: %s\n", e.msg);
		return 2;
	}
	/* The cgroup root, filter and pod names: found once, lent to the
	 * collectors, /explain and explain. Not needed (and not required to
	 * exist) when both cgroup collectors are off. */
	struct cgroup_scope scope;
	bool want_scope = cfg.mode == MODE_EXPLAIN || scraper_collector_on(&cfg, "cgroup") ||
			  scraper_collector_on(&cfg, "process") ||
			  scraper_collector_on(&cfg, "pagecache");
	int rc = want_scope ? cgroup_scope_init(&scope, &cfg, &e) : 0;
	if (rc) {
		fprintf(stderr, "memacct_exporter%s: %s\n", cfg.mode == MODE_EXPLAIN ? " explain" : "",
			e.msg[0] ? e.msg : strerror(-rc));
		logger_fini(&log);
		return 1;
	}
	const struct cgroup_scope *sp = want_scope ? &scope : NULL;
	if (cfg.mode == MODE_EXPLAIN) {
		rc = explain_run(&cfg, sp, stdout, &e);
		if (rc)
			fprintf(stderr, "memacct_exporter explain: %s\n",
				e.msg[0] ? e.msg : strerror(-rc));
	} else {
		raise_nofile();
		rc = serve(&cfg, &log, sp);
	}
	if (want_scope)
		cgroup_scope_fini(&scope);
	logger_fini(&log);
	return rc ? 1 : 0;
}
