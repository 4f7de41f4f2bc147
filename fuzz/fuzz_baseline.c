/* libFuzzer target: the baseline state file decoder, and a source's record
 * (baseline_import_host) when the input has a record's length. What it accepts must
 * encode back to the same bytes (hosts in recency order, a checksum over
 * all), and give finite features for any sample observed after it. The
 * input's last four bytes are replaced by the checksum of the rest, so that
 * mutations reach the parsing behind it (random bytes never match a CRC). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32.h"
#include "features/baseline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Observes a window of src long after anything b remembers: its features
 * must be finite (a gap or a level out of range would not be). */
static void observe_finite(struct baseline *b, const ip_addr *src)
{
	struct window_counters c = { .packets = 10, .opened_packets = 10, .opened = 2 };
	float out[BASELINE_N_FEATURES];
	baseline_observe(b, INT64_MAX / 4, src, &c, out);
	for (int i = 0; i < BASELINE_N_FEATURES; i++)
		if (!isfinite(out[i]))
			abort();
}

/* What a source's record the importer accepts exports back to the same
 * bytes, and gives finite features to the source's next window. */
static void import_record(const uint8_t *rec, size_t size)
{
	static uint8_t again[4096];
	char err[256];
	ip_addr src;
	struct baseline *taker = baseline_new(64, 3600);
	if (!taker)
		abort();
	if (size > sizeof again || baseline_import_host(taker, rec, size, err, sizeof err) != 0) {
		baseline_free(taker);
		return;
	}
	baseline_record_source(rec, &src);
	if (baseline_export_host(taker, &src, again) != 1 || memcmp(again, rec, size) != 0)
		abort();
	observe_finite(taker, &src);
	baseline_free(taker);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct baseline *b;
	char err[256];
	uint8_t *again;
	size_t len;

	if (!b && !(b = baseline_new(64, 3600)))
		abort();
	if (size < 4)
		return 0;
	uint8_t *copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	uint32_t crc = crc32_ieee(copy, size - 4);
	memcpy(copy + size - 4, &crc, 4);
	data = copy;
	if (size == baseline_record_size()) /* the input as one source's record */
		import_record(data, size);
	if (baseline_decode(b, data, size, err, sizeof err) != 0) {
		free(copy);
		return 0;
	}
	uint64_t count;
	memcpy(&count, data + 16, 8); /* the header's host count; the decoder checked the length */
	if (count <= 64) { /* beyond the bound the oldest were left out */
		if (baseline_encode(b, &again, &len) != 0)
			abort();
		if (len != size || memcmp(again, data, size) != 0)
			abort();
		free(again);
	}
	ip_addr src = { { 0 } };
	observe_finite(b, &src);
	free(copy);
	return 0;
}
