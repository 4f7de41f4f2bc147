#include "ingest/flow_record.h"

#include <ctype.h>
#include <string.h>

/* The answer an ICMP or ICMPv6 query gets (echo, timestamp, information). */
static uint8_t icmp_reply_type(uint8_t proto, uint8_t type)
{
	if (proto == IP_PROTO_ICMP)
		return type == 8 ? 0 : type == 13 ? 14 : type == 15 ? 16 : type;
	return type == 128 ? 129 : type;
}

int flow_record_split(const struct biflow *b, flow_record_fn emit, void *ctx)
{
	int icmp = b->proto == IP_PROTO_ICMP || b->proto == IP_PROTO_ICMPV6, n = 0;
	struct flow_record r = {
		.start_ms = b->start_ms, .end_ms = b->end_ms, .src = b->orig, .dst = b->resp,
		.sport = icmp ? 0 : b->sport,
		.dport = icmp ? (uint16_t)(b->sport << 8 | (b->dport & 0xff)) : b->dport,
		.proto = b->proto, .tcp_flags = b->orig_flags, .family = b->family,
		.packets = b->orig_packets, .bytes = b->orig_bytes,
		.direction = b->opener_unknown ? FLOW_DIRECTION_UNKNOWN : FLOW_DIRECTION_OPENER,
	};
	if (r.packets) {
		emit(ctx, &r);
		n++;
	}
	if (!b->resp_packets)
		return n;
	r.src = b->resp;
	r.dst = b->orig;
	r.sport = icmp ? 0 : b->dport;
	r.dport = icmp ? (uint16_t)(icmp_reply_type(b->proto, (uint8_t)b->sport) << 8 |
				    (b->dport & 0xff))
		       : b->sport;
	r.tcp_flags = b->resp_flags;
	r.packets = b->resp_packets;
	r.bytes = b->resp_bytes;
	if (!b->opener_unknown)
		r.direction = FLOW_DIRECTION_ANSWER;
	emit(ctx, &r);
	return n + 1;
}

void flow_record_history_flags(const char *history, uint8_t *orig, uint8_t *resp)
{
	*orig = *resp = 0;
	for (const char *p = history; p && *p; p++) {
		uint8_t f = 0;
		switch (tolower((unsigned char)*p)) {
		case 's': f = TCP_SYN; break;
		case 'h': f = TCP_SYN | TCP_ACK; break;
		case 'a': f = TCP_ACK; break;
		case 'd': f = TCP_ACK | TCP_PSH; break;
		case 'f': f = TCP_FIN; break;
		case 'r': f = TCP_RST; break;
		default: break;
		}
		*(isupper((unsigned char)*p) ? orig : resp) |= f;
	}
}

/* What each side of a TCP connection sent, by Zeek's conn_state. */
static const struct conn_state {
	const char *name;
	uint8_t orig, resp;
	uint8_t midstream; /* Zeek saw no SYN from the originator */
} conn_states[] = {
	{ "S0", TCP_SYN, 0, 0 },
	{ "S1", TCP_SYN | TCP_ACK, TCP_SYN | TCP_ACK, 0 },
	{ "SF", TCP_SYN | TCP_ACK | TCP_FIN, TCP_SYN | TCP_ACK | TCP_FIN, 0 },
	{ "REJ", TCP_SYN, TCP_RST, 0 },
	{ "S2", TCP_SYN | TCP_ACK | TCP_FIN, TCP_SYN | TCP_ACK, 0 },
	{ "S3", TCP_SYN | TCP_ACK, TCP_SYN | TCP_ACK | TCP_FIN, 0 },
	{ "RSTO", TCP_SYN | TCP_ACK | TCP_RST, TCP_SYN | TCP_ACK, 0 },
	{ "RSTR", TCP_SYN | TCP_ACK, TCP_SYN | TCP_ACK | TCP_RST, 0 },
	{ "RSTOS0", TCP_SYN | TCP_RST, 0, 0 },
	{ "SH", TCP_SYN | TCP_FIN, 0, 0 },
	{ "RSTRH", 0, TCP_SYN | TCP_ACK | TCP_RST, 1 },
	{ "SHR", 0, TCP_SYN | TCP_ACK | TCP_FIN, 1 },
	{ "OTH", 0, 0, 1 },
};

int flow_record_state_flags(const char *conn_state, uint8_t *orig, uint8_t *resp)
{
	*orig = *resp = 0;
	for (size_t i = 0; conn_state && i < sizeof conn_states / sizeof conn_states[0]; i++)
		if (strcmp(conn_state, conn_states[i].name) == 0) {
			*orig = conn_states[i].orig;
			*resp = conn_states[i].resp;
			return conn_states[i].midstream;
		}
	return -1;
}
