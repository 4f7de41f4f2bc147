/* window_parts (daemon/capture): a window counted in parts by the capture
 * workers and the loop is handed on once every part has closed it, merged,
 * in order of time; what a part never sends is not waited for once it says
 * so; what is still waiting at the end is handed on anyway; parts on
 * threads of their own wake the loop. */
#include <ev.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture/window_parts.h"
#include "handed.h"

#define LENGTH 60
#define LATENESS 5

/* A set holding one sample of source host(i) in the window at start, with
 * that many packets. */
static struct sample_set one(uint32_t i, int64_t start, uint64_t packets)
{
	struct sample_set set = { 0 };
	struct net_sample s = { .src = host(i), .window_start = start };
	s.c.packets = packets;
	assert_int_equal(sample_set_add(&set, &s), 0);
	return set;
}

/* The end of the window at start as a part's mark says it: closed there. */
static int64_t closed(int64_t start)
{
	return start + LENGTH + LATENESS;
}

struct fixture {
	struct ev_loop *loop;
	struct handed got;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	*state = f;
	return f->loop ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < f->got.n; i++)
		sample_set_free(&f->got.set[i]);
	ev_loop_destroy(f->loop);
	free(f);
	return 0;
}

static void ready(void *ctx, int64_t start, struct sample_set *set)
{
	take(ctx, start, set);
	*set = (struct sample_set){ 0 };
}

/* Whole only when every part's mark is past it; merged in address order. */
static void test_waits_for_every_part(void **state)
{
	struct fixture *f = *state;
	struct window_parts *p = window_parts_new(f->loop, 2, LENGTH, LATENESS, ready, &f->got);
	struct sample_set a = one(2, 0, 3), b = one(1, 0, 4);

	window_parts_add(p, 0, 0, &a);
	window_parts_add(p, 1, 0, &b);
	window_parts_mark(p, 0, closed(0));
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 0); /* part 1 has not closed it */
	window_parts_mark(p, 1, closed(0) - 1);
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 0); /* one second short */
	assert_int_equal(window_parts_closed_until(p), closed(0) - 1);
	window_parts_mark(p, 1, closed(0));
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.start[0], 0);
	const struct sample_set *w = &f->got.set[0];
	assert_int_equal(w->n, 2);
	ip_addr first = host(1);
	assert_memory_equal(&w->s[0]->src, &first, sizeof first);
	assert_int_equal(w->s[0]->c.packets, 4);
	assert_int_equal(w->s[1]->c.packets, 3);
	uint64_t windows;
	struct merge_stats st;
	window_parts_stats(p, &windows, &st);
	assert_int_equal(windows, 1);
	assert_int_equal(st.joined, 0);
	window_parts_free(p);
	assert_int_equal(f->got.n, 1); /* nothing was left waiting */
}

/* A part that counted nothing in a window still closes it by its mark;
 * windows come in order of time, each once. */
static void test_in_order_of_time(void **state)
{
	struct fixture *f = *state;
	struct window_parts *p = window_parts_new(f->loop, 2, LENGTH, LATENESS, ready, &f->got);
	struct sample_set a0 = one(1, 0, 1), a60 = one(1, 60, 1), b60 = one(2, 60, 1);

	window_parts_add(p, 0, 0, &a0);
	window_parts_add(p, 0, 60, &a60);
	window_parts_add(p, 1, 60, &b60); /* part 1 had nothing at 0 */
	window_parts_mark(p, 0, closed(60));
	window_parts_mark(p, 1, closed(0));
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.start[0], 0);
	assert_int_equal(f->got.set[0].n, 1);
	window_parts_mark(p, 1, INT64_MAX); /* part 1 is done */
	window_parts_deliver(p);
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 2);
	assert_int_equal(f->got.start[1], 60);
	assert_int_equal(f->got.set[1].n, 2);
	assert_int_equal(window_parts_closed_until(p), closed(60));
	window_parts_free(p);
	assert_int_equal(f->got.n, 2);
}

/* A source two parts counted (tunnels spread its packets) is one sample. */
static void test_source_in_two_parts_is_joined(void **state)
{
	struct fixture *f = *state;
	struct window_parts *p = window_parts_new(f->loop, 2, LENGTH, LATENESS, ready, &f->got);
	struct sample_set a = one(7, 120, 5), b = one(7, 120, 6);

	window_parts_add(p, 0, 120, &a);
	window_parts_add(p, 1, 120, &b);
	window_parts_mark(p, 0, INT64_MAX);
	window_parts_mark(p, 1, INT64_MAX);
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.set[0].n, 1);
	assert_int_equal(f->got.set[0].s[0]->c.packets, 11);
	uint64_t windows;
	struct merge_stats st;
	window_parts_stats(p, &windows, &st);
	assert_int_equal(st.joined, 1);
	window_parts_free(p);
}

/* The end: what waits for a part that never closed it is handed on. */
static void test_free_hands_on_what_waits(void **state)
{
	struct fixture *f = *state;
	struct window_parts *p = window_parts_new(f->loop, 3, LENGTH, LATENESS, ready, &f->got);
	struct sample_set a = one(1, 0, 1), b = one(2, 60, 1);

	window_parts_add(p, 0, 0, &a);
	window_parts_add(p, 1, 60, &b);
	window_parts_deliver(p);
	assert_int_equal(f->got.n, 0);
	assert_int_equal(window_parts_closed_until(p), INT64_MIN); /* no part marked */
	window_parts_free(p);
	assert_int_equal(f->got.n, 2);
	assert_int_equal(f->got.start[0], 0);
	assert_int_equal(f->got.start[1], 60);
}

struct part_thread {
	struct window_parts *p;
	int i;
	struct sample_set set;
};

static void *hand_from_a_thread(void *arg)
{
	struct part_thread *t = arg;
	window_parts_add(t->p, t->i, 0, &t->set);
	window_parts_mark(t->p, t->i, closed(0));
	return NULL;
}

static void ready_then_break(void *ctx, int64_t start, struct sample_set *set)
{
	struct fixture *f = ctx;
	ready(&f->got, start, set);
	ev_break(f->loop, EVBREAK_ALL);
}

static void give_up(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w, (void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Parts on threads of their own: the loop is woken, and takes the window
 * once both have closed it. */
static void test_parts_on_threads_wake_the_loop(void **state)
{
	struct fixture *f = *state;
	struct window_parts *p =
		window_parts_new(f->loop, 2, LENGTH, LATENESS, ready_then_break, f);
	struct part_thread t[2] = { { p, 0, one(1, 0, 2) }, { p, 1, one(2, 0, 3) } };
	pthread_t id[2];
	ev_timer guard;

	ev_timer_init(&guard, give_up, 5, 0);
	ev_timer_start(f->loop, &guard);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&id[i], NULL, hand_from_a_thread, &t[i]), 0);
	ev_run(f->loop, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(id[i], NULL);
	ev_timer_stop(f->loop, &guard);
	assert_int_equal(f->got.n, 1);
	assert_int_equal(f->got.set[0].n, 2);
	window_parts_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waits_for_every_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_order_of_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_in_two_parts_is_joined, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_hands_on_what_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parts_on_threads_wake_the_loop, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
