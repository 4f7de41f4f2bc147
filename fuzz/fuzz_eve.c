/* libFuzzer target: the Suricata EVE reader, its records through the window table. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_records.h"
#include "ingest/eve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_records(data, size, eve_read);
}
