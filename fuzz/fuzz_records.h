/* What the fuzz targets of the flow record readers share: the input as a
 * file, read by one reader, its records through a window table. */
#ifndef FLOWSAD_FUZZ_RECORDS_H
#define FLOWSAD_FUZZ_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/csv.h"
#include "features/window.h"

typedef int (*fuzz_reader_fn)(FILE *f, const char *name, flow_record_fn emit, void *ctx,
			      struct csv_stats *st);

static inline int fuzz_records(const uint8_t *data, size_t size, fuzz_reader_fn read)
{
	struct csv_stats st;
	FILE *f;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	struct window_table *t = window_table_new(60, 3600, 64, NULL);
	struct window_flow_sink sink = { t, NULL, NULL, 0 };
	if (t) {
		(void)read(f, "fuzz", window_flow_sink_add, &sink, &st);
		window_table_flush(t, NULL, NULL);
	}
	window_table_free(t);
	fclose(f);
	return 0;
}

#endif
