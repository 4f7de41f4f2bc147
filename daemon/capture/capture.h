/* capture: capture files (pcap, pcapng) and live interfaces through libpcap into the window
 * table: read, decode, count, with the decoder's outcomes tallied. */
#ifndef FLOWSAD_CAPTURE_H
#define FLOWSAD_CAPTURE_H

#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/netflow.h"
#include "features/window.h"

/* How frames are read: from an interface, or from files. */
struct capture_options {
	const char *bpf;       /* NULL: every frame */
	struct decode_options decap; /* the tunnels taken off */
	uint32_t snaplen;
	uint64_t buffer;       /* kernel buffer, bytes */
};

struct config;
/* o's tunnels: those of decapsulate (a --decapsulate or [capture]
 * decapsulate list, named key in messages; NULL: the default ones), VXLAN
 * and Geneve on the UDP ports of conf's [decap] (conf NULL: the default
 * ports). Returns a sysexits code, logging why. */
int capture_decap_options(const char *key, const char *decapsulate, const struct config *conf,
			  struct decode_options *o);

/* Reads every frame of the n capture files (merged by time when several:
 * files given out of order, or captured side by side, read as one), through
 * o's BPF filter if any and taking off o's tunnels (its snaplen and buffer
 * are for interfaces), into t. With nf, the frames are NetFlow/IPFIX export
 * datagrams: their UDP payloads go through nf (the live collector's
 * decoder) and the flow records into t. Returns a sysexits code, logging
 * why. */
int capture_read(const char *const *paths, int n, const struct capture_options *o,
		 struct window_table *t, window_emit_fn emit, void *ctx,
		 struct decode_tally *tally, struct netflow_decoder *nf);

/* A capture read step by step from an event loop: a file being replayed or
 * a live interface (non-blocking, with a selectable descriptor). */
struct capture;


/* Return NULL after logging why, with a sysexits code in *rc. */
struct capture *capture_open_files(const char *const *paths, int n,
				   const struct capture_options *o, struct decode_tally *tally,
				   int *rc);
struct capture *capture_open_live(const char *iface, const struct capture_options *o,
				  struct decode_tally *tally, int *rc);
void capture_close(struct capture *c);
/* The descriptor to watch for a live capture; -1 for a file. */
int capture_fd(const struct capture *c);
/* Reads up to max frames into t; with nf they are export datagrams whose
 * flow records are counted. Returns the frames read (0: the end of a file,
 * or nothing waiting on an interface), or -1 after logging an error. */
int capture_step(struct capture *c, int max, struct window_table *t, window_emit_fn emit, void *ctx,
		 struct netflow_decoder *nf);
/* A live capture's packets received and dropped (kernel and interface). */
void capture_counts(const struct capture *c, uint64_t *received, uint64_t *dropped);

/* Logs the NetFlow decoder's counters (one line). */
void capture_log_netflow(const struct netflow_decoder *nf);

/* Logs the tally and the window table's counters (one line each). */
void capture_log_summary(const struct decode_tally *tally, const struct window_stats *ws);
/* Logs the window table's counters alone (inputs of records). */
void capture_log_windows(const struct window_stats *ws);

#endif
