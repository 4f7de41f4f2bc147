/* libFuzzer target: the Suricata EVE reader, its records through the window table. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ingest/eve.h"
#include "features/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_stats st;
	FILE *f;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	struct window_table *t = window_table_new(60, 3600, 64, NULL);
	struct window_flow_sink sink = { t, NULL, NULL, 0 };
	if (t) {
		(void)eve_read(f, "fuzz", window_flow_sink_add, &sink, &st);
		window_table_flush(t, NULL, NULL);
	}
	window_table_free(t);
	fclose(f);
	return 0;
}
