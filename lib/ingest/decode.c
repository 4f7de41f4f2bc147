#include "ingest/decode.h"

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <string.h>

/* pcap LINKTYPE values that have no DLT_ name on every platform */
#define LINKTYPE_RAW 101
#define LINKTYPE_IPV4 228
#define LINKTYPE_IPV6 229
#define LINKTYPE_LINUX_SLL2 276
#define LINKTYPE_LOOP 108

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100

static const char *const result_names[DECODE_N_RESULTS] = {
	[DECODE_OK] = "ok",
	[DECODE_NOT_IP] = "not_ip",
	[DECODE_UNKNOWN_LINK] = "unknown_link",
	[DECODE_TRUNC_LINK] = "trunc_link",
	[DECODE_VLAN_TOO_DEEP] = "vlan_too_deep",
	[DECODE_TRUNC_IP] = "trunc_ip",
	[DECODE_BAD_IP_VERSION] = "bad_ip_version",
	[DECODE_BAD_IP_HDR_LEN] = "bad_ip_header_length",
	[DECODE_BAD_IP_LEN] = "bad_ip_length",
	[DECODE_BAD_IPV6_EXT] = "bad_ipv6_extension",
	[DECODE_TRUNC_L4] = "trunc_l4",
};

const char *decode_result_name(enum decode_result r)
{
	return (unsigned)r < DECODE_N_RESULTS ? result_names[r] : "?";
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}



int decode_is_icmp_error(const struct packet_info *p)
{
	if (p->proto == IP_PROTO_ICMP)
		return p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
		       p->icmp_type == 11 || p->icmp_type == 12;
	if (p->proto == IP_PROTO_ICMPV6)
		return p->icmp_type >= 1 && p->icmp_type <= 4;
	return 0;
}

int decode_is_unreachable(const struct packet_info *p)
{
	return (p->proto == IP_PROTO_ICMP && p->icmp_type == 3) ||
	       (p->proto == IP_PROTO_ICMPV6 && p->icmp_type == 1);
}

/* A bounded view of the bytes left. */
struct cursor {
	const uint8_t *p;
	uint32_t len;
};

static int skip(struct cursor *c, uint32_t n)
{
	if (c->len < n)
		return -1;
	c->p += n;
	c->len -= n;
	return 0;
}

/* The network header's fields; the addresses go straight to where the
 * caller keeps them. */
struct l3 {
	uint8_t family, proto;
	int later_fragment;
	ip_addr *src, *dst;
};

static enum decode_result ipv4_header(struct cursor *c, struct l3 *ip)
{
	if (c->len < 20)
		return DECODE_TRUNC_IP;
	const uint8_t *h = c->p;
	if (h[0] >> 4 != 4)
		return DECODE_BAD_IP_VERSION;
	uint32_t ihl = (uint32_t)(h[0] & 0x0f) * 4, total = be16(h + 2);
	if (ihl < 20)
		return DECODE_BAD_IP_HDR_LEN;
	if (total < ihl)
		return DECODE_BAD_IP_LEN;
	if (c->len < ihl)
		return DECODE_TRUNC_IP;
	ip->family = 4;
	ip->proto = h[9];
	ip->later_fragment = (be16(h + 6) & 0x1fff) != 0;
	ip_addr_from_v4(ip->src, h + 12);
	ip_addr_from_v4(ip->dst, h + 16);
	/* the payload ends at total length, or earlier if the capture does */
	uint32_t avail = total < c->len ? total : c->len;
	c->p += ihl;
	c->len = avail - ihl;
	return DECODE_OK;
}

static int ipv6_is_extension(uint8_t next)
{
	return next == 0 || next == 43 || next == 44 || next == 60 || next == 51 || next == 135 ||
	       next == 139 || next == 140;
}

static enum decode_result ipv6_header(struct cursor *c, struct l3 *ip)
{
	if (c->len < 40)
		return DECODE_TRUNC_IP;
	const uint8_t *h = c->p;
	if (h[0] >> 4 != 6)
		return DECODE_BAD_IP_VERSION;
	uint32_t payload = be16(h + 4);
	uint8_t next = h[6];
	ip->family = 6;
	memcpy(ip->src->b, h + 8, 16);
	memcpy(ip->dst->b, h + 24, 16);
	c->p += 40;
	c->len = payload < c->len - 40 ? payload : c->len - 40;
	for (int n = 0; ipv6_is_extension(next); n++) {
		if (n == DECODE_MAX_EXT || c->len < 8)
			return DECODE_BAD_IPV6_EXT;
		uint32_t len = next == 44 ? 8 : next == 51 ? ((uint32_t)c->p[1] + 2) * 4
							    : ((uint32_t)c->p[1] + 1) * 8;
		if (next == 44 && (be16(c->p + 2) & 0xfff8) != 0)
			ip->later_fragment = 1;
		next = c->p[0];
		if (skip(c, len) < 0)
			return DECODE_BAD_IPV6_EXT;
	}
	ip->proto = next;
	return DECODE_OK;
}

static enum decode_result ip_header(struct cursor *c, int version, struct l3 *ip,
				    ip_addr *src, ip_addr *dst)
{
	*ip = (struct l3){ .src = src, .dst = dst };
	if (version == 0 && c->len > 0)
		version = c->p[0] >> 4;
	if (version == 4)
		return ipv4_header(c, ip);
	if (version == 6)
		return ipv6_header(c, ip);
	return c->len == 0 ? DECODE_TRUNC_IP : DECODE_BAD_IP_VERSION;
}

/* Ports (and TCP flags, ICMP type/code) of the transport header at c. For
 * the packet quoted inside an ICMP error only the first 8 bytes are
 * guaranteed, which is all the ports need. */
static int transport_ports(const struct cursor *c, uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	if (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP && proto != IP_PROTO_SCTP)
		return 0;
	if (c->len < 4)
		return -1;
	*sport = be16(c->p);
	*dport = be16(c->p + 2);
	return 1;
}

static void icmp_quote(struct cursor c, struct packet_info *out)
{
	struct l3 inner;
	uint16_t sp = 0, dp = 0;

	/* ICMP and ICMPv6 error headers are 8 bytes before the quoted packet */
	if (skip(&c, 8) < 0 ||
	    ip_header(&c, 0, &inner, &out->inner_src, &out->inner_dst) != DECODE_OK)
		return;
	out->has_inner = 1;
	out->inner_proto = inner.proto;
	if (!inner.later_fragment)
		transport_ports(&c, inner.proto, &sp, &dp);
	out->inner_sport = sp;
	out->inner_dport = dp;
}

static enum decode_result transport(struct cursor c, const struct l3 *ip, struct packet_info *out)
{
	out->family = ip->family;
	out->proto = ip->proto;
	if (ip->proto == IP_PROTO_UDP) {
		out->payload = NULL;
		out->payload_len = 0;
	}
	if (ip->later_fragment)
		return DECODE_OK; /* ports live in the first fragment only */
	int r = transport_ports(&c, ip->proto, &out->sport, &out->dport);
	if (r < 0)
		return DECODE_TRUNC_L4;
	out->has_ports = r > 0;
	if (ip->proto == IP_PROTO_TCP) {
		if (c.len < 14)
			return DECODE_TRUNC_L4;
		out->tcp_flags = c.p[13];
	} else if (ip->proto == IP_PROTO_UDP && c.len >= 8) {
		out->payload = c.p + 8;
		out->payload_len = c.len - 8;
	} else if (ip->proto == IP_PROTO_ICMP || ip->proto == IP_PROTO_ICMPV6) {
		if (c.len < 2)
			return DECODE_TRUNC_L4;
		out->icmp_type = c.p[0];
		out->icmp_code = c.p[1];
		if (decode_is_icmp_error(out))
			icmp_quote(c, out);
	}
	return DECODE_OK;
}

/* Ethertype after Ethernet and its VLAN tags; c is left at the payload. */
static enum decode_result ethernet(struct cursor *c, uint16_t *type)
{
	if (c->len < 14)
		return DECODE_TRUNC_LINK;
	*type = be16(c->p + 12);
	skip(c, 14);
	for (int depth = 0; *type == ETH_VLAN || *type == ETH_QINQ || *type == ETH_QINQ_OLD;
	     depth++) {
		if (depth == DECODE_MAX_VLAN)
			return DECODE_VLAN_TOO_DEEP;
		if (c->len < 4)
			return DECODE_TRUNC_LINK;
		*type = be16(c->p + 2);
		skip(c, 4);
	}
	return DECODE_OK;
}

/* The IP version the link layer announces (0: look at the header), or -1
 * for a frame that does not carry IP. c is left at the network header. */
static enum decode_result link_layer(int dlt, struct cursor *c, int *version)
{
	uint16_t type = 0;
	enum decode_result r;

	*version = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if ((r = ethernet(c, &type)) != DECODE_OK)
			return r;
		break;
	case DLT_LINUX_SLL: /* 16 bytes, protocol at 14 */
		if (c->len < 16)
			return DECODE_TRUNC_LINK;
		type = be16(c->p + 14);
		skip(c, 16);
		break;
	case LINKTYPE_LINUX_SLL2: /* 20 bytes, protocol first */
		if (c->len < 20)
			return DECODE_TRUNC_LINK;
		type = be16(c->p);
		skip(c, 20);
		break;
	case DLT_RAW:
	case LINKTYPE_RAW: /* the file value libpcap maps to DLT_RAW */
		return DECODE_OK;
	case LINKTYPE_IPV4:
		*version = 4;
		return DECODE_OK;
	case LINKTYPE_IPV6:
		*version = 6;
		return DECODE_OK;
	case DLT_NULL:
	case LINKTYPE_LOOP: {
		/* a 4-byte address family, in the capturing host's byte order */
		if (c->len < 4)
			return DECODE_TRUNC_LINK;
		uint32_t af = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
			      (uint32_t)c->p[3] << 24;
		if (af > 0xffff)
			af = (uint32_t)c->p[3] | (uint32_t)c->p[2] << 8;
		skip(c, 4);
		if (af == 2)
			*version = 4;
		else if (af == 10 || af == 24 || af == 28 || af == 30)
			*version = 6;
		else
			return DECODE_NOT_IP;
		return DECODE_OK;
	}
	default:
		return DECODE_UNKNOWN_LINK;
	}
	if (type == ETH_IPV4)
		*version = 4;
	else if (type == ETH_IPV6)
		*version = 6;
	else
		return DECODE_NOT_IP;
	return DECODE_OK;
}

int decode_link_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == LINKTYPE_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == LINKTYPE_RAW || dlt == LINKTYPE_IPV4 ||
	       dlt == LINKTYPE_IPV6 || dlt == DLT_NULL || dlt == LINKTYPE_LOOP;
}

/* Most frames are untagged Ethernet, IPv4 without options, not fragmented,
 * TCP or UDP with whole headers: those are read here in one go, with the
 * same result as the general path, which takes every other frame. Returns
 * whether it decoded the frame. */
static int decode_common(const uint8_t *f, uint32_t caplen, struct packet_info *out)
{
	const uint8_t *ip = f + 14, *l4 = ip + 20;
	if (caplen < 14 + 20 + 8 || be16(f + 12) != ETH_IPV4 || ip[0] != 0x45 ||
	    (be16(ip + 6) & 0x3fff) != 0 || (ip[9] != IP_PROTO_TCP && ip[9] != IP_PROTO_UDP))
		return 0;
	uint32_t total = be16(ip + 2), avail = total < caplen - 14 ? total : caplen - 14;
	int tcp = ip[9] == IP_PROTO_TCP;
	if (avail < 20u + (tcp ? 14 : 8))
		return 0;
	out->family = 4;
	out->proto = ip[9];
	out->has_ports = 1;
	out->sport = be16(l4);
	out->dport = be16(l4 + 2);
	out->tcp_flags = tcp ? l4[13] : 0;
	if (!tcp) {
		out->payload = l4 + 8;
		out->payload_len = avail - 28;
	}
	ip_addr_from_v4(&out->src, ip + 12);
	ip_addr_from_v4(&out->dst, ip + 16);
	return 1;
}

enum decode_result decode_packet(int dlt, const uint8_t *frame, uint32_t caplen,
				 struct packet_info *out)
{
	struct cursor c = { frame, caplen };
	struct l3 ip;
	int version;
	enum decode_result r;

	out->family = out->proto = out->tcp_flags = out->icmp_type = out->icmp_code = 0;
	out->has_ports = out->has_inner = out->inner_proto = 0;
	out->sport = out->dport = out->inner_sport = out->inner_dport = 0;
	if (dlt == DLT_EN10MB && decode_common(frame, caplen, out))
		return DECODE_OK;
	if ((r = link_layer(dlt, &c, &version)) != DECODE_OK)
		return r;
	if ((r = ip_header(&c, version, &ip, &out->src, &out->dst)) != DECODE_OK)
		return r;
	return transport(c, &ip, out);
}
