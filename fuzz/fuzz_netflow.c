/* libFuzzer target: the NetFlow v5/v9/IPFIX decoder. The input is a
 * sequence of datagrams, each prefixed by a 2-byte length, through one
 * decoder, so that templates from earlier datagrams meet later data. Every
 * record goes through the window table. */
#include <stddef.h>
#include <stdint.h>

#include "ingest/netflow.h"
#include "features/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ip_addr exporter = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2,
					    1 } };
	/* small bounds: exporters evicted and templates refused soon */
	struct netflow_decoder *d = netflow_new(4, 16);
	struct window_table *t = window_table_new(60, 3600, 64, NULL);
	struct window_flow_sink sink = { t, NULL, NULL, 0 };

	while (d && t && size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];
		data += 2, size -= 2;
		if (n > size)
			n = size;
		netflow_decode(d, &exporter, data, n, 0, window_flow_sink_add, &sink);
		data += n, size -= n;
	}
	window_table_free(t);
	netflow_free(d);
	return 0;
}
