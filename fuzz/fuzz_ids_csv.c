/* libFuzzer target: the IDS alert CSV reader, its alerts through the window table. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ingest/ids_csv.h"
#include "features/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void add(void *ctx, const struct ids_alert *a)
{
	(void)window_table_add_alert(ctx, a->ts, &a->src, &a->dst, a->sport, a->dport, a->sid,
				     NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_stats st;
	FILE *f;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	struct window_table *t = window_table_new(3600, 0, 64, NULL);
	if (t)
		(void)ids_csv_read(f, "fuzz", add, t, &st);
	window_table_free(t);
	fclose(f);
	return 0;
}
