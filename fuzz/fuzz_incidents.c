/* libFuzzer target: the open incidents' file decoder (the sources' memory
 * kept beside the baseline state). What it accepts must encode back to the
 * same bytes and take a sample of any source after it. The input's last four
 * bytes are replaced by the checksum of the rest, so that mutations reach
 * the parsing behind it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/incident.h"
#include "base/crc32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t none[WINDOW_PEER_WORDS];
	struct incident_table *t = incident_table_new(10, 3600);
	char err[256];
	uint8_t *copy, *again;
	size_t len;

	if (!t || !(copy = malloc(size + 1)))
		abort();
	memcpy(copy, data, size);
	if (size >= 4) {
		uint32_t crc = crc32_ieee(copy, size - 4);
		memcpy(copy + size - 4, &crc, 4);
	}
	if (incident_table_decode(t, copy, size, err, sizeof err) == 0) {
		if (incident_table_encode(t, &again, &len) != 0)
			abort();
		if (len != size || memcmp(again, copy, size) != 0)
			abort();
		free(again);
		if (incident_note(t, "10.0.0.1", INT64_MAX / 4, "fan-out", 1, none, none, NULL) < 0)
			abort();
	}
	incident_table_free(t);
	free(copy);
	return 0;
}
