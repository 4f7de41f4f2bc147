/* libFuzzer target: the history record decoder, and a re-encoding of what
 * it accepts, which must give the same bytes back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct window_term terms[WINDOW_MAX_TERMS];
	static uint8_t again[HISTORY_MAX_RECORD];
	struct net_sample s;

	if (history_decode(data, size, &s, terms) == 0 &&
	    (history_encode(&s, again) != size || memcmp(again, data, size) != 0))
		abort();
	return 0;
}
