/* decode: one captured frame to the fields the window table counts.
 *
 * Link types: Ethernet (with 802.1Q / 802.1ad tags, QinQ up to
 * DECODE_MAX_VLAN deep), Linux cooked v1 and v2, raw IP (DLT_RAW and
 * LINKTYPE_IPV4/IPV6), BSD loopback (DLT_NULL, DLT_LOOP). Network: IPv4
 * (options; only the first fragment carries ports) and IPv6 (extension
 * headers up to DECODE_MAX_EXT, fragments likewise: a later fragment is
 * the protocol its fragment header names, its payload not read as
 * headers). Transport: TCP flags, UDP, ICMP and ICMPv6 type/code and, for
 * their error messages, the ports and addresses of the packet that caused
 * the error; other protocols by number. Nothing is read past the captured
 * length: a malformed frame is a counted reason, never a trusted field. */
#ifndef FLOWSAD_DECODE_H
#define FLOWSAD_DECODE_H

#include <stdint.h>

#include "base/ip.h"

#define DECODE_MAX_VLAN 4
#define DECODE_MAX_EXT 8
#define DECODE_MAX_LAYERS 16 /* link headers and tunnels, all told */
#define DECODE_TALLY_TUNNELS 64 /* tunnel endpoints counted one by one */

/* The tunnels the decoder takes off, each on its own ([capture] decapsulate);
 * a tunnel left on counts as the outer packet it is. */
enum decode_tunnel {
	DECODE_TUNNEL_IPIP = 1 << 0,      /* IPv4 or IPv6 in IP (protocols 4 and 41) */
	DECODE_TUNNEL_GRE = 1 << 1,       /* GRE carrying IP, a bridged frame or MPLS */
	DECODE_TUNNEL_ERSPAN = 1 << 2,    /* ERSPAN types I, II, III (in GRE) */
	DECODE_TUNNEL_VXLAN = 1 << 3,     /* UDP 4789, or the ports configured */
	DECODE_TUNNEL_VXLAN_GPE = 1 << 4, /* UDP 4790 */
	DECODE_TUNNEL_GENEVE = 1 << 5,    /* UDP 6081, or the ports configured */
	DECODE_TUNNEL_TEREDO = 1 << 6,    /* IPv6 in UDP 3544 */
	DECODE_N_TUNNELS = 7,
};
#define DECODE_TUNNELS_DEFAULT                                                           \
	(DECODE_TUNNEL_IPIP | DECODE_TUNNEL_GRE | DECODE_TUNNEL_ERSPAN | DECODE_TUNNEL_VXLAN | \
	 DECODE_TUNNEL_GENEVE)
#define DECODE_TUNNELS_ALL ((1u << DECODE_N_TUNNELS) - 1)

#define DECODE_MAX_PORTS 8 /* UDP ports a tunnel kind is recognised on */

/* What the decoder takes off: the tunnels of the mask, VXLAN and Geneve on
 * the UDP destination ports listed ([decap] vxlan_ports, geneve_ports: an
 * overlay may use another port than IANA's, as Linux's VXLAN did with 8472). */
struct decode_options {
	unsigned tunnels;                    /* DECODE_TUNNEL_* */
	/* set by the functions below */
	uint16_t vxlan_ports[DECODE_MAX_PORTS], geneve_ports[DECODE_MAX_PORTS];
	uint8_t n_vxlan_ports, n_geneve_ports;
	uint64_t port_filter; /* bit port % 64 of each UDP tunnel port: most
			       * datagrams are told from tunnels by one test */
};

/* tunnels, with VXLAN on 4789 and Geneve on 6081. */
void decode_options_init(struct decode_options *o, unsigned tunnels);
/* The UDP ports kind (DECODE_TUNNEL_VXLAN or DECODE_TUNNEL_GENEVE) is
 * recognised on, from a list ("4789, 8472": 1 to 65535, at most
 * DECODE_MAX_PORTS). Returns 0, or -EINVAL (o unchanged). */
int decode_options_set_ports(struct decode_options *o, int kind, const char *text)
	__attribute__((warn_unused_result));

enum decode_result {
	DECODE_OK,
	DECODE_NOT_IP,          /* ARP, LLDP, ...: not an error, not counted as traffic */
	DECODE_UNKNOWN_LINK,    /* a link type this decoder does not read */
	DECODE_TRUNC_LINK,      /* shorter than its link header */
	DECODE_VLAN_TOO_DEEP,
	DECODE_TRUNC_IP,        /* shorter than its IP header */
	DECODE_BAD_IP_VERSION,  /* version nibble disagrees with the link layer */
	DECODE_BAD_IP_HDR_LEN,  /* IPv4 IHL < 5 */
	DECODE_BAD_IP_LEN,      /* IP total/payload length below the header */
	DECODE_BAD_IPV6_EXT,    /* extension header chain truncated or too long */
	DECODE_TRUNC_L4,        /* first fragment too short for its ports / TCP flags */
	DECODE_TOO_DEEP,        /* tunnels or link headers nested beyond DECODE_MAX_LAYERS */
	DECODE_TRUNC_TUNNEL,    /* a tunnel or link header (MPLS, PPPoE, GRE, ...) cut short */
	DECODE_N_RESULTS,
};

/* Laid out so that what every packet needs fills the first 64 bytes. */
struct packet_info {
	int64_t ts_sec;
	uint32_t ts_usec;
	uint32_t wire_len;      /* bytes on the wire (the capture's original length) */
	uint32_t ip_len;        /* the counted IP packet's length, as NetFlow counts bytes */
	/* decode_packet sets everything below, except payload (proto 17 only),
	 * payload_len (TCP and UDP only) and inner_* (has_inner only): the rest
	 * is not cleared, to keep the per-packet cost down */
	uint8_t family;         /* 4 or 6 */
	uint8_t proto;          /* IP protocol number (after IPv6 extension headers) */
	uint8_t tcp_flags;      /* TCP only */
	uint8_t icmp_type, icmp_code; /* ICMP/ICMPv6 only */
	uint8_t has_ports;      /* sport/dport valid (TCP/UDP/SCTP, first fragment) */
	uint8_t has_inner;      /* ICMP error: inner_* describe the offending packet */
	uint8_t tunnels;        /* encapsulations taken off (GRE, VXLAN, IP in IP, ...) */
	uint8_t tunnel_kind;    /* the outermost one's: a DECODE_TUNNEL_* bit's index */
	uint8_t inner_proto;
	uint16_t sport, dport, inner_sport, inner_dport;
	ip_addr src, dst;
	const uint8_t *payload; /* UDP: the datagram's payload, borrowed from the frame
				 * (NULL when its header is cut off) */
	uint32_t payload_len;   /* UDP; TCP (first fragment): the data the segment carries */
	uint32_t tcp_seq;       /* TCP only: the sequence number (1 in a later fragment) */
	ip_addr inner_src, inner_dst;
	ip_addr tunnel_src, tunnel_dst; /* tunnels only: the outermost header's endpoints, */
	uint32_t tunnel_len;            /* and its IP length */
};

/* What became of the frames read: how many, and each outcome's count. */
struct decode_tally {
	uint64_t frames;
	uint64_t tunnelled;                /* decoded IP packets taken out of a tunnel */
	uint64_t result[DECODE_N_RESULTS]; /* DECODE_OK = decoded IP packets */
	/* the outer headers of tunnelled packets, per (endpoints, kind); the
	 * endpoints beyond DECODE_TALLY_TUNNELS are summed in other_tunnels */
	int n_tunnels, last_tunnel;        /* last_tunnel: the entry hit last (a feed has few) */
	struct decode_tunnel_count {
		ip_addr src, dst;
		uint8_t kind;
		uint64_t packets, bytes;
	} tunnel[DECODE_TALLY_TUNNELS];
	uint64_t other_tunnel_packets, other_tunnel_bytes;
};

/* Counts a decoded packet into the tally (its tunnel's outer header too). */
void decode_tally_add(struct decode_tally *t, const struct packet_info *p);
/* Adds the counts of from (another reader's) to into. */
void decode_tally_merge(struct decode_tally *into, const struct decode_tally *from);

/* The name of tunnel kind (a bit's index): "gre", "vxlan", ... */
const char *decode_tunnel_name(int kind);
/* Parses a list of tunnel names ("gre, vxlan"), "all" or "none" into a
 * mask of DECODE_TUNNEL_* bits. Returns 0 or -EINVAL. */
int decode_tunnels_parse(const char *text, unsigned *mask) __attribute__((warn_unused_result));

/* Decodes frame [caplen] of link type dlt (a pcap LINKTYPE/DLT value) into
 * *out (ts and wire_len are the caller's), taking off the tunnels o says.
 * Returns a decode_result; the fields are meaningful only for DECODE_OK. */
enum decode_result decode_packet(int dlt, const uint8_t *frame, uint32_t caplen,
				 const struct decode_options *o, struct packet_info *out);

/* Short stable names for counters and messages ("trunc_ip", ...). */
const char *decode_result_name(enum decode_result r);

/* Whether the decoder reads link type dlt. */
int decode_link_supported(int dlt);

/* ICMP error messages (unreachable, time exceeded, ...) that quote a packet. */
int decode_is_icmp_error(const struct packet_info *p);
/* Destination unreachable (ICMP type 3, ICMPv6 type 1). */
int decode_is_unreachable(const struct packet_info *p);

#endif
