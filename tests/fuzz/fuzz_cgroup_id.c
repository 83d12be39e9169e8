/* fuzz_cgroup_id: libFuzzer target for cgroup_id_parse(), the Kubernetes
 * identity read from a cgroup path. It checks the contract of cgroup_id.h on
 * any bytes: the return value says whether a uid was found; a uid is 36
 * bytes of lowercase hex with dashes at 8/13/18/23 (or a static pod's 32 hex)
 * and comes with a QoS; a container id is 64 lowercase hex bytes; the level
 * is in range, a container level has an id and a pod level a uid; qos and
 * runtime are one of the
 * documented literals or NULL; a result found is a substring of the path
 * (modulo '_' for '-'). It does not test which paths are recognised (the
 * unit tests do). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/cgroup/cgroup_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';

	struct cgroup_identity id;
	memset(&id, 0x5A, sizeof(id));
	bool pod = cgroup_id_parse(path, &id);
	size_t ul = strnlen(id.uid, sizeof(id.uid));
	size_t cl = strnlen(id.container_id, sizeof(id.container_id));
	if (ul == sizeof(id.uid) || cl == sizeof(id.container_id))
		abort(); /* not NUL-terminated */
	/* 36: a UUID; 32: a static pod's hash, no dashes */
	if (pod != (ul != 0) || (ul != 0 && ul != 36 && ul != 32) || (cl != 0 && cl != 64))
		abort();
	for (size_t i = 0; i < ul; i++) {
		int dash = ul == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
		if (dash ? id.uid[i] != '-' : !is_lower_hex(id.uid[i]))
			abort();
	}
	for (size_t i = 0; i < cl; i++)
		if (!is_lower_hex(id.container_id[i]))
			abort();
	if (pod != (id.qos != NULL))
		abort();
	if (id.qos && strcmp(id.qos, "guaranteed") && strcmp(id.qos, "burstable") &&
	    strcmp(id.qos, "besteffort"))
		abort();
	if (id.runtime && strcmp(id.runtime, "containerd") && strcmp(id.runtime, "crio") &&
	    strcmp(id.runtime, "docker"))
		abort();
	if ((unsigned)id.level >= CGROUP_LEVEL_N || (id.level == CGROUP_LEVEL_CONTAINER && !cl) ||
	    (id.level == CGROUP_LEVEL_POD && (!pod || cl)))
		abort(); /* a container level has its id, a pod level its UID */
	if (cl && !strstr(path, id.container_id))
		abort(); /* a container id is copied from the path */
	if (ul) {
		char alt[37];
		memcpy(alt, id.uid, sizeof(alt));
		for (size_t i = 0; i < 36; i++)
			if (alt[i] == '-')
				alt[i] = '_';
		if (!strstr(path, id.uid) && !strstr(path, alt))
			abort();
	}
	/* NULL path and NULL id are documented as harmless. */
	if (cgroup_id_parse(NULL, &id) || id.uid[0] || id.container_id[0] || id.qos ||
	    id.runtime || cgroup_id_parse(path, NULL))
		abort();
	free(path);
	return 0;
}
