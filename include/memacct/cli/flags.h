/* flags: the command line, parsed into one immutable struct config.
 * node_exporter's style: --name=value or --name value, --[no-]collector.NAME.
 * It does not open files or check paths (main and the collectors' init do);
 * it checks syntax and ranges and names the flag in its error message. */
#ifndef MEMACCT_FLAGS_H
#define MEMACCT_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memacct/util/errmsg.h"

#define FLAGS_MAX_COLLECTOR_TOGGLES 16

/* The cgroup collector's families on by default (README, "What it exports"). */
#define FLAGS_DEFAULT_CGROUP_FAMILIES "split,usage,limits,pressure"
/* --collector.cgroup.max-open-files: ~17 MiB of kernel memory at most. */
#define FLAGS_DEFAULT_CGROUP_MAX_OPEN_FILES 4096

enum run_mode { MODE_SERVE, MODE_EXPLAIN, MODE_HELP, MODE_VERSION };

struct collector_toggle {
	const char *name; /* borrowed from argv */
	bool on;
};

struct config {
	enum run_mode mode;

	/* serving */
	const char *listen_address;	/* ":9913" */
	const char *telemetry_path;	/* "/metrics" */
	const char *web_config_file;	/* NULL: plain HTTP, no auth */
	unsigned max_requests;		/* concurrent scrapes before 503 */
	unsigned max_connections;	/* open connections libmicrohttpd accepts */
	unsigned max_connections_per_ip; /* of them from one client address; 0: no cap */
	unsigned connection_timeout_s;	/* idle connection timeout */
	unsigned read_timeout_s;	/* a request must arrive within this; 0: no deadline */
	const char *log_level;		/* debug|info|warn|error */
	const char *log_format;		/* logfmt|json */

	/* paths */
	const char *procfs;	/* "/proc" */
	const char *sysfs;	/* "/sys" */
	const char *cgroupfs;	/* NULL: discovered through libcgroup */
	const char *podlogs;	/* NULL: no pod names */

	/* cgroup and process collectors */
	const char *cgroup_include; /* POSIX ERE on the cgroup path, NULL: all */
	const char *cgroup_exclude; /* NULL: none */
	int cgroup_max_depth;	    /* -1: unlimited; 0: the root only */
	const char *cgroup_levels;  /* comma list of cgroup_level_names, or "all" */
	const char *cgroup_families; /* comma list of the cgroup collector's families */
	unsigned cgroup_max_open_files; /* cgroup files held open across scrapes; 0: none */
	bool process_pss;

	struct collector_toggle toggles[FLAGS_MAX_COLLECTOR_TOGGLES];
	size_t n_toggles;

	/* jetstream collector (on when nats_urls is set) */
	const char *nats_urls;	/* comma separated */
	const char *nats_creds;
	const char *nats_nkey;	/* seed file */
	const char *nats_user;
	const char *nats_password; /* literal; see also _file and env */
	const char *nats_password_file;
	const char *nats_token;	/* literal, or MEMACCT_NATS_TOKEN; see also _file */
	const char *nats_token_file;
	const char *nats_tls_ca;
	const char *nats_tls_cert;
	const char *nats_tls_key;
	unsigned nats_poll_interval_s;	/* 15 */
	unsigned nats_poll_timeout_s;	/* 10 */
	unsigned nats_stale_after_s;	/* 0: keep stale values; else drop after */
	const char *nats_stream_include;
	const char *nats_stream_exclude;
	unsigned nats_max_streams;	/* 2000; 0: up to JS_MAX_STREAMS_HARD */
	const char *nats_consumer_include;
	const char *nats_consumer_exclude;
	unsigned nats_max_consumers;	/* 2000; 0: up to JS_MAX_CONSUMERS_HARD */
	const char *nats_domain;	/* JetStream domain: API prefix $JS.<domain>.API */
	const char *nats_api_prefix;	/* API prefix; NULL: $JS.API */

	/* explain */
	const char *explain_target; /* NULL: all cgroups */
	unsigned explain_watch_s;   /* 0: once */
	bool explain_json;
	unsigned pagecache_top; /* --collector.pagecache.top; 0: 5 */
	bool explain_files;		 /* --files: page cache per file */
	const char *explain_files_under; /* --files-under=DIR (implies --files) */
};

/* Fills cfg with defaults, then argv. Returns 0, or -EINVAL with e naming the
 * flag. Pointers in cfg borrow from argv (and from the environment for
 * MEMACCT_NATS_PASSWORD and MEMACCT_NATS_TOKEN). */
int flags_parse(struct config *cfg, int argc, char **argv, struct errmsg *e);
/* Writes --help text to f. */
void flags_usage(FILE *f, const char *argv0);
/* Parses list, the value of --flag: comma separated names out of names[0..n)
 * (n <= 32), or "all" alone. Bit i of *mask is names[i]. -EINVAL with e
 * naming the flag, the unknown (or empty) name and the valid ones. */
int flags_name_list(const char *flag, const char *list, const char *const *names, size_t n,
		    uint32_t *mask, struct errmsg *e);
/* Collector enablement after --collector.X / --no-collector.X: returns the
 * last toggle for name, or default_on when none names it. */
bool flags_collector_on(const struct config *cfg, const char *name, bool default_on);

#endif
