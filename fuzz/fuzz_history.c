/* libFuzzer target: the history record decoder, and a re-encoding of what
 * it accepts, which must give the same bytes back (a record of an older
 * format, without the opened flows' counts and sketches or without the
 * sides' counts, comes back as the same bytes followed by an empty tail). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct window_term terms[WINDOW_MAX_TERMS];
	static uint8_t again[HISTORY_MAX_RECORD];
	struct net_sample s;

	if (history_decode(data, size, &s, terms) != 0)
		return 0;
	size_t len = history_encode(&s, again), sides = 7 * 8 + 2 * WINDOW_PEER_WORDS * 8,
	       opened = 4 * 8 + 2 * WINDOW_PEER_WORDS * 8;
	if ((len != size && len != size + sides && len != size + sides + opened) ||
	    memcmp(again, data, size) != 0)
		abort();
	for (size_t i = size; i < len; i++)
		if (again[i])
			abort();
	return 0;
}
