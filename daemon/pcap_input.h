/* pcap_input: capture files (pcap, pcapng) through libpcap into the window
 * table: read, decode, count, with the decoder's outcomes tallied. */
#ifndef FLOWSAD_PCAP_INPUT_H
#define FLOWSAD_PCAP_INPUT_H

#include <stdint.h>

#include "decode.h"
#include "netflow.h"
#include "window.h"

struct decode_tally {
	uint64_t frames;
	uint64_t result[DECODE_N_RESULTS]; /* DECODE_OK = decoded IP packets */
};

/* Reads every frame of path (optionally through a BPF filter) into t. With
 * nf, the frames are NetFlow/IPFIX export datagrams: their UDP payloads go
 * through nf (the live collector's decoder) and the flow records into t.
 * Returns a sysexits code, logging why. */
int pcap_input_read(const char *path, const char *bpf, struct window_table *t,
		    window_emit_fn emit, void *ctx, struct decode_tally *tally,
		    struct netflow_decoder *nf);

/* Logs the NetFlow decoder's counters (one line). */
void pcap_input_log_netflow(const struct netflow_decoder *nf);

/* Logs the tally and the window table's counters (one line each). */
void pcap_input_log_summary(const struct decode_tally *tally, const struct window_stats *ws);

#endif
