/* decode, inside tunnels and under link headers: every encapsulation is
 * built around the same TCP SYN (10.9.0.1:40000 -> 10.9.0.2:22) or UDP
 * datagram over IPv6, which must come out as if seen bare, with its own
 * IP length as the bytes. */
#include <errno.h>
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/decode.h"

/* The tunnels of mask taken off, on their default ports. */
static enum decode_result decode_mask(unsigned mask, const uint8_t *frame, uint32_t caplen,
				      struct packet_info *out)
{
	struct decode_options o;
	decode_options_init(&o, mask);
	return decode_packet(DLT_EN10MB, frame, caplen, &o, out);
}

/* Every tunnel taken off. */
static enum decode_result decode(int dlt, const uint8_t *frame, uint32_t caplen,
				 struct packet_info *out)
{
	struct decode_options o;
	decode_options_init(&o, DECODE_TUNNELS_ALL);
	return decode_packet(dlt, frame, caplen, &o, out);
}

struct frame {
	uint8_t b[600];
	size_t n;
	size_t ip4[32], n_ip4;  /* IPv4 headers whose total length is the rest */
	size_t udp[4], n_udp;  /* UDP headers likewise */
	size_t ip6[4], n_ip6;  /* IPv6 headers whose payload length is the rest */
};

static void put(struct frame *f, const void *bytes, size_t len)
{
	memcpy(f->b + f->n, bytes, len);
	f->n += len;
}

#define PUT(f, ...) \
	put(f, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void ethernet(struct frame *f, uint16_t type)
{
	PUT(f, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (uint8_t)(type >> 8), (uint8_t)type);
}

static void ipv4(struct frame *f, uint8_t proto, uint8_t last_src, uint8_t last_dst)
{
	f->ip4[f->n_ip4++] = f->n;
	PUT(f, 0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 192, 0, 2, last_src, 192, 0, 2,
	    last_dst);
}

static void udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	f->udp[f->n_udp++] = f->n;
	PUT(f, (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8), (uint8_t)dport, 0, 0,
	    0, 0);
}

/* The packet every test looks for. */
static void inner_syn(struct frame *f)
{
	f->ip4[f->n_ip4++] = f->n;
	PUT(f, 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2);
	PUT(f, 0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0);
}

static void inner_ipv6_udp(struct frame *f)
{
	f->ip6[f->n_ip6++] = f->n;
	PUT(f, 0x60, 0, 0, 0, 0, 0, 17, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
	udp(f, 5353, 53);
	PUT(f, 1, 2, 3, 4);
}

/* The length fields, now that the frame is whole. */
static void finish(struct frame *f)
{
	for (size_t i = 0; i < f->n_ip4; i++) {
		size_t len = f->n - f->ip4[i];
		f->b[f->ip4[i] + 2] = (uint8_t)(len >> 8), f->b[f->ip4[i] + 3] = (uint8_t)len;
	}
	for (size_t i = 0; i < f->n_udp; i++) {
		size_t len = f->n - f->udp[i];
		f->b[f->udp[i] + 4] = (uint8_t)(len >> 8), f->b[f->udp[i] + 5] = (uint8_t)len;
	}
	for (size_t i = 0; i < f->n_ip6; i++) {
		size_t len = f->n - f->ip6[i] - 40;
		f->b[f->ip6[i] + 4] = (uint8_t)(len >> 8), f->b[f->ip6[i] + 5] = (uint8_t)len;
	}
}

/* The SYN in VXLAN between the endpoints 192.0.2.1 and 192.0.2.2. */
static void vxlan_syn(struct frame *f)
{
	ethernet(f, 0x0800);
	ipv4(f, 17, 1, 2);
	udp(f, 51000, 4789);
	PUT(f, 0x08, 0, 0, 0, 0, 0x12, 0x34, 0);
	ethernet(f, 0x0800);
	inner_syn(f);
}

static void expect_syn(int dlt, struct frame *f, int tunnels)
{
	struct packet_info p = { .wire_len = (uint32_t)f->n };
	finish(f);
	assert_int_equal(decode(dlt, f->b, (uint32_t)f->n, &p), DECODE_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.proto, IP_PROTO_TCP);
	assert_int_equal(p.src.b[12], 10), assert_int_equal(p.src.b[15], 1);
	assert_int_equal(p.dst.b[15], 2);
	assert_int_equal(p.sport, 40000), assert_int_equal(p.dport, 22);
	assert_int_equal(p.tcp_flags, TCP_SYN);
	assert_int_equal(p.ip_len, 40); /* the inner packet's, as NetFlow would count it */
	assert_int_equal(p.tunnels, tunnels);
	/* cut anywhere, the frame is refused or counted, never read past its end */
	for (uint32_t cut = 0; cut < f->n; cut++) {
		struct packet_info q;
		enum decode_result r = decode(dlt, f->b, cut, &q);
		assert_true(r < DECODE_N_RESULTS);
	}
}

static void test_link_headers(void **state)
{
	struct frame f;
	(void)state;

	f = (struct frame){ 0 }; /* MPLS, two labels */
	ethernet(&f, 0x8847);
	PUT(&f, 0, 0x01, 0x00, 64, 0, 0x02, 0x01, 64);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* Ethernet over MPLS with a control word */
	ethernet(&f, 0x8847);
	PUT(&f, 0, 0x01, 0x01, 64, 0, 0, 0, 0);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* PPPoE session */
	ethernet(&f, 0x8864);
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 42, 0x00, 0x21);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* VN-Tag, then 802.1Q */
	ethernet(&f, 0x8926);
	PUT(&f, 0x80, 0x01, 0x00, 0x02, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* 802.1BR E-Tag */
	ethernet(&f, 0x893f);
	PUT(&f, 0, 0, 0, 1, 0, 0, 0x08, 0x00);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* Cisco FabricPath: FTag/TTL, then the classic frame */
	ethernet(&f, 0x8903);
	PUT(&f, 0x00, 0x3f);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* NSH (MD type 2, no metadata) carrying Ethernet */
	ethernet(&f, 0x894f);
	PUT(&f, 0x0f, 0xc2, 0x02, 0x03, 0, 0, 1, 0xff);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* PPP in HDLC framing */
	PUT(&f, 0xff, 0x03, 0x00, 0x21);
	inner_syn(&f);
	expect_syn(DLT_PPP, &f, 0);

	f = (struct frame){ 0 }; /* PPP, compressed protocol field */
	PUT(&f, 0x21);
	inner_syn(&f);
	expect_syn(DLT_PPP_SERIAL, &f, 0);

	f = (struct frame){ 0 }; /* Cisco HDLC */
	PUT(&f, 0x0f, 0x00, 0x08, 0x00);
	inner_syn(&f);
	expect_syn(DLT_C_HDLC, &f, 0);

	f = (struct frame){ 0 }; /* PPPoE without Ethernet */
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 42, 0x00, 0x21);
	inner_syn(&f);
	expect_syn(DLT_PPP_ETHER, &f, 0);
}

/* PPP's protocol field compressed to one byte (RFC 1661, 6.5: an odd first
 * byte), in a PPPoE session and on a raw PPP link, for IPv4 and IPv6. */
static void test_ppp_protocol_compression(void **state)
{
	struct frame f;
	struct packet_info p;
	(void)state;

	f = (struct frame){ 0 }; /* PPPoE session, protocol 0x21 in one byte */
	ethernet(&f, 0x8864);
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 41, 0x21);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 0);

	f = (struct frame){ 0 }; /* the same without Ethernet */
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 41, 0x21);
	inner_syn(&f);
	expect_syn(DLT_PPP_ETHER, &f, 0);

	f = (struct frame){ 0 }; /* HDLC-framed PPP, compressed protocol */
	PUT(&f, 0xff, 0x03, 0x21);
	inner_syn(&f);
	expect_syn(DLT_PPP, &f, 0);

	f = (struct frame){ 0 }; /* PPPoE carrying IPv6 as 0x57 in one byte */
	ethernet(&f, 0x8864);
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 53, 0x57);
	inner_ipv6_udp(&f);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.dport, 53);

	f = (struct frame){ 0 }; /* a compressed field naming no IP protocol (0x23) */
	ethernet(&f, 0x8864);
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 2, 0x23, 0);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_NOT_IP);

	f = (struct frame){ 0 }; /* a PPPoE header with no protocol at all */
	ethernet(&f, 0x8864);
	PUT(&f, 0x11, 0, 0x12, 0x34, 0, 0);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_TRUNC_TUNNEL);
}

static void test_tunnels(void **state)
{
	struct frame f;
	(void)state;

	f = (struct frame){ 0 }; /* IP in IP */
	ethernet(&f, 0x0800);
	ipv4(&f, 4, 1, 2);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* GRE with key and sequence, IPv4 inside */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x30, 0x00, 0x08, 0x00, 0, 0, 0, 7, 0, 0, 0, 1);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* GRE with checksum, key and sequence number */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0xb0, 0x00, 0x08, 0x00, 0x12, 0x34, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* GRE with a checksum alone */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x80, 0x00, 0x08, 0x00, 0x12, 0x34, 0, 0);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* GRE with a key alone, a bridged frame inside */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x20, 0x00, 0x65, 0x58, 0, 0, 0, 9);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* ERSPAN type II with a key as well as its sequence */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x30, 0x00, 0x88, 0xbe, 0, 0, 0, 5, 0, 0, 0, 9);
	PUT(&f, 0x10, 0x01, 0, 0, 0, 0, 0, 0);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* ERSPAN type III without the platform subheader */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9);
	PUT(&f, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* ERSPAN type II: GRE with a sequence number, 8-byte header */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 9);
	PUT(&f, 0x10, 0x01, 0, 0, 0, 0, 0, 0);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* ERSPAN type I: no sequence, no header */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x00, 0x00, 0x88, 0xbe);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* ERSPAN type III with the platform subheader */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9);
	PUT(&f, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0);
	ethernet(&f, 0x8100);
	PUT(&f, 0x00, 0x0a, 0x08, 0x00);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* VXLAN */
	vxlan_syn(&f);
	expect_syn(DLT_EN10MB, &f, 1);

	f = (struct frame){ 0 }; /* Geneve with 4 bytes of options, over IPv4 in GRE */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x00, 0x00, 0x08, 0x00);
	ipv4(&f, 17, 3, 4);
	udp(&f, 51000, 6081);
	PUT(&f, 0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 0, 0, 0, 0);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	expect_syn(DLT_EN10MB, &f, 2); /* GRE, then Geneve */
}

static void test_teredo_and_6in4(void **state)
{
	struct frame f = { 0 };
	struct packet_info p;
	char text[IP_ADDR_STRLEN];
	(void)state;

	ethernet(&f, 0x0800); /* Teredo with an origin indication */
	ipv4(&f, 17, 1, 2);
	udp(&f, 3544, 40001);
	PUT(&f, 0, 0, 0x12, 0x34, 1, 2, 3, 4);
	inner_ipv6_udp(&f);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_string_equal(ip_addr_str(&p.src, text), "2001:db8::1");
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.tunnels, 1);
	assert_int_equal(p.ip_len, 40 + 12);

	f = (struct frame){ 0 }; /* 6in4 */
	ethernet(&f, 0x0800);
	ipv4(&f, 41, 1, 2);
	inner_ipv6_udp(&f);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.tunnels, 1);

	f = (struct frame){ 0 }; /* not Teredo: a datagram from port 3544 that is no IPv6 */
	ethernet(&f, 0x0800);
	ipv4(&f, 17, 1, 2);
	udp(&f, 3544, 40001);
	PUT(&f, 'h', 'e', 'l', 'l', 'o');
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.tunnels, 0);
	assert_int_equal(p.dport, 40001); /* counted as the datagram it is */
}

static void test_nesting_is_bounded(void **state)
{
	struct frame f = { 0 };
	struct packet_info p;
	(void)state;

	ethernet(&f, 0x0800);
	for (int i = 0; i < DECODE_MAX_LAYERS + 2; i++)
		ipv4(&f, 4, 1, 2);
	inner_syn(&f);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_TOO_DEEP);
	assert_string_equal(decode_result_name(DECODE_TOO_DEEP), "encapsulation_too_deep");

	f = (struct frame){ 0 }; /* an MPLS stack that never ends */
	ethernet(&f, 0x8847);
	for (int i = 0; i < DECODE_MAX_LAYERS + 2; i++)
		PUT(&f, 0, 0x01, 0x00, 64);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_TOO_DEEP);

	f = (struct frame){ 0 }; /* a GRE header cut short */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x30, 0x00, 0x08, 0x00, 0, 0);
	finish(&f);
	/* not a tunnel that can be followed: counted as the GRE packet it is */
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.proto, 47);
	assert_int_equal(p.tunnels, 0);
}

/* A SYN cut into 8-byte fragments: the first holds the ports, the second
 * the flags. Both count; neither is refused. */
static void test_tiny_fragments(void **state)
{
	struct frame f = { 0 };
	struct packet_info p;
	(void)state;

	ethernet(&f, 0x0800);
	f.ip4[f.n_ip4++] = f.n;
	PUT(&f, 0x45, 0, 0, 0, 0, 7, 0x20, 0x00, 64, 6, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2);
	PUT(&f, 0x9c, 0x40, 0, 22, 0, 0, 0, 1); /* ports and sequence number */
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_true(p.has_ports);
	assert_int_equal(p.dport, 22);
	assert_int_equal(p.tcp_flags, 0);

	f = (struct frame){ 0 };
	ethernet(&f, 0x0800);
	f.ip4[f.n_ip4++] = f.n;
	PUT(&f, 0x45, 0, 0, 0, 0, 7, 0x20, 0x01, 64, 6, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2);
	PUT(&f, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff); /* ack number, offset, flags, window */
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_false(p.has_ports);
	assert_int_equal(p.tcp_flags, TCP_SYN);

	/* the same 8 bytes unfragmented are a truncated header, as before */
	f.b[14 + 6] = 0, f.b[14 + 7] = 0;
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_TRUNC_L4);
}

/* An IPv6 packet cut into fragments whose fragment header names a
 * Destination Options header: the first fragment holds it and the UDP
 * header, a later one the middle of the datagram (here bytes that would
 * read as an overlong extension header). Each fragment is one packet of its
 * own IP length, as tshark counts frames; the later one has no ports and
 * counts as the protocol its fragment header names. */
static void test_ipv6_fragment_chain(void **state)
{
	static const uint8_t v6[] = { 0x60, 0, 0, 0, 0, 0, 44, 64, 0x20, 0x01, 0x0d, 0xb8,
				      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8,
				      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	struct frame f = { 0 };
	struct packet_info p;
	(void)state;

	ethernet(&f, 0x86dd); /* first fragment: offset 0, more to come */
	f.ip6[f.n_ip6++] = f.n;
	put(&f, v6, sizeof v6);
	PUT(&f, 60, 0, 0x00, 0x01, 0, 0, 0, 42);
	PUT(&f, 17, 0, 1, 4, 0, 0, 0, 0); /* destination options, padded */
	PUT(&f, 0x14, 0xe9, 0, 53, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.proto, IP_PROTO_UDP);
	assert_true(p.has_ports);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.ip_len, 40 + 8 + 8 + 16);

	f = (struct frame){ 0 }; /* a later fragment: offset 32, the last */
	ethernet(&f, 0x86dd);
	f.ip6[f.n_ip6++] = f.n;
	put(&f, v6, sizeof v6);
	PUT(&f, 60, 0, 0x00, 0x20, 0, 0, 0, 42);
	PUT(&f, 0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_false(p.has_ports);
	assert_int_equal(p.proto, 60);
	assert_int_equal(p.ip_len, 40 + 8 + 12);

	f = (struct frame){ 0 }; /* an atomic fragment (offset 0, no more): a whole packet */
	ethernet(&f, 0x86dd);
	f.ip6[f.n_ip6++] = f.n;
	put(&f, v6, sizeof v6);
	PUT(&f, 6, 0, 0, 0, 0, 0, 0, 42);
	PUT(&f, 0x9c, 0x40, 0, 22, 0, 0, 0, 1); /* a TCP header cut after 8 bytes */
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_TRUNC_L4);
}

/* VXLAN and Geneve on the ports configured ([decap]), and only there. */
static void test_tunnel_ports(void **state)
{
	struct frame f = { 0 };
	struct packet_info p;
	struct decode_options o;
	(void)state;

	ethernet(&f, 0x0800); /* VXLAN on Linux's old port */
	ipv4(&f, 17, 1, 2);
	udp(&f, 51000, 8472);
	PUT(&f, 0x08, 0, 0, 0, 0, 0x12, 0x34, 0);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	finish(&f);
	assert_int_equal(decode(DLT_EN10MB, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 0); /* not a tunnel port by default */
	assert_int_equal(p.dport, 8472);
	decode_options_init(&o, DECODE_TUNNELS_DEFAULT);
	assert_int_equal(decode_options_set_ports(&o, DECODE_TUNNEL_VXLAN, "4789, 8472"), 0);
	assert_int_equal(o.n_vxlan_ports, 2);
	assert_int_equal(decode_packet(DLT_EN10MB, f.b, (uint32_t)f.n, &o, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 1);
	assert_int_equal(p.dport, 22);
	assert_string_equal(decode_tunnel_name(p.tunnel_kind), "vxlan");

	f.b[f.udp[0] + 2] = 0x17, f.b[f.udp[0] + 3] = 0xc1; /* the same on 6081 ... */
	f.b[f.udp[0] + 8] = 0x00, f.b[f.udp[0] + 10] = 0x65, f.b[f.udp[0] + 11] = 0x58;
	/* ... which Geneve has left for 6082 */
	assert_int_equal(decode_options_set_ports(&o, DECODE_TUNNEL_GENEVE, "6082"), 0);
	assert_int_equal(decode_packet(DLT_EN10MB, f.b, (uint32_t)f.n, &o, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 0);
	assert_int_equal(p.dport, 6081);
	assert_int_equal(decode_options_set_ports(&o, DECODE_TUNNEL_GENEVE, "6081"), 0);
	assert_int_equal(decode_packet(DLT_EN10MB, f.b, (uint32_t)f.n, &o, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 1);
	assert_string_equal(decode_tunnel_name(p.tunnel_kind), "geneve");

	/* VXLAN on 4853 (4789 + 64): a port sharing the filter's bit with 4789, the
	 * list's second, still told apart */
	assert_int_equal(decode_options_set_ports(&o, DECODE_TUNNEL_VXLAN, "4853"), 0);
	f.b[f.udp[0] + 2] = 0x12, f.b[f.udp[0] + 3] = 0xf5;
	f.b[f.udp[0] + 8] = 0x08;
	assert_int_equal(decode_packet(DLT_EN10MB, f.b, (uint32_t)f.n, &o, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 1);
	assert_string_equal(decode_tunnel_name(p.tunnel_kind), "vxlan");
	f.b[f.udp[0] + 2] = 0x12, f.b[f.udp[0] + 3] = 0xb5; /* 4789: not listed now */
	assert_int_equal(decode_packet(DLT_EN10MB, f.b, (uint32_t)f.n, &o, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 0);

	const char *bad[] = { "0", "65536", "4789x", "", "1,2,3,4,5,6,7,8,9", "-1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = decode_options_set_ports(&o, DECODE_TUNNEL_VXLAN, bad[i]);
		assert_int_equal(rc, -EINVAL);
	}
	assert_int_equal(o.vxlan_ports[0], 4853); /* unchanged */
	assert_int_equal(decode_options_set_ports(&o, DECODE_TUNNEL_TEREDO, "3544"), -EINVAL);
}

/* Each tunnel kind is taken off only when asked; the outer header of what
 * was taken off is counted per tunnel in the tally. */
static void test_tunnels_by_kind(void **state)
{
	struct frame f = { 0 };
	struct packet_info p = { 0 };
	struct decode_tally tally = { 0 };
	unsigned mask;
	(void)state;

	vxlan_syn(&f);
	finish(&f);
	assert_int_equal(decode_mask(DECODE_TUNNELS_ALL & ~DECODE_TUNNEL_VXLAN, f.b,
				     (uint32_t)f.n, &p),
			 DECODE_OK);
	assert_int_equal(p.tunnels, 0); /* left on: the outer datagram counts */
	assert_int_equal(p.dport, 4789);
	assert_int_equal(p.src.b[12], 192);
	decode_tally_add(&tally, &p);
	assert_int_equal(tally.tunnelled, 0);

	for (int i = 0; i < 3; i++) {
		assert_int_equal(decode_mask(DECODE_TUNNELS_DEFAULT, f.b, (uint32_t)f.n, &p),
				 DECODE_OK);
		decode_tally_add(&tally, &p);
	}
	assert_int_equal(p.tunnels, 1);
	assert_string_equal(decode_tunnel_name(p.tunnel_kind), "vxlan");
	assert_int_equal(tally.tunnelled, 3);
	assert_int_equal(tally.n_tunnels, 1);
	assert_int_equal(tally.tunnel[0].packets, 3);
	assert_int_equal(tally.tunnel[0].bytes, 3 * (f.n - 14)); /* outer IP lengths */
	assert_int_equal(tally.tunnel[0].src.b[15], 1);
	assert_int_equal(tally.tunnel[0].dst.b[15], 2);

	f = (struct frame){ 0 }; /* ERSPAN taken off while plain GRE is not */
	ethernet(&f, 0x0800);
	ipv4(&f, 47, 1, 2);
	PUT(&f, 0x00, 0x00, 0x88, 0xbe);
	ethernet(&f, 0x0800);
	inner_syn(&f);
	finish(&f);
	assert_int_equal(decode_tunnels_parse("erspan", &mask), 0);
	assert_int_equal(decode_mask(mask, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 1);
	assert_string_equal(decode_tunnel_name(p.tunnel_kind), "erspan");
	assert_int_equal(decode_tunnels_parse("gre", &mask), 0);
	assert_int_equal(decode_mask(mask, f.b, (uint32_t)f.n, &p), DECODE_OK);
	assert_int_equal(p.tunnels, 0);
	assert_int_equal(p.proto, 47);

	assert_int_equal(decode_tunnels_parse("gre, vxlan,teredo", &mask), 0);
	assert_int_equal(mask, DECODE_TUNNEL_GRE | DECODE_TUNNEL_VXLAN | DECODE_TUNNEL_TEREDO);
	assert_int_equal(decode_tunnels_parse("all", &mask), 0);
	assert_int_equal(mask, DECODE_TUNNELS_ALL);
	assert_int_equal(decode_tunnels_parse("none", &mask), 0);
	assert_int_equal(mask, 0);
	assert_int_equal(decode_tunnels_parse("gre,l2tp", &mask), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_headers),
		cmocka_unit_test(test_ppp_protocol_compression),
		cmocka_unit_test(test_ipv6_fragment_chain),
		cmocka_unit_test(test_tunnel_ports),
		cmocka_unit_test(test_tunnels),
		cmocka_unit_test(test_teredo_and_6in4),
		cmocka_unit_test(test_nesting_is_bounded),
		cmocka_unit_test(test_tiny_fragments),
		cmocka_unit_test(test_tunnels_by_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
