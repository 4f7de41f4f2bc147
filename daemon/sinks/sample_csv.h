/* sample_csv: samples' raw counters as CSV rows (flowsad aggregate, and
 * flowsad run --samples), written without printf: at millions of packets
 * per second printf spent more time on the rows than counting did. */
#ifndef FLOWSAD_SAMPLE_CSV_H
#define FLOWSAD_SAMPLE_CSV_H

#include <stdio.h>

#include "base/isotime.h"
#include "features/window.h"

struct sample_csv {
	FILE *out;
	int64_t window;            /* the window whose text is cached */
	char when[ISOTIME_LEN];
};

void sample_csv_header(FILE *out);
/* A window_emit_fn: one row to ((struct sample_csv *)ctx)->out. Returns 0
 * or -EIO when the stream refused it. */
int sample_csv_row(void *ctx, int64_t start, const ip_addr *src, const struct window_counters *c);

#endif
