/* flow_record: one flow as every flow source delivers it (NetFlow v5/v9,
 * IPFIX, nfdump's CSV), whatever the exporter's own layout was. */
#ifndef FLOWSAD_FLOW_RECORD_H
#define FLOWSAD_FLOW_RECORD_H

#include <stdint.h>

#include "base/ip.h"

struct flow_record {
	int64_t start_ms, end_ms; /* epoch milliseconds */
	ip_addr src, dst;
	uint16_t sport, dport;    /* for ICMP, dport holds type * 256 + code (NetFlow's habit) */
	uint8_t proto, tcp_flags; /* flags: OR of the flow's packets */
	uint8_t family;
	uint64_t packets, bytes;
};

/* Where a reader of flow records hands each one. */
typedef void (*flow_record_fn)(void *ctx, const struct flow_record *r);

#endif
