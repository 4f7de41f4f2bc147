/* bench/gen_history: a history of N samples for the retraining benchmark:
 * hourly windows of 20000 sources each, counters of network-like
 * magnitudes and a few service terms per sample from 60 services.
 * usage: gen_history DIR N */
#include <stdio.h>
#include <stdlib.h>

#include "store/history.h"
#include "base/rng.h"

#define SOURCES 20000

int main(int argc, char **argv)
{
	char err[256];
	struct rng r;
	struct window_term (*terms)[4] = calloc(SOURCES, sizeof *terms);
	long n = argc == 3 ? atol(argv[2]) : 0;
	struct history *h = n > 0 ? history_open(argv[1], 366u * 86400, 0, err, sizeof err) : NULL;
	struct sample_set set = { 0 };

	if (!h || !terms)
		return fprintf(stderr, "usage: gen_history DIR N\n"), 64;
	rng_seed(&r, 7);
	struct net_sample *store = calloc(SOURCES, sizeof *store);
	set.s = calloc(SOURCES, sizeof *set.s);
	for (int i = 0; store && set.s && i < SOURCES; i++)
		set.s[i] = &store[i];
	for (long done = 0, w = 0; done < n; w++) {
		set.n = 0;
		for (int i = 0; i < SOURCES && done < n; i++, done++) {
			struct net_sample *s = set.s[set.n++];
			uint64_t packets = 1 + rng_below(&r, 1000) * (1 + rng_below(&r, 10));
			s->window_start = 1795910400 + w * 3600;
			s->src.b[10] = s->src.b[11] = 0xff;
			s->src.b[12] = 10, s->src.b[13] = (uint8_t)(i >> 8),
			s->src.b[15] = (uint8_t)i;
			s->c = (struct window_counters){
				.packets = packets,
				.bytes = packets * (60 + rng_below(&r, 1400)),
				.flows = 1 + packets / 10,
				.tcp_packets = packets / 2,
				.udp_packets = packets / 3,
				.icmp_packets = packets / 50,
				.dst_ips = 1 + rng_below(&r, 30),
				.dst_ports = 1 + rng_below(&r, 8),
				.dst_pairs = 1 + rng_below(&r, 40),
				.syn_sent = rng_below(&r, 20),
				.synack_received = rng_below(&r, 20),
				.rst_received = rng_below(&r, 3),
			};
			uint32_t k = 1 + (uint32_t)rng_below(&r, 4);
			for (uint32_t j = 0; j < k; j++) /* sorted by key, as windows emit them */
				terms[i][j] = (struct window_term){
					WINDOW_TERM(0, 6, 20 + j * 15 + rng_below(&r, 15)),
					1 + (uint32_t)rng_below(&r, 50), 0 };
			s->c.terms = s->terms = terms[i];
			s->c.n_terms = k;
		}
		if (history_append(h, &set) < 0) /* a window at a time, as the daemon writes */
			return perror(argv[1]), 74;
	}
	free(set.s);
	free(store);
	free(terms);
	history_close(h);
	return 0;
}
