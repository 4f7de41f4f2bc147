/* window: per (window_start, src_ip) counters of decoded packets, with
 * windows that close as event time passes their end plus the allowed
 * lateness. Memory is bounded: at most max_samples sources per window; the
 * packets of further sources are dropped and counted (spoofed floods), as
 * are packets for windows already closed.
 *
 * Counters a sample keeps about its source's traffic in the window:
 * packets, bytes, the protocol mix, distinct destinations, ports, pairs and
 * flows (lib/features/distinct.h: exact, then HyperLogLog), TCP SYNs sent (SYN
 * without ACK), RSTs sent, and what came back to it: SYN-ACKs, RSTs and
 * ICMP unreachables quoting its packets. syn_unanswered is SYNs sent less
 * SYN-ACKs and RSTs received (at least 0): an answer counts only when it
 * falls in the same window as its SYN. */
#ifndef FLOWSAD_WINDOW_H
#define FLOWSAD_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/decode.h"
#include "ingest/flow_record.h"
#include "features/filter.h"
#include "features/location.h"

/* A service term: destination location, IP protocol and destination port
 * (ports >= WINDOW_EPHEMERAL are one term; 0 for protocols without ports),
 * or, for IDS alerts, the signature id under the pseudo-protocol
 * WINDOW_PROTO_SID (and the port under WINDOW_PROTO_ANY: alerts do not say
 * the protocol). Its count is the number of flows (alerts) of the sample to
 * that service. */
#define WINDOW_EPHEMERAL 49152
#define WINDOW_PROTO_ANY 0
#define WINDOW_PROTO_SID 255
#define WINDOW_MAX_TERMS 4096 /* per sample; further services are not counted */
#define WINDOW_TERM(loc, proto, value) \
	((uint64_t)(loc) << 40 | (uint64_t)(proto) << 32 | (uint64_t)(uint32_t)(value))
#define WINDOW_TERM_LOC(key) ((int)((key) >> 40))
#define WINDOW_TERM_PROTO(key) ((int)(((key) >> 32) & 0xff))
#define WINDOW_TERM_VALUE(key) ((uint32_t)(key))

struct window_term {
	uint64_t key;
	uint32_t count;
	/* a sketch of the flows counted, one bit a flow by its hash: the count
	 * where the sample's distinct values are estimated (window_count_terms) */
	uint64_t flows;
};

/* Sketches of what a source opened flows to, one bit a value by its hash:
 * destination addresses (peers) and services (destination location,
 * protocol and service port, as terms). Flows that answer another host's
 * initiative (SYN-ACK, RST, ICMP errors and echo replies, a connection
 * log's responder, TCP and UDP from the lower port) are not in them: a
 * server answering a scan has opened nothing. lib/features/baseline.h
 * estimates from them what is new to the source. */
#define WINDOW_PEER_BITS 512
#define WINDOW_PEER_WORDS (WINDOW_PEER_BITS / 64)

struct window_counters {
	uint64_t packets, bytes, flows;
	uint64_t tcp_packets, udp_packets, icmp_packets, other_packets;
	uint64_t dst_ips, dst_ports, dst_pairs;
	uint64_t syn_sent, synack_received, rst_sent, rst_received, unreach_received;
	uint64_t syn_unanswered;
	uint64_t opened;                  /* flows the source opened (not answers): exact
					   * while the distinct counts are, then estimated
					   * as they are (window_count_distinct) */
	uint64_t opened_packets, opened_bytes; /* what it sent that was not an answer */
	uint64_t opened_tcp, opened_udp, opened_icmp; /* opened_packets by protocol */
	uint64_t received_bytes;          /* bytes served to it by sources of the window */
	/* What it answered. Refusals (RSTs, ICMP errors) are provoked by whoever
	 * probed it and say nothing of the host itself; serving (SYN-ACKs,
	 * replies from its service ports, echo replies) does. */
	uint64_t served_packets, served_bytes;
	uint64_t refused;                 /* RSTs and ICMP errors sent */
	uint64_t peers[WINDOW_PEER_WORDS];   /* sketch of their destinations */
	uint64_t services[WINDOW_PEER_WORDS];/* sketch of their services */
	uint64_t clients[WINDOW_PEER_WORDS]; /* sketch of the peers it served */
	uint64_t served[WINDOW_PEER_WORDS];  /* sketch of the services it served on */
	uint64_t refused_to;              /* 64-bit sketch of the peers it refused */
	int src_location;                 /* location index of the source */
	const struct window_term *terms;  /* [n_terms] by key; valid during the emit call */
	uint32_t n_terms;
};

/* How many distinct values set the bits of a WINDOW_PEER_BITS sketch
 * (linear counting: within a few percent up to a few hundred values,
 * saturating near 3,200). */
double window_sketch_count(const uint64_t *sketch);
/* Whether a sketch of peers (peers, clients) has peer's bit set. */
int window_sketch_has(const uint64_t *sketch, const ip_addr *peer);
/* The bit of peer in a refused_to sketch. */
uint64_t window_refused_bit(const ip_addr *peer);

struct window_stats {
	uint64_t packets;        /* events offered */
	uint64_t late;           /* dropped: their window had closed */
	uint64_t evicted;        /* dropped: the window was full of sources */
	uint64_t filtered;       /* not counted: excluded by the filter */
	uint64_t split;          /* flow records credited to several windows, pro rata */
	uint64_t samples;        /* samples emitted (taken by the consumer) */
	uint64_t refused;        /* samples the consumer could not take (its error returned) */
	uint64_t windows;        /* windows closed */
	size_t bytes;            /* memory held by samples now (0 once flushed) */
	size_t peak_bytes;       /* largest memory held at once by samples */
};

struct window_table;

/* Called for every sample of a closing window, in address order. Returns
 * 0, or -errno when the sample could not be taken (the table counts it as
 * refused and returns the error from the call that closed the window). */
typedef int (*window_emit_fn)(void *ctx, int64_t window_start, const ip_addr *src,
			      const struct window_counters *c);

/* loc (borrowed, may be NULL: private/global only) classifies addresses. */
struct window_table *window_table_new(uint32_t window_seconds, uint32_t lateness_seconds,
				      size_t max_samples, const struct location_table *loc);
void window_table_free(struct window_table *t);
/* Counts only what f lets through (borrowed; NULL: everything). */
void window_table_set_filter(struct window_table *t, const struct filter *f);
/* Counts only the hosts of the networks home (borrowed; NULL: every host):
 * samples of their packets, answers to them. A sensor's share of traffic
 * that other sensors see too (two site mirrors both see the traffic between
 * the sites): with each host at home at one sensor, that sees all of its
 * traffic, the merge of their parts is what one sensor seeing everything
 * counts. */
void window_table_set_home(struct window_table *t, const struct filter_nets *home);

/* Counts one decoded packet; first closes (and emits) the windows whose end
 * plus lateness is at or before the packet's time. Returns 0, -ENOMEM (the
 * packet's sample could not be made), or the first error of emit. A packet
 * late for its window, filtered out, or from a source beyond a full window
 * is counted in the stats and is no error. */
int window_table_add(struct window_table *t, const struct packet_info *p, window_emit_fn emit,
		     void *ctx);
/* Counts the n packets of p in turn, as window_table_add does, and stops
 * at the first error. Faster than a call a packet: while one packet is
 * counted, the memory of those that follow is fetched (a sample a source,
 * spread over megabytes). Returns 0 or the first error. */
int window_table_add_batch(struct window_table *t, const struct packet_info *p, size_t n,
			   window_emit_fn emit, void *ctx);
/* Counts one flow record, as its reader's direction says (a connection
 * log's opener or answer), else as its flags and ports suggest. A flow that
 * lasted past the end of the window it started in is counted in each window
 * its duration covers (up to 1024, its last ones), a flow there with its
 * packets and bytes by the share of its duration in the window (a part
 * without a packet is left out); its SYNs, answers and RSTs count in its
 * first window. Each part is an event of the stats (late, if its window
 * has closed). Returns as window_table_add. */
int window_table_add_flow(struct window_table *t, const struct flow_record *r, window_emit_fn emit,
			  void *ctx);
/* A flow_record_fn context that counts records into a table: readers of
 * flow records (export datagrams, flow CSV) hand it window_flow_sink_add. */
struct window_flow_sink {
	struct window_table *t;
	window_emit_fn emit;
	void *ctx;
	int failed; /* set when a record could not be counted or a window not emitted */
};
void window_flow_sink_add(void *sink, const struct flow_record *r);

/* Counts one IDS alert at time ts: as an event of src towards dst:dport
 * (no protocol), plus one for the signature's service term. Returns as
 * window_table_add. */
int window_table_add_alert(struct window_table *t, int64_t ts, const ip_addr *src,
			   const ip_addr *dst, uint16_t sport, uint16_t dport, uint32_t sid,
			   window_emit_fn emit, void *ctx);
/* Closes and emits the windows whose end plus lateness is at or before now
 * (a live source's wall clock: quiet networks still close their windows).
 * Returns 0 or the first error of emit. */
int window_table_advance(struct window_table *t, int64_t now, window_emit_fn emit, void *ctx);
/* Called after the last sample of each closing window was emitted (NULL:
 * not told), with the samples taken and those the consumer refused. A
 * daemon scores the window there. */
typedef void (*window_closed_fn)(void *ctx, int64_t window_start, size_t samples, size_t refused);
void window_table_on_close(struct window_table *t, window_closed_fn fn, void *ctx);

/* A table may count one part of the traffic: a capture worker's share
 * (daemon: the packets of some sources). An answer it sees then may be for
 * a host whose sample another part holds: answers to hosts the table has
 * no sample of are kept with the window, handed over with its samples (the
 * set's answers), and applied when the parts are merged
 * (features/merge.h), to the host's sample if any part has one. A whole
 * table drops them (the answered host sent nothing in the window). */
struct window_answer {
	ip_addr to;
	uint32_t events;                  /* answers seen (at least 1: the slot is used) */
	uint32_t synack, rst, unreach;    /* its counters' share: synack_received, ... */
	uint64_t bytes;                   /* received_bytes */
};
/* Adds an answer's counters to the sample of the host it went to. */
static inline void window_answer_apply(struct window_counters *c, const struct window_answer *a)
{
	c->synack_received += a->synack;
	c->rst_received += a->rst;
	c->unreach_received += a->unreach;
	c->received_bytes += a->bytes;
}
void window_table_set_partial(struct window_table *t);
/* A partial table whose samples go elsewhere to be merged with other
 * sensors' (features/part_wire.h): each sample handed over keeps its
 * distinct values (net_sample.seen), so that the merge counts the union of
 * destinations, ports, pairs and flows, not their sum. */
void window_table_keep_distinct(struct window_table *t);
/* Sets c's destinations, ports, pairs, flows and flows opened from the
 * distinct values seen (a sample's, or a merge's union of them): one rule
 * for a whole table and a merge, so that a sample is the same whoever
 * counted it. */
struct distinct;
void window_count_distinct(struct window_counters *c, const struct distinct *seen);
/* Where seen is estimated (beyond the exact limit a flow cannot be told
 * new), sets each of the n services' counts from its sketch of flows
 * (linear counting on 64 bits: exact for a few flows, within about 12 %
 * at 100, saturating near 266; the features clip a service at 100); an
 * IDS signature's count (a count of alerts, summed) stays. Exact: they
 * stay as counted. */
void window_count_terms(struct window_term *terms, uint32_t n, const struct distinct *seen);

/* A closing window's samples handed over whole, instead of emitted one by
 * one: no copy of a window is made. The set (features/sample.h) holds them
 * in address order, their host features zero, and is fn's from then on,
 * whatever fn returns (sample_set_free gives their memory back, from any
 * thread). fn returns 0, or -errno to have the samples counted refused. */
struct sample_set;
typedef int (*window_hand_over_fn)(void *ctx, int64_t window_start, struct sample_set *set);
/* Closed windows go to fn from now on; the emit arguments of the calls
 * that close windows are then not used (NULL). */
void window_table_hand_over(struct window_table *t, window_hand_over_fn fn, void *ctx);
/* Closes and emits every open window (end of input, shutdown). Returns 0 or
 * the first error of emit. */
int window_table_flush(struct window_table *t, window_emit_fn emit, void *ctx);
const struct window_stats *window_table_stats(const struct window_table *t);

/* The start of the window holding time t (a multiple of the length since
 * the epoch). */
int64_t window_start_of(int64_t t, uint32_t window_seconds);

/* The RSTs that refused its own SYNs: those received, up to the SYNs it
 * sent (a flood's victim gets RSTs for answers it never sent). */
static inline uint64_t window_refusals(const struct window_counters *c)
{
	return c->rst_received < c->syn_sent ? c->rst_received : c->syn_sent;
}

#endif
