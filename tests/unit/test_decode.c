/* decode: hand-built frames, including every malformation the decoder counts. */
#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/decode.h"

/* Every tunnel taken off. */
static enum decode_result decode(int dlt, const uint8_t *frame, uint32_t caplen,
				 struct packet_info *out)
{
	struct decode_options o;
	decode_options_init(&o, DECODE_TUNNELS_ALL);
	return decode_packet(dlt, frame, caplen, &o, out);
}

/* Ethernet + IPv4 + TCP SYN 10.0.0.1:1234 -> 10.0.0.2:80 */
static size_t eth_ipv4_tcp(uint8_t *f, uint8_t flags)
{
	static const uint8_t frame[] = {
		/* Ethernet */
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		/* IPv4 */
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		/* TCP */
		0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	memcpy(f, frame, sizeof frame);
	f[14 + 20 + 13] = flags;
	return sizeof frame;
}

static void test_ipv4_tcp(void **state)
{
	uint8_t f[128];
	struct packet_info p = { .ts_sec = 7, .wire_len = 60 };
	char a[48];
	(void)state;
	size_t n = eth_ipv4_tcp(f, TCP_SYN);
	assert_int_equal(decode(DLT_EN10MB, f, (uint32_t)n, &p), DECODE_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 1234);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, TCP_SYN);
	assert_int_equal(p.tcp_seq, 1);
	assert_true(p.has_ports);
	assert_int_equal(p.ts_sec, 7);
	assert_int_equal(p.wire_len, 60);
	assert_string_equal(ip_addr_str(&p.src, a), "10.0.0.1");
	assert_string_equal(ip_addr_str(&p.dst, a), "10.0.0.2");
	assert_int_equal(p.payload_len, 0);
	/* 8 bytes of data behind the header, the capture cut before them */
	f[14 + 3] = 48;
	assert_int_equal(decode(DLT_EN10MB, f, (uint32_t)n, &p), DECODE_OK);
	assert_int_equal(p.payload_len, 8);
	assert_int_equal(decode(DLT_RAW, f + 14, (uint32_t)n - 14, &p), DECODE_OK);
	assert_int_equal(p.payload_len, 8);
	/* the sequence number, whole (a reset's zero tells a refusal) */
	f[14 + 20 + 4] = 0x80;
	assert_int_equal(decode(DLT_EN10MB, f, (uint32_t)n, &p), DECODE_OK);
	assert_int_equal(p.tcp_seq, 0x80000001u);
	assert_int_equal(decode(DLT_RAW, f + 14, (uint32_t)n - 14, &p), DECODE_OK);
	assert_int_equal(p.tcp_seq, 0x80000001u);
}

static void test_truncations_are_counted(void **state)
{
	uint8_t f[128];
	struct packet_info p;
	(void)state;
	size_t n = eth_ipv4_tcp(f, TCP_SYN);
	assert_int_equal(decode(DLT_EN10MB, f, 10, &p), DECODE_TRUNC_LINK);
	assert_int_equal(decode(DLT_EN10MB, f, 14 + 12, &p), DECODE_TRUNC_IP);
	assert_int_equal(decode(DLT_EN10MB, f, 14 + 20 + 3, &p), DECODE_TRUNC_L4);
	assert_int_equal(decode(DLT_EN10MB, f, 14 + 20 + 10, &p), DECODE_TRUNC_L4);
	assert_int_equal(decode(DLT_EN10MB, f, (uint32_t)n, &p), DECODE_OK);
	assert_int_equal(decode(DLT_EN10MB, f, 0, &p), DECODE_TRUNC_LINK);
}

static void test_bogus_lengths(void **state)
{
	uint8_t f[128];
	struct packet_info p;
	(void)state;
	eth_ipv4_tcp(f, 0);
	f[14] = 0x44; /* IHL 4 */
	assert_int_equal(decode(DLT_EN10MB, f, 54, &p), DECODE_BAD_IP_HDR_LEN);
	eth_ipv4_tcp(f, 0);
	f[14] = 0x4f; /* IHL 60 bytes: more than captured */
	f[17] = 100;
	assert_int_equal(decode(DLT_EN10MB, f, 54, &p), DECODE_TRUNC_IP);
	eth_ipv4_tcp(f, 0);
	f[16] = 0, f[17] = 12; /* total length below the header */
	assert_int_equal(decode(DLT_EN10MB, f, 54, &p), DECODE_BAD_IP_LEN);
	eth_ipv4_tcp(f, 0);
	f[16] = 0, f[17] = 22; /* total length cuts the TCP header: ports only */
	assert_int_equal(decode(DLT_EN10MB, f, 54, &p), DECODE_TRUNC_L4);
	eth_ipv4_tcp(f, 0);
	f[14] = 0x65; /* version 6 in an IPv4 ethertype */
	assert_int_equal(decode(DLT_EN10MB, f, 54, &p), DECODE_BAD_IP_VERSION);
}

static void test_later_fragment_has_no_ports(void **state)
{
	uint8_t f[128];
	struct packet_info p;
	(void)state;
	eth_ipv4_tcp(f, 0);
	f[14 + 6] = 0x00, f[14 + 7] = 0x10; /* offset 16 * 8 */
	assert_int_equal(decode(DLT_EN10MB, f, 54, &p), DECODE_OK);
	assert_false(p.has_ports);
	assert_int_equal(p.proto, 6);
}

static void test_vlan_and_qinq(void **state)
{
	uint8_t f[160], g[160];
	struct packet_info p;
	(void)state;
	size_t n = eth_ipv4_tcp(f, TCP_SYN);
	/* insert 802.1ad + 802.1Q tags after the MAC addresses */
	memcpy(g, f, 12);
	memcpy(g + 12, (uint8_t[]){ 0x88, 0xa8, 0, 7, 0x81, 0x00, 0, 100 }, 8);
	memcpy(g + 20, f + 12, n - 12);
	assert_int_equal(decode(DLT_EN10MB, g, (uint32_t)n + 8, &p), DECODE_OK);
	assert_int_equal(p.dport, 80);
	/* five tags are too deep */
	memcpy(g, f, 12);
	for (int i = 0; i < 5; i++)
		memcpy(g + 12 + 4 * i, (uint8_t[]){ 0x81, 0x00, 0, 1 }, 4);
	memcpy(g + 32, f + 12, n - 12);
	assert_int_equal(decode(DLT_EN10MB, g, (uint32_t)n + 20, &p), DECODE_VLAN_TOO_DEEP);
	assert_int_equal(decode(DLT_EN10MB, g, 15, &p), DECODE_TRUNC_LINK);
}

static void test_non_ip_and_unknown_link(void **state)
{
	uint8_t f[64] = { 0 };
	struct packet_info p;
	(void)state;
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	assert_int_equal(decode(DLT_EN10MB, f, 42, &p), DECODE_NOT_IP);
	assert_int_equal(decode(105, f, 42, &p), DECODE_UNKNOWN_LINK);
	assert_false(decode_link_supported(105));
	assert_true(decode_link_supported(DLT_LINUX_SLL));
}

/* Raw IPv6: hop-by-hop, then fragment header, then UDP */
static size_t ipv6_udp(uint8_t *f, int frag_offset)
{
	memset(f, 0, 128);
	f[0] = 0x60;
	f[4] = 0, f[5] = 8 + 8 + 8; /* payload length */
	f[6] = 0;                   /* hop-by-hop */
	f[7] = 64;
	f[8] = 0x20, f[8 + 15] = 1;  /* src 2000::1 */
	f[24] = 0x20, f[24 + 15] = 2; /* dst 2000::2 */
	f[40] = 44, f[41] = 0;       /* hop-by-hop: next fragment, 8 bytes */
	f[48] = 17;                  /* fragment: next UDP */
	f[50] = (uint8_t)(frag_offset >> 5), f[51] = (uint8_t)((frag_offset << 3) & 0xf8);
	f[56] = 0x30, f[57] = 0x39, f[58] = 0, f[59] = 53; /* UDP 12345 -> 53 */
	f[61] = 8;
	return 64;
}

static void test_ipv6_extension_headers(void **state)
{
	uint8_t f[128];
	struct packet_info p;
	char a[48];
	(void)state;
	size_t n = ipv6_udp(f, 0);
	assert_int_equal(decode(DLT_RAW, f, (uint32_t)n, &p), DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 53);
	assert_string_equal(ip_addr_str(&p.src, a), "2000::1");
	ipv6_udp(f, 100);
	assert_int_equal(decode(DLT_RAW, f, (uint32_t)n, &p), DECODE_OK);
	assert_false(p.has_ports);
	ipv6_udp(f, 0);
	assert_int_equal(decode(DLT_RAW, f, 44, &p), DECODE_BAD_IPV6_EXT);
	/* a chain of hop-by-hop headers longer than the bound */
	uint8_t loop[40 + 8 * 12] = { 0x60 };
	loop[5] = 8 * 12;
	for (int i = 0; i < 12; i++)
		loop[40 + 8 * i] = 0; /* each says: next is hop-by-hop again */
	assert_int_equal(decode(DLT_RAW, loop, sizeof loop, &p), DECODE_BAD_IPV6_EXT);
	/* a payload length of 0 with headers behind it: the chain is cut */
	ipv6_udp(f, 0);
	f[5] = 0;
	assert_int_equal(decode(DLT_RAW, f, (uint32_t)n, &p), DECODE_BAD_IPV6_EXT);
}

static void test_icmp_unreachable_quotes_the_probe(void **state)
{
	/* raw IPv4 ICMP port unreachable from 10.0.0.2 quoting UDP 10.0.0.1:5000 -> 10.0.0.2:161 */
	uint8_t f[] = {
		0x45, 0, 0, 56, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
		3, 3, 0, 0, 0, 0, 0, 0,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x13, 0x88, 0, 161, 0, 8, 0, 0,
	};
	struct packet_info p;
	char a[48];
	(void)state;
	assert_int_equal(decode(DLT_RAW, f, sizeof f, &p), DECODE_OK);
	assert_int_equal(p.proto, 1);
	assert_int_equal(p.icmp_type, 3);
	assert_true(decode_is_unreachable(&p));
	assert_true(p.has_inner);
	assert_string_equal(ip_addr_str(&p.inner_src, a), "10.0.0.1");
	assert_int_equal(p.inner_dport, 161);
	/* a quote cut short still decodes the outer packet */
	assert_int_equal(decode(DLT_RAW, f, 30, &p), DECODE_OK);
	assert_false(p.has_inner);
}

static void test_cooked_and_loopback(void **state)
{
	uint8_t f[128], g[128];
	struct packet_info p;
	(void)state;
	size_t n = eth_ipv4_tcp(f, TCP_SYN);
	memset(g, 0, 16);
	g[14] = 0x08, g[15] = 0x00;
	memcpy(g + 16, f + 14, n - 14);
	assert_int_equal(decode(DLT_LINUX_SLL, g, (uint32_t)n + 2, &p), DECODE_OK);
	assert_int_equal(p.dport, 80);
	memcpy(g, (uint8_t[]){ 2, 0, 0, 0 }, 4); /* AF_INET, little-endian */
	memcpy(g + 4, f + 14, n - 14);
	assert_int_equal(decode(DLT_NULL, g, (uint32_t)n - 10, &p), DECODE_OK);
	memcpy(g, (uint8_t[]){ 0, 0, 0, 2 }, 4); /* big-endian */
	assert_int_equal(decode(DLT_NULL, g, (uint32_t)n - 10, &p), DECODE_OK);
	memcpy(g, (uint8_t[]){ 7, 0, 0, 0 }, 4);
	assert_int_equal(decode(DLT_NULL, g, (uint32_t)n - 10, &p), DECODE_NOT_IP);
}

static void test_address_text_matches_inet_ntop(void **state)
{
	static const uint8_t v4[][4] = { { 0, 0, 0, 0 }, { 10, 77, 1, 9 }, { 255, 255, 255, 255 },
					 { 192, 168, 100, 7 }, { 1, 20, 199, 250 } };
	char ours[48], theirs[48];
	(void)state;
	for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
		ip_addr a = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } };
		memcpy(a.b + 12, v4[i], 4);
		inet_ntop(AF_INET, v4[i], theirs, sizeof theirs);
		assert_string_equal(ip_addr_str(&a, ours), theirs);
	}
	ip_addr v6 = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	assert_string_equal(ip_addr_str(&v6, ours), "2001:db8::1");
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(decode_result_name(DECODE_TRUNC_IP), "trunc_ip");
	for (int r = 0; r < DECODE_N_RESULTS; r++)
		assert_string_not_equal(decode_result_name((enum decode_result)r), "?");
}

/* The fast path for common frames must decode exactly as the general one:
 * the same IPv4 frames, untagged (fast path) and behind a VLAN tag (general
 * path), with random protocols, lengths, fragment fields and truncation. */
static void test_fast_path_agrees(void **state)
{
	uint8_t plain[128], tagged[132];
	uint64_t x = 88172645463325252ull;
	(void)state;
	for (int i = 0; i < 20000; i++) {
		for (size_t j = 0; j < sizeof plain; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			plain[j] = (uint8_t)x;
		}
		plain[12] = 0x08, plain[13] = 0x00;
		/* mostly no options, any total length, mostly unfragmented */
		plain[14] = (x >> 8) % 4 ? 0x45 : (uint8_t)(0x40 | (x >> 16) % 16);
		plain[16] = 0, plain[17] = (uint8_t)(x >> 24) % 120;
		plain[20] &= (x >> 32) % 4 ? 0x40 : 0xff;
		if ((x >> 40) % 4)
			plain[21] = 0;
		plain[23] = (x >> 48) % 3 == 0 ? 17 : (x >> 48) % 3 == 1 ? 6 : (uint8_t)(x >> 52);
		uint32_t caplen = (uint32_t)(x >> 56) % sizeof plain;
		memcpy(tagged, plain, 12);
		tagged[12] = 0x81, tagged[13] = 0x00, tagged[14] = 0, tagged[15] = 7;
		memcpy(tagged + 16, plain + 12, sizeof plain - 12);
		struct packet_info a = { 0 }, b = { 0 };
		enum decode_result ra = decode(DLT_EN10MB, plain, caplen, &a);
		enum decode_result rb = decode(DLT_EN10MB, tagged, caplen + 4, &b);
		assert_int_equal(ra, rb);
		if (ra != DECODE_OK)
			continue;
		assert_int_equal(a.proto, b.proto);
		assert_int_equal(a.has_ports, b.has_ports);
		assert_int_equal(a.sport, b.sport);
		assert_int_equal(a.dport, b.dport);
		assert_int_equal(a.tcp_flags, b.tcp_flags);
		if (a.proto == 6)
			assert_int_equal(a.tcp_seq, b.tcp_seq);
		if (ra == DECODE_OK)
			assert_int_equal(a.ip_len, b.ip_len);
		assert_memory_equal(a.src.b, b.src.b, 16);
		assert_memory_equal(a.dst.b, b.dst.b, 16);
		if (a.proto == 6)
			assert_int_equal(a.payload_len, b.payload_len);
		if (a.proto == 17) {
			assert_int_equal(a.payload_len, b.payload_len);
			assert_int_equal(a.payload ? a.payload - plain : -1,
					 b.payload ? b.payload - tagged - 4 : -1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_truncations_are_counted),
		cmocka_unit_test(test_bogus_lengths),
		cmocka_unit_test(test_later_fragment_has_no_ports),
		cmocka_unit_test(test_vlan_and_qinq),
		cmocka_unit_test(test_non_ip_and_unknown_link),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_icmp_unreachable_quotes_the_probe),
		cmocka_unit_test(test_cooked_and_loopback),
		cmocka_unit_test(test_address_text_matches_inet_ntop),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_fast_path_agrees),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
