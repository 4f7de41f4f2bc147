/* Helpers of the suites that count packets into window tables and take
 * the windows they hand over (test_merge, test_part_wire): IPv4 hosts,
 * TCP packets, ICMP unreachables, and a window_hand_over_fn that keeps the
 * sets in order. */
#ifndef FLOWSAD_TEST_HANDED_H
#define FLOWSAD_TEST_HANDED_H

#include "features/sample.h"
#include "features/window.h"

#define MAX_WINDOWS 4

/* The windows a table handed over, in order. */
struct handed {
	int n;
	int64_t start[MAX_WINDOWS];
	struct sample_set set[MAX_WINDOWS];
};

static inline int take(void *ctx, int64_t start, struct sample_set *set)
{
	struct handed *h = ctx;
	assert_true(h->n < MAX_WINDOWS);
	h->start[h->n] = start;
	h->set[h->n++] = *set;
	return 0;
}

/* 10.x.y.z, i = x.y.z */
static inline ip_addr host(uint32_t i)
{
	ip_addr a = { 0 };
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = 10;
	a.b[13] = (uint8_t)(i >> 16);
	a.b[14] = (uint8_t)(i >> 8);
	a.b[15] = (uint8_t)i;
	return a;
}

static inline struct packet_info tcp(int64_t t, ip_addr src, ip_addr dst, uint16_t sport,
				     uint16_t dport, uint8_t flags, uint32_t len)
{
	return (struct packet_info){ .ts_sec = t,
				     .wire_len = len + 14,
				     .ip_len = len,
				     .family = 4,
				     .proto = 6,
				     .tcp_flags = flags,
				     .has_ports = 1,
				     .sport = sport,
				     .dport = dport,
				     .src = src,
				     .dst = dst };
}

/* An ICMP unreachable from router r about a packet src sent to dst. */
static inline struct packet_info unreachable(int64_t t, ip_addr r, ip_addr src, ip_addr dst)
{
	return (struct packet_info){ .ts_sec = t, .wire_len = 70, .ip_len = 56, .family = 4,
				     .proto = 1, .icmp_type = 3, .src = r, .dst = src,
				     .has_inner = 1, .inner_src = src, .inner_dst = dst };
}

#endif
