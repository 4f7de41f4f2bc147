/* gates (daemon/windows): which samples above the alert threshold are news,
 * side by side: the threshold; a source's own usual score of the side; a
 * served anomaly only where something new is served; and served anomalies
 * provoked by a source alerted for what it opened held back as answers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alerting/alert_select.h"
#include "features/distinct.h"
#include "features/location.h"
#include "windows/gates.h"
#include "handed.h"

#define THRESHOLD 10.0
#define MAX 8

/* A window of n samples (sources host(1)..host(n)), their side scores, and
 * the gates' outputs. */
struct window {
	struct sample_set set;
	float open[MAX], served[MAX], gated[MAX];
	struct gate_pass v[MAX];
	struct gate_counts held;
};

/* Sample i (0-based) of source host(i + 1); new_served: the host feature
 * that says it serves something new; clients_all: its clients' sketch
 * holds every source (else none). */
static void add(struct window *w, float open, float served, float new_served, int clients_all)
{
	size_t i = w->set.n;
	struct net_sample s = { .src = host((uint32_t)i + 1), .window_start = 600 };
	s.host[BASELINE_NEW_SERVED] = new_served;
	memset(s.c.clients, clients_all ? 0xff : 0, sizeof s.c.clients);
	assert_int_equal(sample_set_add(&w->set, &s), 0);
	w->open[i] = open;
	w->served[i] = served;
}

/* Sample i passed with score (cmocka's assert_float_equal takes -INFINITY
 * for any score); a macro, for the failing line. */
#define assert_gated(w, i, score) assert_true((w)->gated[i] == (float)(score))

static void apply(struct window *w, int host_features, const struct baseline *b)
{
	memset(&w->held, 0, sizeof w->held);
	gates_apply(&w->set, w->open, w->served, THRESHOLD, host_features, b, w->gated, w->v,
		    &w->held);
}

/* Opened above the threshold passes; below it, at it, or within the
 * precision of a score above it (a training sample's tie, scored again)
 * does not; a sample that opened (or served) nothing has NAN there. */
static void test_threshold(void **state)
{
	struct window w = { 0 };
	(void)state;
	add(&w, 25, NAN, 0, 0);
	add(&w, 9, 3, 0, 0);
	add(&w, (float)THRESHOLD, NAN, 0, 0);
	add(&w, NAN, NAN, 0, 0);
	add(&w, (float)(THRESHOLD * (1 + ALERT_SCORE_PRECISION / 10)), NAN, 0, 0);
	add(&w, (float)(THRESHOLD * (1 + ALERT_SCORE_PRECISION * 10)), NAN, 0, 0);
	apply(&w, 1, NULL);
	assert_gated(&w, 0, 25);
	assert_int_equal(w.v[0].side, BASELINE_OPENED);
	assert_float_equal(w.v[0].threshold, THRESHOLD, 0);
	assert_true(isnan(w.v[0].usual)); /* no memory of the sources */
	for (int i = 1; i < 5; i++)
		assert_true(w.gated[i] == -INFINITY);
	assert_true(w.gated[5] > THRESHOLD);
	assert_int_equal(w.held.usual, 0);
	assert_int_equal(w.held.answering, 0);
	sample_set_free(&w.set);
}

/* What a source served is news only where it serves something new, and
 * only for a model with host features; what it opened comes first. */
static void test_served_needs_news(void **state)
{
	struct window w = { 0 };
	(void)state;
	add(&w, 2, 40, 0, 0);   /* served high, nothing new: its clients' doing */
	add(&w, 2, 40, 1, 0);   /* served high, a new service: news */
	add(&w, 30, 40, 1, 0);  /* both: the opened side is the one told */
	apply(&w, 1, NULL);
	assert_true(w.gated[0] == -INFINITY);
	assert_gated(&w, 1, 40);
	assert_int_equal(w.v[1].side, BASELINE_SERVED);
	assert_gated(&w, 2, 30);
	assert_int_equal(w.v[2].side, BASELINE_OPENED);
	assert_int_equal(w.held.answering, 1);
	apply(&w, 0, NULL); /* a model without host features: no served news */
	assert_true(w.gated[1] == -INFINITY);
	assert_gated(&w, 2, 30);
	assert_int_equal(w.held.answering, 2);
	sample_set_free(&w.set);
}

/* A served anomaly whose clients include a source passing on its opened
 * side is that source's (a flood answered): held back as answering. */
static void test_answers_go_to_who_provoked_them(void **state)
{
	struct window w = { 0 };
	(void)state;
	add(&w, 50, NAN, 0, 0); /* the source that opened, alerted */
	add(&w, 1, 45, 1, 1);   /* served it (its clients' sketch holds everyone) */
	add(&w, 1, 45, 1, 0);   /* served others */
	apply(&w, 1, NULL);
	assert_gated(&w, 0, 50);
	assert_true(w.gated[1] == -INFINITY);
	assert_gated(&w, 2, 45);
	assert_int_equal(w.held.answering, 1);
	sample_set_free(&w.set);
	/* without an opened sample passing, the same served sample is news */
	memset(&w, 0, sizeof w);
	add(&w, 5, NAN, 0, 0);
	add(&w, 1, 45, 1, 1);
	apply(&w, 1, NULL);
	assert_gated(&w, 1, 45);
	assert_int_equal(w.held.answering, 0);
	sample_set_free(&w.set);
}

/* Above the threshold but within the source's own usual score of that side
 * (a busy host's ordinary level) is not news; far above it is. */
static void test_usual_score_of_the_source(void **state)
{
	struct window w = { 0 };
	struct baseline *b = baseline_new(16, 7 * 86400);
	float out[BASELINE_N_FEATURES];
	(void)state;
	assert_non_null(b);
	add(&w, 20, NAN, 0, 0);
	add(&w, 200, NAN, 0, 0);
	add(&w, 20, NAN, 0, 0); /* host(3): no memory */
	/* host(1) and host(2) opened at a score of 30 for ten windows (under
	 * that window's threshold, 1000: counted whole) */
	for (int64_t t = 0; t < 10; t++)
		for (uint32_t i = 1; i <= 2; i++) {
			ip_addr src = host(i);
			struct window_counters c = { .packets = 1 };
			baseline_observe(b, t * 60, &src, &c, out);
			baseline_note_score(b, &src, t * 60, BASELINE_OPENED, 30, 1000);
		}
	apply(&w, 1, b);
	assert_true(w.gated[0] == -INFINITY); /* 20: within host(1)'s usual 30 */
	assert_gated(&w, 1, 200);
	assert_true(w.v[1].usual >= 29 && w.v[1].usual < 200);
	assert_gated(&w, 2, 20); /* no usual yet: the threshold alone */
	assert_int_equal(w.held.usual, 1);
	baseline_free(b);
	sample_set_free(&w.set);
}

/* A sample that reaches somewhere new for its source (new peers or
 * services now, or over its last minutes) is never within its usual score:
 * a host whose earlier scan raised its usual score is told again when it
 * starts beaconing. The same score reaching nothing new is held back. */
static void test_news_is_never_usual(void **state)
{
	struct window w = { 0 };
	struct baseline *b = baseline_new(16, 7 * 86400);
	float out[BASELINE_N_FEATURES];
	static const int novelty[] = { BASELINE_NEW_PEERS, BASELINE_NEW_SERVICES,
					BASELINE_SLOW_NEW_PEERS, BASELINE_SLOW_NEW_SERVICES };
	const size_t n = sizeof novelty / sizeof novelty[0];
	(void)state;
	assert_non_null(b);
	for (size_t k = 0; k <= n; k++)
		add(&w, 20, NAN, 0, 0);
	for (size_t k = 0; k < n; k++) /* sources 1..4 each reach one kind of new */
		w.set.s[k]->host[novelty[k]] = 0.7f;
	for (int64_t t = 0; t < 10; t++) /* every source usually scores 30 */
		for (uint32_t i = 1; i <= n + 1; i++) {
			ip_addr src = host(i);
			struct window_counters c = { .packets = 1 };
			baseline_observe(b, t * 60, &src, &c, out);
			baseline_note_score(b, &src, t * 60, BASELINE_OPENED, 30, 1000);
		}
	apply(&w, 1, b);
	for (size_t k = 0; k < n; k++) {
		assert_gated(&w, k, 20);
		assert_true(isnan(w.v[k].usual));
	}
	assert_true(w.gated[n] == -INFINITY); /* nothing new: within its usual 30 */
	assert_int_equal(w.held.usual, 1);
	baseline_free(b);
	sample_set_free(&w.set);
}

/* Sets peer's bit in a sketch of peers (the bit window_sketch_has tests). */
static void set_peer(uint64_t *sketch, const ip_addr *peer)
{
	uint64_t hash = distinct_hash_addr(peer);
	sketch[(hash >> 55) / 64] |= 1ull << (hash >> 55 & 63);
	assert_true(window_sketch_has(sketch, peer));
}

/* Sources passing on what they opened, that a host of the network first
 * answered lately while it serves a service it began serving then to two or
 * more such new clients, are that service's first users: the host passes on
 * its served side with their highest score, they are held back (user_of
 * it). Its old clients, a user that reaches somewhere else new too, the
 * only new client of the window, a host on the internet, or a service no
 * longer young: each client is its own. */
static void test_young_service_told_for_its_users(void **state)
{
	struct baseline *b = baseline_new(16, 7 * 86400);
	float out[BASELINE_N_FEATURES];
	ip_addr server = host(1), old = host(5);
	(void)state;
	assert_non_null(b);
	struct window_counters c = { .packets = 1, .served_packets = 12 };
	c.served[0] = 1;
	set_peer(c.clients, &old); /* a client from the start */
	/* host(6), seen as long, at 660 reaches the server and a share it never
	 * used: news besides the new service */
	ip_addr puller = host(6), share = host(7);
	struct window_counters pulls = { .packets = 1 };
	for (int64_t t = 0; t <= 600; t += 60) {
		baseline_observe(b, t, &server, &c, out);
		baseline_observe(b, t, &puller, &pulls, out);
	}
	set_peer(pulls.peers, &server);
	set_peer(pulls.peers, &share);
	baseline_observe(b, 660, &puller, &pulls, out);
	c.served[1] = 1; /* at 660, established: a new service, three new clients */
	for (uint32_t i = 2; i <= 6; i += i == 3 ? 3 : 1) {
		ip_addr user = host(i);
		set_peer(c.clients, &user);
	}
	baseline_observe(b, 660, &server, &c, out);

	struct window w = { 0 };
	add(&w, NAN, 3, 0, 0);  /* the server: its serving under the threshold */
	add(&w, 40, NAN, 0, 0); /* host(2), a user */
	add(&w, 60, NAN, 0, 0); /* host(3), a user */
	add(&w, 50, NAN, 0, 0); /* host(4), elsewhere */
	add(&w, 45, NAN, 0, 0); /* host(5), its old client */
	add(&w, 80, NAN, 0, 0); /* host(6), a new client that pulls from a share too */
	w.set.s[0]->c = c;
	w.set.s[5]->c = pulls;
	apply(&w, 1, b);
	assert_gated(&w, 0, 60);
	assert_int_equal(w.v[0].side, BASELINE_SERVED);
	assert_int_equal(w.v[0].of, 2);
	assert_true(w.gated[1] == -INFINITY && w.gated[2] == -INFINITY);
	assert_int_equal(w.v[1].user_of, 0);
	assert_int_equal(w.v[2].user_of, 0);
	assert_int_equal(w.held.users, 2);
	assert_gated(&w, 3, 50);
	assert_gated(&w, 4, 45);
	assert_int_equal(w.v[3].user_of, -1);
	assert_int_equal(w.v[4].user_of, -1);
	assert_gated(&w, 5, 80); /* its own news */
	assert_int_equal(w.v[5].user_of, -1);

	w.open[2] = 5; /* one user passing of the service's three: its user still */
	apply(&w, 1, b);
	assert_gated(&w, 0, 40);
	assert_int_equal(w.v[1].user_of, 0);
	assert_int_equal(w.held.users, 1);
	/* the same user the only new client it serves in the window: its own
	 * (a scanner that the new service answered) */
	memset(w.set.s[0]->c.clients, 0, sizeof w.set.s[0]->c.clients);
	set_peer(w.set.s[0]->c.clients, &old);
	set_peer(w.set.s[0]->c.clients, &w.set.s[1]->src);
	apply(&w, 1, b);
	assert_true(w.gated[0] == -INFINITY);
	assert_gated(&w, 1, 40);
	assert_int_equal(w.held.users, 0);
	w.set.s[0]->c = c;
	w.open[2] = 60;
	apply(&w, 1, NULL); /* no memory of the sources: no young service */
	assert_int_equal(w.held.users, 0);
	w.set.s[0]->c.src_location = LOCATION_GLOBAL; /* a host out on the internet */
	apply(&w, 1, b);
	assert_true(w.gated[0] == -INFINITY);
	assert_int_equal(w.held.users, 0);
	w.set.s[0]->c.src_location = LOCATION_PRIVATE;
	baseline_observe(b, 1260, &server, &c, out); /* ten minutes on: known */
	apply(&w, 1, b);
	assert_true(w.gated[0] == -INFINITY);
	assert_gated(&w, 1, 40);
	assert_gated(&w, 2, 60);
	assert_int_equal(w.held.users, 0);
	sample_set_free(&w.set);
	baseline_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_served_needs_news),
		cmocka_unit_test(test_answers_go_to_who_provoked_them),
		cmocka_unit_test(test_usual_score_of_the_source),
		cmocka_unit_test(test_news_is_never_usual),
		cmocka_unit_test(test_young_service_told_for_its_users),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
