/* fuzz_cgroup_mem: libFuzzer target for cgroup_mem_read(), the reader behind
 * the memory split of SPEC section 2, on fuzzed cgroup files. The input is
 * cut at '\x01' bytes into memory.stat, the usage file (memory.current for
 * v2, memory.usage_in_bytes for v1), memory.kmem.usage_in_bytes and
 * memory.max/memory.limit_in_bytes; the first byte's low bit picks v1 or v2.
 * With the first byte's bit 1 set the input is read instead as raw 64-bit
 * numbers (anon, shmem, active_file, inactive_file, kernel, usage, kmem)
 * formatted into those files, so the numeric edges are reached at once.
 * They are written to a scratch directory on tmpfs (/dev/shm, else TMPDIR)
 * and read back through a directory fd, as the collector does. Whenever the
 * split is reported it must be what the README promises on any numbers:
 * the six components sum to usage exactly, none exceeds usage, and the
 * working set is usage minus inactive file floored at 0 (so <= usage). It
 * does not walk, label or format. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cgroup/cgroup_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dirfd_ = -1;
static struct readbuf buf;
static char scratch[4096];

static const char *const all_files[] = {"memory.stat",	  "memory.usage_in_bytes",
					"memory.current", "memory.kmem.usage_in_bytes",
					"memory.limit_in_bytes", "memory.max"};

/* Removes the files of scratch directory dir (an fd) and, when path is
 * given, the directory. */
static void clear_dir(int dir, const char *path)
{
	for (size_t i = 0; i < sizeof(all_files) / sizeof(all_files[0]); i++)
		unlinkat(dir, all_files[i], 0);
	if (path)
		rmdir(path);
}

/* libFuzzer ends with _Exit (no atexit): each run removes the scratch
 * directories that runs before it left, once their process is gone. */
static void sweep(const char *base)
{
	DIR *d = opendir(base);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *pfx = "fuzz_cgroup_mem.";
		if (strncmp(de->d_name, pfx, strlen(pfx)) != 0)
			continue;
		char proc[64], path[4096];
		snprintf(proc, sizeof(proc), "/proc/%s", de->d_name + strlen(pfx));
		if (access(proc, F_OK) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			clear_dir(fd, path);
			close(fd);
		}
	}
	closedir(d);
}

static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (!base)
		base = "/tmp";
	sweep(base);
	snprintf(scratch, sizeof(scratch), "%s/fuzz_cgroup_mem.%d", base, (int)getpid());
	mkdir(scratch, 0700);
	dirfd_ = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_ < 0)
		abort();
	readbuf_init(&buf, 1 << 20);
}

static void put(const char *name, const uint8_t *p, size_t n, int present)
{
	unlinkat(dirfd_, name, 0);
	if (!present)
		return;
	int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (n && write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dirfd_ < 0)
		setup();
	if (size < 1)
		return 0;
	enum cgroup_mode mode = data[0] & 1 ? CGROUP_V1 : CGROUP_V2;
	const char *names[4] = {
		"memory.stat",
		mode == CGROUP_V1 ? "memory.usage_in_bytes" : "memory.current",
		"memory.kmem.usage_in_bytes",
		mode == CGROUP_V1 ? "memory.limit_in_bytes" : "memory.max",
	};
	clear_dir(dirfd_, NULL);
	if (data[0] & 2) {
		uint64_t v[7] = {0};
		memcpy(v, data + 1, size - 1 < sizeof(v) ? size - 1 : sizeof(v));
		char text[1024];
		int n = mode == CGROUP_V1
			? snprintf(text, sizeof(text),
				   "total_rss %llu\ntotal_shmem %llu\ntotal_active_file %llu\n"
				   "total_inactive_file %llu\n",
				   (unsigned long long)v[0], (unsigned long long)v[1],
				   (unsigned long long)v[2], (unsigned long long)v[3])
			: snprintf(text, sizeof(text),
				   "anon %llu\nshmem %llu\nactive_file %llu\ninactive_file %llu\n"
				   "kernel %llu\n",
				   (unsigned long long)v[0], (unsigned long long)v[1],
				   (unsigned long long)v[2], (unsigned long long)v[3],
				   (unsigned long long)v[4]);
		put(names[0], (const uint8_t *)text, (size_t)n, 1);
		n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)v[5]);
		put(names[1], (const uint8_t *)text, (size_t)n, 1);
		n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)v[6]);
		put(names[2], (const uint8_t *)text, (size_t)n, 1);
	} else {
		const uint8_t *p = data + 1, *end = data + size;
		for (int i = 0; i < 4 && p <= end; i++) {
			const uint8_t *cut = memchr(p, '\x01', (size_t)(end - p));
			const uint8_t *e = cut ? cut : end;
			put(names[i], p, (size_t)(e - p), 1);
			if (!cut)
				break;
			p = cut + 1;
		}
	}

	struct cgroup_mem m;
	const char *bad = NULL;
	struct cgroup_dir cg = cgroup_dir_at(dirfd_);
	int rc = cgroup_mem_read(&cg, mode, CGROUP_MEM_ALL, &buf, &m, &bad);
	clear_dir(dirfd_, NULL);
	if (rc == 0 && m.has_split) {
		uint64_t usage = m.v[CM_USAGE];
		unsigned __int128 sum = 0;
		for (int i = 0; i < COMP_N; i++) {
			if (m.comp[i] > usage)
				abort(); /* a component larger than usage */
			sum += m.comp[i];
		}
		if (sum != usage)
			abort(); /* the split must sum to usage exactly */
		if (!cgroup_mem_has(&m, CM_USAGE) || !cgroup_mem_has(&m, CM_WORKING_SET) ||
		    m.v[CM_WORKING_SET] > usage)
			abort();
	}
	if (rc != 0 && rc != -ENOENT && !bad)
		abort(); /* an error names the file */
	return 0;
}
