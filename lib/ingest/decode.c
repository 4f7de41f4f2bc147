#include "ingest/decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/dlt.h>
#include <stdlib.h>
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
#define ETH_MPLS 0x8847
#define ETH_MPLS_MULTICAST 0x8848
#define ETH_PPPOE_SESSION 0x8864
#define ETH_VNTAG 0x8926
#define ETH_ETAG 0x893f        /* 802.1BR */
#define ETH_FABRICPATH 0x8903
#define ETH_NSH 0x894f
#define ETH_BRIDGED 0x6558     /* transparent Ethernet bridging: a whole frame follows */
#define ETH_ERSPAN_2 0x88be    /* ERSPAN type I and II (GRE) */
#define ETH_ERSPAN_3 0x22eb

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

#define IP_PROTO_IPIP 4
#define IP_PROTO_IPV6 41
#define IP_PROTO_GRE 47

#define UDP_VXLAN 4789
#define UDP_VXLAN_GPE 4790
#define UDP_GENEVE 6081
#define UDP_TEREDO 3544

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
	[DECODE_TOO_DEEP] = "encapsulation_too_deep",
	[DECODE_TRUNC_TUNNEL] = "trunc_tunnel",
};

const char *decode_result_name(enum decode_result r)
{
	return (unsigned)r < DECODE_N_RESULTS ? result_names[r] : "?";
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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
	int later_fragment;      /* its payload does not start at the transport header */
	int fragment;            /* a fragment, first or later */
	uint32_t fragment_offset; /* bytes */
	uint32_t length;         /* the packet's IP length (header included) */
	uint32_t header_length;  /* with IPv6 extension headers */
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
	ip->fragment_offset = (uint32_t)(be16(h + 6) & 0x1fff) * 8;
	ip->later_fragment = ip->fragment_offset != 0;
	ip->fragment = (be16(h + 6) & 0x3fff) != 0;
	ip->length = total;
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
	ip->length = 40 + payload;
	memcpy(ip->src->b, h + 8, 16);
	memcpy(ip->dst->b, h + 24, 16);
	c->p += 40;
	c->len = payload < c->len - 40 ? payload : c->len - 40;
	for (int n = 0; ipv6_is_extension(next); n++) {
		if (n == DECODE_MAX_EXT || c->len < 8)
			return DECODE_BAD_IPV6_EXT;
		uint32_t len = next == 44 ? 8 : next == 51 ? ((uint32_t)c->p[1] + 2) * 4
							    : ((uint32_t)c->p[1] + 1) * 8;
		if (next == 44) { /* an atomic fragment (offset 0, no more) is whole */
			ip->fragment = (be16(c->p + 2) & 0xfff9) != 0;
			ip->fragment_offset = be16(c->p + 2) & 0xfff8;
			ip->later_fragment = ip->fragment_offset != 0;
		}
		next = c->p[0];
		if (skip(c, len) < 0)
			return DECODE_BAD_IPV6_EXT;
		/* a later fragment's payload is the middle of the packet, not the
		 * headers its fragment header names: it counts as that protocol */
		if (ip->later_fragment)
			break;
	}
	ip->proto = next;
	return DECODE_OK;
}

static enum decode_result ip_header(struct cursor *c, int version, struct l3 *ip,
				    ip_addr *src, ip_addr *dst)
{
	const uint8_t *start = c->p;
	enum decode_result r;
	*ip = (struct l3){ .src = src, .dst = dst };
	if (version == 0 && c->len > 0)
		version = c->p[0] >> 4;
	if (version == 4)
		r = ipv4_header(c, ip);
	else if (version == 6)
		r = ipv6_header(c, ip);
	else
		return c->len == 0 ? DECODE_TRUNC_IP : DECODE_BAD_IP_VERSION;
	ip->header_length = (uint32_t)(c->p - start);
	return r;
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

/* The data a TCP segment of length bytes carries: what its header leaves
 * (0 for a pure ACK). */
static uint32_t tcp_payload_length(uint32_t length, const uint8_t *tcp)
{
	uint32_t header = (uint32_t)(tcp[12] >> 4) * 4;
	return length > header ? length - header : 0;
}

static enum decode_result transport(struct cursor c, const struct l3 *ip, struct packet_info *out)
{
	out->family = ip->family;
	out->proto = ip->proto;
	if (ip->proto == IP_PROTO_UDP)
		out->payload = NULL;
	out->payload_len = 0;
	out->ip_len = ip->length;
	if (ip->later_fragment) { /* ports live in the first fragment only */
		/* a TCP header cut after 8 bytes (a tiny-fragment scan): its flags
		 * open the second fragment, so that a fragmented SYN still counts */
		if (ip->proto == IP_PROTO_TCP && ip->fragment_offset == 8 && c.len >= 6) {
			out->tcp_flags = c.p[5];
			out->tcp_seq = 1; /* it came with the first fragment */
		}
		return DECODE_OK;
	}
	int r = transport_ports(&c, ip->proto, &out->sport, &out->dport);
	if (r < 0)
		return DECODE_TRUNC_L4;
	out->has_ports = r > 0;
	if (ip->proto == IP_PROTO_TCP) {
		if (c.len < 14 && ip->fragment)
			return DECODE_OK; /* the flags come with the next fragment */
		if (c.len < 14)
			return DECODE_TRUNC_L4;
		out->tcp_flags = c.p[13];
		out->tcp_seq = be32(c.p + 4);
		out->payload_len = tcp_payload_length(ip->length - ip->header_length, c.p);
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

/* What follows a link header: an IP packet of the given version (0: read
 * it from the header), or a whole Ethernet frame (a bridged tunnel, a mirror
 * session, a pseudowire). */
enum next_layer { NEXT_IP, NEXT_ETHERNET };

/* A PPP protocol field: two bytes, or one when compressed (RFC 1661,
 * 6.5: a protocol number's high byte is even and its low byte odd, so an
 * odd first byte is a whole field). Returns 0, or -1 when cut short. */
static int ppp_protocol_field(struct cursor *c, uint16_t *proto)
{
	if (c->len >= 1 && (c->p[0] & 1)) {
		*proto = c->p[0];
		return skip(c, 1);
	}
	if (c->len < 2)
		return -1;
	*proto = be16(c->p);
	return skip(c, 2);
}

/* The IP version a PPP protocol number carries. */
static enum decode_result ppp_protocol(uint16_t proto, int *version)
{
	if (proto == PPP_IPV4)
		*version = 4;
	else if (proto == PPP_IPV6)
		*version = 6;
	else
		return DECODE_NOT_IP;
	return DECODE_OK;
}

/* The MPLS label stack, popped to its bottom entry; then IP, or a
 * pseudowire control word and an Ethernet frame (RFC 4448). */
static enum decode_result mpls(struct cursor *c, enum next_layer *next, int *version)
{
	for (int n = 0;; n++) {
		if (n == DECODE_MAX_LAYERS)
			return DECODE_TOO_DEEP;
		if (c->len < 4)
			return DECODE_TRUNC_TUNNEL;
		int bottom = c->p[2] & 1;
		skip(c, 4);
		if (bottom)
			break;
	}
	if (c->len < 1)
		return DECODE_TRUNC_TUNNEL;
	switch (c->p[0] >> 4) {
	case 4: *version = 4; return DECODE_OK;
	case 6: *version = 6; return DECODE_OK;
	case 0:
		if (skip(c, 4) < 0)
			return DECODE_TRUNC_TUNNEL;
		*next = NEXT_ETHERNET;
		return DECODE_OK;
	default: return DECODE_NOT_IP;
	}
}

/* Network Service Header (RFC 8300): its length in 4-byte words, then what
 * it carries. */
static enum decode_result nsh(struct cursor *c, enum next_layer *next, int *version)
{
	if (c->len < 8)
		return DECODE_TRUNC_TUNNEL;
	uint32_t len = (uint32_t)(c->p[1] & 0x3f) * 4;
	uint8_t proto = c->p[3];
	if (len < 8 || skip(c, len) < 0)
		return DECODE_TRUNC_TUNNEL;
	if (proto == 1 || proto == 2)
		*version = proto == 1 ? 4 : 6;
	else if (proto == 3)
		*next = NEXT_ETHERNET;
	else
		return DECODE_NOT_IP;
	return DECODE_OK;
}

/* From an ethertype to the IP packet it leads to, through VLAN tags, VN-Tag
 * and E-Tag (802.1BR), MPLS, PPPoE sessions, FabricPath and NSH. Leaves c at
 * what *next says follows. */
static enum decode_result ethertype_payload(struct cursor *c, uint16_t type, enum next_layer *next,
					    int *version)
{
	int vlans = 0;
	*next = NEXT_IP;
	for (int n = 0; n < DECODE_MAX_LAYERS; n++) {
		uint32_t tag = 0; /* bytes before the next ethertype */
		switch (type) {
		case ETH_IPV4: *version = 4; return DECODE_OK;
		case ETH_IPV6: *version = 6; return DECODE_OK;
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			if (vlans++ == DECODE_MAX_VLAN)
				return DECODE_VLAN_TOO_DEEP;
			tag = 2;
			break;
		case ETH_VNTAG: tag = 4; break;
		case ETH_ETAG: tag = 6; break;
		case ETH_FABRICPATH: tag = 2 + 12; break; /* FTag and TTL, the inner MACs */
		case ETH_BRIDGED: tag = 12; break;        /* the inner frame's MACs */
		case ETH_MPLS:
		case ETH_MPLS_MULTICAST: return mpls(c, next, version);
		case ETH_NSH: return nsh(c, next, version);
		case ETH_PPPOE_SESSION: /* 6 bytes, then the PPP protocol */
			if (skip(c, 6) < 0 || ppp_protocol_field(c, &type) < 0)
				return DECODE_TRUNC_TUNNEL;
			return ppp_protocol(type, version);
		default: return DECODE_NOT_IP;
		}
		if (c->len < tag + 2)
			return type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD
				       ? DECODE_TRUNC_LINK
				       : DECODE_TRUNC_TUNNEL;
		type = be16(c->p + tag);
		skip(c, tag + 2);
	}
	return DECODE_TOO_DEEP;
}

/* An Ethernet frame at c, to the IP packet it carries. */
static enum decode_result ethernet(struct cursor *c, int *version)
{
	enum next_layer next = NEXT_ETHERNET;
	for (int n = 0; next == NEXT_ETHERNET; n++) {
		if (n == DECODE_MAX_LAYERS)
			return DECODE_TOO_DEEP;
		if (c->len < 14)
			return DECODE_TRUNC_LINK;
		uint16_t type = be16(c->p + 12);
		skip(c, 14);
		enum decode_result r = ethertype_payload(c, type, &next, version);
		if (r != DECODE_OK)
			return r;
	}
	return DECODE_OK;
}

/* PPP in HDLC-like framing (address 0xff, control 0x03, both optional), or
 * Cisco HDLC (address 0x0f or 0x8f, control 0, an ethertype). */
static enum decode_result ppp_or_hdlc(struct cursor *c, int *version)
{
	if (c->len >= 4 && (c->p[0] == 0x0f || c->p[0] == 0x8f) && c->p[1] == 0) {
		uint16_t type = be16(c->p + 2);
		enum next_layer next;
		skip(c, 4);
		enum decode_result r = ethertype_payload(c, type, &next, version);
		return r == DECODE_OK && next == NEXT_ETHERNET ? ethernet(c, version) : r;
	}
	if (c->len >= 2 && c->p[0] == 0xff && c->p[1] == 0x03)
		skip(c, 2);
	uint16_t proto;
	if (ppp_protocol_field(c, &proto) < 0)
		return DECODE_TRUNC_LINK;
	return ppp_protocol(proto, version);
}

/* The IP version the link layer announces (0: look at the header); c is
 * left at the network header. */
static enum decode_result link_layer(int dlt, struct cursor *c, int *version)
{
	enum next_layer next;
	enum decode_result r;
	uint16_t type;

	*version = 0;
	switch (dlt) {
	case DLT_EN10MB:
		return ethernet(c, version);
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
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
		return ppp_or_hdlc(c, version);
	case DLT_PPP_ETHER: /* a PPPoE session header, without the Ethernet one */
		return ethertype_payload(c, ETH_PPPOE_SESSION, &next, version);
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
	if ((r = ethertype_payload(c, type, &next, version)) != DECODE_OK)
		return r;
	return next == NEXT_ETHERNET ? ethernet(c, version) : DECODE_OK;
}

int decode_link_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == LINKTYPE_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == LINKTYPE_RAW || dlt == LINKTYPE_IPV4 ||
	       dlt == LINKTYPE_IPV6 || dlt == DLT_NULL || dlt == LINKTYPE_LOOP || dlt == DLT_PPP ||
	       dlt == DLT_PPP_SERIAL || dlt == DLT_C_HDLC || dlt == DLT_PPP_ETHER;
}

/* --- tunnels --------------------------------------------------------------------------------- */

/* GRE (RFC 2784, 2890): optional checksum, key and sequence words, then a
 * protocol type: IP, a bridged frame, MPLS, or ERSPAN's mirror sessions
 * (type I without a header, II with 8 bytes, III with 12 and an optional
 * 8-byte subheader). Version 1 (PPTP) carries PPP: not followed. */
static enum decode_result gre(struct cursor *c, unsigned tunnels, int *kind,
			      enum next_layer *next, int *version)
{
	if (c->len < 4)
		return DECODE_TRUNC_TUNNEL;
	uint16_t flags = be16(c->p), type = be16(c->p + 2);
	if ((flags & 7) != 0)
		return DECODE_NOT_IP;
	uint32_t len = 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) +
		       (flags & 0x1000 ? 4 : 0);
	if (skip(c, len) < 0)
		return DECODE_TRUNC_TUNNEL;
	int erspan = type == ETH_ERSPAN_2 || type == ETH_ERSPAN_3;
	*kind = erspan ? DECODE_TUNNEL_ERSPAN : DECODE_TUNNEL_GRE;
	if (!(tunnels & (unsigned)*kind))
		return DECODE_NOT_IP;
	*next = NEXT_ETHERNET;
	if (type == ETH_ERSPAN_2)
		return !(flags & 0x1000) || skip(c, 8) == 0 ? DECODE_OK : DECODE_TRUNC_TUNNEL;
	if (type == ETH_ERSPAN_3) {
		if (c->len < 12)
			return DECODE_TRUNC_TUNNEL;
		return skip(c, c->p[11] & 1 ? 20 : 12) == 0 ? DECODE_OK : DECODE_TRUNC_TUNNEL;
	}
	return ethertype_payload(c, type, next, version);
}

/* Teredo (RFC 4380): IPv6 in UDP, after an optional authentication or
 * origin indication. Only a plausible IPv6 header counts as one. */
static enum decode_result teredo(struct cursor *c, int *version)
{
	if (c->len >= 13 && c->p[0] == 0 && c->p[1] == 1) /* authentication */
		skip(c, 13 + (uint32_t)c->p[2] + c->p[3]);
	if (c->len >= 8 && c->p[0] == 0 && c->p[1] == 0) /* origin indication */
		skip(c, 8);
	if (c->len < 40 || c->p[0] >> 4 != 6 || 40u + be16(c->p + 4) != c->len)
		return DECODE_NOT_IP;
	*version = 6;
	return DECODE_OK;
}

static int has_port(const uint16_t *ports, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* The tunnel a UDP datagram's ports announce (0: none). */
static int udp_tunnel_kind(const struct decode_options *o, uint16_t sport, uint16_t dport)
{
	if (!(o->port_filter >> (dport & 63) & 1) && sport != UDP_TEREDO)
		return 0;
	if (has_port(o->vxlan_ports, o->n_vxlan_ports, dport))
		return DECODE_TUNNEL_VXLAN;
	if (has_port(o->geneve_ports, o->n_geneve_ports, dport))
		return DECODE_TUNNEL_GENEVE;
	if (dport == UDP_VXLAN_GPE)
		return DECODE_TUNNEL_VXLAN_GPE;
	return dport == UDP_TEREDO || sport == UDP_TEREDO ? DECODE_TUNNEL_TEREDO : 0;
}

/* UDP tunnels of the given kind: VXLAN (RFC 7348) and VXLAN-GPE, Geneve
 * (RFC 8926), Teredo. */
static enum decode_result udp_tunnel(struct cursor *c, int kind, enum next_layer *next,
				     int *version)
{
	skip(c, 8);
	*next = NEXT_IP;
	if (kind == DECODE_TUNNEL_VXLAN || kind == DECODE_TUNNEL_VXLAN_GPE) {
		if (c->len < 8 || !(c->p[0] & 0x08)) /* the VNI-valid flag */
			return DECODE_NOT_IP;
		uint8_t proto = kind == DECODE_TUNNEL_VXLAN_GPE && (c->p[0] & 0x04) ? c->p[3] : 3;
		skip(c, 8);
		if (proto == 1 || proto == 2)
			*version = proto == 1 ? 4 : 6;
		else if (proto == 3)
			*next = NEXT_ETHERNET;
		else if (proto == 4)
			return nsh(c, next, version);
		else
			return DECODE_NOT_IP;
		return DECODE_OK;
	}
	if (kind == DECODE_TUNNEL_GENEVE) {
		if (c->len < 8 || c->p[0] >> 6 != 0)
			return DECODE_NOT_IP;
		uint16_t type = be16(c->p + 2);
		if (skip(c, 8 + (uint32_t)(c->p[0] & 0x3f) * 4) < 0)
			return DECODE_TRUNC_TUNNEL;
		return ethertype_payload(c, type, next, version);
	}
	return teredo(c, version);
}

/* Whether the packet at c (its IP header read into ip) is a tunnel of the
 * mask to follow: then c is left at what *next says it carries, and *kind
 * says which tunnel it was. */
static enum decode_result tunnel(struct cursor *c, const struct l3 *ip,
				 const struct decode_options *o, int *kind, enum next_layer *next,
				 int *version)
{
	*next = NEXT_IP;
	*version = 0;
	*kind = DECODE_TUNNEL_IPIP;
	if (ip->later_fragment)
		return DECODE_NOT_IP;
	switch (ip->proto) {
	case IP_PROTO_IPIP:
	case IP_PROTO_IPV6:
		*version = ip->proto == IP_PROTO_IPIP ? 4 : 6;
		return o->tunnels & DECODE_TUNNEL_IPIP ? DECODE_OK : DECODE_NOT_IP;
	case IP_PROTO_GRE: return gre(c, o->tunnels, kind, next, version);
	case IP_PROTO_UDP:
		if (c->len < 8)
			return DECODE_NOT_IP;
		*kind = udp_tunnel_kind(o, be16(c->p), be16(c->p + 2));
		if (!(o->tunnels & (unsigned)*kind))
			return DECODE_NOT_IP;
		return udp_tunnel(c, *kind, next, version);
	default: return DECODE_NOT_IP;
	}
}

/* Most frames are untagged Ethernet, IPv4 without options, not fragmented,
 * TCP or UDP with whole headers: those are read here in one go, with the
 * same result as the general path, which takes every other frame. Returns
 * whether it decoded the frame. */
static int decode_common(const uint8_t *f, uint32_t caplen, const struct decode_options *o,
			 struct packet_info *out)
{
	const uint8_t *ip = f + 14, *l4 = ip + 20;
	if (caplen < 14 + 20 + 8 || be16(f + 12) != ETH_IPV4 || ip[0] != 0x45 ||
	    (be16(ip + 6) & 0x3fff) != 0 || (ip[9] != IP_PROTO_TCP && ip[9] != IP_PROTO_UDP))
		return 0;
	uint32_t total = be16(ip + 2), avail = total < caplen - 14 ? total : caplen - 14;
	int tcp = ip[9] == IP_PROTO_TCP;
	if (avail < 20u + (tcp ? 14 : 8) || (!tcp && udp_tunnel_kind(o, be16(l4), be16(l4 + 2))))
		return 0;
	out->ip_len = total;
	out->family = 4;
	out->proto = ip[9];
	out->has_ports = 1;
	out->sport = be16(l4);
	out->dport = be16(l4 + 2);
	out->tcp_flags = tcp ? l4[13] : 0;
	if (tcp) {
		out->tcp_seq = be32(l4 + 4);
		out->payload_len = tcp_payload_length(total - 20, l4);
	} else {
		out->payload = l4 + 8;
		out->payload_len = avail - 28;
	}
	ip_addr_from_v4(&out->src, ip + 12);
	ip_addr_from_v4(&out->dst, ip + 16);
	return 1;
}

enum decode_result decode_packet(int dlt, const uint8_t *frame, uint32_t caplen,
				 const struct decode_options *o, struct packet_info *out)
{
	struct cursor c = { frame, caplen };
	struct l3 ip;
	enum next_layer next;
	int version, kind;
	enum decode_result r;

	out->family = out->proto = out->tcp_flags = out->icmp_type = out->icmp_code = 0;
	out->has_ports = out->has_inner = out->inner_proto = out->tunnels = 0;
	out->sport = out->dport = out->inner_sport = out->inner_dport = 0;
	if (dlt == DLT_EN10MB && decode_common(frame, caplen, o, out))
		return DECODE_OK;
	if ((r = link_layer(dlt, &c, &version)) != DECODE_OK)
		return r;
	/* a tunnel's packet counts as the one it carries */
	for (;;) {
		if ((r = ip_header(&c, version, &ip, &out->src, &out->dst)) != DECODE_OK)
			return r;
		struct cursor inner = c;
		if (tunnel(&inner, &ip, o, &kind, &next, &version) != DECODE_OK)
			break;
		if (out->tunnels++ == 0) { /* the outermost header: its endpoints' count */
			out->tunnel_src = out->src;
			out->tunnel_dst = out->dst;
			out->tunnel_len = ip.length;
			out->tunnel_kind = (uint8_t)__builtin_ctz((unsigned)kind);
		}
		if (out->tunnels == DECODE_MAX_LAYERS)
			return DECODE_TOO_DEEP;
		c = inner;
		if (next == NEXT_ETHERNET && (r = ethernet(&c, &version)) != DECODE_OK)
			return r;
	}
	return transport(c, &ip, out);
}

static const char *const tunnel_names[DECODE_N_TUNNELS] = {
	"ipip", "gre", "erspan", "vxlan", "vxlan-gpe", "geneve", "teredo",
};

const char *decode_tunnel_name(int kind)
{
	return kind >= 0 && kind < DECODE_N_TUNNELS ? tunnel_names[kind] : "?";
}

int decode_tunnels_parse(const char *text, unsigned *mask)
{
	char buf[256], *save = NULL;

	if (strlen(text) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, text);
	*mask = 0;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		int k = 0;
		while (k < DECODE_N_TUNNELS && strcmp(t, tunnel_names[k]) != 0)
			k++;
		if (strcmp(t, "all") == 0)
			*mask |= DECODE_TUNNELS_ALL;
		else if (strcmp(t, "none") != 0 && k == DECODE_N_TUNNELS)
			return -EINVAL;
		else if (k < DECODE_N_TUNNELS)
			*mask |= 1u << k;
	}
	return 0;
}

static void filter_ports(struct decode_options *o)
{
	o->port_filter = 1ull << (UDP_VXLAN_GPE & 63) | 1ull << (UDP_TEREDO & 63);
	for (int i = 0; i < o->n_vxlan_ports; i++)
		o->port_filter |= 1ull << (o->vxlan_ports[i] & 63);
	for (int i = 0; i < o->n_geneve_ports; i++)
		o->port_filter |= 1ull << (o->geneve_ports[i] & 63);
}

void decode_options_init(struct decode_options *o, unsigned tunnels)
{
	*o = (struct decode_options){ .tunnels = tunnels,
				      .vxlan_ports = { UDP_VXLAN },
				      .geneve_ports = { UDP_GENEVE },
				      .n_vxlan_ports = 1,
				      .n_geneve_ports = 1 };
	filter_ports(o);
}

/* A list of UDP ports into ports; returns how many, or -EINVAL. */
static int parse_ports(const char *text, uint16_t ports[DECODE_MAX_PORTS])
{
	int n = 0;
	for (const char *p = text;;) {
		char *end;
		p += strspn(p, ", \t");
		if (!*p)
			return n > 0 ? n : -EINVAL;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || errno || v < 1 || v > 65535 || n == DECODE_MAX_PORTS ||
		    (*end && !strchr(", \t", *end)))
			return -EINVAL;
		ports[n++] = (uint16_t)v;
		p = end;
	}
}

int decode_options_set_ports(struct decode_options *o, int kind, const char *text)
{
	uint16_t ports[DECODE_MAX_PORTS];
	int n = parse_ports(text, ports);
	if (n < 0 || (kind != DECODE_TUNNEL_VXLAN && kind != DECODE_TUNNEL_GENEVE))
		return -EINVAL;
	memcpy(kind == DECODE_TUNNEL_VXLAN ? o->vxlan_ports : o->geneve_ports, ports,
	       sizeof ports);
	*(kind == DECODE_TUNNEL_VXLAN ? &o->n_vxlan_ports : &o->n_geneve_ports) = (uint8_t)n;
	filter_ports(o);
	return 0;
}

static int same_tunnel(const struct decode_tunnel_count *e, const struct packet_info *p)
{
	return e->kind == p->tunnel_kind && ip_addr_equal(&e->src, &p->tunnel_src) &&
	       ip_addr_equal(&e->dst, &p->tunnel_dst);
}

void decode_tally_add(struct decode_tally *t, const struct packet_info *p)
{
	if (!p->tunnels)
		return;
	t->tunnelled++;
	/* a mirror feed is one tunnel, or a few: the last one hit first */
	for (int k = 0, i = t->last_tunnel; k < t->n_tunnels; k++, i = (i + 1) % t->n_tunnels) {
		struct decode_tunnel_count *e = &t->tunnel[i];
		if (same_tunnel(e, p)) {
			e->packets++;
			e->bytes += p->tunnel_len;
			t->last_tunnel = i;
			return;
		}
	}
	if (t->n_tunnels == DECODE_TALLY_TUNNELS) {
		t->other_tunnel_packets++;
		t->other_tunnel_bytes += p->tunnel_len;
		return;
	}
	t->tunnel[t->n_tunnels++] = (struct decode_tunnel_count){
		p->tunnel_src, p->tunnel_dst, p->tunnel_kind, 1, p->tunnel_len,
	};
}

void decode_tally_merge(struct decode_tally *into, const struct decode_tally *from)
{
	into->frames += from->frames;
	into->tunnelled += from->tunnelled;
	for (int r = 0; r < DECODE_N_RESULTS; r++)
		into->result[r] += from->result[r];
	into->other_tunnel_packets += from->other_tunnel_packets;
	into->other_tunnel_bytes += from->other_tunnel_bytes;
	for (int k = 0; k < from->n_tunnels; k++) {
		const struct decode_tunnel_count *f = &from->tunnel[k];
		int i = 0;
		while (i < into->n_tunnels &&
		       !(into->tunnel[i].kind == f->kind &&
			 ip_addr_equal(&into->tunnel[i].src, &f->src) &&
			 ip_addr_equal(&into->tunnel[i].dst, &f->dst)))
			i++;
		if (i == DECODE_TALLY_TUNNELS) {
			into->other_tunnel_packets += f->packets;
			into->other_tunnel_bytes += f->bytes;
			continue;
		}
		if (i == into->n_tunnels)
			into->tunnel[into->n_tunnels++] =
				(struct decode_tunnel_count){ f->src, f->dst, f->kind, 0, 0 };
		into->tunnel[i].packets += f->packets;
		into->tunnel[i].bytes += f->bytes;
	}
}
