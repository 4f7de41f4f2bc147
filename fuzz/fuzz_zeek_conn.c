/* libFuzzer target: the Zeek conn.log reader (TSV and JSON), its records through the
 * window table. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_records.h"
#include "ingest/zeek_conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_records(data, size, zeek_conn_read);
}
