/* deadline: the connections being watched in one list under one lock, and a
 * watchdog thread that shuts down the sockets whose request is overdue. The
 * lock also makes the shutdown safe: a connection leaves the list (in
 * deadline_close) before its fd is closed, so the fd the watchdog shuts down
 * is always still that connection's. It does not close fds, read or write. */
#include "memacct/http/deadline.h"

#include "memacct/util/mono.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#define CHECK_EVERY_MS 250

struct deadline_conn {
	struct deadline_conn *prev, *next;
	int fd;
	uint64_t due_ns; /* 0: no deadline now */
	bool cut;
};

struct deadline {
	uint64_t limit_ns, idle_ns;
	pthread_mutex_t lock; /* guards the list, stopping */
	pthread_cond_t wake;
	struct deadline_conn *head;
	bool stopping;
	pthread_t thread;
	atomic_uint_fast64_t cut;
};

static void *watch(void *arg)
{
	struct deadline *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		uint64_t now = mono_now_ns();
		for (struct deadline_conn *c = d->head; c; c = c->next) {
			if (c->cut || !c->due_ns || now < c->due_ns)
				continue;
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			atomic_fetch_add(&d->cut, 1);
		}
		struct timespec until = mono_after_ms(CHECK_EVERY_MS);
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int deadline_start(unsigned limit_s, unsigned idle_s, struct deadline **out)
{
	*out = NULL;
	if (!limit_s)
		return 0;
	struct deadline *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->limit_ns = (uint64_t)limit_s * 1000000000u;
	d->idle_ns = (uint64_t)idle_s * 1000000000u;
	atomic_init(&d->cut, 0);
	pthread_mutex_init(&d->lock, NULL);
	int rc = mono_cond_init(&d->wake);
	if (rc == 0) {
		rc = pthread_create(&d->thread, NULL, watch, d);
		if (rc)
			pthread_cond_destroy(&d->wake);
	}
	if (rc) {
		pthread_mutex_destroy(&d->lock);
		free(d);
		return -rc;
	}
	*out = d;
	return 0;
}

void deadline_stop(struct deadline *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	while (d->head) { /* defensive: every connection should be closed */
		struct deadline_conn *c = d->head;
		d->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

struct deadline_conn *deadline_open(struct deadline *d, int fd)
{
	if (!d)
		return NULL;
	struct deadline_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->due_ns = mono_now_ns() + d->limit_ns;
	pthread_mutex_lock(&d->lock);
	c->next = d->head;
	if (d->head)
		d->head->prev = c;
	d->head = c;
	pthread_mutex_unlock(&d->lock);
	return c;
}

void deadline_received(struct deadline *d, struct deadline_conn *c)
{
	if (!d || !c)
		return;
	pthread_mutex_lock(&d->lock);
	c->due_ns = 0;
	pthread_mutex_unlock(&d->lock);
}

void deadline_replied(struct deadline *d, struct deadline_conn *c)
{
	if (!d || !c)
		return;
	uint64_t due = d->idle_ns ? mono_now_ns() + d->idle_ns + d->limit_ns : 0;
	pthread_mutex_lock(&d->lock);
	c->due_ns = due;
	pthread_mutex_unlock(&d->lock);
}

void deadline_close(struct deadline *d, struct deadline_conn *c)
{
	if (!d || !c)
		return;
	pthread_mutex_lock(&d->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&d->lock);
	free(c);
}

uint64_t deadline_cut(const struct deadline *d)
{
	return d ? atomic_load(&d->cut) : 0;
}
