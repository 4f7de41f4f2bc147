/* libFuzzer target: the nfdump CSV reader, its records through the window table. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_records.h"
#include "ingest/flow_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_records(data, size, flow_csv_read);
}
