/* Unit tests for flags.h: defaults, both value forms, collector toggles and
 * flags_collector_on, the exact error messages for unknown flags, missing
 * and bad values, durations, the explain subcommand, --help/--version and
 * MEMACCT_NATS_PASSWORD. It does not check paths or regexes (their users
 * do). */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/cli/flags.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int parse(struct config *c, int argc, char **argv, struct errmsg *e)
{
	memset(e, 0, sizeof(*e));
	memset(c, 0x5a, sizeof(*c)); /* every default must be written */
	return flags_parse(c, argc, argv, e);
}

/* Parses argv, which must fail with exactly msg. */
static void check_error(int argc, char **argv, const char *msg)
{
	struct config c;
	struct errmsg e;
	int rc = parse(&c, argc, argv, &e);
	if (rc != -EINVAL || strcmp(e.msg, msg) != 0)
		print_error("argv[1]=\"%s\": want -EINVAL \"%s\", got %d \"%s\"\n",
			    argc > 1 ? argv[1] : "", msg, rc, e.msg);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(e.msg, msg);
}

static void test_defaults(void **state)
{
	(void)state;
	unsetenv("MEMACCT_NATS_PASSWORD");
	char *argv[] = {"memacct_exporter"};
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, ARGC(argv), argv, &e), 0);
	assert_int_equal(c.mode, MODE_SERVE);
	assert_string_equal(c.listen_address, ":9913");
	assert_string_equal(c.telemetry_path, "/metrics");
	assert_null(c.web_config_file);
	assert_int_equal(c.max_requests, 40);
	assert_int_equal(c.max_connections, 1024);
	assert_int_equal(c.max_connections_per_ip, 64);
	assert_int_equal(c.connection_timeout_s, 30);
	assert_int_equal(c.read_timeout_s, 10);
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.log_format, "logfmt");
	assert_string_equal(c.procfs, "/proc");
	assert_string_equal(c.sysfs, "/sys");
	assert_null(c.cgroupfs);
	assert_null(c.podlogs);
	assert_null(c.cgroup_include);
	assert_null(c.cgroup_exclude);
	assert_int_equal(c.cgroup_max_depth, -1);
	assert_string_equal(c.cgroup_levels, "all");
	assert_string_equal(c.cgroup_families, "split,usage,limits,pressure");
	assert_false(c.process_pss);
	assert_int_equal(c.n_toggles, 0);
	assert_null(c.nats_urls);
	assert_null(c.nats_creds);
	assert_null(c.nats_nkey);
	assert_null(c.nats_user);
	assert_null(c.nats_password);
	assert_null(c.nats_password_file);
	assert_null(c.nats_token);
	assert_null(c.nats_tls_ca);
	assert_null(c.nats_tls_cert);
	assert_null(c.nats_tls_key);
	assert_int_equal(c.nats_poll_interval_s, 15);
	assert_int_equal(c.nats_poll_timeout_s, 10);
	assert_int_equal(c.nats_stale_after_s, 0);
	assert_null(c.nats_stream_include);
	assert_null(c.nats_stream_exclude);
	assert_int_equal(c.nats_max_streams, 2000);
	assert_null(c.explain_target);
	assert_int_equal(c.explain_watch_s, 0);
	assert_false(c.explain_json);
	assert_true(flags_collector_on(&c, "cgroup", true));
	assert_false(flags_collector_on(&c, "jetstream", false));
}

static void test_value_forms(void **state)
{
	(void)state;
	char *argv[] = {"x",
			"--web.listen-address=127.0.0.1:9100",
			"--web.telemetry-path",
			"/m",
			"--path.procfs=/host/proc",
			"--path.cgroupfs",
			"/host/sys/fs/cgroup",
			"--web.max-requests=0",
			"--web.max-connections",
			"7",
			"--web.max-connections-per-ip=0",
			"--web.read-timeout",
			"2m",
			"--log.level=debug",
			"--log.format",
			"json",
			"--collector.cgroup.include=^/kubepods",
			"--collector.cgroup.exclude",
			"a=b",
			"--collector.cgroup.max-depth=0",
			"--nats.url=nats://a:4222,nats://b:4222",
			"--nats.max-streams",
			"4294967295",
			"--nats.stream-include==x="};
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, ARGC(argv), argv, &e), 0);
	assert_string_equal(c.listen_address, "127.0.0.1:9100");
	assert_string_equal(c.telemetry_path, "/m");
	assert_string_equal(c.procfs, "/host/proc");
	assert_string_equal(c.cgroupfs, "/host/sys/fs/cgroup");
	assert_int_equal(c.max_requests, 0);
	assert_int_equal(c.max_connections, 7);
	assert_int_equal(c.max_connections_per_ip, 0);
	assert_int_equal(c.read_timeout_s, 120);
	assert_string_equal(c.log_level, "debug");
	assert_string_equal(c.log_format, "json");
	assert_string_equal(c.cgroup_include, "^/kubepods");
	assert_string_equal(c.cgroup_exclude, "a=b");
	assert_int_equal(c.cgroup_max_depth, 0);
	assert_string_equal(c.nats_urls, "nats://a:4222,nats://b:4222");
	assert_int_equal(c.nats_max_streams, 4294967295u);
	assert_string_equal(c.nats_stream_include, "=x="); /* split at the first '=' */
	assert_int_equal(c.n_toggles, 0);		     /* collector.cgroup.* are not toggles */
	/* Values borrow from argv. */
	assert_ptr_equal(c.telemetry_path, argv[3]);
	assert_ptr_equal(c.listen_address, argv[1] + strlen("--web.listen-address="));
}

/* The last occurrence wins. */
static void test_repeated_flag(void **state)
{
	(void)state;
	char *argv[] = {"x", "--log.level=warn", "--log.level", "error"};
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, ARGC(argv), argv, &e), 0);
	assert_string_equal(c.log_level, "error");
}

static void test_max_depth(void **state)
{
	(void)state;
	struct config c;
	struct errmsg e;
	char *a1[] = {"x", "--collector.cgroup.max-depth=-1"};
	assert_int_equal(parse(&c, ARGC(a1), a1, &e), 0);
	assert_int_equal(c.cgroup_max_depth, -1);
	char *a2[] = {"x", "--collector.cgroup.max-depth", "3"};
	assert_int_equal(parse(&c, ARGC(a2), a2, &e), 0);
	assert_int_equal(c.cgroup_max_depth, 3);
	char *a3[] = {"x", "--collector.cgroup.max-depth=-2"};
	check_error(ARGC(a3), a3,
		    "--collector.cgroup.max-depth: invalid value \"-2\" (want a whole number)");
	char *a4[] = {"x", "--collector.cgroup.max-depth=1000001"};
	check_error(ARGC(a4), a4,
		    "--collector.cgroup.max-depth: invalid value \"1000001\" (want a whole number)");
}

static void test_toggles(void **state)
{
	(void)state;
	char *argv[] = {"x", "--no-collector.cgroup", "--collector.node", "--collector.cgroup",
			"--no-collector.jetstream"};
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, ARGC(argv), argv, &e), 0);
	assert_int_equal(c.n_toggles, 4);
	assert_string_equal(c.toggles[0].name, "cgroup");
	assert_false(c.toggles[0].on);
	assert_string_equal(c.toggles[1].name, "node");
	assert_true(c.toggles[1].on);
	/* Last toggle for a name wins; untoggled names keep their default. */
	assert_true(flags_collector_on(&c, "cgroup", false));
	assert_true(flags_collector_on(&c, "cgroup", true));
	assert_true(flags_collector_on(&c, "node", false));
	assert_false(flags_collector_on(&c, "jetstream", true));
	assert_true(flags_collector_on(&c, "process", true));
	assert_false(flags_collector_on(&c, "process", false));
	/* Exact names only. */
	assert_true(flags_collector_on(&c, "cgrou", true));
	assert_false(flags_collector_on(&c, "cgroups", false));

	char *off[] = {"x", "--collector.process", "--no-collector.process"};
	assert_int_equal(parse(&c, ARGC(off), off, &e), 0);
	assert_false(flags_collector_on(&c, "process", true));
}

static void test_toggle_errors(void **state)
{
	(void)state;
	char *a1[] = {"x", "--collector.foo.bar"};
	check_error(ARGC(a1), a1, "unknown flag --collector.foo.bar (see --help)");
	char *a2[] = {"x", "--no-collector.foo.bar"};
	check_error(ARGC(a2), a2, "unknown flag --no-collector.foo.bar (see --help)");
	char *a3[] = {"x", "--collector."};
	check_error(ARGC(a3), a3, "unknown flag --collector. (see --help)");
	char *many[FLAGS_MAX_COLLECTOR_TOGGLES + 2];
	many[0] = "x";
	for (int i = 1; i < FLAGS_MAX_COLLECTOR_TOGGLES + 2; i++)
		many[i] = "--collector.node";
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, FLAGS_MAX_COLLECTOR_TOGGLES + 1, many, &e), 0);
	assert_int_equal(c.n_toggles, FLAGS_MAX_COLLECTOR_TOGGLES);
	check_error(FLAGS_MAX_COLLECTOR_TOGGLES + 2, many, "too many --collector.* flags");
}

static void test_pss(void **state)
{
	(void)state;
	struct config c;
	struct errmsg e;
	char *on[] = {"x", "--collector.process.pss"};
	assert_int_equal(parse(&c, ARGC(on), on, &e), 0);
	assert_true(c.process_pss);
	assert_int_equal(c.n_toggles, 0); /* a bool flag, not a collector toggle */
	char *off[] = {"x", "--collector.process.pss", "--no-collector.process.pss"};
	assert_int_equal(parse(&c, ARGC(off), off, &e), 0);
	assert_false(c.process_pss);
	assert_int_equal(c.n_toggles, 0);
	char *eqf[] = {"x", "--collector.process.pss=true", "--collector.process.pss=false"};
	assert_int_equal(parse(&c, ARGC(eqf), eqf, &e), 0);
	assert_false(c.process_pss);
	char *eqt[] = {"x", "--collector.process.pss=true"};
	assert_int_equal(parse(&c, ARGC(eqt), eqt, &e), 0);
	assert_true(c.process_pss);
	char *bad[] = {"x", "--collector.process.pss=yes"};
	check_error(ARGC(bad), bad,
		    "--collector.process.pss: invalid value \"yes\" (want true or false)");
	/* A --no- bool takes no value. */
	char *noeq[] = {"x", "--no-collector.process.pss=true"};
	check_error(ARGC(noeq), noeq, "unknown flag --no-collector.process.pss (see --help)");
	/* --no- on a non-bool flag is unknown. */
	char *nostr[] = {"x", "--no-log.level"};
	check_error(ARGC(nostr), nostr, "unknown flag --no-log.level (see --help)");
	/* A bool does not eat the next argument. */
	char *next[] = {"x", "--json", "--log.level=warn"};
	assert_int_equal(parse(&c, ARGC(next), next, &e), 0);
	assert_true(c.explain_json);
	assert_string_equal(c.log_level, "warn");
}

static void test_unknown_flag(void **state)
{
	(void)state;
	char *a1[] = {"x", "--bogus"};
	check_error(ARGC(a1), a1, "unknown flag --bogus (see --help)");
	char *a2[] = {"x", "--web.listen-address=:1", "--bogus=1"};
	check_error(ARGC(a2), a2, "unknown flag --bogus (see --help)");
	char *a3[] = {"x", "--web.listen"}; /* a prefix of a real flag */
	check_error(ARGC(a3), a3, "unknown flag --web.listen (see --help)");
	char *a4[] = {"x", "--web.listen-address-x=1"};
	check_error(ARGC(a4), a4, "unknown flag --web.listen-address-x (see --help)");
	char *a5[] = {"x", "--"};
	check_error(ARGC(a5), a5, "unknown flag -- (see --help)");
	char *a6[] = {"x", "-v"};
	check_error(ARGC(a6), a6, "unexpected argument \"-v\" (flags start with --; see --help)");
	char *a7[] = {"x", "serve"};
	check_error(ARGC(a7), a7,
		    "unexpected argument \"serve\" (flags start with --; see --help)");
}

static void test_missing_value(void **state)
{
	(void)state;
	char *a1[] = {"x", "--web.listen-address"};
	check_error(ARGC(a1), a1, "--web.listen-address needs a value");
	char *a2[] = {"x", "--log.level=info", "--nats.poll-interval"};
	check_error(ARGC(a2), a2, "--nats.poll-interval needs a value");
	char *a3[] = {"x", "--path.procfs="};
	check_error(ARGC(a3), a3, "--path.procfs: empty value");
	char *a4[] = {"x", "--web.max-requests="};
	check_error(ARGC(a4), a4, "--web.max-requests: invalid value \"\" (want a whole number)");
}

static void test_bad_uint(void **state)
{
	(void)state;
	char *a1[] = {"x", "--web.max-requests=abc"};
	check_error(ARGC(a1), a1, "--web.max-requests: invalid value \"abc\" (want a whole number)");
	char *a2[] = {"x", "--web.max-requests", "-1"};
	check_error(ARGC(a2), a2, "--web.max-requests: invalid value \"-1\" (want a whole number)");
	char *a3[] = {"x", "--nats.max-streams=4294967296"};
	check_error(ARGC(a3), a3,
		    "--nats.max-streams: invalid value \"4294967296\" (want a whole number)");
	char *a4[] = {"x", "--web.max-requests=12x"};
	check_error(ARGC(a4), a4, "--web.max-requests: invalid value \"12x\" (want a whole number)");
	char *a5[] = {"x", "--web.max-requests= 1"};
	check_error(ARGC(a5), a5, "--web.max-requests: invalid value \" 1\" (want a whole number)");
}

static unsigned duration(const char *arg)
{
	char *argv[] = {"x", (char *)(uintptr_t)arg};
	struct config c;
	struct errmsg e;
	int rc = parse(&c, 2, argv, &e);
	if (rc)
		print_error("%s: %s\n", arg, e.msg);
	assert_int_equal(rc, 0);
	return c.nats_poll_interval_s;
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(duration("--nats.poll-interval=15"), 15);
	assert_int_equal(duration("--nats.poll-interval=15s"), 15);
	assert_int_equal(duration("--nats.poll-interval=2m"), 120);
	assert_int_equal(duration("--nats.poll-interval=1h"), 3600);
	assert_int_equal(duration("--nats.poll-interval=0"), 0);
	assert_int_equal(duration("--nats.poll-interval=4294967295"), 4294967295u);
	assert_int_equal(duration("--nats.poll-interval=1193046h"), 1193046u * 3600u);

	static const char *const bad[] = {"10x", "", "s", "1hh", "1 h", "-1s", "1.5s",
					  "1ms", "4294967296", "1193047h", "71582789m"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char arg[64], msg[160];
		snprintf(arg, sizeof(arg), "--nats.poll-interval=%s", bad[i]);
		snprintf(msg, sizeof(msg),
			 "--nats.poll-interval: invalid value \"%s\" (want seconds, or a number "
			 "with s, m or h)",
			 bad[i]);
		char *argv[] = {"x", arg};
		check_error(2, argv, msg);
	}

	/* Other duration flags land in their own fields. */
	char *argv[] = {"x", "--web.connection-timeout=1m", "--nats.poll-timeout", "5s",
			"--nats.stale-after=1h"};
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, ARGC(argv), argv, &e), 0);
	assert_int_equal(c.connection_timeout_s, 60);
	assert_int_equal(c.nats_poll_timeout_s, 5);
	assert_int_equal(c.nats_stale_after_s, 3600);
	assert_int_equal(c.nats_poll_interval_s, 15);
}

static void test_explain(void **state)
{
	(void)state;
	struct config c;
	struct errmsg e;
	char *a1[] = {"x", "explain", "/kubepods/burstable/pod1/abc", "--json", "--watch=2s"};
	assert_int_equal(parse(&c, ARGC(a1), a1, &e), 0);
	assert_int_equal(c.mode, MODE_EXPLAIN);
	assert_string_equal(c.explain_target, "/kubepods/burstable/pod1/abc");
	assert_true(c.explain_json);
	assert_int_equal(c.explain_watch_s, 2);

	/* Flags before the target; no target. */
	char *a2[] = {"x", "explain", "--path.cgroupfs=/f", "3b1e0c8a"};
	assert_int_equal(parse(&c, ARGC(a2), a2, &e), 0);
	assert_int_equal(c.mode, MODE_EXPLAIN);
	assert_string_equal(c.explain_target, "3b1e0c8a");
	assert_string_equal(c.cgroupfs, "/f");
	char *a3[] = {"x", "explain"};
	assert_int_equal(parse(&c, ARGC(a3), a3, &e), 0);
	assert_int_equal(c.mode, MODE_EXPLAIN);
	assert_null(c.explain_target);

	char *a4[] = {"x", "explain", "a", "b"};
	check_error(ARGC(a4), a4, "unexpected argument \"b\" (flags start with --; see --help)");
	/* explain is a subcommand only in first place. */
	char *a5[] = {"x", "--log.level=info", "explain"};
	check_error(ARGC(a5), a5,
		    "unexpected argument \"explain\" (flags start with --; see --help)");
}

static void test_help_version(void **state)
{
	(void)state;
	struct config c;
	struct errmsg e;
	char *h[] = {"x", "--help", "--bogus"};
	assert_int_equal(parse(&c, ARGC(h), h, &e), 0);
	assert_int_equal(c.mode, MODE_HELP);
	char *h2[] = {"x", "-h"};
	assert_int_equal(parse(&c, ARGC(h2), h2, &e), 0);
	assert_int_equal(c.mode, MODE_HELP);
	char *v[] = {"x", "--version"};
	assert_int_equal(parse(&c, ARGC(v), v, &e), 0);
	assert_int_equal(c.mode, MODE_VERSION);
	/* A bad flag before --help is still an error. */
	char *bh[] = {"x", "--bogus", "--help"};
	check_error(ARGC(bh), bh, "unknown flag --bogus (see --help)");
}

static void test_usage(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	flags_usage(f, "memacct_exporter");
	fclose(f);
	assert_int_equal(strncmp(text, "usage: memacct_exporter [flags]\n", 32), 0);
	assert_non_null(strstr(text, "\n  --web.listen-address=STRING "));
	assert_non_null(strstr(text, "\n  --[no-]collector.process.pss "));
	assert_non_null(strstr(text, "\n  --nats.poll-interval=DURATION "));
	assert_non_null(strstr(text, "\n  --web.max-requests=N "));
	assert_non_null(strstr(text, "\n  --[no-]collector.NAME "));
	assert_non_null(strstr(text, "\n  --collector.cgroup.levels=STRING "));
	assert_non_null(strstr(text, "\n  --collector.cgroup.families=STRING "));
	free(text);
}

static void test_levels_families(void **state)
{
	(void)state;
	char *argv[] = {"x", "--collector.cgroup.levels=container,pod",
			"--collector.cgroup.families", "split,events"};
	struct config c;
	struct errmsg e;
	assert_int_equal(parse(&c, ARGC(argv), argv, &e), 0);
	assert_string_equal(c.cgroup_levels, "container,pod");
	assert_string_equal(c.cgroup_families, "split,events");
	char *empty[] = {"x", "--collector.cgroup.levels="};
	check_error(ARGC(empty), empty, "--collector.cgroup.levels: empty value");
}

/* flags_name_list: the comma lists of --collector.cgroup.levels/.families. */
static void check_list(const char *list, int want_rc, uint32_t want_mask, const char *want_msg)
{
	static const char *const names[] = {"split", "usage", "limits", "peak"};
	struct errmsg e = {{0}};
	uint32_t mask = 0xdead;
	int rc = flags_name_list("collector.cgroup.families", list, names, 4, &mask, &e);
	if (rc != want_rc)
		print_error("list \"%s\": want %d, got %d \"%s\"\n", list, want_rc, rc, e.msg);
	assert_int_equal(rc, want_rc);
	if (rc == 0) {
		assert_int_equal(mask, want_mask);
	} else {
		assert_int_equal(mask, 0xdead); /* untouched on error */
		assert_string_equal(e.msg, want_msg);
	}
}

static void test_name_list(void **state)
{
	(void)state;
	check_list("split", 0, 0x1, NULL);
	check_list("peak,split", 0, 0x9, NULL);
	check_list("usage,usage", 0, 0x2, NULL);
	check_list("all", 0, 0xf, NULL);
	check_list("split,usage,limits,peak", 0, 0xf, NULL);
#define WANT "(want a comma separated list of split, usage, limits, peak, or all)"
	check_list("spli", -EINVAL, 0,
		   "--collector.cgroup.families: unknown name \"spli\" " WANT);
	check_list("splitx", -EINVAL, 0,
		   "--collector.cgroup.families: unknown name \"splitx\" " WANT);
	check_list("split,", -EINVAL, 0, "--collector.cgroup.families: unknown name \"\" " WANT);
	check_list(",split", -EINVAL, 0, "--collector.cgroup.families: unknown name \"\" " WANT);
	check_list("split,,usage", -EINVAL, 0,
		   "--collector.cgroup.families: unknown name \"\" " WANT);
	check_list("split,all", -EINVAL, 0,
		   "--collector.cgroup.families: unknown name \"all\" " WANT);
	check_list("Split", -EINVAL, 0, "--collector.cgroup.families: unknown name \"Split\" " WANT);
	check_list("split usage", -EINVAL, 0,
		   "--collector.cgroup.families: unknown name \"split usage\" " WANT);
#undef WANT
	/* 32 names: "all" is every bit. */
	static const char *const many[32] = {
	    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p",
	    "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "A", "B", "C", "D", "E", "F"};
	uint32_t mask = 0;
	struct errmsg e = {{0}};
	assert_int_equal(flags_name_list("f", "all", many, 32, &mask, &e), 0);
	assert_int_equal(mask, UINT32_MAX);
	assert_int_equal(flags_name_list("f", "F,a", many, 32, &mask, &e), 0);
	assert_int_equal(mask, 0x80000001u);
}

static void test_password_env(void **state)
{
	(void)state;
	struct config c;
	struct errmsg e;
	assert_int_equal(setenv("MEMACCT_NATS_PASSWORD", "s3cr=t", 1), 0);
	char *a1[] = {"x"};
	assert_int_equal(parse(&c, ARGC(a1), a1, &e), 0);
	assert_string_equal(c.nats_password, "s3cr=t");
	/* The flag wins over the environment. */
	char *a2[] = {"x", "--nats.password=flag"};
	assert_int_equal(parse(&c, ARGC(a2), a2, &e), 0);
	assert_string_equal(c.nats_password, "flag");
	/* An empty variable is no password. */
	assert_int_equal(setenv("MEMACCT_NATS_PASSWORD", "", 1), 0);
	assert_int_equal(parse(&c, ARGC(a1), a1, &e), 0);
	assert_null(c.nats_password);
	assert_int_equal(unsetenv("MEMACCT_NATS_PASSWORD"), 0);
	assert_int_equal(parse(&c, ARGC(a1), a1, &e), 0);
	assert_null(c.nats_password);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_value_forms),
	    cmocka_unit_test(test_repeated_flag),
	    cmocka_unit_test(test_max_depth),
	    cmocka_unit_test(test_toggles),
	    cmocka_unit_test(test_toggle_errors),
	    cmocka_unit_test(test_pss),
	    cmocka_unit_test(test_unknown_flag),
	    cmocka_unit_test(test_missing_value),
	    cmocka_unit_test(test_bad_uint),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_explain),
	    cmocka_unit_test(test_help_version),
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_levels_families),
	    cmocka_unit_test(test_name_list),
	    cmocka_unit_test(test_password_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
