/* queue (daemon/common): the hand-off between threads. Order kept, counted
 * items bounded (a push waits, and says so), uncounted ones never wait,
 * close wakes every waiter, and items cross threads whole, each popped
 * once: producers and consumers race through it (run under ThreadSanitizer
 * by make tsan). */
#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/queue.h"

struct item {
	int value;
	struct queue_link link;
};

static int value_of(struct queue_link *l)
{
	return l ? queue_item(l, struct item, link)->value : -1;
}

/* First in, first out; counted or not; try_pop never waits. */
static void test_order(void **state)
{
	struct queue *q = queue_new(2);
	struct item it[4] = { { .value = 0 }, { .value = 1 }, { .value = 2 }, { .value = 3 } };
	size_t counted;
	(void)state;
	assert_null(queue_try_pop(q));
	assert_int_equal(queue_push(q, &it[0].link, 1), 0);
	assert_int_equal(queue_push(q, &it[1].link, 0), 0);
	assert_int_equal(queue_push(q, &it[2].link, 1), 0);
	assert_int_equal(queue_push(q, &it[3].link, 0), 0); /* uncounted: past the bound */
	assert_int_equal(queue_length(q, &counted), 4);
	assert_int_equal(counted, 2);
	for (int i = 0; i < 4; i++)
		assert_int_equal(value_of(queue_try_pop(q)), i);
	assert_null(queue_try_pop(q));
	assert_int_equal(queue_length(q, &counted), 0);
	assert_int_equal(counted, 0);
	queue_free(q);
}

struct pusher {
	struct queue *q;
	struct item *it;
	int rc;
};

static void *push_one(void *arg)
{
	struct pusher *p = arg;
	p->rc = queue_push(p->q, &p->it->link, 1);
	return NULL;
}

/* A counted push waits while the bound is reached, says it waited, and
 * goes on when a pop makes room. */
static void test_bound_waits(void **state)
{
	struct queue *q = queue_new(1);
	struct item a = { .value = 1 }, b = { .value = 2 };
	struct pusher p = { q, &b, -100 };
	pthread_t t;
	size_t counted;
	(void)state;
	assert_int_equal(queue_push(q, &a.link, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, push_one, &p), 0);
	usleep(50 * 1000);
	assert_int_equal(queue_length(q, &counted), 1); /* b still waits */
	assert_int_equal(value_of(queue_pop(q)), 1);
	pthread_join(t, NULL);
	assert_int_equal(p.rc, 1);
	assert_int_equal(value_of(queue_pop(q)), 2);
	queue_free(q);
}

static void *pop_one(void *arg)
{
	return queue_pop(arg);
}

/* Close wakes a consumer waiting on an empty queue and a producer waiting
 * for room; pushes are refused after; what is in it still drains. */
static void test_close(void **state)
{
	struct queue *q = queue_new(1);
	struct item a = { .value = 1 }, b = { .value = 2 }, c = { .value = 3 };
	struct pusher p = { q, &b, -100 };
	pthread_t consumer, producer;
	void *got = &got;
	(void)state;
	assert_int_equal(pthread_create(&consumer, NULL, pop_one, q), 0);
	usleep(20 * 1000);
	assert_int_equal(queue_push(q, &a.link, 1), 0);
	pthread_join(consumer, &got);
	assert_int_equal(value_of(got), 1);
	assert_int_equal(queue_push(q, &a.link, 1), 0);
	assert_int_equal(pthread_create(&producer, NULL, push_one, &p), 0);
	usleep(20 * 1000);
	queue_close(q);
	pthread_join(producer, NULL);
	assert_int_equal(p.rc, -EPIPE);
	assert_int_equal(queue_push(q, &c.link, 0), -EPIPE);
	assert_int_equal(value_of(queue_pop(q)), 1); /* drained... */
	assert_null(queue_pop(q));                   /* ...then NULL, without waiting */
	queue_free(q);
}

#define PRODUCERS 3
#define PER_PRODUCER 2000

struct race {
	struct queue *q;
	struct item *items;
	int base;
	int seen[PRODUCERS * PER_PRODUCER];
	int last[PRODUCERS]; /* the last value popped of each producer */
	int in_order;
};

static void *produce(void *arg)
{
	struct race *r = ((struct race **)arg)[0];
	int k = (int)(intptr_t)((void **)arg)[1];
	for (int i = 0; i < PER_PRODUCER; i++) {
		struct item *it = &r->items[k * PER_PRODUCER + i];
		it->value = k * PER_PRODUCER + i;
		if (queue_push(r->q, &it->link, i % 5 != 0) < 0)
			return NULL;
	}
	return NULL;
}

/* Producers race into a small queue; one consumer pops every item once,
 * each producer's in the order it pushed them. */
static void test_threads(void **state)
{
	struct race *r = calloc(1, sizeof *r);
	pthread_t t[PRODUCERS];
	void *args[PRODUCERS][2];
	(void)state;
	r->q = queue_new(4);
	r->items = calloc(PRODUCERS * PER_PRODUCER, sizeof *r->items);
	r->in_order = 1;
	for (int k = 0; k < PRODUCERS; k++) {
		r->last[k] = -1;
		args[k][0] = r;
		args[k][1] = (void *)(intptr_t)k;
		assert_int_equal(pthread_create(&t[k], NULL, produce, args[k]), 0);
	}
	for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
		int v = value_of(queue_pop(r->q));
		assert_true(v >= 0 && v < PRODUCERS * PER_PRODUCER);
		r->seen[v]++;
		int k = v / PER_PRODUCER;
		if (v <= r->last[k])
			r->in_order = 0;
		r->last[k] = v;
	}
	for (int k = 0; k < PRODUCERS; k++)
		pthread_join(t[k], NULL);
	for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
		assert_int_equal(r->seen[i], 1);
	assert_true(r->in_order);
	assert_null(queue_try_pop(r->q));
	queue_free(r->q);
	free(r->items);
	free(r);
}

struct later {
	struct queue *q;
	struct item *it;
	int close;
};

static void *push_later(void *arg)
{
	struct later *w = arg;
	usleep(50 * 1000);
	if (w->close)
		queue_close(w->q);
	else if (queue_push(w->q, &w->it->link, 1) < 0)
		w->it->value = -2;
	return NULL;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A bounded wait: NULL after the time when nothing comes; an item pushed
 * meanwhile at once; NULL at once when closed, and queue_closed says so. */
static void test_pop_wait(void **state)
{
	struct queue *q = queue_new(1);
	struct item a = { .value = 7 };
	struct later w = { q, &a, 0 };
	pthread_t t;
	(void)state;
	double t0 = now();
	assert_null(queue_pop_wait(q, 0.1));
	assert_true(now() - t0 >= 0.09);
	assert_null(queue_pop_wait(q, -1)); /* a time past: no wait */
	assert_false(queue_closed(q));
	assert_int_equal(pthread_create(&t, NULL, push_later, &w), 0);
	t0 = now();
	assert_int_equal(value_of(queue_pop_wait(q, 5)), 7);
	assert_true(now() - t0 < 4);
	pthread_join(t, NULL);
	w.close = 1;
	assert_int_equal(pthread_create(&t, NULL, push_later, &w), 0);
	t0 = now();
	assert_null(queue_pop_wait(q, 5));
	assert_true(now() - t0 < 4);
	assert_true(queue_closed(q));
	pthread_join(t, NULL);
	queue_free(q);
}

/* A push that may wait a while only: it gives up when no room comes in
 * time (the item not taken), and goes in once an item is popped. */
static void test_push_wait(void **state)
{
	struct queue *q = queue_new(1);
	struct item a = { .value = 1 }, b = { .value = 2 };
	size_t counted;
	(void)state;
	assert_int_equal(queue_push_wait(q, &a.link, 0.1), 0);
	double t0 = now();
	assert_int_equal(queue_push_wait(q, &b.link, 0.1), -ETIMEDOUT);
	assert_true(now() - t0 >= 0.09);
	assert_int_equal(queue_length(q, &counted), 1);
	assert_int_equal(value_of(queue_pop(q)), 1);
	assert_int_equal(queue_push_wait(q, &b.link, 0.1), 0);
	assert_int_equal(value_of(queue_pop(q)), 2);
	queue_close(q);
	assert_int_equal(queue_push_wait(q, &b.link, 0.1), -EPIPE);
	queue_free(q);
}

static int woken;

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)revents;
	struct queue_link *l;
	while ((l = queue_try_pop(w->data)))
		woken += value_of(l);
	ev_break(loop, EVBREAK_ALL);
}

/* A push from another thread wakes the loop, whose callback pops. */
static void test_wakes_the_loop(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct queue *q = queue_new(0);
	struct item a = { .value = 40 }, b = { .value = 2 };
	struct pusher p = { q, &a, -100 };
	ev_async w;
	pthread_t t;
	(void)state;
	ev_async_init(&w, on_wake);
	w.data = q;
	ev_async_start(loop, &w);
	queue_wake(q, loop, &w);
	assert_int_equal(queue_push(q, &b.link, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, push_one, &p), 0);
	pthread_join(t, NULL);
	ev_run(loop, 0);
	assert_int_equal(woken, 42);
	ev_async_stop(loop, &w);
	ev_loop_destroy(loop);
	queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bound_waits),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_pop_wait),
		cmocka_unit_test(test_push_wait),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_wakes_the_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
