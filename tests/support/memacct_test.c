/* memacct_test: the helpers every cmocka test shares (see
 * tests/include/memacct_test.h). Failures end the running test through
 * cmocka; nothing here knows what a module should output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memacct_test.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_scope.h"
#include "memacct/collectors/scrape.h"
#include "memacct/expo/expfmt.h"
#include "memacct/util/log.h"

#ifndef MEMACCT_TEST_FIXTURES
#error "tests/CMakeLists.txt defines MEMACCT_TEST_FIXTURES (the source tree's tests/fixture)"
#endif

const char *const fixture_modes[FIXTURE_MODES] = {"cgroup-v1", "cgroup-v2"};
const char *const fixture_phases[FIXTURE_PHASES] = {
	"0-start",  "1-anon64M",    "2-write200M", "3-read-twice",
	"4-shm16M", "5-mapped100M", "6-over-high", "7-after-exit",
};

const char *fixture_dir(void)
{
	const char *env = getenv("MEMACCT_FIXTURES");
	return env && *env ? env : MEMACCT_TEST_FIXTURES;
}

void fixture_path(char *out, size_t n, const char *rel)
{
	int w = snprintf(out, n, "%s/%s", fixture_dir(), rel);
	if (w < 0 || (size_t)w >= n)
		fail_msg("fixture path %s/%s does not fit in %zu bytes", fixture_dir(), rel, n);
}

char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		fail_msg("cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void write_whole_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void make_temp_dir(char *out, size_t n, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	int w = snprintf(out, n, "%s/memacct_%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
	assert_true(w > 0 && (size_t)w < n);
	if (!mkdtemp(out))
		fail_msg("mkdtemp %s: %s", out, strerror(errno));
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void remove_tree(const char *path)
{
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fail_msg("cannot remove %s: %s", path, strerror(errno));
}

int collect_text(const struct collector *c, const struct config *cfg, struct mbuf *out,
		 struct errmsg *e)
{
	void *state = NULL;
	/* The cgroup collectors borrow main's cgroup scope; set one up here. */
	bool scoped = strcmp(c->name, "cgroup") == 0 || strcmp(c->name, "process") == 0;
	struct cgroup_scope scope;
	if (scoped && cgroup_scope_init(&scope, cfg, e) != 0)
		fail_msg("cgroup scope: %s", e->msg);
	struct collector_env env = {.cfg = cfg, .scope = scoped ? &scope : NULL};
	if (c->init(&env, &state, e) != 0)
		fail_msg("%s collector init: %s", c->name, e->msg);
	struct registry *reg = registry_new(1 << 20);
	assert_non_null(reg);
	int rc = c->collect(state, NULL, reg, e);
	mbuf_init(out, 1 << 20);
	assert_int_equal(registry_write(reg, out, EXPFMT_TEXT_004), 0);
	registry_free(reg);
	if (c->fini)
		c->fini(state);
	if (scoped)
		cgroup_scope_fini(&scope);
	return rc;
}

/* One scrape of a phase; kept: through a cgroup cache that holds the files
 * open (cgroup_cache.h), scraped twice, the second scrape returned. */
static char *scrape_phase(const char *mode, const char *phase, const char *const *flags,
			  size_t *len, bool kept)
{
	char cgroupfs[4096], procfs[4096];
	snprintf(cgroupfs, sizeof(cgroupfs), "--path.cgroupfs=%s/%s/%s/sys", fixture_dir(), mode,
		 phase);
	snprintf(procfs, sizeof(procfs), "--path.procfs=%s/%s/%s/proc", fixture_dir(), mode, phase);
	char *argv[32] = {"memacct_exporter", cgroupfs, procfs};
	int argc = 3;
	for (; flags && *flags; flags++) {
		assert_true(argc < 31);
		argv[argc++] = (char *)(uintptr_t)*flags;
	}
	argv[argc] = NULL;
	struct config cfg;
	struct errmsg e = {{0}};
	if (flags_parse(&cfg, argc, argv, &e) != 0)
		fail_msg("flags: %s", e.msg);
	struct logger log;
	assert_int_equal(logger_init(&log, "error", "logfmt", stderr, &e), 0);
	struct scraper *sc = NULL;
	struct cgroup_scope scope;
	if (cgroup_scope_init(&scope, &cfg, &e) != 0)
		fail_msg("cgroup scope: %s", e.msg);
	struct collector_env env = {.cfg = &cfg, .log = &log, .scope = &scope};
	struct rlimit rl; /* as main does: the cache's cap comes from the soft limit */
	if (kept && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (kept && cgroup_cache_new(&scope, cfg.cgroup_max_open_files, 0, true,
				     &env.cgroup_cache, &e) != 0)
		fail_msg("cgroup_cache_new: %s", e.msg);
	if (scraper_new(&env, &sc, &e) != 0)
		fail_msg("scraper_new: %s", e.msg);
	struct mbuf out;
	mbuf_init(&out, SCRAPE_MAX_BYTES);
	assert_int_equal(scraper_scrape(sc, NULL, &out, EXPFMT_TEXT_004), 0);
	if (kept) { /* the second scrape reads the files held by the first */
		mbuf_reset(&out);
		assert_int_equal(scraper_scrape(sc, NULL, &out, EXPFMT_TEXT_004), 0);
	}
	scraper_free(sc);
	cgroup_cache_free(env.cgroup_cache);
	cgroup_scope_fini(&scope);
	logger_fini(&log);
	char *text = mbuf_detach(&out, len);
	assert_non_null(text);
	return text;
}

char *scrape_fixture_phase(const char *mode, const char *phase, const char *const *flags,
			   size_t *len)
{
	return scrape_phase(mode, phase, flags, len, false);
}

char *scrape_fixture_phase_kept(const char *mode, const char *phase, const char *const *flags,
				size_t *len)
{
	return scrape_phase(mode, phase, flags, len, true);
}

bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; text && (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Prints `diff -u golden got` (at most 200 lines) with print_error. */
static void print_diff(const char *golden, const char *got, size_t len)
{
	char tmp[4096];
	make_temp_dir(tmp, sizeof(tmp) - 16, "golden");
	char got_path[4096 + 16];
	snprintf(got_path, sizeof(got_path), "%s/got", tmp);
	write_whole_file(got_path, got, len);
	if (strchr(golden, '\'')) {
		print_error("(no diff: %s holds a quote)\n", golden);
	} else {
		char cmd[3 * 4096 + 64];
		snprintf(cmd, sizeof(cmd), "diff -u --label '%s' --label 'this run' '%s' '%s'",
			 golden, golden, got_path);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		char line[4096];
		int shown = 0;
		while (fgets(line, sizeof(line), p))
			if (shown++ < 200)
				print_error("%s", line);
		if (shown > 200)
			print_error("... %d more lines of diff\n", shown - 200);
		pclose(p);
	}
	assert_int_equal(unlink(got_path), 0);
	assert_int_equal(rmdir(tmp), 0);
}

bool golden_matches(const char *path, const char *got, size_t len)
{
	const char *update = getenv("MEMACCT_UPDATE_GOLDEN");
	if (update && strcmp(update, "1") == 0) {
		write_whole_file(path, got, len);
		print_message("wrote %s (%zu bytes)\n", path, len);
		return true;
	}
	size_t want_len = 0;
	char *want = read_whole_file(path, &want_len);
	if (!want) {
		print_error("cannot read golden file %s: %s (MEMACCT_UPDATE_GOLDEN=1 writes it)\n",
			    path, strerror(errno));
		return false;
	}
	bool same = want_len == len && memcmp(want, got, len) == 0;
	free(want);
	if (same)
		return true;
	print_diff(path, got, len);
	print_error("%s differs from this run's output (diff above); if the change is intended, "
		    "regenerate with MEMACCT_UPDATE_GOLDEN=1 and review git diff\n",
		    path);
	return false;
}
