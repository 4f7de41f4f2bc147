/* netflow: NetFlow v1, v5, v7, v9 (RFC 3954) and IPFIX (RFC 7011) export datagrams
 * to flow records. The same code reads live UDP and captures of export
 * traffic ("netflow-pcap").
 *
 * Templates are kept per (exporter address, observation domain / source id,
 * template id), NETFLOW_MAX_FIELDS fields each, within the decoder's bounds
 * (netflow_new): a new exporter beyond the bound takes the place of the one
 * silent longest (its templates go with it: a flood of spoofed exporters
 * cannot lock real ones out for good), a new template beyond an exporter's
 * bound is refused; both counted. A template with the id of an existing one
 * replaces it, IPFIX withdrawals (field count 0) remove it. Options
 * templates are parsed; their data records are read only for the
 * exporter's system init time (IPFIX 160), which dates uptime-relative
 * fields. Unknown fields are skipped, variable-length fields too. Data
 * before its template, short or overrunning sets, bad versions and
 * sequence gaps are counted, never trusted.
 *
 * Times: v5 and v9 stamp flows in sysUpTime milliseconds; the difference to
 * the header's uptime is read as signed 32-bit (exporters that start
 * replaying old traffic, like softflowd -r, stamp flows before their own
 * uptime origin and the unsigned reading lands 49.7 days later). */
#ifndef FLOWSAD_NETFLOW_H
#define FLOWSAD_NETFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/flow_record.h"

#define NETFLOW_MAX_FIELDS 128

enum netflow_counter {
	NF_DATAGRAMS,
	NF_RECORDS,
	NF_TEMPLATES,           /* template records accepted (new or refreshed) */
	NF_WITHDRAWALS,
	NF_NO_TEMPLATE,         /* data sets whose template is unknown: dropped */
	NF_SEQUENCE_GAPS,
	NF_BAD_VERSION,
	NF_TRUNCATED,           /* header, set or record running past the datagram */
	NF_BAD_TEMPLATE,        /* zero-length or oversized fields, too many fields */
	NF_TEMPLATE_LIMIT,      /* templates refused: the exporter holds the maximum */
	NF_EXPORTERS_EVICTED,   /* exporters forgotten (silent longest) for new ones */
	NF_N_COUNTERS,
};

struct netflow_decoder;

/* A decoder keeping at most max_exporters exporters and max_templates
 * templates each (0: the defaults of base/defaults.h). NULL without memory. */
struct netflow_decoder *netflow_new(int max_exporters, int max_templates);
void netflow_free(struct netflow_decoder *d);

/* Decodes one datagram of exporter (its address) received at recv_ms.
 * Calls emit for every flow record. */
void netflow_decode(struct netflow_decoder *d, const ip_addr *exporter, const uint8_t *data,
		    size_t len, int64_t recv_ms, flow_record_fn emit, void *ctx);

const uint64_t *netflow_counters(const struct netflow_decoder *d); /* [NF_N_COUNTERS] */
const char *netflow_counter_name(enum netflow_counter c);

#endif
