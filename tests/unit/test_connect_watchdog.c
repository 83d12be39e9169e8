/* Unit tests of connect_watchdog (jetstream/connect_watchdog.c) on loopback
 * sockets, without NATS: a recv() blocked on a socket to "the server" ends
 * (end of file) soon after the deadline, or at once when fired; a socket to
 * the server opened before arming, and a socket to another port, are left
 * alone; disarming in time leaves everything alone; URLs with schemes,
 * credentials, IPv6 brackets and no port are understood. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "memacct/jetstream/connect_watchdog.h"

/* The loopback address of family with port (0: any). */
static socklen_t loopback(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons((uint16_t)port);
	return sizeof(*a);
}

/* A listening socket on loopback that never accepts: a connection to it
 * completes, and reads on it block. */
static int listener(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int dial(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, port, &ss);
	int fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Still open and not shut down: a poll for input says nothing to read. */
static bool untouched(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The calling thread blocks every signal, as the poller's does. */
static void block_all(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
}

struct fire_later {
	struct connect_watchdog *w;
	unsigned ms;
};

static void *fire_thread(void *arg)
{
	struct fire_later *f = arg;
	usleep(f->ms * 1000);
	connect_watchdog_fire(f->w);
	return NULL;
}

/* url_prefix is the URL up to the port, which the test picks. */
static void check_blocked_recv_ends(int family, const char *url_prefix, bool fire)
{
	int port, other_port;
	int lfd = listener(family, &port);
	int other = listener(AF_INET, &other_port);
	char url[128];
	snprintf(url, sizeof(url), "%s%d", url_prefix, port);
	const char *urls[] = {url};
	struct connect_watchdog *w = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(connect_watchdog_new(&w, urls, 1), 0);

	int old = dial(family, port);		  /* open before arming: spared */
	int stranger = dial(AF_INET, other_port); /* another server: spared */
	block_all();
	assert_int_equal(connect_watchdog_arm(w, fire ? 60000 : 200, &e), 0);
	int fd = dial(family, port); /* "the handshake": nobody answers */
	pthread_t t;
	struct fire_later fl = {w, 100};
	if (fire)
		assert_int_equal(pthread_create(&t, NULL, fire_thread, &fl), 0);
	double t0 = now_ms();
	char c;
	ssize_t n = recv(fd, &c, 1, 0); /* blocks until the watchdog acts */
	double took = now_ms() - t0;
	bool fired = connect_watchdog_disarm(w);
	if (fire)
		pthread_join(t, NULL);
	assert_int_equal(n, 0); /* end of file: shut down */
	assert_true(fired);
	assert_true(took >= 80 && took < 1500);
	assert_true(untouched(old));
	assert_true(untouched(stranger));
	close(fd);
	close(old);
	close(stranger);
	close(lfd);
	close(other);
	connect_watchdog_free(w);
}

static void test_deadline_ipv4(void **unused)
{
	(void)unused;
	check_blocked_recv_ends(AF_INET, "nats://user:p%40ss@127.0.0.1:", false);
}

static void test_fire_ipv6(void **unused)
{
	(void)unused;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (probe >= 0)
			close(probe);
		skip(); /* no IPv6 loopback here */
	}
	close(probe);
	check_blocked_recv_ends(AF_INET6, "tls://[::1]:", true);
}

static void test_host_name_matches_any_address(void **unused)
{
	(void)unused;
	check_blocked_recv_ends(AF_INET, "localhost:", false);
}

/* Disarmed before the deadline: nothing is shut down, nothing fires. */
static void test_disarm_in_time(void **unused)
{
	(void)unused;
	int port;
	int lfd = listener(AF_INET, &port);
	char url[64];
	snprintf(url, sizeof(url), "127.0.0.1:%d", port);
	const char *urls[] = {url};
	struct connect_watchdog *w = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(connect_watchdog_new(&w, urls, 1), 0);
	block_all();
	assert_int_equal(connect_watchdog_arm(w, 150, &e), 0);
	int fd = dial(AF_INET, port);
	assert_false(connect_watchdog_disarm(w));
	usleep(300000); /* past the old deadline */
	assert_true(untouched(fd));
	close(fd);
	close(lfd);
	connect_watchdog_free(w);
}

/* At shutdown every socket to the servers goes, old ones included. */
static void test_shutdown_all(void **unused)
{
	(void)unused;
	int port, other_port;
	int lfd = listener(AF_INET, &port);
	int other = listener(AF_INET, &other_port);
	char url[64];
	snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	const char *urls[] = {url};
	struct connect_watchdog *w = NULL;
	assert_int_equal(connect_watchdog_new(&w, urls, 1), 0);
	int fd = dial(AF_INET, port);
	int stranger = dial(AF_INET, other_port);
	connect_watchdog_shutdown_all(w);
	char c;
	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), 0);
	assert_true(untouched(stranger));
	close(fd);
	close(stranger);
	close(lfd);
	close(other);
	connect_watchdog_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deadline_ipv4),
	    cmocka_unit_test(test_fire_ipv6),
	    cmocka_unit_test(test_host_name_matches_any_address),
	    cmocka_unit_test(test_disarm_in_time),
	    cmocka_unit_test(test_shutdown_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
