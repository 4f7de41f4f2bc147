/* udp_listener: NetFlow v5/v9 and IPFIX export over UDP, read from a
 * non-blocking socket with a large receive buffer. Datagrams go through the
 * same decoder as captures of export (netflow-pcap input). Exporters not on
 * the allowlist are counted and ignored; datagrams the kernel dropped for
 * want of buffer space are counted from SO_RXQ_OVFL. */
#ifndef FLOWSAD_UDP_LISTENER_H
#define FLOWSAD_UDP_LISTENER_H

#include <stdint.h>

#include "features/filter.h"
#include "ingest/netflow.h"
#include "features/window.h"

struct udp_listener_stats {
	uint64_t datagrams, bytes;
	uint64_t refused;      /* from exporters not allowed */
	uint64_t kernel_drops; /* the socket's overflow counter */
};

struct udp_listener;

/* Binds "HOST:PORT" ("[v6]:PORT" for IPv6). allow: exporters let through
 * (NULL or empty: all). Returns NULL after logging, with a sysexits code
 * in *rc. */
struct udp_listener *udp_listener_open(const char *address, uint64_t rcvbuf,
				       const struct filter_nets *allow, int *rc);
void udp_listener_close(struct udp_listener *l);
int udp_listener_fd(const struct udp_listener *l);
/* Reads every datagram waiting (at most max), decoding them with nf into t.
 * Returns the datagrams read, or -1 after logging an error. */
int udp_listener_step(struct udp_listener *l, int max, struct netflow_decoder *nf,
		      struct window_table *t, window_emit_fn emit, void *ctx);
const struct udp_listener_stats *udp_listener_stats(const struct udp_listener *l);

#endif
