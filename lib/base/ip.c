#include "base/ip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int ip_addr_is_v4(const ip_addr *a)
{
	return memcmp(a->b, v4_prefix, sizeof v4_prefix) == 0;
}

/* Dotted quad by hand: inet_ntop formats through sprintf, and aggregate
 * writes one address per sample. */
static void ipv4_str(const uint8_t *v4, char *p)
{
	for (int i = 0; i < 4; i++) {
		unsigned o = v4[i];
		if (o >= 100)
			*p++ = (char)('0' + o / 100);
		if (o >= 10)
			*p++ = (char)('0' + o / 10 % 10);
		*p++ = (char)('0' + o % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

char *ip_addr_str(const ip_addr *a, char *buf)
{
	if (ip_addr_is_v4(a))
		ipv4_str(a->b + 12, buf);
	else
		inet_ntop(AF_INET6, a->b, buf, IP_ADDR_STRLEN);
	return buf;
}

int ip_addr_parse(const char *text, ip_addr *a, uint8_t *family)
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, text, v4) == 1) {
		ip_addr_from_v4(a, v4);
		if (family)
			*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a->b) != 1)
		return -EINVAL;
	if (family)
		*family = 6;
	return 0;
}

int ip_parse_cidr(const char *text, ip_addr *net, int *prefix)
{
	char buf[64], *slash;
	uint8_t family;

	if (strlen(text) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (ip_addr_parse(buf, net, &family) < 0)
		return -EINVAL;
	int bits = family == 4 ? 32 : 128, len = bits;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || v < 0 || v > bits)
			return -EINVAL;
		len = (int)v;
	}
	*prefix = len + (128 - bits);
	for (int i = *prefix; i < 128; i++) /* keep the network part only */
		net->b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return 0;
}

int ip_in_net(const ip_addr *a, const ip_addr *net, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;
	if (memcmp(a->b, net->b, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((a->b[full] ^ net->b[full]) & (0xff00 >> rest)) == 0;
}

int ip_proto_parse(const char *text, uint8_t *proto)
{
	static const struct {
		const char *name;
		uint8_t number;
	} names[] = {
		{ "tcp", IP_PROTO_TCP },	{ "udp", IP_PROTO_UDP },
		{ "icmp", IP_PROTO_ICMP },	{ "icmp6", IP_PROTO_ICMPV6 },
		{ "ipv6-icmp", IP_PROTO_ICMPV6 }, { "icmpv6", IP_PROTO_ICMPV6 },
		{ "sctp", IP_PROTO_SCTP },	{ "gre", 47 },
		{ "esp", 50 },			{ "ah", 51 },
		{ "ipv6", 41 },
	};
	char *end;
	long v = strtol(text, &end, 10);
	if (end != text && !*end && v >= 0 && v <= 255) {
		*proto = (uint8_t)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(text, names[i].name) == 0) {
			*proto = names[i].number;
			return 0;
		}
	return -EINVAL;
}
