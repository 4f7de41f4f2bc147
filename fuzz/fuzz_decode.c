/* libFuzzer target: the packet decoder. The first byte picks the link type;
 * the rest is the captured frame. A decoded packet also goes through the
 * window table, which must take any decoder output. */
#include <stddef.h>
#include <stdint.h>

#include "ingest/decode.h"
#include "features/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = { 0, 1, 12, 101, 108, 113, 228, 229, 276, 9, 50, 51, 104 };
	struct packet_info p = { .ts_sec = 1000, .wire_len = (uint32_t)size };
	struct decode_options o;

	if (size < 1)
		return 0;
	decode_options_init(&o, DECODE_TUNNELS_ALL);
	if (decode_options_set_ports(&o, DECODE_TUNNEL_VXLAN, "4789, 8472") < 0) /* as configured */
		return 0;
	int dlt = links[data[0] % (sizeof links / sizeof links[0])];
	if (decode_packet(dlt, data + 1, (uint32_t)(size - 1), &o, &p) == DECODE_OK) {
		struct window_table *t = window_table_new(60, 0, 16, NULL);
		if (t && window_table_add(t, &p, NULL, NULL) == 0)
			window_table_flush(t, NULL, NULL);
		window_table_free(t);
	}
	return 0;
}
