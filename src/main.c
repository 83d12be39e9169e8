/* main: wiring only. Parses flags, sets up logging, the collectors and the
 * HTTP server, then waits for signals: SIGTERM/SIGINT shut down cleanly,
 * SIGHUP reloads the web config, other stray ones are logged and ignored.
 * The explain subcommand is handed to explain.c. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/explain/explain.h"
#include "memacct/cli/flags.h"
#include "memacct/http/http.h"
#include "memacct/jetstream/jetstream.h"
#include "memacct/util/log.h"
#include "memacct/collectors/scrape.h"

static int serve(const struct config *cfg, struct logger *log)
{
	struct errmsg e = {{0}};
	struct scraper *s = NULL;
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

	struct explain_sources src = {0};
	int rc = scraper_new(cfg, log, &s, &e);
	if (rc == 0) {
		src.streams_arg = scraper_collector_state(s, "jetstream");
		src.streams = src.streams_arg ? jetstream_explain_streams : NULL;
		rc = http_start(cfg, s, &src, log, &h, &e);
	}
	if (rc) {
		fprintf(stderr, "memacct_exporter: %s\n", e.msg[0] ? e.msg : strerror(-rc));
		scraper_free(s);
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
	scraper_free(s);
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
	int rc = cfg.mode == MODE_EXPLAIN ? explain_run(&cfg, stdout, &e) : serve(&cfg, &log);
	if (cfg.mode == MODE_EXPLAIN && rc)
		fprintf(stderr, "memacct_exporter explain: %s\n", e.msg[0] ? e.msg : strerror(-rc));
	logger_fini(&log);
	return rc ? 1 : 0;
}
