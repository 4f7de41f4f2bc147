/* bench/gen_pcap: a large synthetic Ethernet capture for the ingest
 * benchmark: many sources (a /16 of clients), realistic destination ports
 * (web, DNS, mail, SSH, ephemeral), TCP and UDP, 10 kpps of capture time so
 * that it spans several minutes. Each source carries on its current flow
 * with probability 0.9 (flows of 10 packets on average, as on the bundled
 * lab capture, 2.5 packets per nfdump flow, and busier on real links) and
 * starts a new one otherwise.
 *
 * With "zipf PPS", sources are drawn by a Zipf law (exponent 1: the busiest
 * ranks send most, a long tail sends a few packets a minute) at PPS packets
 * a second of capture time: the many short-lived sources of an internet
 * edge or a scan, where per-sample costs dominate.
 *
 * usage: gen_pcap OUT.pcap PACKETS SOURCES [zipf PPS] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A rank drawn by the cumulative weights cum [n]. */
static uint32_t zipf_draw(struct rng *r, const double *cum, long n)
{
	double u = (double)rng_below(r, 1ull << 53) / (double)(1ull << 53) * cum[n - 1];
	long lo = 0, hi = n - 1;
	while (lo < hi) {
		long mid = (lo + hi) / 2;
		if (cum[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

int main(int argc, char **argv)
{
	static const uint16_t ports[] = { 443, 443, 443, 80,   80,   53, 53,
					  22,  25,  993, 3306, 8080, 123 };
	uint8_t hdr[24] = { 0 }, rec[16 + 64];
	struct rng r;

	if (argc != 4 && !(argc == 6 && strcmp(argv[4], "zipf") == 0))
		return fprintf(stderr, "usage: gen_pcap OUT.pcap PACKETS SOURCES [zipf PPS]\n"), 64;
	long pps = argc == 6 ? atol(argv[5]) : 10000;
	if (pps < 1)
		return 64;
	FILE *f = fopen(argv[1], "wb");
	long n = atol(argv[2]), sources = atol(argv[3]);
	if (!f || n < 1 || sources < 1 || sources > 65536)
		return 64;
	put32(hdr, 0xa1b2c3d4);
	hdr[4] = 2, hdr[6] = 4;
	put32(hdr + 16, 96);
	put32(hdr + 20, 1);
	fwrite(hdr, 1, 24, f);
	rng_seed(&r, 1);
	uint64_t usec = 1772370000ull * 1000000;
	struct flow {
		uint16_t sport, dport;
		uint8_t dst, udp;
	} *cur = calloc((size_t)sources, sizeof *cur);
	double *zipf = argc == 6 ? malloc((size_t)sources * sizeof *zipf) : NULL; /* cumulative */
	if (!cur || (argc == 6 && !zipf))
		return 71;
	for (long k = 0; zipf && k < sources; k++)
		zipf[k] = (k ? zipf[k - 1] : 0) + 1.0 / (double)(k + 1);
	for (long i = 0; i < n; i++) {
		uint8_t *fr = rec + 16;
		uint32_t src = zipf ? zipf_draw(&r, zipf, sources)
				    : (uint32_t)rng_below(&r, (uint64_t)sources);
		struct flow *fl = &cur[src];
		if (fl->sport == 0 || rng_below(&r, 10) == 0) { /* a new flow */
			fl->udp = rng_below(&r, 4) == 0;
			fl->dport = rng_below(&r, 10) == 0
					    ? (uint16_t)(49152 + rng_below(&r, 16384))
					    : ports[rng_below(&r, sizeof ports / 2)];
			fl->sport = (uint16_t)(32768 + rng_below(&r, 28000));
			fl->dst = (uint8_t)rng_below(&r, 64);
		}
		int udp = fl->udp;
		uint16_t dport = fl->dport;
		usec += (uint64_t)(1000000 /
				   pps); /* by default 10 kpps: 5 M packets span 8 minutes */
		memset(fr, 0, 64);
		memcpy(fr, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00", 14);
		fr[14] = 0x45, fr[17] = 50, fr[22] = 64, fr[23] = udp ? 17 : 6;
		fr[26] = 10, fr[27] = 20, fr[28] = (uint8_t)(src >> 8), fr[29] = (uint8_t)src;
		fr[30] = 198, fr[31] = 51, fr[32] = 100, fr[33] = fl->dst;
		uint16_t sport = fl->sport;
		fr[34] = (uint8_t)(sport >> 8), fr[35] = (uint8_t)sport;
		fr[36] = (uint8_t)(dport >> 8), fr[37] = (uint8_t)dport;
		if (!udp) {
			fr[46] = 0x50;
			fr[47] = rng_below(&r, 8) == 0 ? 0x02 : 0x10;
		}
		put32(rec, (uint32_t)(usec / 1000000));
		put32(rec + 4, (uint32_t)(usec % 1000000));
		put32(rec + 8, 64);
		put32(rec + 12, 64);
		fwrite(rec, 1, sizeof rec, f);
	}
	free(cur);
	free(zipf);
	return fclose(f) == 0 ? 0 : 74;
}
