/* flags: parses argv into struct config, node_exporter style, from one table
 * that also writes --help. It checks syntax and ranges only; paths and
 * regexes are checked by whoever uses them (main, the collectors' init). */
#include "memacct/cli/flags.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/parse.h"

enum flag_kind { F_STR, F_UINT, F_INT, F_BOOL, F_DURATION };

struct flag_def {
	const char *name;
	enum flag_kind kind;
	size_t off;
	const char *help;
};

#define STR(n, field, h) {n, F_STR, offsetof(struct config, field), h}
#define UINT(n, field, h) {n, F_UINT, offsetof(struct config, field), h}
#define INT(n, field, h) {n, F_INT, offsetof(struct config, field), h}
#define BOOL(n, field, h) {n, F_BOOL, offsetof(struct config, field), h}
#define DUR(n, field, h) {n, F_DURATION, offsetof(struct config, field), h}

static const struct flag_def flag_table[] = {
	STR("web.listen-address", listen_address, "Address to listen on ([host]:port)."),
	STR("web.telemetry-path", telemetry_path, "Path under which metrics are served."),
	STR("web.config.file", web_config_file,
	    "exporter-toolkit web config file (YAML): TLS cert/key and versions, response"
	    " headers, basic_auth_users with bcrypt hashes. Read at start-up and on SIGHUP."),
	UINT("web.max-requests", max_requests,
	     "Concurrent scrapes served before answering 503 (0: no limit); a scrape counts"
	     " until its body is sent."),
	UINT("web.max-connections", max_connections,
	     "Open HTTP connections accepted (0: the default, 1024); the open files limit is"
	     " raised to fit, or the exporter refuses to start."),
	UINT("web.max-connections-per-ip", max_connections_per_ip,
	     "Open HTTP connections accepted from one client address (0: no limit)."),
	DUR("web.connection-timeout", connection_timeout_s,
	    "Idle HTTP connections are closed after this long (0: never)."),
	DUR("web.read-timeout", read_timeout_s,
	    "A request (line, headers, body) must arrive within this long of the connection"
	    " opening or, kept alive, of the idle timeout after the last reply (0: no limit)."),
	STR("log.level", log_level, "Only log messages with this level or above: debug|info|warn|error."),
	STR("log.format", log_format, "Log format: logfmt|json."),
	STR("path.procfs", procfs, "procfs mount point (a host /proc mounted in a container)."),
	STR("path.sysfs", sysfs, "sysfs mount point."),
	STR("path.cgroupfs", cgroupfs,
	    "cgroup root to walk (default: the memory controller's mount found through libcgroup,"
	    " else /sys/fs/cgroup). Any directory tree with cgroup files works."),
	STR("path.podlogs", podlogs,
	    "A mounted /var/log to map container ids to namespace/pod/container."),
	STR("collector.cgroup.include", cgroup_include,
	    "POSIX extended regex; only cgroup paths matching it are exported."),
	STR("collector.cgroup.exclude", cgroup_exclude,
	    "POSIX extended regex; cgroup paths matching it are not exported."),
	INT("collector.cgroup.max-depth", cgroup_max_depth,
	    "Deepest cgroup level walked (0: the root only; -1: no limit)."),
	STR("collector.cgroup.levels", cgroup_levels,
	    "Hierarchy levels exported by the cgroup and process collectors, comma separated:"
	    " root, kubepods, qos, pod, container, other, or all (default)."),
	STR("collector.cgroup.families", cgroup_families,
	    "Per-cgroup metric families exported, comma separated: split, usage, limits,"
	    " pressure, events, reclaim, file, peak, swap, or all (default: split,usage,limits,"
	    "pressure)."),
	UINT("collector.cgroup.max-open-files", cgroup_max_open_files,
	     "Cgroup files held open across scrapes and re-read with pread instead of"
	     " open/read/close (each ~4 KiB of kernel memory charged to the exporter's cgroup;"
	     " 0: none; also capped by RLIMIT_NOFILE). Default 4096."),
	UINT("collector.pagecache.top", pagecache_top,
	     "With --collector.pagecache: the files per container exported (default 5)."),
	BOOL("collector.process.pss", process_pss,
	     "Also read /proc/PID/smaps_rollup for PSS (about 3x the cost of status)."),
	STR("nats.url", nats_urls, "NATS server URL(s), comma separated; enables the jetstream collector."),
	STR("nats.creds", nats_creds, "NATS credentials (.creds) file."),
	STR("nats.nkey", nats_nkey, "NATS nkey seed file."),
	STR("nats.user", nats_user, "NATS user name."),
	STR("nats.password", nats_password,
	    "NATS password (prefer --nats.password-file or MEMACCT_NATS_PASSWORD)."),
	STR("nats.password-file", nats_password_file, "File holding the NATS password."),
	STR("nats.token", nats_token,
	    "NATS authentication token (prefer --nats.token-file or MEMACCT_NATS_TOKEN)."),
	STR("nats.token-file", nats_token_file, "File holding the NATS token."),
	STR("nats.tls.ca", nats_tls_ca, "CA bundle to verify the NATS server."),
	STR("nats.tls.cert", nats_tls_cert, "Client certificate for NATS TLS."),
	STR("nats.tls.key", nats_tls_key, "Client key for NATS TLS."),
	DUR("nats.poll-interval", nats_poll_interval_s, "How often JetStream is polled."),
	DUR("nats.poll-timeout", nats_poll_timeout_s, "Time budget of one JetStream poll."),
	DUR("nats.stale-after", nats_stale_after_s,
	    "Drop stream metrics after polls failed this long (0: keep the last values)."),
	STR("nats.stream-include", nats_stream_include, "POSIX extended regex on stream names to export."),
	STR("nats.stream-exclude", nats_stream_exclude, "POSIX extended regex on stream names to skip."),
	UINT("nats.max-streams", nats_max_streams,
	     "Export at most this many streams, the first names in byte order "
	     "(default 2000; 0: up to 1000000)."),
	STR("nats.consumer-include", nats_consumer_include,
	    "POSIX extended regex on consumer names to export."),
	STR("nats.consumer-exclude", nats_consumer_exclude,
	    "POSIX extended regex on consumer names to skip."),
	UINT("nats.max-consumers", nats_max_consumers,
	     "Export at most this many consumers, the first in (stream, consumer) name order "
	     "(default 2000; 0: up to 1000000)."),
	STR("nats.domain", nats_domain,
	    "JetStream domain to poll (a leaf node's): its API is $JS.<domain>.API."),
	STR("nats.api-prefix", nats_api_prefix,
	    "JetStream API subject prefix (default $JS.API), e.g. an account import's."),
	DUR("watch", explain_watch_s, "explain: refresh every N seconds, showing change since the first sample."),
	BOOL("json", explain_json, "explain: print JSON instead of a table."),
	BOOL("files", explain_files,
	     "explain: which files hold the cgroup's page cache (its processes' open and mapped files)."),
	STR("files-under", explain_files_under,
	    "explain --files: also measure every file below this directory (e.g. a JetStream store)."),
};

static void set_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MODE_SERVE;
	c->listen_address = ":9913";
	c->telemetry_path = "/metrics";
	c->max_requests = 40;
	c->max_connections = 1024;
	c->max_connections_per_ip = 64;
	c->connection_timeout_s = 30;
	c->read_timeout_s = 10;
	c->log_level = "info";
	c->log_format = "logfmt";
	c->procfs = "/proc";
	c->sysfs = "/sys";
	c->cgroup_max_depth = -1;
	c->cgroup_levels = "all";
	c->cgroup_families = FLAGS_DEFAULT_CGROUP_FAMILIES;
	c->cgroup_max_open_files = FLAGS_DEFAULT_CGROUP_MAX_OPEN_FILES;
	c->nats_poll_interval_s = 15;
	c->nats_poll_timeout_s = 10;
	/* A scrape takes about 3.5 KiB per stream: 2,000 fit two concurrent
	 * scrapes in the chart's 64 MiB limit with room for the rest. */
	c->nats_max_streams = 2000;
	/* A consumer takes about 1.8 KiB of a scrape: 2,000 add 3.5 MiB. */
	c->nats_max_consumers = 2000;
}

static const struct flag_def *find_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++)
		if (strncmp(flag_table[i].name, name, len) == 0 && flag_table[i].name[len] == '\0')
			return &flag_table[i];
	return NULL;
}

/* "15", "15s", "2m", "1h" -> seconds. */
static int parse_duration(const char *s, uint64_t *secs)
{
	uint64_t v;
	int rc = parse_u64(&s, &v);
	if (rc)
		return rc;
	uint64_t mul = 1;
	if (*s == 's')
		s++;
	else if (*s == 'm')
		mul = 60, s++;
	else if (*s == 'h')
		mul = 3600, s++;
	if (*s)
		return -EINVAL;
	if (v > UINT32_MAX / mul)
		return -ERANGE;
	*secs = v * mul;
	return 0;
}

static int set_value(struct config *c, const struct flag_def *f, const char *v, struct errmsg *e)
{
	char *base = (char *)c;
	uint64_t u;
	const char *p = v;
	switch (f->kind) {
	case F_STR:
		if (!*v) {
			errmsg_set(e, "--%s: empty value", f->name);
			return -EINVAL;
		}
		*(const char **)(base + f->off) = v;
		return 0;
	case F_BOOL:
		if (strcmp(v, "true") == 0)
			*(bool *)(base + f->off) = true;
		else if (strcmp(v, "false") == 0)
			*(bool *)(base + f->off) = false;
		else
			goto bad;
		return 0;
	case F_UINT:
		if (parse_u64(&p, &u) || *p || u > UINT32_MAX)
			goto bad;
		*(unsigned *)(base + f->off) = (unsigned)u;
		return 0;
	case F_DURATION:
		if (parse_duration(v, &u))
			goto bad;
		*(unsigned *)(base + f->off) = (unsigned)u;
		return 0;
	case F_INT:
		if (strcmp(v, "-1") == 0) {
			*(int *)(base + f->off) = -1;
			return 0;
		}
		if (parse_u64(&p, &u) || *p || u > 1000000)
			goto bad;
		*(int *)(base + f->off) = (int)u;
		return 0;
	}
bad:
	errmsg_set(e, "--%s: invalid value \"%s\"%s", f->name, v,
		   f->kind == F_DURATION ? " (want seconds, or a number with s, m or h)"
		   : f->kind == F_BOOL	 ? " (want true or false)"
					 : " (want a whole number)");
	return -EINVAL;
}

static int add_toggle(struct config *c, const char *name, bool on, struct errmsg *e)
{
	if (!*name || strchr(name, '.') || strchr(name, '=')) {
		errmsg_set(e, "unknown flag --%scollector.%s (see --help)", on ? "" : "no-", name);
		return -EINVAL;
	}
	if (c->n_toggles == FLAGS_MAX_COLLECTOR_TOGGLES) {
		errmsg_set(e, "too many --collector.* flags");
		return -EINVAL;
	}
	c->toggles[c->n_toggles].name = name;
	c->toggles[c->n_toggles].on = on;
	c->n_toggles++;
	return 0;
}

int flags_parse(struct config *c, int argc, char **argv, struct errmsg *e)
{
	set_defaults(c);
	const char *envpw = getenv("MEMACCT_NATS_PASSWORD");
	if (envpw && *envpw)
		c->nats_password = envpw;
	const char *envtok = getenv("MEMACCT_NATS_TOKEN");
	if (envtok && *envtok)
		c->nats_token = envtok;
	int i = 1;
	if (argc > 1 && strcmp(argv[1], "explain") == 0) {
		c->mode = MODE_EXPLAIN;
		i = 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			c->mode = MODE_HELP;
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			c->mode = MODE_VERSION;
			return 0;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (c->mode == MODE_EXPLAIN && !c->explain_target) {
				c->explain_target = a;
				continue;
			}
			errmsg_set(e, "unexpected argument \"%s\" (flags start with --; see --help)", a);
			return -EINVAL;
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag_def *f = find_flag(name, nlen);
		if (!f && !eq && strncmp(name, "no-", 3) == 0) {
			const struct flag_def *nf = find_flag(name + 3, nlen - 3);
			if (nf && nf->kind == F_BOOL) {
				*(bool *)((char *)c + nf->off) = false;
				continue;
			}
		}
		if (!f) {
			if (!eq && strncmp(name, "collector.", 10) == 0) {
				if (add_toggle(c, name + 10, true, e))
					return -EINVAL;
				continue;
			}
			if (!eq && strncmp(name, "no-collector.", 13) == 0) {
				if (add_toggle(c, name + 13, false, e))
					return -EINVAL;
				continue;
			}
			errmsg_set(e, "unknown flag --%.*s (see --help)", (int)nlen, name);
			return -EINVAL;
		}
		const char *v;
		if (eq) {
			v = eq + 1;
		} else if (f->kind == F_BOOL) {
			v = "true";
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			errmsg_set(e, "--%s needs a value", f->name);
			return -EINVAL;
		}
		if (set_value(c, f, v, e))
			return -EINVAL;
	}
	if (c->explain_files_under)
		c->explain_files = true;
	if (c->explain_files && c->explain_watch_s) {
		errmsg_set(e, "--files and --watch: measuring files is a one-off, pick one");
		return -EINVAL;
	}
	return 0;
}

int flags_name_list(const char *flag, const char *list, const char *const *names, size_t n,
		    uint32_t *mask, struct errmsg *e)
{
	uint32_t m = 0;
	const char *p = list;
	if (strcmp(list, "all") == 0) {
		*mask = n >= 32 ? UINT32_MAX : (UINT32_C(1) << n) - 1;
		return 0;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t i;
		for (i = 0; i < n; i++)
			if (strncmp(names[i], p, len) == 0 && names[i][len] == '\0')
				break;
		if (i == n) {
			char known[256];
			size_t k = 0;
			known[0] = '\0';
			for (size_t j = 0; j < n && k < sizeof(known); j++)
				k += (size_t)snprintf(known + k, sizeof(known) - k, "%s, ", names[j]);
			errmsg_set(e, "--%s: unknown name \"%.*s\" (want a comma separated list of %sor all)",
				   flag, (int)len, p, known);
			return -EINVAL;
		}
		m |= UINT32_C(1) << i;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*mask = m;
	return 0;
}

bool flags_collector_on(const struct config *cfg, const char *name, bool default_on)
{
	bool on = default_on;
	for (size_t i = 0; i < cfg->n_toggles; i++)
		if (strcmp(cfg->toggles[i].name, name) == 0)
			on = cfg->toggles[i].on;
	return on;
}

void flags_usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [flags]\n"
		"       %s explain [CGROUP|CONTAINER_ID|POD_UID] [--watch N | --files [--files-under DIR]] [--json] [flags]\n\n"
		"Prometheus exporter that splits each cgroup's memory usage and working set into\n"
		"parts that add up (anon, shmem, active/inactive page cache, kernel), with the\n"
		"processes' own RSS beside them, and JetStream stream sizes and retention.\n\n"
		"Flags (--name=value or --name value):\n",
		argv0, argv0);
	for (size_t i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++) {
		const struct flag_def *d = &flag_table[i];
		const char *arg = d->kind == F_BOOL ? "" : d->kind == F_DURATION ? "=DURATION"
							      : d->kind == F_STR     ? "=STRING"
										     : "=N";
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", d->kind == F_BOOL ? "[no-]" : "", d->name,
			 arg);
		fprintf(f, "  %-36s %s\n", left, d->help);
	}
	fprintf(f, "  %-36s %s\n", "--[no-]collector.NAME",
		"Enable or disable a collector: cgroup, process, node, jetstream, self.");
	fprintf(f, "  %-36s %s\n", "--version", "Print the version and exit.");
	fprintf(f, "  %-36s %s\n", "--help", "Print this help and exit.");
}
