/* vm_churn: creates and destroys COUNT memory cgroups below ROOT at RATE per
 * second (stopping early after MAX_SECONDS: a loaded host slows the guest),
 * each with a process in it, as the churn scenario of the VM harness
 * (tests/vm) needs: on average every 1/RATE s (in bursts at most 50 ms
 * apart) it makes cg-N, forks a child that sleeps, moves it in, and once 50 are live destroys the oldest (kill,
 * reap, rmdir, retried while the kernel still sees the task). Every tenth
 * cgroup is nested (cg-N/inner), every tenth a Kubernetes-shaped pod and
 * container (uid, qos, container_id and runtime labels). Prints one line of
 * totals; exits 1 if a cgroup could not be made or removed. It does not read
 * cgroup files or scrape.
 * Usage: vm_churn ROOT COUNT RATE MAX_SECONDS */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIVE_MAX 50

struct live {
	char path[512];
	char parent[512]; /* "" or a directory made for it, removed after it */
	pid_t pid;
};

struct totals {
	long made, removed, rmdir_failures;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_pid(const char *dir, pid_t pid)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int rc = fprintf(f, "%d\n", (int)pid) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	return rc;
}

/* rmdir, retried for up to ~100 ms while the exiting task still counts. */
static int remove_dir(const char *path)
{
	for (int i = 0; i < 50; i++) {
		if (rmdir(path) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(2000);
	}
	return -EBUSY;
}

static void destroy(struct live *l, struct totals *t)
{
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	int rc = remove_dir(l->path);
	if (rc == 0 && l->parent[0])
		rc = remove_dir(l->parent);
	if (rc) {
		fprintf(stderr, "vm_churn: rmdir %s: %s\n", l->path, strerror(-rc));
		t->rmdir_failures++;
	} else {
		t->removed++;
	}
}

static int create(const char *root, long n, struct live *l)
{
	int len = 0, plen = 0;
	char parent[sizeof(l->parent)] = ""; /* built here: gcc -O2 fears l's fields overlap */
	if (n % 10 == 0) {
		plen = snprintf(parent, sizeof(parent), "%s/cg-%ld", root, n);
		len = snprintf(l->path, sizeof(l->path), "%s/inner", parent);
	} else if (n % 10 == 5) {
		plen = snprintf(parent, sizeof(parent),
				"%s/kubepods-burstable-pod%08lx_1111_2222_3333_444455556666.slice",
				root, n);
		len = snprintf(l->path, sizeof(l->path), "%s/cri-containerd-%064lx.scope", parent,
			       n);
	} else {
		len = snprintf(l->path, sizeof(l->path), "%s/cg-%ld", root, n);
	}
	if (len < 0 || plen < 0 || (size_t)len >= sizeof(l->path) ||
	    (size_t)plen >= sizeof(l->parent))
		return -ENAMETOOLONG;
	memcpy(l->parent, parent, sizeof(parent));
	if (l->parent[0] && mkdir(l->parent, 0755) != 0)
		return -errno;
	if (l->parent[0]) {
		/* The nested cgroup needs the memory controller from its parent. */
		char sc[600];
		snprintf(sc, sizeof(sc), "%s/cgroup.subtree_control", l->parent);
		FILE *f = fopen(sc, "w");
		if (!f || fputs("+memory\n", f) < 0 || fclose(f) != 0)
			return -EIO;
	}
	if (mkdir(l->path, 0755) != 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (;;)
			pause();
	}
	l->pid = pid;
	return write_pid(l->path, pid);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s ROOT COUNT RATE MAX_SECONDS\n", argv[0]);
		return 2;
	}
	const char *root = argv[1];
	long count_max = strtol(argv[2], NULL, 10);
	double rate = strtod(argv[3], NULL), seconds = strtod(argv[4], NULL);
	if (count_max <= 0 || seconds <= 0 || rate <= 0) {
		fprintf(stderr, "vm_churn: COUNT, RATE and MAX_SECONDS must be positive\n");
		return 2;
	}
	static struct live ring[LIVE_MAX + 1];
	struct totals t = {0, 0, 0};
	size_t head = 0, count = 0;
	double t0 = now_s();
	long n = 0;
	while (n < count_max && now_s() - t0 < seconds) {
		/* Sleeps only when 50 ms ahead: under TCG each wake-up from a
		 * short sleep costs more than the work, and the rate sags. */
		double wait = t0 + (double)n / rate - now_s();
		if (wait > 0.05)
			usleep((useconds_t)(wait * 1e6));
		struct live *l = &ring[(head + count) % (LIVE_MAX + 1)];
		int rc = create(root, n, l);
		if (rc) {
			fprintf(stderr, "vm_churn: cannot make %s: %s\n", l->path, strerror(-rc));
			return 1;
		}
		t.made++;
		count++;
		n++;
		if (count > LIVE_MAX) {
			destroy(&ring[head], &t);
			head = (head + 1) % (LIVE_MAX + 1);
			count--;
		}
	}
	double elapsed = now_s() - t0;
	for (; count > 0; count--, head = (head + 1) % (LIVE_MAX + 1))
		destroy(&ring[head], &t);
	printf("churn: %.1f s, cgroups created=%ld removed=%ld rmdir_failures=%ld (%.0f cgroups/s)\n",
	       elapsed, t.made, t.removed, t.rmdir_failures, (double)t.made / elapsed);
	return t.rmdir_failures ? 1 : 0;
}
