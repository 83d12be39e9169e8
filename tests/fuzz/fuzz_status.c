/* fuzz_status: libFuzzer target for proc_mem_parse_status(), the
 * /proc/PID/status parser of the process collector (proc.rst's
 * "Key:\tvalue kB" lines). It checks that the sums only ever grow by what
 * was parsed, saturating rather than wrapping: a parse adds nothing to
 * processes/vanished/pss, never makes a sum smaller, and adding the same
 * text twice gives twice the sums (or UINT64_MAX). It does not read /proc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/proc/proc_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct proc_mem pm;
	memset(&pm, 0, sizeof(pm));
	pm.rss_anon = 1; /* it adds to what is there */
	(void)proc_mem_parse_status(text, &pm);
	if (pm.processes || pm.vanished || pm.pss || pm.pss_denied || pm.rss_anon < 1)
		abort();
	/* Twice on the same text: exactly twice the sums, saturating at
	 * UINT64_MAX (no hidden state, no wrap-around). */
	struct proc_mem once = {0}, twice = {0};
	(void)proc_mem_parse_status(text, &once);
	(void)proc_mem_parse_status(text, &twice);
	(void)proc_mem_parse_status(text, &twice);
	const uint64_t o[] = {once.rss_anon, once.rss_file, once.rss_shmem, once.swap};
	const uint64_t t[] = {twice.rss_anon, twice.rss_file, twice.rss_shmem, twice.swap};
	for (size_t i = 0; i < 4; i++)
		if (t[i] != (o[i] > UINT64_MAX / 2 ? UINT64_MAX : 2 * o[i]))
			abort();
	free(text);
	return 0;
}
