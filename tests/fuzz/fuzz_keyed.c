/* fuzz_keyed: libFuzzer target for the flat pseudo-file parsers of parse.c:
 * parse_keyed() with the key tables of the real callers' shapes (v2 and v1
 * memory.stat, memory.events, /proc/meminfo, /proc/PID/status), and on the
 * same bytes parse_single_u64() (with and without "max"), parse_psi() and
 * the parse_next_pid() iterator. It checks the contracts of parse.h: no
 * read past the NUL, seen bits only for slots in the table, unseen slots
 * untouched, the iterator always advancing and ending. It does not read
 * files or test cgroup_mem.c's arithmetic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct keyed_field v2_stat[] = {
	{"anon", 0},	      {"file", 1},	      {"shmem", 2},	 {"active_file", 3},
	{"inactive_file", 4}, {"kernel", 5},	      {"slab", 6},	 {"pgscan", 7},
	{"workingset_refault_file", 8}, {"workingset_refault", 9}, {"pgmajfault", 63},
};
static const struct keyed_field v1_stat[] = {
	{"total_rss", 0},	     {"total_shmem", 1},	 {"total_active_file", 2},
	{"total_inactive_file", 3}, {"total_mapped_file", 4}, {"total_swap", 5},
};
static const struct keyed_field events[] = {
	{"low", 0}, {"high", 1}, {"max", 2}, {"oom", 3}, {"oom_kill", 4},
};
static const struct keyed_field meminfo[] = {
	{"MemTotal", 0}, {"MemAvailable", 1}, {"Cached", 2}, {"Active(file)", 3},
	{"Inactive(file)", 4}, {"Shmem", 5}, {"SwapTotal", 6}, {"SReclaimable", 7},
};
static const struct keyed_field status[] = {
	{"VmRSS", 0}, {"RssAnon", 1}, {"RssFile", 2}, {"RssShmem", 3}, {"VmSwap", 4}, {"Pid", 5},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void one_table(const char *text, const struct keyed_field *f, size_t n)
{
	uint64_t out[64];
	uint64_t allowed = 0;
	memset(out, 0xA5, sizeof(out));
	for (size_t i = 0; i < n; i++)
		allowed |= UINT64_C(1) << f[i].slot;
	uint64_t seen = ~UINT64_C(0);
	(void)parse_keyed(text, f, n, out, &seen);
	if (seen & ~allowed)
		abort(); /* a bit set for a slot no key maps to */
	for (unsigned s = 0; s < 64; s++) {
		uint64_t untouched;
		memset(&untouched, 0xA5, sizeof(untouched));
		if (!(allowed & (UINT64_C(1) << s)) && out[s] != untouched)
			abort(); /* wrote a slot outside the table */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parsers take NUL-terminated text: give them an exact-size copy so
	 * ASan sees any read past the terminator. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	one_table(text, v2_stat, NELEM(v2_stat));
	one_table(text, v1_stat, NELEM(v1_stat));
	one_table(text, events, NELEM(events));
	one_table(text, meminfo, NELEM(meminfo));
	one_table(text, status, NELEM(status));

	uint64_t v;
	bool is_max;
	if (parse_single_u64(text, &v, &is_max) == 0 && is_max && v != UINT64_MAX)
		abort();
	(void)parse_single_u64(text, &v, NULL);

	struct psi_totals t;
	(void)parse_psi(text, &t);

	const char *p = text;
	int pid, rc;
	size_t steps = 0;
	while ((rc = parse_next_pid(&p, &pid)) != 0) {
		if (rc == 1 && pid <= 0)
			abort(); /* pids are positive */
		if (p < text || p > text + strlen(text) || ++steps > size + 1)
			abort(); /* the iterator must advance and stay inside */
	}
	free(text);
	return 0;
}
