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

/* A whole table of 60 s windows into hw, and PARTS partial ones into hp:
 * capture workers' (keep_distinct 0), or sensors' that keep their distinct
 * values. */
static void open_tables(struct window_table **whole, struct handed *hw,
			struct window_table **part, struct handed *hp, int keep_distinct)
{
	*whole = window_table_new(60, 0, 100000, NULL);
	memset(hw, 0, sizeof *hw);
	window_table_hand_over(*whole, take, hw);
	memset(hp, 0, PARTS * sizeof *hp);
	for (int i = 0; i < PARTS; i++) {
		part[i] = window_table_new(60, 0, 100000, NULL);
		if (keep_distinct)
			window_table_keep_distinct(part[i]);
		else
			window_table_set_partial(part[i]);
		window_table_hand_over(part[i], take, &hp[i]);
	}
}

/* The traffic counted whole, and in PARTS parts: by source (homes NULL), or
 * each part seeing every packet and counting the hosts of its homes[i];
 * each window's parts merged (stats to st) equal the whole, sample for
 * sample. */
static void merge_equals_whole(const char *const *homes, struct merge_stats *st)
{
	size_t max = 40000;
	struct packet_info *p = malloc(max * sizeof *p);
	struct window_table *whole, *part[PARTS];
	struct handed hw, hp[PARTS];
	struct filter_nets *home = calloc(PARTS, sizeof *home);
	assert_non_null(p);
	assert_non_null(home);
	open_tables(&whole, &hw, part, hp, 0);
	for (int i = 0; i < PARTS; i++) {
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

/* Which part sees conversation k of a split by flow: the first of three
 * sees three in five, so that a scanner's share there is beyond the exact
 * limit while the others' stay exact. */
static int flow_part(size_t k)
{
	return k % 5 < 3 ? 0 : (int)(k % 5) - 2;
}

/* A conversation from a to b: a SYN, and an answer (SYN-ACK and data,
 * RST, an unreachable from a router, or none). */
static size_t conversation(struct packet_info *p, int64_t t, ip_addr a, ip_addr b,
			   uint16_t eph, uint16_t port, int how)
{
	size_t n = 0;
	p[n++] = tcp(t, a, b, eph, port, TCP_SYN, 60);
	if (how == 0) {
		p[n++] = tcp(t, b, a, port, eph, TCP_SYN | TCP_ACK, 60);
		p[n++] = tcp(t, b, a, port, eph, TCP_ACK, 1400);
	} else if (how == 1) {
		p[n++] = tcp(t, b, a, port, eph, TCP_RST | TCP_ACK, 40);
	} else if (how == 2) {
		p[n++] = unreachable(t, host(2000), a, b);
	}
	return n;
}

/* An echo request from a to b (ICMP type 8), or its reply (type 0). */
static struct packet_info echo(int64_t t, ip_addr a, ip_addr b, int reply)
{
	return (struct packet_info){ .ts_sec = t, .wire_len = 98, .ip_len = 84, .family = 4,
				     .proto = 1, .icmp_type = (uint8_t)(reply ? 0 : 8),
				     .src = a, .dst = b };
}

/* One minute of flows beyond the exact limit: a scanner's 3000 hosts on
 * port 22 and 2500 ports of one host (15,000 distinct values), a client's
 * 120 services of 60 flows each (7,200 flows), a host that answers a ping
 * before it sends its own to the same peer (one flow, answered then
 * opened). part[i] says which part of a split by flow sees packet i. */
static size_t scan_minute(struct packet_info *p, int *part, size_t max)
{
	size_t n = 0, k = 0, total = 3000 + 2500 + 120 * 50;
	ip_addr scanner = host(7), client = host(8);
	for (; k < total && n + 4 <= max; k++) {
		int64_t t = (int64_t)(k * 59 / total);
		size_t m;
		if (k < 3000)
			m = conversation(p + n, t, scanner, host(10000 + (uint32_t)k), 40000, 22,
					 (int)(k % 4));
		else if (k < 5500)
			m = conversation(p + n, t, scanner, host(100), 40001,
					 (uint16_t)(k - 2999), (int)(k % 4));
		else
			m = conversation(p + n, t, client, host(200 + (uint32_t)(k % 5)),
					 (uint16_t)(50000 + (k - 5500) / 120),
					 (uint16_t)(1000 + (k - 5500) % 120), 0);
		for (size_t j = 0; j < m; j++)
			part[n + j] = flow_part(k);
		n += m;
	}
	p[n] = echo(59, host(9), host(300), 1);
	p[n + 1] = echo(59, host(300), host(9), 0);
	p[n + 2] = echo(59, host(9), host(300), 0);
	for (int j = 0; j < 3; j++)
		part[n + j] = j == 2; /* the answer and the request apart */
	return n + 3;
}

/* A window beyond the exact limit counted whole, and by three sensors that
 * each see a share of the flows (keeping their distinct values, as a
 * sensor's table does): merged, every sample equals the whole's on every
 * counter, its flows opened and services' counts included, whether its
 * parts were exact (the client), or one was estimated already (the
 * scanner). */
static void test_split_by_flow_beyond_the_exact_limit(void **state)
{
	size_t max = 40000;
	struct packet_info *p = malloc(max * sizeof *p);
	int *part = malloc(max * sizeof *part);
	struct window_table *whole, *t[PARTS];
	struct handed hw, hp[PARTS];
	(void)state;
	assert_non_null(p);
	assert_non_null(part);
	open_tables(&whole, &hw, t, hp, 1);
	size_t n = scan_minute(p, part, max);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(window_table_add(whole, &p[i], NULL, NULL), 0);
		assert_int_equal(window_table_add(t[part[i]], &p[i], NULL, NULL), 0);
	}
	window_table_flush(whole, NULL, NULL);
	struct sample_set parts[PARTS], merged;
	for (int i = 0; i < PARTS; i++) {
		window_table_flush(t[i], NULL, NULL);
		assert_int_equal(hp[i].n, 1);
		parts[i] = hp[i].set[0];
	}
	assert_int_equal(hw.n, 1);
	/* the scanner (host 7) is first in address order, the client next */
	assert_non_null(distinct_registers(parts[0].s[0]->seen));
	assert_null(distinct_registers(parts[1].s[0]->seen));
	assert_null(distinct_registers(parts[0].s[1]->seen));
	assert_int_equal(sample_set_merge(parts, PARTS, &merged, NULL), 0);
	assert_int_equal(merged.n, hw.set[0].n);
	for (size_t k = 0; k < merged.n; k++)
		assert_same_sample(merged.s[k], hw.set[0].s[k]);
	const struct window_counters *scan = &merged.s[0]->c, *client = &merged.s[1]->c;
	print_message("scanner: %llu flows opened of 5500; client: %llu of 6000, a service "
		      "%u flows of 50\n", (unsigned long long)scan->opened,
		      (unsigned long long)client->opened, client->terms[0].count);
	assert_true(scan->opened > 5500 * 0.95 && scan->opened < 5500 * 1.05);
	assert_true(client->opened > 6000 * 0.95 && client->opened < 6000 * 1.05);
	assert_int_equal(client->n_terms, 120);
	for (uint32_t i = 0; i < client->n_terms; i++)
		assert_true(client->terms[i].count >= 37 && client->terms[i].count <= 63);
	const struct net_sample *pinger = merged.s[2]; /* hosts 7, 8, 9 first */
	ip_addr nine = host(9);
	assert_memory_equal(&pinger->src, &nine, sizeof nine);
	assert_int_equal(pinger->c.flows, 1);
	assert_int_equal(pinger->c.opened, 1); /* answered first, opened after */
	sample_set_free(&merged);
	sample_set_free(&hw.set[0]);
	for (int i = 0; i < PARTS; i++)
		window_table_free(t[i]);
	window_table_free(whole);
	free(part);
	free(p);
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
	struct window_term terms[2][2] = { { { 10, 1, 0 }, { 30, 2, 0 } },
					   { { 20, 5, 0 }, { 30, 1, 0 } } };
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
		cmocka_unit_test(test_split_by_flow_beyond_the_exact_limit),
		cmocka_unit_test(test_a_source_in_two_parts_is_joined),
		cmocka_unit_test(test_copies_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
