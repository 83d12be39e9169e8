/* vm_hold: a workload of the VM scenarios (tests/vm). It allocates and
 * touches ANON_MIB MiB of anonymous memory, one MiB at a time, optionally
 * maps FILE (a file on tmpfs: shmem) shared and touches every page of it,
 * then prints "ready" and sleeps until it is killed. Run past memory.max it
 * is OOM-killed mid-way; past memory.high it is throttled mid-way. It does
 * not free anything, fork, or read cgroup files.
 * Usage: vm_hold ANON_MIB [FILE] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static int touch_shared(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		return -1;
	}
	char *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	long page = sysconf(_SC_PAGESIZE);
	for (off_t off = 0; off < st.st_size; off += page)
		p[off] = 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s ANON_MIB [FILE]\n", argv[0]);
		return 2;
	}
	char *end;
	long mib = strtol(argv[1], &end, 10);
	if (*end || mib < 0) {
		fprintf(stderr, "%s: ANON_MIB must be a number, got '%s'\n", argv[0], argv[1]);
		return 2;
	}
	for (long i = 0; i < mib; i++) {
		char *p = malloc(MIB);
		if (!p) {
			fprintf(stderr, "%s: malloc failed after %ld MiB\n", argv[0], i);
			return 1;
		}
		memset(p, 0x5a, MIB);
	}
	if (argc == 3 && touch_shared(argv[2]))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
