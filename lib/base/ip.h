/* ip: the project's one address type, with what every stage asks of it:
 * text in and out, networks (CIDR) and membership, and the protocol numbers
 * and TCP flags that the counters test. IPv4 addresses are held v4-mapped
 * (::ffff:a.b.c.d), so that one 16-byte type serves both families. */
#ifndef FLOWSAD_IP_H
#define FLOWSAD_IP_H

#include <stdint.h>
#include <string.h>

typedef struct {
	uint8_t b[16];
} ip_addr;

#define IP_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN: the longest text, NUL included */

/* IP protocol numbers */
#define IP_PROTO_ICMP 1
#define IP_PROTO_IGMP 2
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_PROTO_ICMPV6 58
#define IP_PROTO_SCTP 132

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static inline void ip_addr_from_v4(ip_addr *a, const uint8_t *v4)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
}

static inline int ip_addr_equal(const ip_addr *a, const ip_addr *b)
{
	uint64_t x[2], y[2];
	memcpy(x, a->b, 16);
	memcpy(y, b->b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* Whether a is an IPv4 address (v4-mapped). */
int ip_addr_is_v4(const ip_addr *a);

/* Address text (IPv4 dotted for v4-mapped). buf holds IP_ADDR_STRLEN bytes. */
char *ip_addr_str(const ip_addr *a, char *buf);

/* Parses an IPv4 or IPv6 address; *family (may be NULL) gets 4 or 6.
 * Returns 0 or -EINVAL. */
int ip_addr_parse(const char *text, ip_addr *a, uint8_t *family);

/* Parses "address[/prefix]" (IPv4 or IPv6) into a masked network in the
 * 128-bit form (an IPv4 /24 is a /120). Returns 0 or -EINVAL. */
int ip_parse_cidr(const char *text, ip_addr *net, int *prefix);

/* Whether a lies in net/prefix (128-bit form). */
int ip_in_net(const ip_addr *a, const ip_addr *net, int prefix);

/* A protocol by number or by name, in any case: "tcp", "UDP", "ICMP",
 * "ICMP6", "IPv6-ICMP", "SCTP", "GRE", ... (nfdump's, Zeek's, Suricata's
 * spellings). Returns 0 or -EINVAL. */
int ip_proto_parse(const char *text, uint8_t *proto);

/* Whether the protocol carries ports (TCP, UDP, SCTP). */
static inline int ip_proto_has_ports(uint8_t proto)
{
	return proto == IP_PROTO_TCP || proto == IP_PROTO_UDP || proto == IP_PROTO_SCTP;
}

#endif
