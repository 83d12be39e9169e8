/* Unit tests of podlogs (src/cgroup/podlogs.c): kubelet's log file and directory
 * names parsed one by one, then lookups on a /var/log tree the test builds
 * in a temporary directory (symlinks in containers/ pointing into pods/,
 * like kubelet's), refresh when a new container appears, the rate limit on
 * misses, a flat containers directory, removed containers, and concurrent
 * lookups while the tree changes. It does not test the labels the
 * collectors build from the names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cgroup/podlogs.h"
#include "memacct_test.h"

#define CID1 "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
#define CID2 "e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5"
#define CID3 "0000000000000000000000000000000000000000000000000000000000000003"
#define CID_UNKNOWN "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define UID1 "1f2e3d4c-5b6a-4789-9abc-def012345678"
#define UID2 "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

/* ---- helpers ---- */

static void mkdirs(const char *base, const char *rel)
{
	char p[PATH_MAX];
	assert_true(snprintf(p, sizeof(p), "%s/%s", base, rel) < (int)sizeof(p));
	for (char *s = p + strlen(base) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

/* kubelet's layout for one container: the pod directory, the container's
 * log file and the link to it. */
static void add_container(const char *base, const char *ns, const char *pod, const char *uid,
			  const char *ctr, const char *id)
{
	char rel[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	snprintf(rel, sizeof(rel), "pods/%s_%s_%s/%s", ns, pod, uid, ctr);
	mkdirs(base, rel);
	snprintf(target, sizeof(target), "/var/log/pods/%s_%s_%s/%s/0.log", ns, pod, uid, ctr);
	snprintf(link, sizeof(link), "%s/containers/%s_%s_%s-%s.log", base, pod, ns, ctr, id);
	assert_int_equal(symlink(target, link), 0);
}

static void make_tree(char *base, size_t n)
{
	snprintf(base, n, "/tmp/test_podlogs.XXXXXX");
	assert_non_null(mkdtemp(base));
	mkdirs(base, "containers");
	mkdirs(base, "pods");
	add_container(base, "default", "web-0", UID1, "app", CID1);
	add_container(base, "kube-system", "coredns-5d78c9869d-abcde", UID2, "coredns", CID2);
}

/* Sets a directory's mtime well into the past, so it is neither "changed"
 * nor "racy" for the next miss. */
static void age_dir(const char *base, const char *rel)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static uint64_t refreshes(struct podlogs *p)
{
	struct podlogs_stats st;
	podlogs_get_stats(p, &st);
	return st.refreshes;
}

/* ---- names ---- */

static void test_parse_container_names(void **state)
{
	(void)state;
	struct podlogs_names n;
	char id[65];
	assert_int_equal(podlogs_parse_container_name("web-0_default_app-" CID1 ".log", &n, id), 0);
	assert_string_equal(n.pod, "web-0");
	assert_string_equal(n.namespace_, "default");
	assert_string_equal(n.container, "app");
	assert_string_equal(n.uid, "");
	assert_string_equal(id, CID1);

	/* Dashes and dots in names; the id is the part after the last '-'. */
	assert_int_equal(
	    podlogs_parse_container_name("my.pod-7f9c-x2_team-a_side-car-" CID2 ".log", &n, id), 0);
	assert_string_equal(n.pod, "my.pod-7f9c-x2");
	assert_string_equal(n.namespace_, "team-a");
	assert_string_equal(n.container, "side-car");
	assert_string_equal(id, CID2);

	/* Upper-case ids are lower-cased. */
	assert_int_equal(
	    podlogs_parse_container_name(
		"p_n_c-3B1E0C8A9F7D6E5C4B3A29180F7E6D5C4B3A29180F7E6D5C4B3A29180F7E6D5C.log", &n,
		id),
	    0);
	assert_string_equal(id, CID1);

	static const char *const bad[] = {
	    "",
	    ".log",
	    "web-0_default_app-" CID1,		  /* no .log */
	    "web-0_default_app-" CID1 ".log.1",	  /* rotated */
	    "web-0_default_app-" CID1 "0.log",	  /* 65 hex */
	    "web-0_default_app-3b1e0c8a9f7d.log", /* short id */
	    "web-0_default_app" CID1 ".log",	  /* no '-' before the id */
	    "web-0_default-" CID1 ".log",	  /* two parts */
	    "web-0_default_app_x-" CID1 ".log",	  /* four parts */
	    "_default_app-" CID1 ".log",	  /* empty pod */
	    "web-0__app-" CID1 ".log",		  /* empty namespace */
	    "web-0_default_-" CID1 ".log",	  /* empty container */
	    "web 0_default_app-" CID1 ".log",	  /* a space */
	    "web-0_def\nault_app-" CID1 ".log",	  /* a newline */
	    "web-0_default_app-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5g."
	    "log",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(podlogs_parse_container_name(bad[i], &n, id), -EINVAL);

	/* Names longer than Kubernetes allows are not kubelet's. */
	char name[512], ns[80];
	memset(ns, 'a', 64);
	ns[64] = '\0';
	snprintf(name, sizeof(name), "p_%s_c-%s.log", ns, CID1);
	assert_int_equal(podlogs_parse_container_name(name, &n, id), -EINVAL);
	ns[63] = '\0';
	snprintf(name, sizeof(name), "p_%s_c-%s.log", ns, CID1);
	assert_int_equal(podlogs_parse_container_name(name, &n, id), 0);
	assert_int_equal(strlen(n.namespace_), 63);
}

static void test_parse_pod_dirs(void **state)
{
	(void)state;
	struct podlogs_names n;
	assert_int_equal(podlogs_parse_pod_dir("default_web-0_" UID1, &n), 0);
	assert_string_equal(n.namespace_, "default");
	assert_string_equal(n.pod, "web-0");
	assert_string_equal(n.container, "");
	assert_string_equal(n.uid, UID1);
	/* Static pods: the UID is a 32-hex config hash. */
	assert_int_equal(podlogs_parse_pod_dir("kube-system_etcd-node1_"
					       "6B0E4D0C8B1A2F3E4D5C6B7A8F9E0D1C",
					       &n),
			 0);
	assert_string_equal(n.uid, "6b0e4d0c8b1a2f3e4d5c6b7a8f9e0d1c");
	assert_string_equal(n.pod, "etcd-node1");

	static const char *const bad[] = {
	    "",
	    "default",
	    "default_web-0",
	    "default_web-0_",
	    "default_web-0_notauid",
	    "default_web-0_" UID1 "x",
	    "_web-0_" UID1,
	    "default__" UID1,
	    "default_web-0_1f2e3d4c+5b6a-4789-9abc-def012345678",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(podlogs_parse_pod_dir(bad[i], &n), -EINVAL);
}

/* ---- lookups on a tree ---- */

static void test_lookup_containers_and_pods(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	/* Not kubelet's: ignored and counted. */
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/containers/README", base);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/pods/lost+found", base);
	mkdir(p, 0755);

	struct podlogs *pl;
	struct errmsg e = {{0}};
	assert_int_equal(podlogs_open(base, 30, &pl, &e), 0);
	struct podlogs_names n;
	assert_int_equal(podlogs_lookup(pl, CID1, &n), 0);
	assert_string_equal(n.namespace_, "default");
	assert_string_equal(n.pod, "web-0");
	assert_string_equal(n.container, "app");
	assert_string_equal(n.uid, UID1);
	/* Upper case ids match too. */
	assert_int_equal(
	    podlogs_lookup(pl, "E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B1C2D3E4F5",
			   &n),
	    0);
	assert_string_equal(n.namespace_, "kube-system");
	assert_string_equal(n.pod, "coredns-5d78c9869d-abcde");
	assert_string_equal(n.container, "coredns");
	assert_string_equal(n.uid, UID2);

	/* Pods by UID, with dashes or with the systemd driver's underscores. */
	assert_int_equal(podlogs_lookup_pod(pl, UID1, &n), 0);
	assert_string_equal(n.namespace_, "default");
	assert_string_equal(n.pod, "web-0");
	assert_string_equal(n.container, "");
	assert_int_equal(podlogs_lookup_pod(pl, "0A1B2C3D_4E5F_4A6B_8C7D_9E0F1A2B3C4D", &n), 0);
	assert_string_equal(n.pod, "coredns-5d78c9869d-abcde");

	struct podlogs_stats st;
	podlogs_get_stats(pl, &st);
	assert_int_equal(st.containers, 2);
	assert_int_equal(st.pods, 2);
	assert_int_equal(st.ignored, 2);
	assert_int_equal(st.last_error, 0);
	assert_int_equal(st.truncated, 0);

	/* Malformed keys. */
	assert_int_equal(podlogs_lookup(pl, "3b1e0c8a9f7d", &n), -EINVAL);
	assert_int_equal(podlogs_lookup(pl, CID1 "0", &n), -EINVAL);
	assert_int_equal(podlogs_lookup(pl, NULL, &n), -EINVAL);
	assert_int_equal(podlogs_lookup_pod(pl, "web-0", &n), -EINVAL);
	assert_int_equal(podlogs_lookup(NULL, CID1, &n), -ENOENT);
	assert_int_equal(podlogs_lookup_pod(NULL, UID1, &n), -ENOENT);
	podlogs_free(pl);
	podlogs_free(NULL);
	remove_tree(base);
}

static void test_new_container_is_found_at_once(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	age_dir(base, "containers");
	age_dir(base, "pods");
	struct podlogs *pl;
	struct errmsg e = {{0}};
	/* A long rate limit: only the directory's change may trigger the
	 * listing. */
	assert_int_equal(podlogs_open(base, 3600, &pl, &e), 0);
	struct podlogs_names n;
	assert_int_equal(podlogs_lookup(pl, CID3, &n), -ENOENT);
	assert_int_equal(refreshes(pl), 1); /* unchanged directory: no listing */

	add_container(base, "batch", "job-x7k2p", "11111111-2222-4333-8444-555555555555", "worker",
		      CID3);
	assert_int_equal(podlogs_lookup(pl, CID3, &n), 0);
	assert_int_equal(refreshes(pl), 2);
	assert_string_equal(n.namespace_, "batch");
	assert_string_equal(n.pod, "job-x7k2p");
	assert_string_equal(n.container, "worker");
	assert_string_equal(n.uid, "11111111-2222-4333-8444-555555555555");
	/* The new pod is known by UID too. */
	assert_int_equal(podlogs_lookup_pod(pl, "11111111-2222-4333-8444-555555555555", &n), 0);
	/* Hits never list. */
	assert_int_equal(podlogs_lookup(pl, CID1, &n), 0);
	assert_int_equal(refreshes(pl), 2);
	podlogs_free(pl);
	remove_tree(base);
}

static void test_misses_are_rate_limited(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	age_dir(base, "containers");
	age_dir(base, "pods");
	struct podlogs *pl;
	struct errmsg e = {{0}};
	assert_int_equal(podlogs_open(base, 3600, &pl, &e), 0);
	struct podlogs_names n;
	/* A sandbox container has no log: every scrape misses it. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(podlogs_lookup(pl, CID_UNKNOWN, &n), -ENOENT);
	assert_int_equal(refreshes(pl), 1);
	podlogs_free(pl);

	/* With no rate limit each miss lists again. */
	assert_int_equal(podlogs_open(base, 0, &pl, &e), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(podlogs_lookup(pl, CID_UNKNOWN, &n), -ENOENT);
	assert_int_equal(refreshes(pl), 4);
	podlogs_free(pl);
	remove_tree(base);
}

static void test_removed_container_goes_at_next_listing(void **state)
{
	(void)state;
	char base[64], p[PATH_MAX];
	make_tree(base, sizeof(base));
	struct podlogs *pl;
	struct errmsg e = {{0}};
	assert_int_equal(podlogs_open(base, 0, &pl, &e), 0);
	struct podlogs_names n;
	assert_int_equal(podlogs_lookup(pl, CID2, &n), 0);
	snprintf(p, sizeof(p), "%s/containers/coredns-5d78c9869d-abcde_kube-system_coredns-%s.log",
		 base, CID2);
	assert_int_equal(unlink(p), 0);
	/* A miss for another id lists again, and the removed one is gone. */
	assert_int_equal(podlogs_lookup(pl, CID_UNKNOWN, &n), -ENOENT);
	assert_int_equal(podlogs_lookup(pl, CID2, &n), -ENOENT);
	assert_int_equal(podlogs_lookup(pl, CID1, &n), 0);
	podlogs_free(pl);
	remove_tree(base);
}

static void test_flat_containers_dir_and_copies(void **state)
{
	(void)state;
	char base[64], p[PATH_MAX];
	make_tree(base, sizeof(base));
	/* Pointing at containers/ itself works (no pods/: no UIDs from the
	 * pods table, but the links still name them). */
	snprintf(p, sizeof(p), "%s/containers", base);
	struct podlogs *pl;
	struct errmsg e = {{0}};
	assert_int_equal(podlogs_open(p, 30, &pl, &e), 0);
	struct podlogs_names n;
	assert_int_equal(podlogs_lookup(pl, CID1, &n), 0);
	assert_string_equal(n.pod, "web-0");
	assert_string_equal(n.uid, UID1);
	assert_int_equal(podlogs_lookup_pod(pl, UID1, &n), -ENOENT);
	podlogs_free(pl);

	/* Plain files instead of links (a copy of the tree): the UID comes
	 * from the pods directory with the same namespace and pod name. */
	snprintf(p, sizeof(p), "%s/containers/web-0_default_app-%s.log", base, CID1);
	assert_int_equal(unlink(p), 0);
	fclose(fopen(p, "w"));
	assert_int_equal(podlogs_open(base, 30, &pl, &e), 0);
	assert_int_equal(podlogs_lookup(pl, CID1, &n), 0);
	assert_string_equal(n.uid, UID1);
	podlogs_free(pl);
	remove_tree(base);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct podlogs *pl = (struct podlogs *)1;
	struct errmsg e = {{0}};
	assert_int_equal(podlogs_open("/nonexistent/var/log", 30, &pl, &e), -ENOENT);
	assert_null(pl);
	assert_non_null(strstr(e.msg, "--path.podlogs"));
	assert_non_null(strstr(e.msg, "/nonexistent/var/log"));

	/* An empty /var/log (no containers/ yet): an empty table. */
	char base[64];
	snprintf(base, sizeof(base), "/tmp/test_podlogs.XXXXXX");
	assert_non_null(mkdtemp(base));
	assert_int_equal(podlogs_open(base, 30, &pl, &e), 0);
	struct podlogs_names n;
	assert_int_equal(podlogs_lookup(pl, CID1, &n), -ENOENT);
	/* kubelet makes containers/ and pods/ later: the next miss uses them. */
	mkdirs(base, "containers");
	mkdirs(base, "pods");
	add_container(base, "default", "web-0", UID1, "app", CID1);
	assert_int_equal(podlogs_lookup(pl, CID1, &n), 0);
	assert_string_equal(n.pod, "web-0");
	assert_int_equal(podlogs_lookup_pod(pl, UID1, &n), 0);
	podlogs_free(pl);
	remove_tree(base);
}

struct race {
	struct podlogs *pl;
	int misses_ok, hits_ok;
};

static void *lookup_loop(void *arg)
{
	struct race *r = arg;
	struct podlogs_names n;
	for (int i = 0; i < 300; i++) {
		if (podlogs_lookup(r->pl, CID1, &n) == 0 && strcmp(n.pod, "web-0") == 0)
			r->hits_ok++;
		if (podlogs_lookup(r->pl, CID_UNKNOWN, &n) == -ENOENT)
			r->misses_ok++;
	}
	return NULL;
}

static void test_concurrent_lookups_while_the_tree_changes(void **state)
{
	(void)state;
	char base[64];
	make_tree(base, sizeof(base));
	struct podlogs *pl;
	struct errmsg e = {{0}};
	assert_int_equal(podlogs_open(base, 0, &pl, &e), 0);
	pthread_t th[4];
	struct race r[4];
	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){.pl = pl};
		assert_int_equal(pthread_create(&th[i], NULL, lookup_loop, &r[i]), 0);
	}
	for (int i = 0; i < 50; i++) {
		char id[65];
		snprintf(id, sizeof(id), "%064x", 0x1000 + i);
		char uid[37];
		snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012x", i);
		char pod[32];
		snprintf(pod, sizeof(pod), "p%d", i);
		add_container(base, "churn", pod, uid, "c", id);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].hits_ok, 300);
		assert_int_equal(r[i].misses_ok, 300);
	}
	struct podlogs_names n;
	char id[65];
	snprintf(id, sizeof(id), "%064x", 0x1000 + 49);
	assert_int_equal(podlogs_lookup(pl, id, &n), 0);
	assert_string_equal(n.pod, "p49");
	podlogs_free(pl);
	remove_tree(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_container_names),
	    cmocka_unit_test(test_parse_pod_dirs),
	    cmocka_unit_test(test_lookup_containers_and_pods),
	    cmocka_unit_test(test_new_container_is_found_at_once),
	    cmocka_unit_test(test_misses_are_rate_limited),
	    cmocka_unit_test(test_removed_container_goes_at_next_listing),
	    cmocka_unit_test(test_flat_containers_dir_and_copies),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_concurrent_lookups_while_the_tree_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
