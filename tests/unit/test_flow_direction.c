/* Connection logs read as their writer meant them: Zeek's originator opened
 * the connection, its conn_state and history say what was answered. Each
 * case is a conn.log line counted into a window table, the samples of the
 * originator (10.0.0.1) and the responder (10.0.0.2) compared with what the
 * record says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "features/window.h"
#include "ingest/zeek_conn.h"

/* The samples by the last octet of their source. */
struct hosts {
	struct window_counters c[4];
	int seen[4];
};

static int keep(void *ctx, int64_t start, const ip_addr *src, const struct window_counters *c)
{
	struct hosts *h = ctx;
	(void)start;
	if (src->b[15] < 4) {
		h->c[src->b[15]] = *c;
		h->seen[src->b[15]] = 1;
	}
	return 0;
}

/* Counts one connection: "PROTO ORIG_P RESP_P CONN_STATE HISTORY ORIG_PKTS RESP_PKTS"
 * becomes a conn.log line between 10.0.0.1 and 10.0.0.2. */
static struct hosts count_conn(const char *proto, int orig_p, int resp_p, const char *state,
			       const char *history, int orig_pkts, int resp_pkts)
{
	struct hosts h = { 0 };
	struct window_table *t = window_table_new(60, 0, 16, NULL);
	struct window_flow_sink sink = { t, keep, &h, 0 };
	struct zeek_conn z;
	char fields[] = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
			"duration\tconn_state\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\t"
			"resp_ip_bytes";
	char line[256];
	const char *why = NULL;

	assert_non_null(t);
	zeek_conn_init(&z, window_flow_sink_add, &sink);
	assert_int_equal(zeek_conn_line(&z, fields, &why), CSV_SKIPPED);
	snprintf(line, sizeof line,
		 "1700000010.5\tCx\t10.0.0.1\t%d\t10.0.0.2\t%d\t%s\t1.0\t%s\t%s\t%d\t%d\t%d\t%d",
		 orig_p, resp_p, proto, state, history, orig_pkts, orig_pkts * 100, resp_pkts,
		 resp_pkts * 100);
	assert_int_equal(zeek_conn_line(&z, line, &why), CSV_RECORD);
	assert_int_equal(window_table_flush(t, keep, &h), 0);
	assert_int_equal(sink.failed, 0);
	window_table_free(t);
	return h;
}

/* A server answering from a high port to a client's lower one: its flow
 * is an answer, not a flow it opened (the ports alone said otherwise). */
static void test_udp_answer_from_a_higher_port(void **state)
{
	(void)state;
	struct hosts h = count_conn("udp", 50402, 53535, "SF", "Dd", 3, 2);
	assert_int_equal(h.c[1].opened, 1);
	assert_int_equal(h.c[1].opened_packets, 3);
	assert_int_equal(h.c[2].opened, 0);
	assert_int_equal(h.c[2].opened_packets, 0);
	assert_int_equal(h.c[2].served_packets, 2);
	assert_int_equal(h.c[2].served_bytes, 200);
	assert_int_equal(h.c[1].received_bytes, 200);
}

/* S0: a SYN nobody answered. */
static void test_s0_is_unanswered(void **state)
{
	(void)state;
	struct hosts h = count_conn("tcp", 40000, 22, "S0", "-", 2, 0);
	assert_int_equal(h.c[1].syn_sent, 1);
	assert_int_equal(h.c[1].syn_unanswered, 1);
	assert_int_equal(h.c[1].opened, 1);
	assert_false(h.seen[2]);
}

/* REJ without a history: the conn_state alone says the SYN was refused
 * with a RST. */
static void test_rej_is_refused(void **state)
{
	(void)state;
	struct hosts h = count_conn("tcp", 40000, 23, "REJ", "-", 1, 1);
	assert_int_equal(h.c[1].syn_sent, 1);
	assert_int_equal(h.c[1].rst_received, 1);
	assert_int_equal(h.c[1].syn_unanswered, 0);
	assert_int_equal(h.c[2].refused, 1);
	assert_int_equal(h.c[2].opened, 0);
	assert_int_equal(h.c[2].syn_sent, 0);
}

/* SF from a lower port to a higher one (a client on 1000, a service on
 * 8080): the SYN-ACK comes from the higher port and is still the answer. */
static void test_sf_is_answered_whatever_the_ports(void **state)
{
	(void)state;
	struct hosts h = count_conn("tcp", 1000, 8080, "SF", "ShADadFf", 6, 5);
	assert_int_equal(h.c[1].syn_sent, 1);
	assert_int_equal(h.c[1].synack_received, 1);
	assert_int_equal(h.c[1].syn_unanswered, 0);
	assert_int_equal(h.c[1].opened, 1);
	assert_int_equal(h.c[2].syn_sent, 0);
	assert_int_equal(h.c[2].opened, 0);
	assert_int_equal(h.c[2].served_packets, 5);
	assert_int_equal(h.c[2].refused, 0);
	/* S1 without a history says the same */
	h = count_conn("tcp", 1000, 8080, "S1", "-", 2, 1);
	assert_int_equal(h.c[1].synack_received, 1);
	assert_int_equal(h.c[2].opened, 0);
}

/* OTH: Zeek saw no opening and its originator is a guess; the counting
 * guesses from the ports as it does for NetFlow (the lower port answers). */
static void test_midstream_is_guessed(void **state)
{
	(void)state;
	struct hosts h = count_conn("tcp", 443, 51000, "OTH", "-", 4, 4);
	assert_int_equal(h.c[1].opened, 0);
	assert_int_equal(h.c[1].served_packets, 4);
	assert_int_equal(h.c[2].opened, 1);
}

static void test_state_flags(void **state)
{
	uint8_t o, r;
	(void)state;
	assert_int_equal(flow_record_state_flags("REJ", &o, &r), 0);
	assert_int_equal(o, TCP_SYN);
	assert_int_equal(r, TCP_RST);
	assert_int_equal(flow_record_state_flags("SHR", &o, &r), 1);
	assert_int_equal(flow_record_state_flags("XYZ", &o, &r), -1);
	assert_int_equal(o | r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_answer_from_a_higher_port),
		cmocka_unit_test(test_s0_is_unanswered),
		cmocka_unit_test(test_rej_is_refused),
		cmocka_unit_test(test_sf_is_answered_whatever_the_ports),
		cmocka_unit_test(test_midstream_is_guessed),
		cmocka_unit_test(test_state_flags),
	};
	return cmocka_run_group_tests_name("flow_direction", tests, NULL, NULL);
}
