/* memacct_test: what the cmocka tests (tests/unit, tests/fixture) share:
 * where the fixture captures are and the names inside them; reading, writing
 * and removing test files; one collector or one fixture scrape into text,
 * whole-line checks and golden files. Every helper fails the running cmocka
 * test on an unexpected error, so include <cmocka.h> first. It knows
 * nothing of what a module should output; that stays in each test. Built
 * once (tests/support/memacct_test.c) and linked into every cmocka test. */
#ifndef MEMACCT_TEST_H
#define MEMACCT_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "memacct/cli/flags.h"
#include "memacct/collectors/collector.h"
#include "memacct/util/errmsg.h"
#include "memacct/util/mbuf.h"

/* ---- the captures under tests/fixture (see tests/fixture/README.md) ---- */

#define FX_UID "1f2e3d4c-5b6a-4789-9abc-def012345678"
#define FX_CID "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
/* The pod and container cgroups, as paths below the capture's root. */
#define FX_V2_POD                                                                                  \
	"/kubepods.slice/kubepods-burstable.slice/"                                                \
	"kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice"
#define FX_V2_CTR FX_V2_POD "/cri-containerd-" FX_CID ".scope"
#define FX_V1_POD "/kubepods/burstable/pod" FX_UID
#define FX_V1_CTR FX_V1_POD "/" FX_CID

#define FIXTURE_MODES 2
#define FIXTURE_PHASES 8
extern const char *const fixture_modes[FIXTURE_MODES];	 /* "cgroup-v1", "cgroup-v2" */
extern const char *const fixture_phases[FIXTURE_PHASES]; /* "0-start" .. "7-after-exit" */

/* tests/fixture: $MEMACCT_FIXTURES (ctest sets it), else the source tree's. */
const char *fixture_dir(void);
/* out = fixture_dir()/rel; fails the test when it does not fit. */
void fixture_path(char *out, size_t n, const char *rel);

/* ---- files ---- */

/* The whole file, NUL-terminated, malloc'd; *len (when len is non-NULL) its
 * size. NULL with errno set when it cannot be opened; a read error fails. */
char *read_whole_file(const char *path, size_t *len);
/* Creates or truncates path with exactly len bytes of data. */
void write_whole_file(const char *path, const void *data, size_t len);
/* A fresh directory $TMPDIR/memacct_<tag>.XXXXXX (TMPDIR defaults to /tmp). */
void make_temp_dir(char *out, size_t n, const char *tag);
/* Removes path and everything below it (no symlink is followed). */
void remove_tree(const char *path);

/* ---- output ---- */

/* Runs c's init, one collect and fini with cfg (no scrape context) and
 * renders its registry as text 0.0.4 into out, which the caller frees.
 * Returns collect()'s result; init must succeed. */
int collect_text(const struct collector *c, const struct config *cfg, struct mbuf *out,
		 struct errmsg *e);

/* The exporter's text 0.0.4 exposition of one capture phase
 * (fixture_dir()/mode/phase): one scrape through the real flag parser,
 * collectors and writer with --path.cgroupfs=<phase>/sys
 * --path.procfs=<phase>/proc and then flags (NULL-terminated; may be NULL).
 * malloc'd and NUL-terminated; *len (when non-NULL) its length. */
char *scrape_fixture_phase(const char *mode, const char *phase, const char *const *flags,
			   size_t *len);

/* The same through a cgroup cache that holds every file open
 * (cgroup_cache.h, as on cgroupfs): two scrapes, the second returned, which
 * re-read the files the first opened. The text adds the cache's own
 * memacct_cgroup_files_open and memacct_cgroup_files_uncached_total. */
char *scrape_fixture_phase_kept(const char *mode, const char *phase, const char *const *flags,
				size_t *len);

/* True when line is a whole line of text. */
bool has_line(const char *text, const char *line);
#define assert_has_line(text, line)                                                                \
	do {                                                                                       \
		const char *t_ = (text), *l_ = (line);                                             \
		if (!has_line(t_, l_))                                                             \
			fail_msg("missing line: %s\n--- output ---\n%s", l_, t_ ? t_ : "");        \
	} while (0)

/* Golden files: true when got (len bytes) equals the file at path byte for
 * byte. On a difference it prints a unified diff (golden first) and how to
 * regenerate, and returns false: the caller frees what it holds, then fails.
 * With MEMACCT_UPDATE_GOLDEN=1 in the environment it writes got to path
 * instead and returns true (tests/fixture/README.md). */
bool golden_matches(const char *path, const char *got, size_t len);

#endif
