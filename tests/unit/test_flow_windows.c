/* Flow records longer than a window: credited to each window their
 * duration covers, pro rata, the once-a-flow counts in the first; parts in
 * closed windows late, the others counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "features/window.h"

struct windows {
	int n;
	int64_t start[8];
	uint8_t src[8]; /* the source's last octet */
	struct window_counters c[8];
};

static int keep(void *ctx, int64_t start, const ip_addr *src, const struct window_counters *c)
{
	struct windows *w = ctx;
	if (w->n < 8) {
		w->start[w->n] = start;
		w->src[w->n] = src->b[15];
		w->c[w->n] = *c;
	}
	w->n++;
	return 0;
}

/* 10.0.0.1:40000 -> 10.0.0.2:22, TCP with SYN and ACK, from start_s to end_s. */
static struct flow_record flow(int64_t start_s, int64_t end_s, uint64_t packets, uint64_t bytes)
{
	struct flow_record r = { .start_ms = start_s * 1000, .end_ms = end_s * 1000,
				 .sport = 40000, .dport = 22, .proto = IP_PROTO_TCP,
				 .tcp_flags = TCP_SYN | TCP_ACK, .family = 4,
				 .direction = FLOW_DIRECTION_OPENER,
				 .packets = packets, .bytes = bytes };
	r.src.b[10] = r.src.b[11] = r.dst.b[10] = r.dst.b[11] = 0xff;
	r.src.b[12] = r.dst.b[12] = 10;
	r.src.b[15] = 1;
	r.dst.b[15] = 2;
	return r;
}

/* r counted alone in minute windows, the windows it made into w. */
static void counted_alone(const struct flow_record *r, struct windows *w)
{
	struct window_table *t = window_table_new(60, 3600, 16, NULL);
	assert_int_equal(window_table_add_flow(t, r, keep, w), 0);
	assert_int_equal(window_table_flush(t, keep, w), 0);
	window_table_free(t);
}

/* 30 s to 150 s in minute windows: a quarter, a half, a quarter. */
static void test_long_flow_is_shared_pro_rata(void **state)
{
	struct window_table *t = window_table_new(60, 3600, 16, NULL);
	struct windows w = { 0 };
	struct flow_record r = flow(1800000030, 1800000150, 121, 12100);
	(void)state;

	assert_int_equal(window_table_add_flow(t, &r, keep, &w), 0);
	assert_int_equal(window_table_flush(t, keep, &w), 0);
	assert_int_equal(w.n, 3);
	uint64_t packets = 0, bytes = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(w.start[i], 1800000000 + 60 * i);
		assert_int_equal(w.c[i].flows, 1); /* a flow in each window it covers */
		packets += w.c[i].packets;
		bytes += w.c[i].bytes;
	}
	assert_int_equal(packets, 121); /* the shares add up to the record */
	assert_int_equal(bytes, 12100);
	assert_int_equal(w.c[0].packets, 30); /* 121 * 30 / 120, rounded down */
	assert_int_equal(w.c[1].packets, 60);
	assert_int_equal(w.c[2].packets, 31);
	assert_int_equal(w.c[0].syn_sent, 1); /* the SYN opened it: the first window only */
	assert_int_equal(w.c[1].syn_sent + w.c[2].syn_sent, 0);
	assert_int_equal(w.c[1].opened, 1);
	assert_int_equal(window_table_stats(t)->split, 1);
	assert_int_equal(window_table_stats(t)->late, 0);
	window_table_free(t);
}

/* A record of few packets over many windows (a connection whose port was
 * used again minutes later, merged by the exporter) has its first packet in
 * its first window, whatever its share there rounds to: its SYN, and the
 * SYN-ACK of the answering side's record, count there together. */
static void test_sparse_flow_starts_in_its_first_window(void **state)
{
	struct window_table *t = window_table_new(60, 3600, 16, NULL);
	struct windows w = { 0 };
	struct flow_record opener = flow(1800000030, 1800000630, 4, 240);
	struct flow_record answer = flow(1800000030, 1800000630, 3, 180);
	(void)state;

	answer.src = opener.dst, answer.dst = opener.src;
	answer.sport = 22, answer.dport = 40000, answer.direction = FLOW_DIRECTION_ANSWER;
	assert_int_equal(window_table_add_flow(t, &answer, keep, &w), 0);
	assert_int_equal(window_table_add_flow(t, &opener, keep, &w), 0);
	assert_int_equal(window_table_flush(t, keep, &w), 0);
	assert_true(w.n >= 2 && w.n <= 8);
	uint64_t packets = 0;
	for (int i = 0; i < w.n; i++) {
		if (w.src[i] != 1)
			continue;
		packets += w.c[i].packets;
		if (w.start[i] == 1800000000) {
			assert_int_equal(w.c[i].syn_sent, 1);
			assert_int_equal(w.c[i].synack_received, 1);
			assert_int_equal(w.c[i].syn_unanswered, 0);
			assert_true(w.c[i].packets >= 1);
			assert_true(w.c[i].bytes >= 60);
		} else {
			assert_int_equal(w.c[i].syn_sent, 0);
		}
	}
	assert_int_equal(packets, 4); /* still the record's packets, no more */
	window_table_free(t);
}

/* A TCP record with fewer packets than windows it spans (two connections
 * of one port ten minutes apart, merged by the exporter) is counted at its
 * two ends, half each: no flow in the silent windows between. A UDP record
 * of the same shape (a steady exchange, a resolver's fixed port) is spread
 * evenly. */
static void test_sparse_tcp_record_counts_at_its_ends(void **state)
{
	struct flow_record tcp = flow(1800000030, 1800000630, 8, 432), udp = tcp;
	struct windows w = { 0 };
	(void)state;

	counted_alone(&tcp, &w);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.start[0], 1800000000);
	assert_int_equal(w.start[1], 1800000600);
	assert_int_equal(w.c[0].packets, 4);
	assert_int_equal(w.c[1].packets, 4);
	assert_int_equal(w.c[0].bytes + w.c[1].bytes, 432);
	assert_int_equal(w.c[0].bytes, 216);
	assert_int_equal(w.c[0].syn_sent, 1);

	memset(&w, 0, sizeof w);
	udp.proto = IP_PROTO_UDP, udp.tcp_flags = 0;
	counted_alone(&udp, &w);
	assert_int_equal(w.n, 8); /* its 8 packets in 8 of the 11 minutes it spans */
}

/* A flow inside its window, or ending at its end, is one part. */
static void test_short_flow_is_whole(void **state)
{
	struct window_table *t = window_table_new(60, 3600, 16, NULL);
	struct windows w = { 0 };
	struct flow_record r = flow(1800000000, 1800000060, 10, 1000);
	(void)state;

	assert_int_equal(window_table_add_flow(t, &r, keep, &w), 0);
	assert_int_equal(window_table_flush(t, keep, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.c[0].packets, 10);
	assert_int_equal(window_table_stats(t)->split, 0);
	window_table_free(t);
}

/* A connection log writes a connection when it ends: the windows it
 * started in have closed, its last one is open and gets its share. */
static void test_parts_in_closed_windows_are_late(void **state)
{
	struct window_table *t = window_table_new(60, 0, 16, NULL);
	struct windows w = { 0 };
	struct flow_record before[] = { flow(1800000010, 1800000011, 1, 40),
					flow(1800000070, 1800000071, 1, 40),
					flow(1800000130, 1800000131, 1, 40) }; /* closes two */
	struct flow_record r = flow(1800000030, 1800000150, 120, 12000);
	(void)state;

	for (int i = 0; i < 3; i++)
		assert_int_equal(window_table_add_flow(t, &before[i], keep, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(window_table_add_flow(t, &r, keep, &w), 0);
	assert_int_equal(window_table_flush(t, keep, &w), 0);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.c[2].packets, 1 + 30);
	assert_int_equal(window_table_stats(t)->late, 2);
	assert_int_equal(window_table_stats(t)->split, 1);
	window_table_free(t);
}

/* A flow of days in minute windows: its last 1024 windows get their share,
 * what came before is one late event. */
static void test_split_is_bounded(void **state)
{
	struct window_table *t = window_table_new(60, 0, 16, NULL);
	struct windows w = { 0 };
	struct flow_record r = flow(1800000000, 1800000000 + 2048 * 60, 2048, 204800);
	(void)state;

	assert_int_equal(window_table_add_flow(t, &r, NULL, NULL), 0);
	const struct window_stats *st = window_table_stats(t);
	assert_int_equal(st->late, 1);
	assert_int_equal(st->packets, 1); /* one record: one event, however many windows */
	assert_int_equal(window_table_flush(t, keep, &w), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.c[0].packets, 1); /* the last window's share */
	window_table_free(t);
}

/* A download's record of its opener is its bare ACKs: what its bytes can
 * carry beyond the headers (40 bytes a packet over IPv4) is a request, so
 * its packets but those and the SYN are its receiving, not its sending. An
 * upload's record carries data in every packet, all of it sent. */
static void test_download_record_is_mostly_acknowledgments(void **state)
{
	struct windows down = { 0 }, up = { 0 };
	struct flow_record d = flow(1800000000, 1800000001, 75, 4033);
	struct flow_record u = flow(1800000000, 1800000001, 75, 75 * 1500);
	(void)state;

	counted_alone(&d, &down);
	assert_int_equal(down.n, 1);
	assert_int_equal(down.c[0].packets, 75);
	assert_int_equal(down.c[0].bytes, 4033);
	/* 4033 - 75 * 40 = 1033 bytes: 17 packets of 64, and the SYN */
	assert_int_equal(down.c[0].opened_packets, 18);
	assert_int_equal(down.c[0].opened_bytes, 4033 - 57 * 40);
	counted_alone(&u, &up);
	assert_int_equal(up.c[0].opened_packets, 75);
	assert_int_equal(up.c[0].opened_bytes, 75 * 1500);
}

/* Split over windows, a download's acknowledgments go with its packets'
 * shares: each window's part sends about as little. */
static void test_split_download_shares_its_acknowledgments(void **state)
{
	struct windows w = { 0 };
	struct flow_record d = flow(1800000000, 1800000120, 750, 40330);
	(void)state;

	counted_alone(&d, &w);
	assert_int_equal(w.n, 2);
	uint64_t sent = 0, packets = 0;
	for (int i = 0; i < w.n; i++) {
		sent += w.c[i].opened_packets;
		packets += w.c[i].packets;
		assert_true(w.c[i].opened_packets * 3 < w.c[i].packets);
	}
	assert_int_equal(packets, 750);
	/* 40330 - 750 * 40 = 10330 bytes: 162 packets of 64, the SYN; rounding
	 * down each part's acknowledgments leaves at most one more a window */
	assert_in_range(sent, 163, 165);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_flow_is_shared_pro_rata),
		cmocka_unit_test(test_sparse_flow_starts_in_its_first_window),
		cmocka_unit_test(test_sparse_tcp_record_counts_at_its_ends),
		cmocka_unit_test(test_short_flow_is_whole),
		cmocka_unit_test(test_parts_in_closed_windows_are_late),
		cmocka_unit_test(test_split_is_bounded),
		cmocka_unit_test(test_download_record_is_mostly_acknowledgments),
		cmocka_unit_test(test_split_download_shares_its_acknowledgments),
	};
	return cmocka_run_group_tests_name("flow_windows", tests, NULL, NULL);
}
