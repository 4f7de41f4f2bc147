/* ids_csv: IDS alerts in psykoda's CSV columns (date_year, date_month,
 * date_mday, date_hour, date_minute, date_second, src_ip, src_port,
 * dest_ip, dest_port, sid, ...), found by header name in any order; other
 * columns are ignored; fields may be double-quoted. Dates are UTC. A
 * malformed row is counted and skipped; the first one's "file:line: reason"
 * is kept (struct csv_stats). */
#ifndef FLOWSAD_IDS_CSV_H
#define FLOWSAD_IDS_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "base/csv.h"
#include "ingest/ids_alert.h"

/* Reads f to its end. Returns 0, or -EINVAL when the header lacks a needed
 * column (the reason in stats->first_error). */
int ids_csv_read(FILE *f, const char *name, ids_alert_fn emit, void *ctx,
		 struct csv_stats *stats) __attribute__((warn_unused_result));

/* Does the first line look like psykoda's IDS alert header? */
int ids_csv_sniff(const char *first_line);

#endif
