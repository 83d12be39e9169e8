/* Unit tests for deadline.c with socketpairs standing in for connections: a
 * connection that has not delivered its request within the limit is shut
 * down (its peer reads end of file) and counted; one whose request arrived
 * is left alone; after a reply the next request is due within idle + limit,
 * or never with no idle timeout; a limit of 0 turns it all off. About 4 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first. */
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "memacct/http/deadline.h"

struct pair {
	int server, client;
	struct deadline_conn *c;
};

static void pair_open(struct deadline *d, struct pair *p)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p->server = sv[0];
	p->client = sv[1];
	p->c = deadline_open(d, p->server);
}

static void pair_close(struct deadline *d, struct pair *p)
{
	deadline_close(d, p->c);
	close(p->server);
	close(p->client);
}

/* Whether the server side was shut down: the client reads end of file. */
static bool cut(const struct pair *p)
{
	char b;
	return recv(p->client, &b, 1, 0) == 0;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

static void test_off(void **state)
{
	(void)state;
	struct deadline *d = (struct deadline *)1;
	assert_int_equal(deadline_start(0, 30, &d), 0);
	assert_null(d);
	struct pair p;
	pair_open(d, &p);
	assert_null(p.c);
	deadline_received(d, p.c);
	deadline_replied(d, p.c);
	assert_int_equal(deadline_cut(d), 0);
	pair_close(d, &p);
	deadline_stop(d);
}

static void test_cuts_late_requests_only(void **state)
{
	(void)state;
	struct deadline *d;
	assert_int_equal(deadline_start(1, 2, &d), 0);
	struct pair late, received, replied, kept;
	pair_open(d, &late);
	pair_open(d, &received);
	pair_open(d, &replied);
	pair_open(d, &kept);
	assert_non_null(late.c);
	deadline_received(d, received.c);
	deadline_received(d, replied.c);
	deadline_replied(d, replied.c); /* next request due in 2 + 1 s */
	deadline_received(d, kept.c);
	sleep_ms(600);
	assert_false(cut(&late));
	sleep_ms(900); /* 1.5 s: past the 1 s limit and a 250 ms check */
	assert_true(cut(&late));
	assert_false(cut(&received));
	assert_false(cut(&replied));
	assert_int_equal(deadline_cut(d), 1);
	sleep_ms(2000); /* 3.5 s: past 2 + 1 s after the reply */
	assert_true(cut(&replied));
	assert_false(cut(&received));
	assert_false(cut(&kept));
	assert_int_equal(deadline_cut(d), 2);
	pair_close(d, &late);
	pair_close(d, &received);
	pair_close(d, &replied);
	pair_close(d, &kept);
	deadline_stop(d);
}

/* Without an idle timeout a kept-alive connection has no deadline between
 * requests; a connection closed before its deadline is never touched. */
static void test_no_idle_and_closed(void **state)
{
	(void)state;
	struct deadline *d;
	assert_int_equal(deadline_start(1, 0, &d), 0);
	struct pair kept, closed;
	pair_open(d, &kept);
	pair_open(d, &closed);
	deadline_received(d, kept.c);
	deadline_replied(d, kept.c);
	pair_close(d, &closed);
	sleep_ms(1500);
	assert_false(cut(&kept));
	assert_int_equal(deadline_cut(d), 0);
	pair_close(d, &kept);
	deadline_stop(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_off),
	    cmocka_unit_test(test_cuts_late_requests_only),
	    cmocka_unit_test(test_no_idle_and_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
