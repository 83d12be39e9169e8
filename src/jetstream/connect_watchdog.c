/* connect_watchdog: gives up a blocking connect at a deadline by shutting
 * down the sockets it opened (see connect_watchdog.h for why and how). The
 * signal handler does only async-signal-safe system calls on memory the
 * armed watchdog does not change. A signal's disposition is per process:
 * the handler is installed once (pthread_once) and never changed back. It
 * does not log. */
#include "memacct/jetstream/connect_watchdog.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVERS 32
#define DEFAULT_PORT 4222
#define REPEAT_MS 50 /* after the deadline, the signal repeats until disarmed */

/* glibc names the thread of a SIGEV_THREAD_ID timer only this way. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

struct server {
	in_port_t port; /* host order */
	int family;	/* AF_INET or AF_INET6 when the URL names an IP; 0: any address */
	uint8_t addr[16];
};

struct connect_watchdog {
	struct server servers[MAX_SERVERS];
	int n_servers;

	pthread_mutex_t lock; /* armed, timer */
	bool armed;
	timer_t timer;

	/* Sockets open when armed (their inodes, sorted): never shut down.
	 * Written before the signal is unblocked, read by the handler. */
	ino_t *before;
	size_t n_before;
	volatile sig_atomic_t fired;
};

/* --- servers from URLs --- */

static void parse_url(const char *url, struct server *s)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *end = p + strcspn(p, "/?#");
	for (const char *q = p; q < end; q++) /* user:password@ or token@ */
		if (*q == '@')
			p = q + 1;
	const char *host = p, *host_end, *rest;
	if (*p == '[') {
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			host_end = end;
		rest = host_end < end ? host_end + 1 : end;
	} else {
		host_end = memchr(p, ':', (size_t)(end - p));
		if (!host_end)
			host_end = end;
		rest = host_end;
	}
	s->port = DEFAULT_PORT;
	if (rest < end && *rest == ':') {
		unsigned v = 0;
		const char *d = rest + 1;
		for (; d < end && *d >= '0' && *d <= '9' && v <= 65535; d++)
			v = v * 10 + (unsigned)(*d - '0');
		if (d > rest + 1 && v > 0 && v <= 65535)
			s->port = (in_port_t)v;
	}
	char name[64];
	size_t n = (size_t)(host_end - host);
	s->family = 0;
	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, s->addr) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, name, s->addr) == 1)
		s->family = AF_INET6;
}

/* --- the handler (async-signal-safe) --- */

static bool was_open(const struct connect_watchdog *w, ino_t ino)
{
	size_t lo = 0, hi = w->n_before;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->before[mid] == ino)
			return true;
		if (w->before[mid] < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool to_a_server(const struct connect_watchdog *w, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0;
	socklen_t tlen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM)
		return false;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return false;
	in_port_t port;
	const void *addr;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		port = ntohs(in->sin_port);
		addr = &in->sin_addr;
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		port = ntohs(in6->sin6_port);
		addr = &in6->sin6_addr;
	} else {
		return false;
	}
	for (int i = 0; i < w->n_servers; i++) {
		const struct server *s = &w->servers[i];
		if (s->port != port)
			continue;
		if (s->family == 0)
			return true;
		if (s->family == ss.ss_family &&
		    memcmp(s->addr, addr, s->family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void shut_sockets(const struct connect_watchdog *w, bool new_only)
{
	char buf[2048] __attribute__((aligned(8)));
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			const struct dirent64_raw *d = (const void *)(buf + off);
			off += d->d_reclen;
			int fd = 0;
			const char *c = d->d_name;
			if (*c < '0' || *c > '9')
				continue;
			for (; *c >= '0' && *c <= '9' && fd < (1 << 24); c++)
				fd = fd * 10 + (*c - '0');
			struct stat st;
			if (*c || fd == dfd || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
			    (new_only && was_open(w, st.st_ino)) || !to_a_server(w, fd))
				continue;
			shutdown(fd, SHUT_RDWR);
		}
	}
	close(dfd);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (!si || si->si_code != SI_TIMER || !si->si_value.sival_ptr)
		return; /* not our timer's: ignore */
	int saved = errno;
	struct connect_watchdog *w = si->si_value.sival_ptr;
	w->fired = 1;
	shut_sockets(w, true);
	errno = saved;
}

static int watchdog_signal(void)
{
	return SIGRTMIN + 3;
}

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_rc; /* written once, under handler_once */

static void install_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_RESTART; /* only the shutdown matters */
	handler_rc = sigaction(watchdog_signal(), &sa, NULL) == 0 ? 0 : -errno;
}

/* --- the rest (normal context) --- */

int connect_watchdog_new(struct connect_watchdog **out, const char *const *urls, int n_urls)
{
	struct connect_watchdog *w = calloc(1, sizeof(*w));
	*out = NULL;
	if (!w)
		return -ENOMEM;
	for (int i = 0; i < n_urls && i < MAX_SERVERS; i++)
		parse_url(urls[i], &w->servers[w->n_servers++]);
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return 0;
}

void connect_watchdog_free(struct connect_watchdog *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w->before);
	free(w);
}

static int cmp_ino(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;
	return x < y ? -1 : x > y;
}

/* The inodes of the sockets open now, sorted. */
static void snapshot_sockets(struct connect_watchdog *w)
{
	size_t cap = 0;
	free(w->before);
	w->before = NULL;
	w->n_before = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		char *endp;
		long fd = strtol(de->d_name, &endp, 10);
		if (*endp || endp == de->d_name || fd == dirfd(d) || fstat((int)fd, &st) != 0 ||
		    !S_ISSOCK(st.st_mode))
			continue;
		if (w->n_before == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			ino_t *n = realloc(w->before, ncap * sizeof(*n));
			if (!n)
				break; /* then fewer are spared: the port match still holds */
			w->before = n;
			cap = ncap;
		}
		w->before[w->n_before++] = st.st_ino;
	}
	closedir(d);
	if (w->n_before > 1)
		qsort(w->before, w->n_before, sizeof(*w->before), cmp_ino);
}

static void set_timer(struct connect_watchdog *w, unsigned ms)
{
	struct itimerspec its;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1; /* 0 would disarm it */
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = REPEAT_MS * 1000000L;
	timer_settime(w->timer, 0, &its, NULL);
}

static void signal_mask(int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, watchdog_signal());
	pthread_sigmask(how, &set, NULL);
}

int connect_watchdog_arm(struct connect_watchdog *w, unsigned timeout_ms, struct errmsg *e)
{
	struct sigevent sev;
	timer_t t;

	pthread_once(&handler_once, install_handler);
	if (handler_rc < 0) {
		errmsg_set(e, "cannot install the connect watchdog's signal handler: %s",
			   strerror(-handler_rc));
		return handler_rc;
	}
	snapshot_sockets(w);
	w->fired = 0;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = watchdog_signal();
	sev.sigev_value.sival_ptr = w;
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) {
		int rc = -errno;
		errmsg_set(e, "cannot create the connect watchdog's timer: %s", strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&w->lock);
	w->timer = t;
	w->armed = true;
	set_timer(w, timeout_ms);
	pthread_mutex_unlock(&w->lock);
	signal_mask(SIG_UNBLOCK);
	return 0;
}

void connect_watchdog_fire(struct connect_watchdog *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->armed)
		set_timer(w, 0);
	pthread_mutex_unlock(&w->lock);
}

bool connect_watchdog_disarm(struct connect_watchdog *w)
{
	sigset_t set;
	struct timespec zero = {0, 0};

	signal_mask(SIG_BLOCK);
	pthread_mutex_lock(&w->lock);
	w->armed = false;
	timer_delete(w->timer);
	pthread_mutex_unlock(&w->lock);
	/* One may have fired between the connect's return and the block: it
	 * is consumed here, unhandled (the connect is over). */
	sigemptyset(&set);
	sigaddset(&set, watchdog_signal());
	while (sigtimedwait(&set, NULL, &zero) > 0)
		w->fired = 1;
	return w->fired != 0;
}

void connect_watchdog_shutdown_all(struct connect_watchdog *w)
{
	shut_sockets(w, false);
}
