/* fuzz_web_config: libFuzzer target for web_config_load(), the whole
 * --web.config.file path: the bytes are written to a memfd (tmpfs) and
 * loaded through /proc/self/fd/N, so the file checks (regular file, NUL
 * bytes, UTF-8, size) run as for a real file. It checks that a load fails
 * closed (any NUL byte or invalid UTF-8 is refused), that a failure leaves
 * *out as it was (NULL) with a message naming the file, and that a success is
 * consistent: TLS on means PEM for both certificate and key, at most five
 * headers with control-free values, and users only with a basic_auth_users
 * section, each refused without credentials and never checked with bcrypt
 * here (basic_auth_quick). Relative cert_file/key_file paths resolve under
 * /proc/self/fd and so do not exist; inline cert/key exercise the PEM path.
 * It does not start a server. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memacct/http/basic_auth.h"
#include "memacct/http/web_config.h"
#include "memacct/util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz_web_config.yml", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) != 0 || (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	struct web_config *wc = NULL;
	struct errmsg e = {{0}};
	int rc = web_config_load(path, &wc, &e);
	size_t bad = 0;
	bool text = !memchr(data, '\0', size) && utf8_valid((const char *)data, size, &bad);
	if (rc) {
		if (rc > 0 || wc || !strstr(e.msg, path))
			abort();
		return 0;
	}
	/* Fail closed: bytes that are not text never load. */
	if (!wc || !text || size == 0 || size > WEB_CONFIG_MAX_FILE_BYTES)
		abort();
	const struct web_tls *t = web_config_tls(wc);
	if (t->enabled && (!t->cert_pem || !t->key_pem || !strstr(t->cert_pem, "-----BEGIN ") ||
			   !strstr(t->key_pem, "-----BEGIN ")))
		abort();
	if (t->min_version < WEB_TLS10 || t->max_version > WEB_TLS13 ||
	    t->min_version > t->max_version)
		abort();
	const struct web_header *h;
	size_t n = web_config_headers(wc, &h);
	if (n > WEB_CONFIG_MAX_HEADERS)
		abort();
	for (size_t i = 0; i < n; i++)
		for (const unsigned char *c = (const unsigned char *)h[i].value; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				abort(); /* header injection */
	struct basic_auth *a = web_config_auth(wc);
	if (a) {
		if (!memmem(data, size, "basic_auth_users", 16))
			abort();
		size_t users = basic_auth_users(a);
		if (users < 1 || users > BASIC_AUTH_MAX_USERS)
			abort();
		if (basic_auth_quick(a, NULL) != -EACCES ||
		    basic_auth_quick(a, "Basic dTpw") != -EAGAIN)
			abort();
	}
	web_config_free(wc);
	return 0;
}
