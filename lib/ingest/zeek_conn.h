/* zeek_conn: Zeek's conn.log to one-way flow records, in either of its
 * forms: TSV, whose "#separator" and "#fields" lines say how to split the
 * records and where each field is ("-" unset, "(empty)" empty), or JSON
 * lines (LogAscii::use_json), with ts as epoch seconds or ISO 8601.
 *
 * Read: ts, id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto (required);
 * duration, history, orig_pkts, orig_ip_bytes, resp_pkts, resp_ip_bytes,
 * conn_state (unset or absent: 0 time, no flags, one packet from the
 * originator). Each connection gives the originator's flow, as the opener's,
 * and, when it answered, the responder's, as the answer (flow_record_split),
 * with the TCP flags of its history, or of its conn_state when it has no
 * history. A TCP connection Zeek saw midstream (OTH, SHR, RSTRH) says
 * nothing of who opened it: its records leave that to the counting's guess.
 * Bytes are IP bytes, as NetFlow counts them. */
#ifndef FLOWSAD_ZEEK_CONN_H
#define FLOWSAD_ZEEK_CONN_H

#include <stdio.h>

#include "base/csv.h"
#include "ingest/flow_record.h"

enum zeek_field {
	ZEEK_TS,
	ZEEK_ORIG_H,
	ZEEK_ORIG_P,
	ZEEK_RESP_H,
	ZEEK_RESP_P,
	ZEEK_PROTO,
	ZEEK_DURATION,
	ZEEK_HISTORY,
	ZEEK_ORIG_PKTS,
	ZEEK_ORIG_IP_BYTES,
	ZEEK_RESP_PKTS,
	ZEEK_RESP_IP_BYTES,
	ZEEK_CONN_STATE,
	ZEEK_N_FIELDS,
};

/* What a reader learns from the TSV header lines; a followed log keeps it
 * from line to line. */
struct zeek_conn {
	char separator;
	int col[ZEEK_N_FIELDS]; /* -1: not in the file */
	int have_fields;
	flow_record_fn emit;
	void *ctx;
	char why[160];
};

void zeek_conn_init(struct zeek_conn *z, flow_record_fn emit, void *ctx);
/* One line of the log (no line end): a csv_line_fn over a struct zeek_conn. */
int zeek_conn_line(void *z, char *line, const char **why);
/* Reads a whole log. Returns 0, or -EINVAL with the reason in st. */
int zeek_conn_read(FILE *f, const char *name, flow_record_fn emit, void *ctx,
		   struct csv_stats *st) __attribute__((warn_unused_result));
/* Whether the first bytes look like a Zeek conn.log (TSV or JSON). */
int zeek_conn_sniff(const char *head);

#endif
