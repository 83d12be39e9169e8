/* fuzz_flags: libFuzzer target for flags_parse(). The input is split on
 * '\n' into argv[1..] (at most 64 arguments; argv[0] is the program name).
 * It checks the contract of flags.h: 0 or -EINVAL, a NUL-terminated error
 * message naming something on failure, and on success a config whose
 * string pointers borrow from argv (or are the literal defaults), ranges
 * respected, and the collector toggles within their array. It does not open
 * files or check paths (flags.c does not either). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/cli/flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)(uintptr_t) "memacct_exporter";
	for (char *p = buf; argc <= MAX_ARGS;) {
		argv[argc++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	argv[argc] = NULL;

	struct config cfg;
	struct errmsg e;
	memset(&e, 0x41, sizeof(e));
	int rc = flags_parse(&cfg, argc, argv, &e);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc) {
		if (!memchr(e.msg, '\0', sizeof(e.msg)) || !e.msg[0])
			abort(); /* an error names the flag */
	} else {
		if (cfg.n_toggles > FLAGS_MAX_COLLECTOR_TOGGLES)
			abort();
		if (cfg.cgroup_max_depth < -1 || cfg.cgroup_max_depth > 1000000)
			abort();
		if ((int)cfg.mode < MODE_SERVE || cfg.mode > MODE_VERSION)
			abort();
		/* Strings borrow from argv or are literals: they can be read. */
		const char *strs[] = {cfg.listen_address, cfg.telemetry_path, cfg.log_level,
				      cfg.log_format, cfg.procfs, cfg.sysfs, cfg.cgroupfs,
				      cfg.cgroup_include, cfg.nats_urls, cfg.explain_target};
		size_t total = 0;
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (strs[i])
				total += strlen(strs[i]);
		for (size_t i = 0; i < cfg.n_toggles; i++) {
			total += strlen(cfg.toggles[i].name);
			(void)flags_collector_on(&cfg, cfg.toggles[i].name, true);
		}
		(void)total;
	}
	free(buf);
	return 0;
}
