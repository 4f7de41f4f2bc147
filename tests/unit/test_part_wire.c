/* part_wire: a window counted by two sensors that each see half of the
 * flows, sent as partitions, read back and merged, equals the window
 * counted whole (exactly, while the distinct values are exact; the same
 * estimate beyond); a damaged part is refused with where and why. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "features/merge.h"
#include "features/part_wire.h"
#include "features/sample.h"
#include "features/window.h"
#include "handed.h"

#define SENSORS 2
#define N_PARTS 4

/* How a conversation goes: a SYN answered (SYN-ACK and data: bytes served
 * to its opener), refused (RST), not answered at all, answered before its
 * opener's packets are counted (as a flow exporter may write them), or
 * unreachable, said by a router that the other sensor sees. */
enum { ANSWERED, REFUSED, UNANSWERED, ANSWER_FIRST, UNREACHABLE, N_WAYS };

/* A conversation. Sensor: which one sees it (both directions, as a split
 * by flow gives), but for its last to_other packets, which the other does. */
struct conversation {
	struct packet_info p[4];
	int n, sensor, to_other;
};

static struct conversation converse(int64_t t, ip_addr a, ip_addr b, uint16_t eph, uint16_t port,
				    int how, int sensor)
{
	struct conversation c = { .sensor = sensor };
	struct packet_info syn = tcp(t, a, b, eph, port, TCP_SYN, 60),
			   synack = tcp(t, b, a, port, eph, TCP_SYN | TCP_ACK, 60),
			   data = tcp(t, b, a, port, eph, TCP_ACK, 1400);
	if (how == ANSWER_FIRST) {
		c.p[c.n++] = synack;
		c.p[c.n++] = data;
	}
	c.p[c.n++] = syn;
	if (how == ANSWERED) {
		c.p[c.n++] = synack;
		c.p[c.n++] = tcp(t, a, b, eph, port, TCP_ACK, 400);
		c.p[c.n++] = data;
	} else if (how == REFUSED) {
		c.p[c.n++] = tcp(t, b, a, port, eph, TCP_RST | TCP_ACK, 40);
	} else if (how == UNREACHABLE) {
		c.p[c.n++] = unreachable(t, host(2000), a, b);
		c.to_other = 1;
	}
	return c;
}

struct tables {
	struct window_table *whole, *sensor[SENSORS];
	struct handed hw, hs[SENSORS];
};

static void open_tables(struct tables *t, size_t max_samples)
{
	memset(t, 0, sizeof *t);
	t->whole = window_table_new(60, 0, max_samples, NULL);
	window_table_hand_over(t->whole, take, &t->hw);
	for (int i = 0; i < SENSORS; i++) {
		t->sensor[i] = window_table_new(60, 0, max_samples, NULL);
		window_table_keep_distinct(t->sensor[i]);
		window_table_hand_over(t->sensor[i], take, &t->hs[i]);
	}
}

static void count(struct tables *t, const struct conversation *c)
{
	for (int i = 0; i < c->n; i++) {
		int sensor = c->sensor ^ (i >= c->n - c->to_other);
		assert_int_equal(window_table_add(t->whole, &c->p[i], NULL, NULL), 0);
		assert_int_equal(window_table_add(t->sensor[sensor], &c->p[i], NULL, NULL), 0);
	}
}

static void flush_tables(struct tables *t)
{
	window_table_flush(t->whole, NULL, NULL);
	for (int i = 0; i < SENSORS; i++)
		window_table_flush(t->sensor[i], NULL, NULL);
}

static void free_tables(struct tables *t)
{
	for (int i = 0; i < SENSORS; i++)
		window_table_free(t->sensor[i]);
	window_table_free(t->whole);
}

/* Window w of every sensor encoded, each partition decoded, all merged. */
static void sent_and_merged(struct tables *t, int w, struct sample_set *merged, size_t *wire)
{
	struct sample_set parts[SENSORS * N_PARTS];
	struct part_buf bufs[N_PARTS] = { { 0 } };
	char err[256];
	*wire = 0;
	for (int i = 0; i < SENSORS; i++) {
		assert_int_equal(t->hs[i].start[w], t->hw.start[w]);
		assert_int_equal(
			part_wire_encode(&t->hs[i].set[w], t->hs[i].start[w], 60, N_PARTS, bufs),
			0);
		for (uint32_t k = 0; k < N_PARTS; k++) {
			struct part_header h;
			struct sample_set *p = &parts[i * N_PARTS + (int)k];
			assert_int_equal(
				part_wire_decode(bufs[k].data, bufs[k].len, &h, p, err, sizeof err),
				0);
			assert_int_equal(h.window_start, t->hw.start[w]);
			assert_int_equal(h.part, k);
			assert_int_equal(h.n_parts, N_PARTS);
			for (size_t j = 0; j < p->n; j++)
				assert_int_equal(part_wire_partition(&p->s[j]->src, N_PARTS), k);
			*wire += bufs[k].len;
		}
		sample_set_free(&t->hs[i].set[w]);
	}
	for (int k = 0; k < N_PARTS; k++)
		part_buf_free(&bufs[k]);
	assert_int_equal(sample_set_merge(parts, SENSORS * N_PARTS, merged, NULL), 0);
}

static void assert_same_sample(const struct net_sample *x, const struct net_sample *y)
{
	assert_memory_equal(&x->src, &y->src, sizeof x->src);
	assert_int_equal(x->window_start, y->window_start);
	struct window_counters a = x->c, b = y->c;
	assert_int_equal(a.n_terms, b.n_terms);
	for (uint32_t i = 0; i < a.n_terms; i++) {
		assert_int_equal(a.terms[i].key, b.terms[i].key);
		assert_int_equal(a.terms[i].count, b.terms[i].count);
	}
	a.terms = b.terms = NULL;
	assert_memory_equal(&a, &b, sizeof a);
}

/* 300 hosts over three windows, each conversation seen by one sensor; a
 * host talks to the same peers through both sensors, so a sum of their
 * distinct counts would overcount; answers, and the bytes served, reach
 * their host's sample from the other sensor, or before its first packet. */
static void test_split_by_flow_merges_to_the_whole(void **state)
{
	struct tables t;
	(void)state;
	open_tables(&t, 100000);
	uint32_t seed = 12345;
	uint16_t eph = 1024;
	for (int64_t s = 0; s < 180; s++)
		for (int k = 0; k < 30; k++) {
			seed = seed * 1103515245u + 12345u;
			ip_addr a = host(seed % 300 + 1), b = host(seed / 300 % 40 + 1000);
			uint16_t port = seed >> 20 & 1 ? 443 : (uint16_t)(seed >> 21 & 1023);
			struct conversation c = converse(s, a, b, eph++, port,
							 (int)(seed >> 24) % N_WAYS,
							 (int)(seed >> 27) & 1);
			count(&t, &c);
		}
	flush_tables(&t);
	assert_int_equal(t.hw.n, 3);
	for (int w = 0; w < 3; w++) {
		struct sample_set merged;
		size_t wire;
		sent_and_merged(&t, w, &merged, &wire);
		assert_int_equal(merged.n, t.hw.set[w].n);
		for (size_t k = 0; k < merged.n; k++)
			assert_same_sample(merged.s[k], t.hw.set[w].s[k]);
		print_message("window %d: %zu samples, %zu bytes on the wire\n", w, merged.n, wire);
		sample_set_free(&merged);
		sample_set_free(&t.hw.set[w]);
	}
	free_tables(&t);
}

/* A scan of 2600 ports split by flow between two sensors: each part stays
 * exact (3901 values), their union and the whole table are estimates, the
 * same one, on every counter: its flows opened (the estimate of the flows
 * it opened, not the whole table's flows that raised a register) and its
 * services' counts (from their sketches of flows) too; its targets'
 * samples, and its answers, are the whole's. */
static void test_split_scan_estimates_as_the_whole(void **state)
{
	enum { PORTS = 2600 };
	struct tables t;
	(void)state;
	open_tables(&t, 10000);
	ip_addr scanner = host(7), target = host(100);
	for (uint16_t i = 0; i < PORTS; i++) {
		struct conversation c =
			converse(1, scanner, target, 40000, (uint16_t)(1 + i), i % N_WAYS, i & 1);
		count(&t, &c);
	}
	flush_tables(&t);
	for (int i = 0; i < SENSORS; i++)
		assert_null(distinct_registers(t.hs[i].set[0].s[0]->seen)); /* exact */
	struct sample_set merged;
	size_t wire;
	sent_and_merged(&t, 0, &merged, &wire);
	assert_int_equal(merged.n, 3); /* the scanner, the target, the router */
	const struct window_counters *m = &merged.s[0]->c;
	assert_true(m->flows > PORTS * 0.95 && m->flows < PORTS * 1.05);
	assert_true(m->opened > PORTS * 0.95 && m->opened < PORTS * 1.05);
	assert_int_equal(m->syn_unanswered, PORTS - 3 * PORTS / N_WAYS); /* SYN-ACKs, RSTs */
	assert_int_equal(m->unreach_received, PORTS / N_WAYS);
	assert_int_equal(m->n_terms, PORTS);
	for (uint32_t i = 0; i < m->n_terms; i++)
		assert_int_equal(m->terms[i].count, 1); /* a port each: one flow */
	for (int i = 0; i < 3; i++)
		assert_same_sample(merged.s[i], t.hw.set[0].s[i]);
	sample_set_free(&merged);
	sample_set_free(&t.hw.set[0]);
	free_tables(&t);
}

/* One scanner of 6000 addresses, seen by both sensors (overlapping): its
 * distinct values become registers, and their union estimates what the
 * whole table estimates. */
static void test_estimates_merge_as_a_union(void **state)
{
	struct tables t;
	(void)state;
	open_tables(&t, 100);
	ip_addr scanner = host(7);
	for (uint32_t i = 0; i < 6000; i++) {
		struct conversation c =
			converse(1, scanner, host(100000 + i), 40000, 22, 2, i < 3500 ? 0 : 1);
		count(&t, &c);
		if (i >= 2500 && i < 3500) { /* the overlap: seen by the other sensor too */
			c.sensor = 1;
			for (int j = 0; j < c.n; j++)
				window_table_add(t.sensor[1], &c.p[j], NULL, NULL);
		}
	}
	flush_tables(&t);
	struct sample_set merged;
	size_t wire;
	sent_and_merged(&t, 0, &merged, &wire);
	assert_int_equal(merged.n, 1);
	const struct window_counters *m = &merged.s[0]->c, *w = &t.hw.set[0].s[0]->c;
	assert_true(w->dst_ips > 5800 && w->dst_ips < 6200);
	assert_int_equal(m->dst_ips, w->dst_ips);
	assert_int_equal(m->flows, w->flows);
	assert_int_equal(m->syn_sent, 7000); /* the overlap counted twice: packets are summed */
	sample_set_free(&merged);
	sample_set_free(&t.hw.set[0]);
	free_tables(&t);
}

/* Every prefix of a good part, and parts with one byte changed where it
 * matters, are refused with an error, no crash and no leak. */
static void test_damaged_parts_are_refused(void **state)
{
	struct tables t;
	struct part_buf b = { 0 };
	struct sample_set out;
	struct part_header h;
	char err[256];
	(void)state;
	open_tables(&t, 100);
	for (uint16_t i = 0; i < 20; i++) {
		struct conversation c =
			converse(1, host(i % 3 + 1), host(50 + i), 1000 + i, 80, i % 3, 0);
		count(&t, &c);
	}
	flush_tables(&t);
	assert_int_equal(part_wire_encode(&t.hs[0].set[0], 0, 60, 1, &b), 0);
	for (size_t len = 0; len < b.len; len++)
		assert_int_equal(part_wire_decode(b.data, len, &h, &out, err, sizeof err),
				 -EBADMSG);
	assert_int_equal(part_wire_decode(b.data, b.len, &h, &out, err, sizeof err), 0);
	assert_int_equal(h.samples, out.n);
	assert_true(out.n_answers > 0 || out.n > 0);
	sample_set_free(&out);
	b.data[0] = 'X';
	assert_int_equal(part_wire_decode(b.data, b.len, &h, &out, err, sizeof err), -EBADMSG);
	assert_non_null(strstr(err, "FSPW"));
	b.data[0] = 'F';
	b.data[20] = 5; /* partition 5 of 1 */
	assert_int_equal(part_wire_decode(b.data, b.len, &h, &out, err, sizeof err), -EBADMSG);
	assert_non_null(strstr(err, "partition"));
	part_buf_free(&b);
	for (int i = 0; i < SENSORS; i++)
		sample_set_free(&t.hs[i].set[0]);
	sample_set_free(&t.hw.set[0]);
	free_tables(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_by_flow_merges_to_the_whole),
		cmocka_unit_test(test_split_scan_estimates_as_the_whole),
		cmocka_unit_test(test_estimates_merge_as_a_union),
		cmocka_unit_test(test_damaged_parts_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
