/* flow_record: one flow as every flow source delivers it (NetFlow, IPFIX,
 * nfdump's CSV, Zeek's conn.log, Suricata's EVE), whatever the exporter's
 * own layout was; and the connection logs' two-way records split into the
 * two one-way flows NetFlow would have exported. */
#ifndef FLOWSAD_FLOW_RECORD_H
#define FLOWSAD_FLOW_RECORD_H

#include <stdint.h>

#include "base/ip.h"

/* Which side of its connection a record is, when its reader knows it: a
 * connection log says who opened (Zeek's originator, Suricata's client);
 * NetFlow and flow CSV do not, and the counting guesses from flags and
 * ports. */
enum flow_direction {
	FLOW_DIRECTION_UNKNOWN = 0,
	FLOW_DIRECTION_OPENER,  /* the side that opened the connection */
	FLOW_DIRECTION_ANSWER,  /* the side that answered (or refused) it */
};

struct flow_record {
	int64_t start_ms, end_ms; /* epoch milliseconds */
	ip_addr src, dst;
	uint16_t sport, dport;    /* for ICMP, dport holds type * 256 + code (NetFlow's habit) */
	uint8_t proto, tcp_flags; /* flags: OR of the flow's packets */
	uint8_t family;
	uint8_t direction;        /* enum flow_direction */
	uint64_t packets, bytes;
};

/* Where a reader of flow records hands each one. */
typedef void (*flow_record_fn)(void *ctx, const struct flow_record *r);

/* A connection as Zeek and Suricata log it: both directions in one record.
 * For ICMP, sport is the originator's type and dport the code. */
struct biflow {
	int64_t start_ms, end_ms;
	ip_addr orig, resp;
	uint16_t sport, dport;
	uint8_t proto, family;
	uint64_t orig_packets, orig_bytes, resp_packets, resp_bytes;
	uint8_t orig_flags, resp_flags; /* TCP flags each side sent */
	/* who opened is not known (a TCP connection seen midstream, a one-way
	 * event): the records leave it to the counting's guess */
	uint8_t opener_unknown;
};

/* The originator's flow, then (when it sent anything) the responder's, as
 * one-way records to emit: ICMP as type * 256 + code in the destination
 * port, an echo request's answer as an echo reply. Each says its direction
 * (opener, answer) unless b's opener is unknown. Returns the records
 * emitted. */
int flow_record_split(const struct biflow *b, flow_record_fn emit, void *ctx);

/* TCP flags from a Zeek connection history ("ShADadFf"): the upper-case
 * letters are the originator's, the lower-case ones the responder's. */
void flow_record_history_flags(const char *history, uint8_t *orig, uint8_t *resp);
/* The same from a Zeek conn_state ("S0", "REJ", "SF", ...), for a log
 * without history: what each side must have sent for Zeek to say so (S0:
 * a SYN left unanswered, REJ: a SYN refused with a RST, S1 and SF: a SYN
 * answered with a SYN-ACK). Returns -1 for a state it does not know
 * (flags left 0), 1 for OTH (no opening seen: midstream), else 0. */
int flow_record_state_flags(const char *conn_state, uint8_t *orig, uint8_t *resp);

#endif
