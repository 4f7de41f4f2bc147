/* libFuzzer target: the Suricata EVE reader, its flow records through the window table
 * and its alert events as IDS alerts. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_records.h"
#include "ingest/eve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_alert(void *ctx, const struct ids_alert *a)
{
	*(uint64_t *)ctx += a->sid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_stats st;
	uint64_t sum = 0;
	FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;

	if (f) {
		(void)eve_read_alerts(f, "fuzz", count_alert, &sum, &st);
		fclose(f);
	}
	return fuzz_records(data, size, eve_read);
}
