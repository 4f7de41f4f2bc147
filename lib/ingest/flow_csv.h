/* flow_csv: flow records from nfdump's CSV output (`nfdump -o csv`).
 *
 * Columns are found by their header names: ts (start), te (end), sa, da,
 * sp, dp, pr, flg, ipkt, ibyt; others are ignored, in any order. Times are
 * "YYYY-MM-DD HH:MM:SS[.mmm]" read as UTC (run nfdump with TZ=UTC: it prints
 * local time). Protocols by name (TCP, UDP, ICMP, ICMP6, ...) or number;
 * flags as nfdump's 8-letter string (CEUAPRSF, '.' for unset); for ICMP,
 * dp holds type * 256 + code as NetFlow does. nfdump's trailing "Summary"
 * block ends the records. A malformed row is counted and skipped; the first
 * one's "file:line: reason" is kept for the message. */
#ifndef FLOWSAD_FLOW_CSV_H
#define FLOWSAD_FLOW_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/csv.h"
#include "ingest/flow_record.h"

/* Reads f to its end or the summary block. Returns 0, or -EINVAL when the
 * header lacks a needed column (the reason in stats->first_error). */
int flow_csv_read(FILE *f, const char *name, flow_record_fn emit, void *ctx,
		  struct csv_stats *stats) __attribute__((warn_unused_result));

/* Does the first line look like nfdump's CSV header? */
int flow_csv_sniff(const char *first_line);

#endif
