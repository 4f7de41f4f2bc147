/* eve: Suricata's EVE JSON log to one-way flow records, or to IDS alerts.
 * Flows: events of event_type "flow" (both directions of a connection:
 * pkts/bytes_toserver and _toclient, tcp_flags_ts and _tc) and "netflow"
 * (one direction). Alerts (eve_read_alerts): events of event_type "alert",
 * their signature_id the sid, as an IDS alert CSV row. Every other event
 * type (dns, http, stats, ...) is passed over.
 * Times are the flow's start and end (ISO 8601 with an offset). For ICMP
 * the event's icmp_type and icmp_code (NetFlow's type * 256 + code). */
#ifndef FLOWSAD_EVE_H
#define FLOWSAD_EVE_H

#include <stdio.h>

#include "base/csv.h"
#include "ingest/flow_record.h"
#include "ingest/ids_alert.h"

struct eve_reader {
	flow_record_fn emit;     /* flows, or */
	void *ctx;
	ids_alert_fn alert;      /* alerts, when set (flows are then passed over) */
};

/* One line of the log (no line end): a csv_line_fn over a struct
 * eve_reader. Other event types are CSV_SKIPPED. */
int eve_line(void *reader, char *line, const char **why);
/* Reads a whole log. Returns 0, or -EINVAL with the reason in st. */
int eve_read(FILE *f, const char *name, flow_record_fn emit, void *ctx, struct csv_stats *st)
	__attribute__((warn_unused_result));
/* Reads the alert events of a whole log. Returns as eve_read. */
int eve_read_alerts(FILE *f, const char *name, ids_alert_fn alert, void *ctx,
		    struct csv_stats *st) __attribute__((warn_unused_result));
/* Whether the first bytes look like an EVE log. */
int eve_sniff(const char *head);

#endif
