/* fuzz_jetstream_json: libFuzzer target for the JetStream API reply decoders
 * of jetstream_json.c: js_parse_account_info(), js_parse_user_account(),
 * js_parse_stream_page() (with a cap of 3, then js_snapshot_finish(), as a poll
 * does) and js_parse_time(), all on the same bytes. It checks the return
 * codes are the documented ones, the account name is NUL-terminated within
 * its cap, the page's count covers its streams, and the finished snapshot is
 * sorted, unique and capped. It does not talk to NATS (the fake-transport
 * unit tests do). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/jetstream/jetstream_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, not NUL-terminated: the decoders take a length. */
	char *json = malloc(size ? size : 1);
	if (!json)
		return 0;
	memcpy(json, data, size);
	struct errmsg e;

	struct js_account a;
	memset(&a, 0, sizeof(a));
	int rc = js_parse_account_info(json, size, &a, &e);
	if (rc != 0 && rc != -EINVAL && rc != -EREMOTEIO && rc != -EFBIG && rc != -ENOMEM)
		abort();

	char name[8];
	rc = js_parse_user_account(json, size, name, sizeof(name), &e);
	if (rc == 0 && !memchr(name, '\0', sizeof(name)))
		abort();
	if (rc != 0 && rc != -EINVAL && rc != -EREMOTEIO && rc != -ENOENT && rc != -EFBIG &&
	    rc != -ENOMEM)
		abort();

	struct js_filter f = {.max_streams = 3};
	struct js_snapshot *s = js_snapshot_new(&f);
	if (s) {
		struct js_page page;
		rc = js_parse_stream_page(json, size, s, &page, &e);
		if (rc != 0 && rc != -EINVAL && rc != -EREMOTEIO && rc != -EFBIG && rc != -ENOMEM)
			abort();
		if (s->n_streams > page.count)
			abort(); /* every kept stream was counted */
		if (rc == 0 && page.total > (uint64_t)INT64_MAX)
			abort(); /* a total is a count, never 1e400 read as 2^64 - 1 */
		js_snapshot_finish(s);
		if (s->n_streams > 3)
			abort();
		for (size_t i = 0; i + 1 < s->n_streams; i++)
			if (strcmp(s->streams[i].name, s->streams[i + 1].name) >= 0)
				abort(); /* sorted and unique */
		js_snapshot_free(s);
	}

	char *str = malloc(size + 1);
	if (str) {
		memcpy(str, data, size);
		str[size] = '\0';
		int64_t ns = -1;
		rc = js_parse_time(str, &ns);
		if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
			abort();
		if (rc == 0 && ns < 0)
			abort();
		free(str);
	}
	free(json);
	return 0;
}
