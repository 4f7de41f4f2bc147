/* libFuzzer target: a partition of a window from the wire (what a scorer
 * reads from a sensor's stream). What is accepted is encoded again as one
 * partition and read back: the same samples and answers, and a second
 * encoding gives the same bytes as the first. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "features/merge.h"
#include "features/part_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct part_header h, h2;
	struct sample_set in, back, merged;
	struct part_buf one = { 0 }, two = { 0 };
	char err[256];

	if (part_wire_decode(data, size, &h, &in, err, sizeof err) != 0)
		return 0;
	if (part_wire_encode(&in, h.window_start, h.window_seconds, 1, &one) != 0 ||
	    part_wire_decode(one.data, one.len, &h2, &back, err, sizeof err) != 0)
		abort();
	if (back.n != in.n || back.n_answers != in.n_answers ||
	    part_wire_encode(&back, h2.window_start, h2.window_seconds, 1, &two) != 0 ||
	    two.len != one.len || memcmp(one.data, two.data, one.len) != 0)
		abort();
	struct sample_set parts[2] = { in, back };
	if (sample_set_merge(parts, 2, &merged, NULL) != 0 || merged.n != in.n)
		abort();
	sample_set_free(&merged);
	part_buf_free(&one);
	part_buf_free(&two);
	return 0;
}
