/* Unit tests for cgroup_id_parse(): both kubelet cgroup drivers, every
 * runtime and QoS class, pod-level and conmon cgroups, nested prefixes,
 * sub-cgroups, the fixture trees' exact paths, plain Docker hosts and
 * malformed input. Every case asserts all four fields and the return value;
 * the level of each kind of cgroup has tables of its own.
 * Inputs that must not be over-read are copied into exact-size heap buffers
 * so AddressSanitizer catches a read past the NUL. It does not test the
 * cgroup collector that uses these labels. */
/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memacct/cgroup/cgroup_id.h"
#include "memacct_test.h"

/* The pod and container of tests/fixture/cgroup-v{1,2}/<step>/sys. */
#define UID "1f2e3d4c-5b6a-4789-9abc-def012345678"
#define UIDU "1f2e3d4c_5b6a_4789_9abc_def012345678"
#define CID "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c"
/* A second pod and container, for nesting. */
#define UID2 "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define UID2U "0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d"
#define CID2 "e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5"
/* CID minus its last digit, and plus one. */
#define CID63 "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5"
#define CID65 CID "0"

#define SD_G "/kubepods.slice/kubepods-pod" UIDU ".slice"
#define SD_BU "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice"
#define SD_BE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU ".slice"
#define FS_G "/kubepods/pod" UID
#define FS_BU "/kubepods/burstable/pod" UID
#define FS_BE "/kubepods/besteffort/pod" UID

struct want {
	const char *path;
	bool ret;
	const char *uid, *cid, *qos, *runtime;
};

static bool str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *show(const char *s)
{
	return s == NULL ? "(null)" : s;
}

/* Parses w->path and fails at file:line, naming the path, on any difference. */
static void check_at(const char *file, int line, const struct want *w)
{
	struct cgroup_identity id;
	bool ret;

	/* Garbage in every field: the parser must overwrite all of them. */
	memset(&id, 0x7f, sizeof(id));
	ret = cgroup_id_parse(w->path, &id);
	if (ret != w->ret || memchr(id.uid, '\0', sizeof(id.uid)) == NULL ||
	    memchr(id.container_id, '\0', sizeof(id.container_id)) == NULL ||
	    strcmp(id.uid, w->uid) != 0 || strcmp(id.container_id, w->cid) != 0 ||
	    !str_same(id.qos, w->qos) || !str_same(id.runtime, w->runtime)) {
		print_error("path \"%s\"\n  want ret=%d uid=\"%s\" cid=\"%s\" qos=%s runtime=%s\n",
			    w->path, w->ret, w->uid, w->cid, show(w->qos), show(w->runtime));
		if (memchr(id.uid, '\0', sizeof(id.uid)) != NULL &&
		    memchr(id.container_id, '\0', sizeof(id.container_id)) != NULL)
			print_error("  got  ret=%d uid=\"%s\" cid=\"%s\" qos=%s runtime=%s\n", ret,
				    id.uid, id.container_id, show(id.qos), show(id.runtime));
		_fail(file, line);
	}
}

#define CHECK_TABLE(t)                                                                             \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < sizeof(t) / sizeof((t)[0]); i_++)                         \
			check_at(__FILE__, __LINE__, &(t)[i_]);                                    \
	} while (0)

#define CHECK(path, ret, uid, cid, qos, rt)                                                        \
	do {                                                                                       \
		const struct want w_ = {path, ret, uid, cid, qos, rt};                             \
		check_at(__FILE__, __LINE__, &w_);                                                 \
	} while (0)

/* The constants themselves, so a typo there cannot hide a parser bug. */
static void test_constants_are_well_formed(void **state)
{
	(void)state;
	assert_int_equal(strlen(UID), 36);
	assert_int_equal(strlen(UIDU), 36);
	assert_int_equal(strlen(UID2), 36);
	assert_int_equal(strlen(CID), 64);
	assert_int_equal(strlen(CID2), 64);
	assert_int_equal(strlen(CID63), 63);
	assert_int_equal(strlen(CID65), 65);
}

static void test_systemd_driver_runtimes_and_qos(void **state)
{
	static const struct want t[] = {
	    {SD_G "/cri-containerd-" CID ".scope", true, UID, CID, "guaranteed", "containerd"},
	    {SD_BU "/cri-containerd-" CID ".scope", true, UID, CID, "burstable", "containerd"},
	    {SD_BE "/cri-containerd-" CID ".scope", true, UID, CID, "besteffort", "containerd"},
	    {SD_G "/crio-" CID ".scope", true, UID, CID, "guaranteed", "crio"},
	    {SD_BU "/crio-" CID ".scope", true, UID, CID, "burstable", "crio"},
	    {SD_BE "/crio-" CID ".scope", true, UID, CID, "besteffort", "crio"},
	    {SD_G "/docker-" CID ".scope", true, UID, CID, "guaranteed", "docker"},
	    {SD_BU "/docker-" CID ".scope", true, UID, CID, "burstable", "docker"},
	    {SD_BE "/docker-" CID ".scope", true, UID, CID, "besteffort", "docker"},
	    {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID2U
	     ".slice/cri-containerd-" CID2 ".scope",
	     true, UID2, CID2, "besteffort", "containerd"},
	};
	(void)state;
	CHECK_TABLE(t);
}

/* cgroupfs driver: containerd and dockershim name the container by its bare
 * id, so the runtime is unknown; CRI-O's cgroupfs manager names it crio-<id>. */
static void test_cgroupfs_driver_runtimes_and_qos(void **state)
{
	static const struct want t[] = {
	    {FS_G "/" CID, true, UID, CID, "guaranteed", NULL},
	    {FS_BU "/" CID, true, UID, CID, "burstable", NULL},
	    {FS_BE "/" CID, true, UID, CID, "besteffort", NULL},
	    {FS_G "/crio-" CID, true, UID, CID, "guaranteed", "crio"},
	    {FS_BU "/crio-" CID, true, UID, CID, "burstable", "crio"},
	    {FS_BE "/crio-" CID, true, UID, CID, "besteffort", "crio"},
	    {FS_BE "/crio-conmon-" CID, true, UID, "", "besteffort", "crio"},
	    {"/kubepods/besteffort/pod" UID2 "/" CID2, true, UID2, CID2, "besteffort", NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_pod_level_cgroups(void **state)
{
	static const struct want t[] = {
	    {SD_G, true, UID, "", "guaranteed", NULL},
	    {SD_BU, true, UID, "", "burstable", NULL},
	    {SD_BE, true, UID, "", "besteffort", NULL},
	    {SD_BU "/", true, UID, "", "burstable", NULL},
	    {FS_G, true, UID, "", "guaranteed", NULL},
	    {FS_BU, true, UID, "", "burstable", NULL},
	    {FS_BE, true, UID, "", "besteffort", NULL},
	    /* Above the pods: not a pod's. */
	    {"/kubepods.slice", false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-burstable.slice", false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-besteffort.slice", false, "", "", NULL, NULL},
	    {"/kubepods", false, "", "", NULL, NULL},
	    {"/kubepods/burstable", false, "", "", NULL, NULL},
	    {"/kubepods/besteffort", false, "", "", NULL, NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

/* Static pods (kube-apiserver, etcd, scheduler, controller-manager): kubelet
 * names them by a 32-hex hash, no dashes; the UID is exported as it is
 * (it is also the UID in /var/log/pods names). */
#define SUID "8daa50c3a64c9ff60bb9eab7b44b56fd"
static void test_static_pods(void **state)
{
	static const struct want t[] = {
	    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" SUID
	     ".slice/cri-containerd-" CID ".scope",
	     true, SUID, CID, "burstable", "containerd"},
	    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" SUID ".slice", true,
	     SUID, "", "burstable", NULL},
	    {"/kubepods.slice/kubepods-pod" SUID ".slice/crio-" CID ".scope", true, SUID, CID,
	     "guaranteed", "crio"},
	    {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" SUID
	     ".slice/docker-" CID ".scope",
	     true, SUID, CID, "besteffort", "docker"},
	    {"/kubepods/burstable/pod" SUID "/" CID, true, SUID, CID, "burstable", NULL},
	    {"/kubepods/pod" SUID "/crio-" CID, true, SUID, CID, "guaranteed", "crio"},
	    /* 31 or 33 hex, upper case, or a non-hex digit: not a UID. */
	    {"/kubepods/burstable/pod8daa50c3a64c9ff60bb9eab7b44b56f/" CID, false, "", "", NULL,
	     NULL},
	    {"/kubepods/burstable/pod" SUID "0/" CID, false, "", "", NULL, NULL},
	    {"/kubepods/burstable/pod8DAA50C3A64C9FF60BB9EAB7B44B56FD", false, "", "", NULL, NULL},
	    {"/kubepods/burstable/pod8daa50c3a64c9ff60bb9eab7b44b56fg", false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-pod8daa50c3a64c9ff60bb9eab7b44b56fg.slice", false, "", "",
	     NULL, NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

/* conmon supervises the container from outside it: pod and runtime, no id. */
static void test_crio_conmon_is_not_the_container(void **state)
{
	static const struct want t[] = {
	    {SD_G "/crio-conmon-" CID ".scope", true, UID, "", "guaranteed", "crio"},
	    {SD_BU "/crio-conmon-" CID ".scope", true, UID, "", "burstable", "crio"},
	    {SD_BE "/crio-conmon-" CID ".scope", true, UID, "", "besteffort", "crio"},
	    {SD_BU "/crio-conmon-" CID63 ".scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/crio-conmon-" CID ".scope/sub", true, UID, "", "burstable", "crio"},
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_nested_prefixes(void **state)
{
	static const struct want t[] = {
	    /* kind's kubelet, seen from inside the node. */
	    {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	     "kubelet-kubepods-besteffort-pod" UIDU ".slice/cri-containerd-" CID ".scope",
	     true, UID, CID, "besteffort", "containerd"},
	    {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UIDU
	     ".slice/cri-containerd-" CID ".scope",
	     true, UID, CID, "guaranteed", "containerd"},
	    /* The same from the host: the node's docker scope is replaced. */
	    {"/system.slice/docker-" CID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UIDU
	     ".slice/cri-containerd-" CID ".scope",
	     true, UID, CID, "burstable", "containerd"},
	    {"/system.slice/docker-" CID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UIDU ".slice",
	     true, UID, "", "burstable", NULL},
	    /* cgroupfs kubepods anywhere in the path. */
	    {"/docker/" CID2 "/kubepods/burstable/pod" UID "/" CID, true, UID, CID, "burstable",
	     NULL},
	    {"/actions_job/kubepods/besteffort/pod" UID "/" CID, true, UID, CID, "besteffort",
	     NULL},
	    {"/capture/sys/kubepods.slice/kubepods-pod" UIDU ".slice/crio-" CID ".scope", true, UID,
	     CID, "guaranteed", "crio"},
	    /* k3s (cgroupfs). */
	    {"/kubepods/besteffort/pod" UID "/" CID, true, UID, CID, "besteffort", NULL},
	    /* A cluster inside a pod's container: the innermost pod wins. */
	    {FS_BU "/" CID "/kubepods/besteffort/pod" UID2 "/" CID2, true, UID2, CID2, "besteffort",
	     NULL},
	    {SD_G "/cri-containerd-" CID ".scope/kubelet.slice/kubelet-kubepods.slice/"
		  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID2U
		  ".slice",
	     true, UID2, "", "besteffort", NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_sub_cgroups_keep_the_container(void **state)
{
	static const struct want t[] = {
	    {SD_BU "/cri-containerd-" CID ".scope/init.scope", true, UID, CID, "burstable",
	     "containerd"},
	    {SD_G "/crio-" CID ".scope/container", true, UID, CID, "guaranteed", "crio"},
	    /* systemd running in the container, and docker-in-docker below it:
	     * the pod's container stays the identity. */
	    {SD_BE "/docker-" CID ".scope/system.slice/systemd-journald.service", true, UID, CID,
	     "besteffort", "docker"},
	    {SD_BU "/cri-containerd-" CID ".scope/system.slice/docker-" CID2 ".scope", true, UID,
	     CID, "burstable", "containerd"},
	    {FS_BU "/" CID "/init", true, UID, CID, "burstable", NULL},
	    {FS_BU "/" CID "/a/b/" CID2, true, UID, CID, "burstable", NULL},
	    /* Below the pod but not a container, or a container nested deeper:
	     * pod only. */
	    {SD_BU "/misc", true, UID, "", "burstable", NULL},
	    {SD_BU "/misc/cri-containerd-" CID ".scope", true, UID, "", "burstable", NULL},
	    {FS_G "/misc/" CID, true, UID, "", "guaranteed", NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

/* ---- levels: a query picks one, so no cgroup is ever added to its ancestors */

struct want_level {
	const char *path;
	const char *level;
};

static void check_level_at(const char *file, int line, const struct want_level *w)
{
	struct cgroup_identity id;

	memset(&id, 0x7f, sizeof(id));
	cgroup_id_parse(w->path, &id);
	if ((unsigned)id.level >= CGROUP_LEVEL_N ||
	    strcmp(cgroup_level_names[id.level], w->level) != 0) {
		print_error("path \"%s\"\n  want level %s, got %s\n", w->path, w->level,
			    (unsigned)id.level < CGROUP_LEVEL_N ? cgroup_level_names[id.level]
								: "(out of range)");
		_fail(file, line);
	}
}

#define CHECK_LEVELS(t)                                                                            \
	do {                                                                                       \
		for (size_t i_ = 0; i_ < sizeof(t) / sizeof((t)[0]); i_++)                         \
			check_level_at(__FILE__, __LINE__, &(t)[i_]);                              \
	} while (0)

static void test_level_names(void **state)
{
	static const char *const want[] = {"root", "kubepods", "qos", "pod", "container", "other"};
	(void)state;
	assert_int_equal(CGROUP_LEVEL_N, 6);
	for (int i = 0; i < CGROUP_LEVEL_N; i++)
		assert_string_equal(cgroup_level_names[i], want[i]);
}

/* systemd driver, every QoS class and runtime, from the root down. */
static void test_levels_systemd_driver(void **state)
{
	static const struct want_level t[] = {
	    {"/", "root"},
	    {"", "root"},
	    {"//", "root"},
	    {"/kubepods.slice", "kubepods"},
	    {"/kubepods.slice/", "kubepods"},
	    {"/kubepods.slice/kubepods-burstable.slice", "qos"},
	    {"/kubepods.slice/kubepods-besteffort.slice", "qos"},
	    {SD_G, "pod"},
	    {SD_BU, "pod"},
	    {SD_BE, "pod"},
	    {SD_BU "/", "pod"},
	    {SD_G "/cri-containerd-" CID ".scope", "container"},
	    {SD_BU "/cri-containerd-" CID ".scope", "container"},
	    {SD_BE "/crio-" CID ".scope", "container"},
	    {SD_BU "/crio-" CID, "container"},
	    {SD_G "/docker-" CID ".scope", "container"},
	    /* the pause container is a container like any other */
	    {SD_BU "/cri-containerd-" CID2 ".scope", "container"},
	    /* kind's prefixed slices */
	    {"/kubelet.slice", "other"},
	    {"/kubelet.slice/kubelet-kubepods.slice", "kubepods"},
	    {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice", "qos"},
	    {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	     "kubelet-kubepods-besteffort-pod" UIDU ".slice",
	     "pod"},
	    {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UIDU
	     ".slice/cri-containerd-" CID ".scope",
	     "container"},
	    /* not a kubepods or QoS slice: no whole parent slice before it,
	     * another class, not a slice */
	    {"/xkubepods.slice", "other"},
	    {"/kubepods.slice/kubepods-guaranteed.slice", "other"},
	    {"/kubepods.slice/xkubepods-burstable.slice", "other"},
	    {"/kubepods.slice/kubepods-burstable.scope", "other"},
	    {"/kubepods.slice/kubepods-burstable.slice.bak", "other"},
	};
	(void)state;
	CHECK_LEVELS(t);
}

static void test_levels_cgroupfs_driver(void **state)
{
	static const struct want_level t[] = {
	    {"/kubepods", "kubepods"},
	    {"/kubepods/burstable", "qos"},
	    {"/kubepods/besteffort", "qos"},
	    {FS_G, "pod"},
	    {FS_BU, "pod"},
	    {FS_BE, "pod"},
	    {FS_G "/" CID, "container"},
	    {FS_BU "/" CID, "container"},
	    {FS_BE "/crio-" CID, "container"},
	    {FS_BU "/" CID2, "container"},
	    /* "burstable" only means QoS right below kubepods */
	    {"/burstable", "other"},
	    {"/kubepods/x/burstable", "other"},
	    {"/kubepods/guaranteed", "other"},
	    {"/kubepods/Burstable", "other"},
	    /* k3s and a capture root: kubepods anywhere */
	    {"/actions_job/kubepods", "kubepods"},
	    {"/actions_job/kubepods/besteffort", "qos"},
	};
	(void)state;
	CHECK_LEVELS(t);
}

/* Static pods (32-hex UID): the same levels as any pod. */
static void test_levels_static_pods(void **state)
{
	static const struct want_level t[] = {
	    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" SUID ".slice",
	     "pod"},
	    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" SUID
	     ".slice/cri-containerd-" CID ".scope",
	     "container"},
	    {"/kubepods/pod" SUID, "pod"},
	    {"/kubepods/pod" SUID "/crio-" CID, "container"},
	    /* 31 hex: not a pod, so neither is its child a container */
	    {"/kubepods/burstable/pod8daa50c3a64c9ff60bb9eab7b44b56f", "other"},
	    {"/kubepods/burstable/pod8daa50c3a64c9ff60bb9eab7b44b56f/" CID, "other"},
	};
	(void)state;
	CHECK_LEVELS(t);
}

/* conmon, sub-cgroups below a container, unrecognised cgroups below a pod,
 * malformed ids: "other", never "container" (their memory is not the
 * container's, or it is already counted in the container's). */
static void test_levels_other(void **state)
{
	static const struct want_level t[] = {
	    {SD_BU "/crio-conmon-" CID ".scope", "other"},
	    {FS_BE "/crio-conmon-" CID, "other"},
	    {SD_BU "/crio-conmon-" CID ".scope/sub", "other"},
	    {SD_BU "/cri-containerd-" CID ".scope/init.scope", "other"},
	    {SD_BE "/docker-" CID ".scope/system.slice/systemd-journald.service", "other"},
	    {SD_BU "/cri-containerd-" CID ".scope/system.slice/docker-" CID2 ".scope", "other"},
	    {FS_BU "/" CID "/init", "other"},
	    {FS_BU "/" CID "/a/b/" CID2, "other"},
	    {SD_BU "/misc", "other"},
	    {SD_BU "/misc/cri-containerd-" CID ".scope", "other"},
	    {FS_G "/misc/" CID, "other"},
	    {SD_BU "/cri-containerd-" CID63 ".scope", "other"},
	    {FS_BU "/" CID65, "other"},
	    {"/system.slice", "other"},
	    {"/system.slice/containerd.service", "other"},
	    {"/system.slice/kubelet.service", "other"},
	    {"/user.slice/user-1000.slice/session-2.scope", "other"},
	    {"/system.slice/cri-containerd-" CID ".scope", "other"},
	    {"/" CID, "other"},
	    {"x", "other"},
	    {"\n", "other"},
	};
	(void)state;
	CHECK_LEVELS(t);
}

/* Plain Docker hosts: the container's own cgroup is a container. */
static void test_levels_docker_hosts(void **state)
{
	static const struct want_level t[] = {
	    {"/docker", "other"},
	    {"/docker/" CID, "container"},
	    {"/docker/" CID "/sub", "other"},
	    {"/system.slice/docker-" CID ".scope", "container"},
	    {"/system.slice/docker-" CID ".scope/init.scope", "other"},
	    {"/system.slice/docker.service", "other"},
	    {"/docker/" CID63, "other"},
	};
	(void)state;
	CHECK_LEVELS(t);
}

/* A cluster inside a node container or a pod's container shows its own
 * levels; its innermost pod and container are the pod and container. */
static void test_levels_nested(void **state)
{
	static const struct want_level t[] = {
	    {"/system.slice/docker-" CID2 ".scope/kubelet.slice/kubelet-kubepods.slice", "kubepods"},
	    {"/system.slice/docker-" CID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-burstable.slice",
	     "qos"},
	    {"/system.slice/docker-" CID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UIDU ".slice",
	     "pod"},
	    {"/system.slice/docker-" CID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" UIDU
	     ".slice/cri-containerd-" CID ".scope",
	     "container"},
	    {"/docker/" CID2 "/kubepods", "kubepods"},
	    {"/docker/" CID2 "/kubepods/burstable/pod" UID "/" CID, "container"},
	    {FS_BU "/" CID "/kubepods/besteffort/pod" UID2, "pod"},
	    {FS_BU "/" CID "/kubepods/besteffort/pod" UID2 "/" CID2, "container"},
	};
	(void)state;
	CHECK_LEVELS(t);
}

/* Every directory of tests/fixture/cgroup-v{1,2}/<step>/sys, relative to sys. */
static const struct want fixture_paths[] = {
    {"/", false, "", "", NULL, NULL},
    {"/kubepods.slice", false, "", "", NULL, NULL},
    {"/kubepods.slice/kubepods-burstable.slice", false, "", "", NULL, NULL},
    {"/kubepods.slice/kubepods-burstable.slice/"
     "kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice",
     true, "1f2e3d4c-5b6a-4789-9abc-def012345678", "", "burstable", NULL},
    {"/kubepods.slice/kubepods-burstable.slice/"
     "kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice/"
     "cri-containerd-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c.scope",
     true, "1f2e3d4c-5b6a-4789-9abc-def012345678",
     "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c", "burstable", "containerd"},
    {"/kubepods", false, "", "", NULL, NULL},
    {"/kubepods/burstable", false, "", "", NULL, NULL},
    {"/kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678", true,
     "1f2e3d4c-5b6a-4789-9abc-def012345678", "", "burstable", NULL},
    {"/kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678/"
     "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c",
     true, "1f2e3d4c-5b6a-4789-9abc-def012345678",
     "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c", "burstable", NULL},
};

/* Their levels: one cgroup of each. */
static const struct want_level fixture_levels[] = {
    {"/", "root"},
    {"/kubepods.slice", "kubepods"},
    {"/kubepods.slice/kubepods-burstable.slice", "qos"},
    {"/kubepods.slice/kubepods-burstable.slice/"
     "kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice",
     "pod"},
    {"/kubepods.slice/kubepods-burstable.slice/"
     "kubepods-burstable-pod1f2e3d4c_5b6a_4789_9abc_def012345678.slice/"
     "cri-containerd-3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c.scope",
     "container"},
    {"/kubepods", "kubepods"},
    {"/kubepods/burstable", "qos"},
    {"/kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678", "pod"},
    {"/kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def012345678/"
     "3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c",
     "container"},
};

static const struct want_level *fixture_level(const char *path)
{
	for (size_t i = 0; i < sizeof(fixture_levels) / sizeof(fixture_levels[0]); i++)
		if (strcmp(fixture_levels[i].path, path) == 0)
			return &fixture_levels[i];
	fail_msg("fixture cgroup \"%s\" has no level in fixture_levels", path);
	return NULL;
}

static void test_fixture_paths(void **state)
{
	(void)state;
	CHECK_TABLE(fixture_paths);
	assert_int_equal(sizeof(fixture_levels) / sizeof(fixture_levels[0]),
			 sizeof(fixture_paths) / sizeof(fixture_paths[0]));
	CHECK_LEVELS(fixture_levels);
}

static const struct want *fixture_lookup(const char *rel)
{
	for (size_t i = 0; i < sizeof(fixture_paths) / sizeof(fixture_paths[0]); i++)
		if (strcmp(fixture_paths[i].path, rel) == 0)
			return &fixture_paths[i];
	return NULL;
}

/* Walks the directories below root (root itself is "/") and checks that each
 * one is in fixture_paths, so a new fixture cgroup cannot go untested. */
static void walk_fixture(const char *root, char *rel, size_t rel_len, size_t rel_cap,
			 unsigned *seen)
{
	char full[4096];
	const struct want *w = fixture_lookup(rel_len == 0 ? "/" : rel);
	DIR *d;
	struct dirent *e;

	if (w == NULL) {
		print_error("fixture cgroup \"%s\" (below %s) is not in fixture_paths\n", rel,
			    root);
		fail();
	}
	check_at(__FILE__, __LINE__, w);
	check_level_at(__FILE__, __LINE__, fixture_level(w->path));
	(*seen)++;
	assert_true((size_t)snprintf(full, sizeof(full), "%s%s", root, rel) < sizeof(full));
	d = opendir(full);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		assert_true(rel_len + 1 + n < rel_cap);
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, e->d_name, n + 1);
		assert_true((size_t)snprintf(full, sizeof(full), "%s%s", root, rel) < sizeof(full));
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
			walk_fixture(root, rel, rel_len + 1 + n, rel_cap, seen);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

/* The fixture trees as they are on disk (tests/fixture): every phase of
 * both captures. */
static void test_fixture_trees_on_disk(void **state)
{
	const char *base = fixture_dir();
	unsigned trees = 0;

	(void)state;
	for (size_t v = 0; v < FIXTURE_MODES; v++) {
		char dir[1024], root[2048], rel[2048];
		DIR *d;
		struct dirent *e;

		assert_true((size_t)snprintf(dir, sizeof(dir), "%s/%s", base, fixture_modes[v]) <
			    sizeof(dir));
		d = opendir(dir);
		assert_non_null(d);
		while ((e = readdir(d)) != NULL) {
			struct stat st;
			unsigned seen = 0;

			if (e->d_name[0] == '.')
				continue;
			assert_true((size_t)snprintf(root, sizeof(root), "%s/%s/sys", dir,
						     e->d_name) < sizeof(root));
			if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			rel[0] = '\0';
			walk_fixture(root, rel, 0, sizeof(rel), &seen);
			/* "/", kubepods, QoS, pod, container. */
			assert_int_equal(seen, 5);
			trees++;
		}
		closedir(d);
	}
	assert_int_equal(trees, FIXTURE_MODES * FIXTURE_PHASES);
}

/* Decision: outside any pod only plain Docker is recognised. */
static void test_plain_docker_hosts(void **state)
{
	static const struct want t[] = {
	    {"/system.slice/docker-" CID ".scope", false, "", CID, NULL, "docker"},
	    {"/system.slice/docker-" CID ".scope/init.scope", false, "", CID, NULL, "docker"},
	    {"/docker/" CID, false, "", CID, NULL, "docker"},
	    {"/docker/" CID "/sub", false, "", CID, NULL, "docker"},
	    {"/docker/" CID "/docker/" CID2, false, "", CID, NULL, "docker"},
	    {"/docker", false, "", "", NULL, NULL},
	    {"/docker/" CID63, false, "", "", NULL, NULL},
	    {"/docker/" CID65, false, "", "", NULL, NULL},
	    {"/system.slice/docker-" CID63 ".scope", false, "", "", NULL, NULL},
	    {"/system.slice/docker-" CID, false, "", "", NULL, NULL},
	    {"/system.slice/docker.service", false, "", "", NULL, NULL},
	    /* No other runtime outside a pod, no bare ids elsewhere. */
	    {"/system.slice/containerd.service", false, "", "", NULL, NULL},
	    {"/system.slice/cri-containerd-" CID ".scope", false, "", "", NULL, NULL},
	    {"/system.slice/crio-" CID ".scope", false, "", "", NULL, NULL},
	    {"/machine.slice/libpod-" CID ".scope", false, "", "", NULL, NULL},
	    {"/user.slice/user-1000.slice/session-2.scope", false, "", "", NULL, NULL},
	    {"/lxc/" CID, false, "", "", NULL, NULL},
	    {"/" CID, false, "", "", NULL, NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_malformed_uids(void **state)
{
	static const struct want t[] = {
	    /* Short and long. */
	    {"/kubepods/burstable/pod1f2e3d4c-5b6a-4789-9abc-def01234567/" CID, false, "", "", NULL,
	     NULL},
	    {"/kubepods/burstable/pod" UID "0/" CID, false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-pod1f2e3d4c_5b6a_4789_9abc_def01234567.slice", false, "", "",
	     NULL, NULL},
	    {"/kubepods.slice/kubepods-pod01f2e3d4c_5b6a_4789_9abc_def012345678.slice", false, "",
	     "", NULL, NULL},
	    /* Upper case, non-hex. */
	    {"/kubepods/pod1F2E3D4C-5B6A-4789-9ABC-DEF012345678/" CID, false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-pod1f2e3d4c_5b6a_4789_9abc_def01234567A.slice", false, "",
	     "", NULL, NULL},
	    {"/kubepods/pod1f2e3d4c-5b6a-4789-9abc-def01234567g", false, "", "", NULL, NULL},
	    /* Separators: wrong kind for the driver, mixed, misplaced. */
	    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID ".slice", false,
	     "", "", NULL, NULL},
	    {"/kubepods/burstable/pod" UIDU, false, "", "", NULL, NULL},
	    {"/kubepods/pod1f2e3d4c-5b6a_4789-9abc-def012345678", false, "", "", NULL, NULL},
	    {"/kubepods/pod1f2e3d4c5-b6a-4789-9abc-def012345678", false, "", "", NULL, NULL},
	    {"/kubepods/pod1f2e3d4c-5b6a-4789-9abc-def0123456-8", false, "", "", NULL, NULL},
	    /* Trailing junk. */
	    {SD_BU "x/cri-containerd-" CID ".scope", false, "", "", NULL, NULL},
	    {SD_BU ".bak", false, "", "", NULL, NULL},
	    {FS_BU "x/" CID, false, "", "", NULL, NULL},
	    {FS_BU " ", false, "", "", NULL, NULL},
	    /* Not where kubelet puts pods. */
	    {"/burstable/pod" UID "/" CID, false, "", "", NULL, NULL},
	    {"/pod" UID "/" CID, false, "", "", NULL, NULL},
	    {"/kubepods/guaranteed/pod" UID "/" CID, false, "", "", NULL, NULL},
	    {"/kubepods/Burstable/pod" UID, false, "", "", NULL, NULL},
	    {"/kubepods/x/burstable/pod" UID, false, "", "", NULL, NULL},
	    {"/kubepods/burstable/x/pod" UID, false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-guaranteed-pod" UIDU ".slice", false, "", "", NULL, NULL},
	    {"/kubepods.slice/xkubepods-pod" UIDU ".slice", false, "", "", NULL, NULL},
	    {"/kubepods.slice/pod" UIDU ".slice", false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-pod" UIDU, false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-pod" UIDU ".scope", false, "", "", NULL, NULL},
	    {"/kubepods.slice/kubepods-burstable-pod.slice", false, "", "", NULL, NULL},
	    {"/.slice", false, "", "", NULL, NULL},
	    {"/pod", false, "", "", NULL, NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_malformed_container_ids(void **state)
{
	static const struct want t[] = {
	    {SD_BU "/cri-containerd-" CID63 ".scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd-" CID65 ".scope", true, UID, "", "burstable", NULL},
	    {FS_BU "/" CID63, true, UID, "", "burstable", NULL},
	    {FS_BU "/" CID65, true, UID, "", "burstable", NULL},
	    {SD_BU
	     "/cri-containerd-3B1E0C8A9F7D6E5C4B3A29180F7E6D5C4B3A29180F7E6D5C4B3A29180F7E6D5C"
	     ".scope",
	     true, UID, "", "burstable", NULL},
	    {FS_BU "/3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5C", true, UID,
	     "", "burstable", NULL},
	    {FS_BU "/3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5g", true, UID,
	     "", "burstable", NULL},
	    /* Trailing junk and wrong names. */
	    {SD_BU "/cri-containerd-" CID ".scopex", true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd-" CID ".scope.bak", true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd-" CID ".slice", true, UID, "", "burstable", NULL},
	    {FS_BU "/" CID "x", true, UID, "", "burstable", NULL},
	    {SD_BU "/containerd-" CID ".scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/CRI-containerd-" CID ".scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd--" CID ".scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/crio-conmon-" CID "x.scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/crio-" CID ".scope"
		   ".scope",
	     true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd-.scope", true, UID, "", "burstable", NULL},
	    {SD_BU "/.scope", true, UID, "", "burstable", NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_odd_bytes(void **state)
{
	static const struct want t[] = {
	    {"", false, "", "", NULL, NULL},
	    {"/", false, "", "", NULL, NULL},
	    {"//", false, "", "", NULL, NULL},
	    {"///////", false, "", "", NULL, NULL},
	    {"x", false, "", "", NULL, NULL},
	    /* Lenient about the leading '/' and doubled ones. */
	    {"kubepods/burstable/pod" UID "/" CID, true, UID, CID, "burstable", NULL},
	    {"//kubepods//burstable//pod" UID "//" CID "//", true, UID, CID, "burstable", NULL},
	    /* Invalid UTF-8 elsewhere in the path does not matter... */
	    {"/\xff\xfe\xc3\x28/kubepods/besteffort/pod" UID "/" CID, true, UID, CID, "besteffort",
	     NULL},
	    {FS_BE "/" CID "/\x80\xbf", true, UID, CID, "besteffort", NULL},
	    /* ...inside an id or UID it is just not hex. */
	    {"/kubepods/besteffort/pod1f2e3d4c-5b6a-4789-9abc-def01234567\xff/" CID, false, "", "",
	     NULL, NULL},
	    {FS_BE "/\xff" CID, true, UID, "", "besteffort", NULL},
	    {FS_BE "/3b1e0c8a9f7d6e5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5\xc3", true,
	     UID, "", "besteffort", NULL},
	    {"/kubepods.slice/\xc3\x28kubepods-pod" UIDU ".slice", false, "", "", NULL, NULL},
	    /* Quotes, backslashes and newlines, as in a hostile cgroup name. */
	    {"/a\"b\\c\n/kubepods/pod" UID "/" CID, true, UID, CID, "guaranteed", NULL},
	    {FS_BU "\n/" CID, false, "", "", NULL, NULL},
	    {FS_BU "/\"" CID "\"", true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd-" CID ".scope\n", true, UID, "", "burstable", NULL},
	    {SD_BU "/cri-containerd-" CID ".scope/\"\n\\", true, UID, CID, "burstable",
	     "containerd"},
	    {"\n", false, "", "", NULL, NULL},
	    {"\"", false, "", "", NULL, NULL},
	};
	(void)state;
	CHECK_TABLE(t);
}

/* The string ends at its first NUL, whatever follows in memory. */
static void test_embedded_nul_ends_the_path(void **state)
{
	static const char buf[] = FS_BU "\0/" CID;
	struct cgroup_identity id;

	(void)state;
	assert_true(cgroup_id_parse(buf, &id));
	assert_string_equal(id.uid, UID);
	assert_string_equal(id.container_id, "");
	assert_string_equal(id.qos, "burstable");
	assert_null(id.runtime);
}

static void test_null_arguments(void **state)
{
	struct cgroup_identity id;

	(void)state;
	memset(&id, 0x7f, sizeof(id));
	assert_false(cgroup_id_parse(NULL, &id));
	assert_string_equal(id.uid, "");
	assert_string_equal(id.container_id, "");
	assert_null(id.qos);
	assert_null(id.runtime);
	assert_int_equal(id.level, CGROUP_LEVEL_OTHER);
	assert_false(cgroup_id_parse(FS_BU, NULL));
}

/* A parse after a successful one leaves nothing of it behind. */
static void test_reused_identity_is_cleared(void **state)
{
	struct cgroup_identity id;

	(void)state;
	assert_true(cgroup_id_parse(SD_BU "/cri-containerd-" CID ".scope", &id));
	assert_false(cgroup_id_parse("/system.slice", &id));
	assert_string_equal(id.uid, "");
	assert_string_equal(id.container_id, "");
	assert_null(id.qos);
	assert_null(id.runtime);
}

/* Runs path from an exact-size heap copy so ASan sees any over-read. */
static bool parse_exact(const char *s, size_t n, struct cgroup_identity *id)
{
	char *copy = malloc(n + 1);
	bool ret;

	assert_non_null(copy);
	memcpy(copy, s, n);
	copy[n] = '\0';
	ret = cgroup_id_parse(copy, id);
	free(copy);
	return ret;
}

static void test_very_long_paths(void **state)
{
	const size_t junk = 1u << 20;
	const char tail[] = FS_BE "/" CID;
	char *p = malloc(junk + sizeof(tail));
	struct cgroup_identity id;

	(void)state;
	assert_non_null(p);
	/* A megabyte of "/a" components before a real pod. */
	for (size_t i = 0; i < junk; i += 2) {
		p[i] = '/';
		p[i + 1] = 'a';
	}
	memcpy(p + junk, tail, sizeof(tail));
	assert_true(parse_exact(p, strlen(p), &id));
	assert_string_equal(id.uid, UID);
	assert_string_equal(id.container_id, CID);
	assert_string_equal(id.qos, "besteffort");
	assert_null(id.runtime);

	/* One megabyte-long component, slash-free. */
	memset(p, 'a', junk);
	assert_false(parse_exact(p, junk, &id));
	assert_string_equal(id.uid, "");
	assert_string_equal(id.container_id, "");

	/* A huge component that ends like a pod slice: the prefix is junk. */
	memset(p, 'f', junk);
	memcpy(p + junk - sizeof("kubepods-pod" UIDU ".slice") + 1, "kubepods-pod" UIDU ".slice",
	       sizeof("kubepods-pod" UIDU ".slice") - 1);
	assert_false(parse_exact(p, junk, &id));
	p[junk - sizeof("kubepods-pod" UIDU ".slice")] = '-';
	assert_true(parse_exact(p, junk, &id));
	assert_string_equal(id.uid, UID);
	assert_string_equal(id.qos, "guaranteed");
	free(p);
}

/* Checks what any result must satisfy, whatever the input. */
static void assert_identity_sane(bool ret, const struct cgroup_identity *id)
{
	size_t ul = strnlen(id->uid, sizeof(id->uid));
	size_t cl = strnlen(id->container_id, sizeof(id->container_id));

	assert_true(ul < sizeof(id->uid) && cl < sizeof(id->container_id));
	assert_true(ret == (ul != 0));
	assert_true(ul == 0 || ul == 36);
	assert_true(cl == 0 || cl == 64);
	for (size_t i = 0; i < ul; i++) {
		char c = id->uid[i];
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(c, '-');
		else
			assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
	}
	for (size_t i = 0; i < cl; i++) {
		char c = id->container_id[i];
		assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
	}
	assert_true(ret == (id->qos != NULL));
	assert_true(id->qos == NULL || strcmp(id->qos, "guaranteed") == 0 ||
		    strcmp(id->qos, "burstable") == 0 || strcmp(id->qos, "besteffort") == 0);
	assert_true(id->runtime == NULL || strcmp(id->runtime, "containerd") == 0 ||
		    strcmp(id->runtime, "crio") == 0 || strcmp(id->runtime, "docker") == 0);
	if (!ret)
		assert_true(id->runtime == NULL || strcmp(id->runtime, "docker") == 0);
	assert_true((unsigned)id->level < CGROUP_LEVEL_N);
	/* a container is one only with its id, a pod only with its UID */
	if (id->level == CGROUP_LEVEL_CONTAINER)
		assert_true(cl == 64);
	if (id->level == CGROUP_LEVEL_POD)
		assert_true(ret && cl == 0);
}

/* Every prefix of real paths, from exact-size buffers: no over-read, and
 * each truncation gives a sane (usually partial) identity. */
static void test_every_prefix_of_real_paths(void **state)
{
	/* Parenthesised: each entry is one concatenated literal. */
	static const char *const paths[] = {
	    (SD_BU "/cri-containerd-" CID ".scope/init.scope"),
	    (SD_G "/crio-conmon-" CID ".scope"),
	    ("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	     "kubelet-kubepods-besteffort-pod" UIDU ".slice/docker-" CID ".scope"),
	    (FS_BE "/crio-" CID "/sub"),
	    ("/system.slice/docker-" CID ".scope"),
	    ("/docker/" CID),
	};
	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t n = strlen(paths[i]);
		for (size_t k = 0; k <= n; k++) {
			struct cgroup_identity id;
			bool ret = parse_exact(paths[i], k, &id);
			assert_identity_sane(ret, &id);
		}
	}
}

static uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Deterministic random paths built from pieces of real ones, plus raw bytes:
 * no crash, no over-read (ASan), and sane results. A first taste of what the
 * fuzz target does at scale. */
static void test_random_paths_stay_sane(void **state)
{
	static const char *const pieces[] = {
	    "/kubepods",
	    "/burstable",
	    "/besteffort",
	    ("/pod" UID),
	    ("/kubepods-burstable-pod" UIDU ".slice"),
	    ("/kubepods-pod" UIDU ".slice"),
	    ("/cri-containerd-" CID ".scope"),
	    ("/crio-conmon-" CID),
	    ("/" CID),
	    ("/docker-" CID ".scope"),
	    "/",
	    "/",
	    "kubepods",
	    "kubepods.slice",
	    "kubepods-",
	    "kubelet-kubepods-",
	    "burstable",
	    "besteffort",
	    "-burstable",
	    "-besteffort",
	    "pod",
	    "-pod",
	    UID,
	    UIDU,
	    ".slice",
	    ".scope",
	    "cri-containerd-",
	    "crio-",
	    "crio-conmon-",
	    "docker-",
	    "docker",
	    CID,
	    CID63,
	    "_",
	    "-",
	    "0",
	    "f",
	    "\xff",
	    "\"",
	    "\n",
	    "system.slice",
	};
	uint64_t x = 0x9e3779b97f4a7c15u;
	char buf[1024];
	unsigned recognised = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = 0;
		unsigned count;
		struct cgroup_identity id;
		bool ret;

		x = xorshift(x);
		count = (unsigned)(x % 24);
		for (unsigned j = 0; j < count; j++) {
			const char *piece;
			size_t len;
			char raw[2];

			x = xorshift(x);
			if (x % 8 == 0) {
				raw[0] = (char)(x >> 8 & 0xff);
				raw[1] = '\0';
				piece = raw;
				len = raw[0] == '\0' ? 0 : 1;
			} else {
				piece = pieces[(x >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
				len = strlen(piece);
			}
			if (n + len >= sizeof(buf))
				break;
			memcpy(buf + n, piece, len);
			n += len;
		}
		ret = parse_exact(buf, n, &id);
		assert_identity_sane(ret, &id);
		recognised += ret;
	}
	/* The pieces are real enough that some random paths are pods. */
	assert_true(recognised > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_constants_are_well_formed),
	    cmocka_unit_test(test_systemd_driver_runtimes_and_qos),
	    cmocka_unit_test(test_cgroupfs_driver_runtimes_and_qos),
	    cmocka_unit_test(test_pod_level_cgroups),
	    cmocka_unit_test(test_static_pods),
	    cmocka_unit_test(test_crio_conmon_is_not_the_container),
	    cmocka_unit_test(test_nested_prefixes),
	    cmocka_unit_test(test_sub_cgroups_keep_the_container),
	    cmocka_unit_test(test_level_names),
	    cmocka_unit_test(test_levels_systemd_driver),
	    cmocka_unit_test(test_levels_cgroupfs_driver),
	    cmocka_unit_test(test_levels_static_pods),
	    cmocka_unit_test(test_levels_other),
	    cmocka_unit_test(test_levels_docker_hosts),
	    cmocka_unit_test(test_levels_nested),
	    cmocka_unit_test(test_fixture_paths),
	    cmocka_unit_test(test_fixture_trees_on_disk),
	    cmocka_unit_test(test_plain_docker_hosts),
	    cmocka_unit_test(test_malformed_uids),
	    cmocka_unit_test(test_malformed_container_ids),
	    cmocka_unit_test(test_odd_bytes),
	    cmocka_unit_test(test_embedded_nul_ends_the_path),
	    cmocka_unit_test(test_null_arguments),
	    cmocka_unit_test(test_reused_identity_is_cleared),
	    cmocka_unit_test(test_very_long_paths),
	    cmocka_unit_test(test_every_prefix_of_real_paths),
	    cmocka_unit_test(test_random_paths_stay_sane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
