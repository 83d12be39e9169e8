/* main: wiring only. Parses flags, sets up logging and what is shared (the
 * cgroup scope, once), hands it to the collectors, the /explain page and
 * the explain subcommand, starts the HTTP server, then waits for
 * SIGTERM/SIGINT and shuts down cleanly. It reads no files itself. */
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
#include "memacct/jetstream/jetstream.h"
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
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	/* Blocked before any thread starts, so only sigwait() sees them. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct collector_env env = {.cfg = cfg, .log = log, .scope = scope};
	int rc = scope ? cgroup_cache_new(scope, cfg->cgroup_max_open_files, cfg->max_connections,
					  false, &env.cgroup_cache, &e)
		       : 0;
	if (rc == 0)
		rc = scraper_new(&env, &s, &e);
	if (rc == 0 && scope) {
		struct explain_sources src = {0};
		src.streams_arg = scraper_collector_state(s, "jetstream");
		src.streams = src.streams_arg ? jetstream_explain_streams : NULL;
		rc = explain_page_new(cfg, scope, &src, &page, &e);
	}
	if (rc == 0)
		rc = http_start(cfg, s, page, log, &h, &e);
	if (rc) {
		fprintf(stderr, "memacct_exporter: %s\n", e.msg[0] ? e.msg : strerror(-rc));
		explain_page_free(page);
		scraper_free(s);
		cgroup_cache_free(env.cgroup_cache);
		return 1;
	}
	log_kv(log, LOG_INFO, "listening", "address", cfg->listen_address, "version",
	       MEMACCT_VERSION, NULL);
	int sig = 0;
	sigwait(&sigs, &sig);
	log_kv(log, LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
	       NULL);
	http_stop(h);
	explain_page_free(page);
	scraper_free(s);
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
