/* merge: a window counted in parts (by source, as capture workers count
 * it) and merged equals the window counted whole; answers that cross parts
 * are applied; a source seen by two parts is joined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/rng.h"
#include "features/merge.h"
#include "features/sample.h"
#include "features/window.h"
#include "handed.h"

#define PARTS 3

/* Which part counts a packet: by its source, as the kernel's fanout does. */
static int part_of(const ip_addr *src)
{
	return (src->b[14] * 7 + src->b[15]) % PARTS;
}

/* Conversations between 400 hosts over three windows of 60 s: SYNs
 * answered by SYN-ACK and data, refused by RST, or unreachable; scans that
 * nobody answers. Each conversation stays within one second, so that the
 * answered host's sample exists when the answer comes. */
static size_t traffic(struct packet_info *out, size_t max)
{
	struct rng r;
	size_t n = 0;
	rng_seed(&r, 7);
	for (int64_t t = 0; t < 180 && n + 8 <= max; t++)
		for (int k = 0; k < 40 && n + 8 <= max; k++) {
			ip_addr a = host((uint32_t)rng_below(&r, 400) + 1),
				b = host((uint32_t)rng_below(&r, 400) + 1);
			uint16_t port =
				(uint16_t)(rng_below(&r, 4) ? 443 : 1 + rng_below(&r, 1024));
			uint16_t eph = (uint16_t)(50000 + rng_below(&r, 10000));
			out[n++] = tcp(t, a, b, eph, port, TCP_SYN, 60);
			switch (rng_below(&r, 4)) {
			case 0:
				out[n++] = tcp(t, b, a, port, eph, TCP_SYN | TCP_ACK, 60);
				out[n++] = tcp(t, a, b, eph, port, TCP_ACK, 400);
				out[n++] = tcp(t, b, a, port, eph, TCP_ACK, 1400);
				out[n++] = tcp(t, b, a, port, eph, TCP_ACK, 900);
				break;
			case 1:
				out[n++] = tcp(t, b, a, port, eph, TCP_RST | TCP_ACK, 40);
				break;
			case 2:
				out[n++] = unreachable(t, host(1000), a, b);
				break;
			default: /* unanswered */
				break;
			}
		}
	return n;
}

static void assert_same_sample(const struct net_sample *x, const struct net_sample *y)
{
	assert_memory_equal(&x->src, &y->src, sizeof x->src);
	assert_int_equal(x->window_start, y->window_start);
	struct window_counters a = x->c, b = y->c;
	assert_int_equal(a.n_terms, b.n_terms);
	assert_memory_equal(a.terms, b.terms, a.n_terms * sizeof *a.terms);
	a.terms = b.terms = NULL;
	assert_memory_equal(&a, &b, sizeof a);
}

/* The traffic counted whole, and in PARTS parts: by source (homes NULL), or
 * each part seeing every packet and counting the hosts of its homes[i];
 * each window's parts merged (stats to st) equal the whole, sample for
 * sample. */
static void merge_equals_whole(const char *const *homes, struct merge_stats *st)
{
	size_t max = 40000;
	struct packet_info *p = malloc(max * sizeof *p);
	struct window_table *whole = window_table_new(60, 0, 100000, NULL), *part[PARTS];
	struct handed hw = { 0 }, hp[PARTS];
	struct filter_nets *home = calloc(PARTS, sizeof *home);
	assert_non_null(p);
	assert_non_null(home);
	window_table_hand_over(whole, take, &hw);
	memset(hp, 0, sizeof hp);
	for (int i = 0; i < PARTS; i++) {
		part[i] = window_table_new(60, 0, 100000, NULL);
		window_table_set_partial(part[i]);
		window_table_hand_over(part[i], take, &hp[i]);
		if (homes) {
			assert_int_equal(filter_add_nets(&home[i], homes[i]), 0);
			window_table_set_home(part[i], &home[i]);
		}
	}
	size_t n = traffic(p, max);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(window_table_add(whole, &p[i], NULL, NULL), 0);
		for (int k = 0; k < PARTS; k++)
			if (homes || k == part_of(&p[i].src))
				assert_int_equal(window_table_add(part[k], &p[i], NULL, NULL), 0);
	}
	window_table_flush(whole, NULL, NULL);
	for (int i = 0; i < PARTS; i++) {
		window_table_flush(part[i], NULL, NULL);
		assert_int_equal(hp[i].n, 3);
	}
	assert_int_equal(hw.n, 3);
	for (int w = 0; w < 3; w++) {
		struct sample_set parts[PARTS], merged;
		size_t bytes = 0;
		for (int i = 0; i < PARTS; i++) {
			assert_int_equal(hp[i].start[w], hw.start[w]);
			parts[i] = hp[i].set[w];
			bytes += parts[i].bytes;
		}
		assert_int_equal(sample_set_merge(parts, PARTS, &merged, st), 0);
		assert_true(bytes > 0);
		assert_int_equal(merged.bytes, bytes); /* the parts' memory, held by the merge */
		assert_int_equal(merged.n, hw.set[w].n);
		for (size_t k = 0; k < merged.n; k++)
			assert_same_sample(merged.s[k], hw.set[w].s[k]);
		sample_set_free(&merged);
		sample_set_free(&hw.set[w]);
	}
	assert_int_equal(st->joined, 0);
	assert_int_equal(st->answers_unmatched, 0);
	for (int i = 0; i < PARTS; i++)
		window_table_free(part[i]);
	window_table_free(whole);
	free(home);
	free(p);
}

static void test_parts_merge_to_the_whole(void **state)
{
	struct merge_stats st = { 0 };
	(void)state;
	merge_equals_whole(NULL, &st);
	assert_true(st.answers > 0); /* answers did cross parts */
}

/* Views that overlap (two site mirrors both see the traffic between the
 * sites; here every part sees every packet): each part counts the hosts at
 * home with it, and the merge is the whole, answers included. Without
 * homes, every volume would count once a part. */
static void test_overlapping_views_merge_to_the_whole(void **state)
{
	/* hosts 1-127, 128-255, and 256-400 with the router (1000) */
	static const char *const homes[PARTS] = { "10.0.0.0/25", "10.0.0.128/25",
						  "10.0.1.0/24,10.0.3.0/24" };
	struct merge_stats st = { 0 };
	(void)state;
	merge_equals_whole(homes, &st);
}

/* One source in two parts (reached two workers through two tunnels):
 * one sample, counts summed, services joined; an answer to a host nobody
 * has a sample of is counted unmatched. */
static void test_a_source_in_two_parts_is_joined(void **state)
{
	struct window_table *t[2];
	struct handed h[2];
	struct merge_stats st = { 0 };
	ip_addr a = host(5), b = host(6), c = host(7), nobody = host(9);
	(void)state;
	memset(h, 0, sizeof h);
	for (int i = 0; i < 2; i++) {
		t[i] = window_table_new(60, 0, 100, NULL);
		window_table_set_partial(t[i]);
		window_table_hand_over(t[i], take, &h[i]);
	}
	struct packet_info p0 = tcp(1, a, b, 50000, 443, TCP_SYN, 60),
			   p1 = tcp(1, a, c, 50001, 443, TCP_SYN, 60),
			   p2 = tcp(1, a, c, 50002, 22, TCP_SYN, 60),
			   p3 = tcp(1, b, nobody, 443, 50003, TCP_SYN | TCP_ACK, 60);
	assert_int_equal(window_table_add(t[0], &p0, NULL, NULL), 0);
	assert_int_equal(window_table_add(t[1], &p1, NULL, NULL), 0);
	assert_int_equal(window_table_add(t[1], &p2, NULL, NULL), 0);
	assert_int_equal(window_table_add(t[1], &p3, NULL, NULL), 0);
	for (int i = 0; i < 2; i++)
		window_table_flush(t[i], NULL, NULL);
	struct sample_set parts[2] = { h[0].set[0], h[1].set[0] }, merged;
	assert_int_equal(sample_set_merge(parts, 2, &merged, &st), 0);
	assert_int_equal(parts[0].n, 0); /* taken over */
	assert_int_equal(merged.n, 2);   /* a, b */
	const struct net_sample *s = merged.s[0];
	assert_memory_equal(&s->src, &a, sizeof a);
	assert_int_equal(s->c.packets, 3);
	assert_int_equal(s->c.syn_sent, 3);
	assert_int_equal(s->c.syn_unanswered, 3);
	assert_int_equal(s->c.dst_ips, 2);
	assert_int_equal(s->c.flows, 3);
	assert_int_equal(s->c.n_terms, 2); /* 443 twice, 22 once */
	assert_int_equal(s->c.terms[0].count + s->c.terms[1].count, 3);
	assert_int_equal(st.joined, 1);
	assert_int_equal(st.answers_unmatched, 1); /* to nobody: its SYN-ACK and bytes in one */
	sample_set_free(&merged);
	for (int i = 0; i < 2; i++)
		window_table_free(t[i]);
}

/* Sets of copies (what a reader of samples makes) merge too: their joined
 * terms are theirs to free (no double free under the sanitizers). */
static void test_copies_merge(void **state)
{
	struct sample_set parts[2] = { { 0 }, { 0 } }, merged;
	struct window_term terms[2][2] = { { { 10, 1 }, { 30, 2 } }, { { 20, 5 }, { 30, 1 } } };
	(void)state;
	for (int i = 0; i < 2; i++)
		for (uint32_t h = 1; h <= 3; h++) {
			struct net_sample s = { .src = host(h + (uint32_t)i), .terms = terms[i] };
			s.c.packets = 1;
			s.c.terms = terms[i];
			s.c.n_terms = 2;
			assert_int_equal(sample_set_add(&parts[i], &s), 0);
		}
	assert_int_equal(sample_set_merge(parts, 2, &merged, NULL), 0);
	assert_int_equal(merged.n, 4); /* 1, 2, 3, 4: 2 and 3 in both */
	assert_int_equal(merged.s[1]->c.packets, 2);
	assert_int_equal(merged.s[1]->c.n_terms, 3);
	assert_int_equal(merged.s[1]->c.terms[2].key, 30);
	assert_int_equal(merged.s[1]->c.terms[2].count, 3);
	assert_int_equal(merged.s[3]->c.packets, 1);
	sample_set_free(&merged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_merge_to_the_whole),
		cmocka_unit_test(test_overlapping_views_merge_to_the_whole),
		cmocka_unit_test(test_a_source_in_two_parts_is_joined),
		cmocka_unit_test(test_copies_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
