/* window and distinct: window boundaries, lateness, the source cap, the
 * counters, and the distinct counter's exact and estimated ranges. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/rng.h"
#include "features/distinct.h"
#include "features/sample.h"
#include "features/window.h"
#include "ingest/flow_record.h"

struct emitted {
	int n;
	int64_t start[64];
	uint8_t last_octet[64];
	struct window_counters c[64];
	uint32_t term_flows[64]; /* the sample's service-term counts summed */
};

static int collect(void *ctx, int64_t start, const ip_addr *src, const struct window_counters *c)
{
	struct emitted *e = ctx;
	e->start[e->n] = start;
	e->last_octet[e->n] = src->b[15];
	e->term_flows[e->n] = 0;
	for (uint32_t i = 0; i < c->n_terms; i++) /* terms are valid during this call only */
		e->term_flows[e->n] += c->terms[i].count;
	e->c[e->n++] = *c;
	return 0;
}

/* Takes every sample but those of sources ending in .2 */
static int refuse_dot2(void *ctx, int64_t start, const ip_addr *src,
		       const struct window_counters *c)
{
	return src->b[15] == 2 ? -ENOMEM : collect(ctx, start, src, c);
}

static size_t closed_refused;
static void on_closed(void *ctx, int64_t start, size_t samples, size_t refused)
{
	(void)ctx, (void)start, (void)samples;
	closed_refused += refused;
}

static struct packet_info pkt(int64_t t, int src, int dst, uint8_t proto, uint16_t dport,
			      uint8_t flags)
{
	struct packet_info p = { .ts_sec = t, .wire_len = 114, .ip_len = 100, .family = 4,
				 .proto = proto, .tcp_flags = flags,
				 .has_ports = proto == 6 || proto == 17,
				 .sport = 40000, .dport = dport };
	p.src.b[10] = p.src.b[11] = p.dst.b[10] = p.dst.b[11] = 0xff;
	p.src.b[12] = p.dst.b[12] = 10;
	p.src.b[15] = (uint8_t)src;
	p.dst.b[15] = (uint8_t)dst;
	return p;
}

static void test_window_start(void **state)
{
	(void)state;
	assert_int_equal(window_start_of(3599, 3600), 0);
	assert_int_equal(window_start_of(3600, 3600), 3600);
	assert_int_equal(window_start_of(1772373659, 60), 1772373600);
	assert_int_equal(window_start_of(-1, 60), -60);
	assert_int_equal(window_start_of(179, 90), 90);
}

static void test_boundaries_and_order(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info a = pkt(59, 2, 9, 17, 53, 0), b = pkt(59, 1, 9, 17, 53, 0),
			   c = pkt(60, 1, 9, 17, 53, 0);
	assert_int_equal(window_table_add(t, &a, collect, &e), 0);
	assert_int_equal(window_table_add(t, &b, collect, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(window_table_add(t, &c, collect, &e), 0); /* closes [0, 60) */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.start[0], 0);
	assert_int_equal(e.last_octet[0], 1); /* address order */
	assert_int_equal(e.last_octet[1], 2);
	window_table_flush(t, collect, &e);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.start[2], 60);
	assert_int_equal(window_table_stats(t)->windows, 2);
	window_table_free(t);
}

static void test_lateness(void **state)
{
	struct window_table *t = window_table_new(60, 30, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info p1 = pkt(10, 1, 9, 17, 53, 0), p2 = pkt(70, 1, 9, 17, 53, 0),
			   late_ok = pkt(50, 1, 9, 17, 53, 0), p3 = pkt(95, 1, 9, 17, 53, 0),
			   too_late = pkt(55, 1, 9, 17, 53, 0);
	window_table_add(t, &p1, collect, &e);
	window_table_add(t, &p2, collect, &e);
	window_table_add(t, &late_ok, collect, &e); /* 70 < 60 + 30: still open */
	assert_int_equal(e.n, 0);
	window_table_add(t, &p3, collect, &e); /* 95 >= 90: [0, 60) closes */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.c[0].packets, 2);
	window_table_add(t, &too_late, collect, &e);
	assert_int_equal(window_table_stats(t)->late, 1);
	window_table_free(t);
}

static void test_counters(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	/* host 1 SYNs hosts 2 (answered by SYN-ACK), 3 (RST) and 4 (nothing) */
	struct packet_info ps[] = {
		pkt(1, 1, 2, 6, 22, TCP_SYN), pkt(1, 2, 1, 6, 40000, TCP_SYN | TCP_ACK),
		pkt(2, 1, 3, 6, 23, TCP_SYN), pkt(2, 3, 1, 6, 40000, TCP_RST | TCP_ACK),
		pkt(3, 1, 4, 6, 25, TCP_SYN), pkt(3, 1, 4, 6, 25, TCP_SYN),
		pkt(4, 1, 2, 17, 53, 0), pkt(5, 1, 2, 1, 0, 0),
	};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		window_table_add(t, &ps[i], collect, &e);
	assert_true(window_table_stats(t)->bytes > 0);
	window_table_flush(t, collect, &e);
	/* every byte accounted for comes back when the samples go */
	assert_int_equal(window_table_stats(t)->bytes, 0);
	assert_true(window_table_stats(t)->peak_bytes < 64 * 1024);
	assert_int_equal(e.n, 3);
	const struct window_counters *c = &e.c[0];
	assert_int_equal(e.last_octet[0], 1);
	assert_int_equal(c->packets, 6);
	assert_int_equal(c->bytes, 600);
	assert_int_equal(c->tcp_packets, 4);
	assert_int_equal(c->udp_packets, 1);
	assert_int_equal(c->icmp_packets, 1);
	assert_int_equal(c->syn_sent, 4);
	assert_int_equal(c->synack_received, 1);
	assert_int_equal(c->rst_received, 1);
	assert_int_equal(c->syn_unanswered, 2);
	assert_int_equal(c->dst_ips, 3);
	assert_int_equal(c->dst_ports, 4);  /* tcp/22, tcp/23, tcp/25, udp/53 */
	assert_int_equal(c->dst_pairs, 5);  /* the ICMP packet is a pair of its own */
	assert_int_equal(c->flows, 5);
	assert_int_equal(e.c[2].rst_sent, 1);
	/* what host 1 opened: four flows (the ICMP packet, type 0, is an echo
	 * reply), to three peers on four services; what was answered to it: the
	 * SYN-ACK and the RST. Hosts 2 and 3 only answered. */
	assert_int_equal(c->opened, 4);
	assert_int_equal(c->opened_packets, 5);
	assert_int_equal(c->opened_bytes, 500);
	assert_int_equal(c->received_bytes, 100); /* the SYN-ACK: a RST refuses, serves nothing */
	int peers = 0, services = 0;
	for (int i = 0; i < WINDOW_PEER_WORDS; i++) {
		peers += __builtin_popcountll(c->peers[i]);
		services += __builtin_popcountll(c->services[i]);
	}
	assert_int_equal(peers, 3);
	assert_int_equal(services, 4);
	for (int h = 1; h <= 2; h++) {
		assert_int_equal(e.c[h].opened, 0);
		assert_int_equal(e.c[h].opened_packets, 0);
		assert_int_equal(e.c[h].peers[0] | e.c[h].services[0], 0);
	}
	/* host 2 served host 1 (a SYN-ACK); host 3 refused it (a RST): a refusal
	 * is no serving, and says whom it refused */
	ip_addr h1 = { { 0 } };
	h1.b[10] = h1.b[11] = 0xff, h1.b[12] = 10, h1.b[15] = 1;
	assert_int_equal(e.c[1].served_packets, 1);
	assert_int_equal(e.c[1].refused, 0);
	assert_true(window_sketch_has(e.c[1].clients, &h1));
	assert_true(window_sketch_count(e.c[1].served) > 0.9);
	assert_int_equal(e.c[2].served_packets, 0);
	assert_int_equal(e.c[2].refused, 1);
	assert_int_equal(e.c[2].refused_to, window_refused_bit(&h1));
	assert_true(window_sketch_count(e.c[2].clients) == 0);
	window_table_free(t);
}

/* An answer that comes before its host's first packet of the window (a flow
 * record of the answering side exported first, an ICMP error stamped ahead
 * of the packet it quotes) still counts for that host; an answer to a host
 * that sends nothing in the window is no sample. */
static void test_answer_before_its_host(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info ps[] = {
		pkt(1, 2, 1, 6, 40000, TCP_SYN | TCP_ACK),
		pkt(1, 3, 1, 6, 40000, TCP_RST | TCP_ACK),
		pkt(2, 1, 2, 6, 22, TCP_SYN), pkt(2, 1, 3, 6, 23, TCP_SYN),
		pkt(3, 2, 4, 6, 40000, TCP_SYN | TCP_ACK), /* host 4 sends nothing */
	};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		window_table_add(t, &ps[i], collect, &e);
	window_table_flush(t, collect, &e);
	assert_int_equal(window_table_stats(t)->bytes, 0);
	assert_int_equal(e.n, 3); /* hosts 1, 2 and 3 */
	assert_int_equal(e.last_octet[0], 1);
	assert_int_equal(e.c[0].syn_sent, 2);
	assert_int_equal(e.c[0].synack_received, 1);
	assert_int_equal(e.c[0].rst_received, 1);
	assert_int_equal(e.c[0].syn_unanswered, 0);
	assert_int_equal(e.c[0].received_bytes, 100);
	window_table_free(t);
}

/* What a host opened is what it sent: the pure ACKs of a download it opened
 * are it receiving, and neighbour discovery or group membership is the
 * link's. What it receives counts when a host of its own networks served
 * it; the internet serving a client is its ordinary day. */
static void test_receiving_is_not_opening(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info ps[] = {
		pkt(1, 1, 2, 6, 80, TCP_SYN), pkt(1, 2, 1, 6, 40000, TCP_SYN | TCP_ACK),
		pkt(1, 1, 2, 6, 80, TCP_ACK | TCP_PSH), pkt(1, 2, 1, 6, 40000, TCP_ACK),
		pkt(1, 1, 2, 6, 80, TCP_ACK), pkt(1, 1, 2, 6, 80, TCP_ACK),
		pkt(2, 1, 9, 6, 443, TCP_ACK), pkt(2, 9, 1, 6, 40000, TCP_ACK),
		pkt(3, 1, 7, 58, 0, 0), pkt(3, 1, 7, 2, 0, 0),
	};
	ps[2].payload_len = 60;     /* the request */
	ps[3].sport = 80; /* the answers come from the services */
	ps[7].sport = 443;
	ps[8].icmp_type = 135; /* a neighbour solicitation */
	ps[6].dst.b[12] = ps[7].src.b[12] = 198; /* host 9 is on the internet */
	ps[6].dst.b[13] = ps[7].src.b[13] = 51;
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		window_table_add(t, &ps[i], collect, &e);
	window_table_flush(t, collect, &e);
	const struct window_counters *c = &e.c[0];
	assert_int_equal(e.last_octet[0], 1);
	assert_int_equal(c->packets, 7);
	assert_int_equal(c->opened_packets, 2); /* the SYN and the request */
	assert_int_equal(c->opened_bytes, 200);
	assert_int_equal(c->opened, 2);         /* to host 2 and to the internet */
	assert_int_equal(c->received_bytes, 200); /* host 2's SYN-ACK and data, not host 9's */
	assert_int_equal(c->opened_icmp, 0);
	window_table_free(t);
}

/* A host that serves a service and opens flows to it on the internet
 * relays for its clients (a resolver forwarding queries): those flows are
 * its serving, not its own opening. Inside its networks the same service
 * is its own doing (a file server reaching other hosts' SMB). */
static void test_relay_is_serving(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	/* host 1 asks resolver 2, which asks upstream 198.51.100.9, then
	 * answers; then host 2 opens flows of its own to host 9: the same
	 * service and another one */
	struct packet_info ps[] = {
		pkt(1, 1, 2, 17, 53, 0), pkt(1, 2, 1, 17, 40000, 0),
		pkt(2, 1, 2, 17, 53, 0), pkt(2, 2, 9, 17, 53, 0),
		pkt(2, 2, 9, 17, 53, 0), pkt(2, 2, 9, 6, 443, TCP_SYN),
	};
	ps[1].sport = 53;
	ps[3].dst.b[12] = 198, ps[3].dst.b[13] = 51, ps[3].dst.b[14] = 100;
	ps[4].sport = 40001;
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		window_table_add(t, &ps[i], collect, &e);
	window_table_flush(t, collect, &e);
	assert_int_equal(e.n, 2);
	const struct window_counters *c = &e.c[1];
	assert_int_equal(e.last_octet[1], 2);
	assert_int_equal(c->served_packets, 2); /* the answer and the forwarded query */
	assert_int_equal(c->opened, 2);         /* udp/53 and tcp/443 to host 9 */
	assert_int_equal(c->opened_packets, 2);
	assert_int_equal(c->flows, 4);          /* the forwarded query's too: all its packets */
	assert_int_equal(e.c[0].opened, 1);     /* the client's query */
	window_table_free(t);
}

/* A resolver's first forward of a window may come before its first answer
 * there: having answered on the service in the window before, it relays;
 * two windows after its last answer, what it opens is its own. */
static void test_relay_across_windows(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info ps[] = {
		pkt(1, 1, 2, 17, 53, 0),  pkt(1, 2, 1, 17, 40000, 0), /* asked, answered */
		pkt(61, 2, 9, 17, 53, 0), pkt(61, 1, 2, 17, 53, 0),   /* forwards first */
		pkt(61, 2, 1, 17, 40000, 0),
		pkt(181, 2, 9, 17, 53, 0), /* no answer since window 60 */
	};
	ps[1].sport = ps[4].sport = 53;
	ps[2].dst.b[12] = ps[5].dst.b[12] = 198; /* the upstream is on the internet */
	ps[2].dst.b[13] = ps[5].dst.b[13] = 51;
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		window_table_add(t, &ps[i], collect, &e);
	window_table_flush(t, collect, &e);
	assert_int_equal(e.n, 5);
	for (int i = 0; i < e.n; i++) {
		if (e.last_octet[i] != 2)
			continue;
		const struct window_counters *c = &e.c[i];
		if (e.start[i] == 60) { /* the forward before the answer: relayed */
			assert_int_equal(c->served_packets, 2);
			assert_int_equal(c->opened, 0);
		} else if (e.start[i] == 180) { /* its own */
			assert_int_equal(c->opened, 1);
			assert_int_equal(c->served_packets, 0);
		}
	}
	window_table_free(t);
}

/* A reset refuses a connection attempt when it answers a SYN (sequence
 * number zero, ACK set); a client's reset after the SYN-ACK it wanted (a
 * port check, a SYN scan) is its own packet: the server it checked was not
 * refused, and the client refused nobody. */
static void test_abort_is_no_refusal(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	/* host 2 opens a flow of its own (to 3, refused); host 1 checks host
	 * 2's tcp/22 and resets the connection once answered */
	struct packet_info ps[] = {
		pkt(1, 2, 3, 6, 80, TCP_SYN), pkt(1, 3, 2, 6, 40000, TCP_RST | TCP_ACK),
		pkt(2, 1, 2, 6, 22, TCP_SYN), pkt(2, 2, 1, 6, 40000, TCP_SYN | TCP_ACK),
		pkt(2, 1, 2, 6, 22, TCP_RST),
	};
	ps[1].sport = 80;
	ps[3].sport = 22;
	ps[4].tcp_seq = 0x1234567;
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
		window_table_add(t, &ps[i], collect, &e);
	window_table_flush(t, collect, &e);
	assert_int_equal(e.n, 3);
	const struct window_counters *checker = &e.c[0], *checked = &e.c[1], *closed = &e.c[2];
	assert_int_equal(e.last_octet[0], 1);
	assert_int_equal(e.last_octet[1], 2);
	assert_int_equal(e.last_octet[2], 3);
	assert_int_equal(checked->syn_sent, 1);
	assert_int_equal(checked->rst_received, 1); /* host 3's refusal, not host 1's reset */
	assert_int_equal(checked->refused, 0);
	assert_int_equal(closed->refused, 1);
	assert_int_equal(checker->refused, 0);
	assert_int_equal(checker->rst_sent, 1);
	assert_int_equal(checker->opened, 1);
	assert_int_equal(checker->opened_packets, 2); /* its SYN and its reset */
	window_table_free(t);
}

/* Flow records without a direction: the SYN-ACKs of a host flooded from
 * random source ports are its answers even to a port below its own; a
 * client's record, with data, is its opening. */
static void test_flow_synack_is_an_answer(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info from = pkt(1, 2, 1, 6, 0, 0), to = pkt(1, 1, 2, 6, 0, 0);
	struct flow_record synacks = { .start_ms = 1000, .end_ms = 1000, .src = from.src,
				       .dst = from.dst, .sport = 80, .dport = 50,
				       .proto = 6, .tcp_flags = TCP_SYN | TCP_ACK,
				       .family = 4, .packets = 3, .bytes = 180 };
	struct flow_record client = synacks;
	client.src = to.src, client.dst = to.dst, client.sport = 40000, client.dport = 80;
	client.tcp_flags = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
	window_table_add_flow(t, &synacks, collect, &e);
	window_table_add_flow(t, &client, collect, &e);
	window_table_flush(t, collect, &e);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.last_octet[1], 2);
	assert_int_equal(e.c[1].opened, 0);
	assert_int_equal(e.c[1].served_packets, 3);
	assert_int_equal(e.c[0].opened, 1);
	window_table_free(t);
}

/* A source's packets that repeat its previous flow are skipped cheaply; a
 * change in any part of the flow (destination, either port, protocol) must
 * still count as a new flow, also in a window that starts afresh, and a
 * flow seen before (not the previous one) is not counted twice. */
static void test_repeated_flows(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	struct packet_info seq[] = {
		pkt(1, 1, 9, 6, 80, TCP_ACK),  pkt(1, 1, 9, 6, 80, TCP_ACK), /* flow 1 twice */
		pkt(2, 1, 8, 6, 80, TCP_ACK),                                /* other destination */
		pkt(2, 1, 9, 6, 80, TCP_ACK),                                /* flow 1 again */
		pkt(2, 1, 9, 6, 80, TCP_ACK),                                /* source port below */
		pkt(3, 1, 9, 6, 443, TCP_ACK), pkt(3, 1, 9, 17, 443, 0),     /* other port, proto */
		pkt(4, 1, 9, 17, 443, 0),
		pkt(61, 1, 9, 17, 443, 0),                                   /* next window */
	};
	seq[4].sport = 40001; /* flow 1 but from another source port: a new flow */
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
		assert_int_equal(window_table_add(t, &seq[i], collect, &e), 0);
	window_table_flush(t, collect, &e);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.c[0].packets, 8);
	assert_int_equal(e.c[0].flows, 5);
	assert_int_equal(e.c[0].dst_ips, 2);
	assert_int_equal(e.c[0].dst_pairs, 4); /* 9:tcp/80, 8:tcp/80, 9:tcp/443, 9:udp/443 */
	assert_int_equal(e.term_flows[0], 5);
	assert_int_equal(e.c[1].flows, 1);
	assert_int_equal(e.c[1].dst_ips, 1);
	window_table_free(t);
}

static void test_memory_accounting(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	(void)state;
	/* new flows interleaved with repeats of old ones: the tables grow while
	 * known flows come in too, and every growth must be accounted */
	for (int i = 0; i < 3000; i++) {
		uint16_t dport = (uint16_t)(1000 + i % 700);
		struct packet_info p = pkt(1, 1, (i % 200) + 2, 6, dport, TCP_ACK);
		p.sport = (uint16_t)(20000 + i % 1500);
		assert_int_equal(window_table_add(t, &p, NULL, NULL), 0);
	}
	assert_true(window_table_stats(t)->peak_bytes < 4u << 20);
	window_table_flush(t, NULL, NULL);
	assert_int_equal(window_table_stats(t)->bytes, 0);
	window_table_free(t);
}

static void test_source_cap(void **state)
{
	struct window_table *t = window_table_new(60, 0, 3, NULL);
	struct emitted e = { 0 };
	(void)state;
	for (int s = 1; s <= 5; s++) {
		struct packet_info p = pkt(1, s, 99, 17, 53, 0);
		/* a full window is no error: the source is counted as evicted */
		assert_int_equal(window_table_add(t, &p, collect, &e), 0);
	}
	assert_int_equal(window_table_flush(t, collect, &e), 0);
	assert_int_equal(e.n, 3);
	assert_int_equal(window_table_stats(t)->evicted, 2);
	window_table_free(t);
}

/* A sample the consumer cannot take is returned as its error by the call
 * that closed the window, counted, and told to the close callback; the
 * window's other samples are still emitted. */
static void test_refused_samples_are_returned(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct emitted e = { 0 };
	(void)state;
	closed_refused = 0;
	window_table_on_close(t, on_closed, NULL);
	for (int s = 1; s <= 3; s++) {
		struct packet_info p = pkt(10, s, 99, 17, 53, 0);
		assert_int_equal(window_table_add(t, &p, refuse_dot2, &e), 0);
	}
	struct packet_info next = pkt(70, 1, 99, 17, 53, 0); /* closes the first window */
	assert_int_equal(window_table_add(t, &next, refuse_dot2, &e), -ENOMEM);
	assert_int_equal(e.n, 2);
	assert_int_equal(window_table_stats(t)->refused, 1);
	assert_int_equal(window_table_stats(t)->samples, 2);
	assert_int_equal(closed_refused, 1);
	/* the next window's source .1 is taken: flush succeeds */
	assert_int_equal(window_table_flush(t, refuse_dot2, &e), 0);
	assert_int_equal(e.n, 3);
	/* advance returns the consumer's error as well */
	struct packet_info late = pkt(200, 2, 99, 17, 53, 0);
	assert_int_equal(window_table_add(t, &late, refuse_dot2, &e), 0);
	assert_int_equal(window_table_advance(t, 400, refuse_dot2, &e), -ENOMEM);
	assert_int_equal(window_table_stats(t)->refused, 2);
	window_table_free(t);
}

static void test_distinct_inline_needs_no_heap(void **state)
{
	struct distinct d = { 0 };
	(void)state;
	for (uint64_t i = 0; i < 12; i++) /* 3/4 of the inline slots */
		distinct_add(&d, 1, distinct_hash2(i, 7));
	assert_null(d.slots);
	assert_int_equal(distinct_bytes(&d), 0);
	assert_int_equal(distinct_count(&d, 1), 12);
	distinct_add(&d, 1, distinct_hash2(99, 7));
	assert_non_null(d.slots);
	assert_int_equal(distinct_count(&d, 1), 13);
	distinct_free(&d);
}

/* Every sample of a window, in the order emitted. */
struct emitted_all {
	size_t n;
	ip_addr src[4096];
	uint64_t packets[4096];
};

static int collect_all(void *ctx, int64_t start, const ip_addr *src,
		       const struct window_counters *c)
{
	struct emitted_all *e = ctx;
	(void)start;
	e->src[e->n] = *src;
	e->packets[e->n++] = c->packets;
	return 0;
}

/* Sources of both families that differ in various bytes come out in address
 * order; a window made of the memory of one closed before starts from zero. */
static void test_address_order_and_reused_memory(void **state)
{
	enum { N = 3000 };
	static ip_addr srcs[N];
	static struct emitted_all e;
	struct window_table *t = window_table_new(60, 0, N, NULL);
	struct rng r;
	(void)state;
	rng_seed(&r, 7);
	for (int i = 0; i < N; i++) {
		struct packet_info p = pkt(0, 1, 9, 17, 53, 0);
		if (i % 3 == 0) { /* IPv6: any byte may differ */
			for (int b = 0; b < 16; b++)
				p.src.b[b] = (uint8_t)rng_below(&r, 256);
			p.src.b[0] = 0x20;
		} else {
			for (int b = 12; b < 16; b++)
				p.src.b[b] = (uint8_t)rng_below(&r, 256);
		}
		srcs[i] = p.src;
	}
	for (int w = 0; w < 2; w++) { /* the second window: twice the packets */
		memset(&e, 0, sizeof e);
		for (int k = 0; k <= w; k++)
			for (int i = 0; i < N; i++) {
				struct packet_info p = pkt(60 * w + 1, 1, 9, 17, 53, 0);
				p.src = srcs[i];
				assert_int_equal(window_table_add(t, &p, collect_all, &e), 0);
			}
		assert_int_equal(window_table_flush(t, collect_all, &e), 0);
		assert_int_equal(e.n, N); /* the random addresses are distinct */
		for (size_t i = 0; i < e.n; i++) {
			assert_int_equal(e.packets[i], (uint64_t)w + 1);
			if (i > 0)
				assert_true(memcmp(e.src[i - 1].b, e.src[i].b, 16) < 0);
		}
	}
	window_table_free(t);
}

static int take_set(void *ctx, int64_t start, struct sample_set *set)
{
	struct sample_set *into = ctx;
	(void)start;
	sample_set_free(into);
	*into = *set;
	return 0;
}

/* A window handed over whole: the same samples as emitted, in address
 * order, with their terms; their memory leaves the table with them. */
static void test_hand_over_whole_windows(void **state)
{
	struct window_table *t = window_table_new(60, 0, 100, NULL);
	struct sample_set got = { 0 };
	struct emitted e = { 0 };
	(void)state;
	window_table_hand_over(t, take_set, &got);
	for (int src = 9; src >= 1; src--)
		for (int k = 0; k < src; k++) {
			struct packet_info p = pkt(5, src, 20 + k, 6, (uint16_t)(22 + k), TCP_SYN);
			assert_int_equal(window_table_add(t, &p, NULL, NULL), 0);
		}
	assert_true(window_table_stats(t)->bytes > 0);
	struct packet_info next = pkt(61, 1, 2, 17, 53, 0); /* closes the first window */
	assert_int_equal(window_table_add(t, &next, NULL, NULL), 0);
	assert_int_equal(got.n, 9);
	assert_true(got.bytes >= 9 * 64); /* what the samples hold goes with them */
	for (size_t i = 0; i < got.n; i++) {
		const struct net_sample *s = got.s[i];
		assert_int_equal(s->src.b[15], i + 1); /* address order */
		assert_int_equal(s->window_start, 0);
		assert_int_equal(s->c.packets, i + 1);
		assert_int_equal(s->c.dst_ports, i + 1);
		assert_int_equal(s->c.syn_sent, i + 1);
		assert_int_equal(s->c.n_terms, i + 1); /* a service term a port */
		for (uint32_t k = 0; k < s->c.n_terms; k++)
			assert_int_equal(s->c.terms[k].count, 1);
	}
	sample_set_free(&got);
	/* the same traffic emitted gives the same counters */
	struct window_table *u = window_table_new(60, 0, 100, NULL);
	for (int src = 9; src >= 1; src--)
		for (int k = 0; k < src; k++) {
			struct packet_info p = pkt(5, src, 20 + k, 6, (uint16_t)(22 + k), TCP_SYN);
			assert_int_equal(window_table_add(u, &p, collect, &e), 0);
		}
	assert_int_equal(window_table_flush(u, collect, &e), 0);
	assert_int_equal(e.n, 9);
	assert_int_equal(e.c[8].packets, 9);
	window_table_free(u);
	assert_int_equal(window_table_flush(t, NULL, NULL), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(window_table_stats(t)->bytes, 0);
	sample_set_free(&got);
	window_table_free(t);
}

static void test_distinct_exact_then_estimated(void **state)
{
	struct distinct d = { 0 };
	(void)state;
	for (uint64_t i = 0; i < 1000; i++) {
		assert_int_equal(distinct_add(&d, 0, distinct_hash(&i, sizeof i)), 1);
		assert_int_equal(distinct_add(&d, 0, distinct_hash(&i, sizeof i)), 0); /* repeats */
		if (i < 10) /* the same values under another kind count apart */
			assert_int_equal(distinct_add(&d, 3, distinct_hash(&i, sizeof i)), 1);
	}
	assert_int_equal(distinct_count(&d, 0), 1000);
	assert_int_equal(distinct_count(&d, 3), 10);
	assert_int_equal(distinct_count(&d, 1), 0);
	assert_null(d.hll);
	/* exact up to DISTINCT_EXACT_MAX values of every kind together (the ten
	 * above among them), as a union is; the next value is estimated */
	for (uint64_t i = 1000; i < DISTINCT_EXACT_MAX - 10; i++)
		distinct_add(&d, 0, distinct_hash(&i, sizeof i));
	assert_null(d.hll);
	assert_int_equal(distinct_count(&d, 0), DISTINCT_EXACT_MAX - 10);
	for (uint64_t i = 0; i < 10; i++) /* known values leave it exact */
		assert_int_equal(distinct_add(&d, 0, distinct_hash(&i, sizeof i)), 0);
	assert_null(d.hll);
	uint64_t beyond = DISTINCT_EXACT_MAX - 10;
	assert_true(distinct_add(&d, 0, distinct_hash(&beyond, sizeof beyond)) >= 0);
	assert_non_null(d.hll);
	for (uint64_t i = beyond + 1; i < 100000; i++)
		distinct_add(&d, 0, distinct_hash(&i, sizeof i));
	double err = ((double)distinct_count(&d, 0) - 100000) / 100000;
	print_message("HyperLogLog at 100000 distinct values: %+.2f %%\n", 100 * err);
	assert_true(err > -0.05 && err < 0.05);
	assert_int_equal(distinct_count(&d, 3), 10); /* small counts stay right */
	assert_int_equal(distinct_bytes(&d), DISTINCT_REGISTERS);
	distinct_free(&d);
}

/* Marked values (the flows a source opened) are counted on their own: a
 * value is marked by any of its adds, in whatever order, exactly while the
 * count is exact; beyond, the estimate of the marked values is the same
 * whatever the order of the adds and however they were split and joined. */
static void test_distinct_marks(void **state)
{
	struct distinct d = { 0 }, e = { 0 }, f = { 0 };
	(void)state;
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t h = distinct_hash(&i, sizeof i);
		int mark = i % 3 == 0;
		assert_int_equal(distinct_add_marked(&d, 3, h, 0), DISTINCT_ADDED);
		assert_int_equal(distinct_add_marked(&d, 3, h, mark), mark ? DISTINCT_MARKED : 0);
		assert_int_equal(distinct_add_marked(&d, 3, h, 0), 0); /* a mark stays */
		assert_int_equal(distinct_add_marked(&e, 3, h, mark),
				 DISTINCT_ADDED | (mark ? DISTINCT_MARKED : 0));
	}
	assert_int_equal(distinct_count(&d, 3), 100);
	assert_int_equal(distinct_count_marked(&d), 34);
	assert_int_equal(distinct_count_marked(&e), 34);
	distinct_free(&d);
	distinct_free(&e);
	memset(&d, 0, sizeof d);
	memset(&e, 0, sizeof e);
	/* 8000 values, a third marked: d whole in reverse order, e and f each
	 * half (exact) and joined */
	for (uint64_t k = 0; k < 8000; k++) {
		uint64_t i = 7999 - k, h = distinct_hash(&i, sizeof i), j = k;
		assert_true(distinct_add_marked(&d, 3, h, i % 3 == 0) >= 0);
		h = distinct_hash(&j, sizeof j);
		assert_true(distinct_add_marked(j & 1 ? &e : &f, 3, h, j % 3 == 0) >= 0);
	}
	assert_non_null(d.hll);
	assert_null(e.hll);
	assert_int_equal(distinct_count_marked(&e) + distinct_count_marked(&f), 2667);
	assert_int_equal(distinct_union(&e, &f), 0);
	assert_non_null(e.hll);
	assert_memory_equal(distinct_registers(&d), distinct_registers(&e), DISTINCT_REGISTERS);
	uint64_t marked = distinct_count_marked(&d);
	print_message("marked values estimated: %llu of 2667\n", (unsigned long long)marked);
	assert_true(marked > 2667 * 0.95 && marked < 2667 * 1.05);
	assert_int_equal(distinct_count(&d, 3), distinct_count(&e, 3));
	distinct_free(&d);
	distinct_free(&e);
	distinct_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_start),
		cmocka_unit_test(test_boundaries_and_order),
		cmocka_unit_test(test_lateness),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_answer_before_its_host),
		cmocka_unit_test(test_receiving_is_not_opening),
		cmocka_unit_test(test_relay_is_serving),
		cmocka_unit_test(test_relay_across_windows),
		cmocka_unit_test(test_abort_is_no_refusal),
		cmocka_unit_test(test_flow_synack_is_an_answer),
		cmocka_unit_test(test_repeated_flows),
		cmocka_unit_test(test_memory_accounting),
		cmocka_unit_test(test_source_cap),
		cmocka_unit_test(test_refused_samples_are_returned),
		cmocka_unit_test(test_distinct_inline_needs_no_heap),
		cmocka_unit_test(test_distinct_exact_then_estimated),
		cmocka_unit_test(test_distinct_marks),
		cmocka_unit_test(test_address_order_and_reused_memory),
		cmocka_unit_test(test_hand_over_whole_windows),
	};
	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
