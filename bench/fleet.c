/* bench/fleet: what a fleet's sensors and scorers spend on a window, on
 * one core. SOURCES sources (default 100000) each open 1 to 16 TCP
 * connections (most a few) to a pool of servers in one 60 s window, each
 * connection answered; two sensors see half of the connections each
 * (split by flow, as ECMP does). Each sensor's window is encoded as
 * PARTS partitions (features/part_wire.h); the scorer decodes all of them
 * and merges the window (features/merge.h).
 *
 * usage: fleet [SOURCES [PARTS]]
 * prints: "samples partial_samples bytes_per_sample encode_s decode_s merge_s
 *          partial_samples_per_s" (decoded and merged, on one core) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "features/merge.h"
#include "features/part_wire.h"
#include "features/window.h"

#define SENSORS 2

struct handed {
	struct sample_set set;
	int n;
};

static int take(void *ctx, int64_t start, struct sample_set *set)
{
	struct handed *h = ctx;
	(void)start;
	h->set = *set;
	h->n++;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static ip_addr v4(uint32_t a)
{
	ip_addr x = { 0 };
	x.b[10] = x.b[11] = 0xff;
	for (int i = 0; i < 4; i++)
		x.b[12 + i] = (uint8_t)(a >> (24 - 8 * i));
	return x;
}

static void add(struct window_table *t, int64_t ts, ip_addr s, ip_addr d, uint16_t sp, uint16_t dp,
		uint8_t flags, uint32_t len)
{
	struct packet_info p = { .ts_sec = ts,
				 .wire_len = len + 14,
				 .ip_len = len,
				 .family = 4,
				 .proto = 6,
				 .tcp_flags = flags,
				 .has_ports = 1,
				 .sport = sp,
				 .dport = dp,
				 .src = s,
				 .dst = d };
	if (window_table_add(t, &p, NULL, NULL) != 0) {
		fprintf(stderr, "fleet: out of memory\n");
		exit(1);
	}
}

/* The window counted by two sensors, split by connection. */
static void count(struct window_table **sensor, uint32_t sources)
{
	static const uint16_t ports[] = { 443, 443, 443, 80, 53, 22, 8080, 3389 };
	struct rng r;
	rng_seed(&r, 42);
	for (uint32_t i = 0; i < sources; i++) {
		ip_addr client = v4(0x0a000000u + i);
		int conns = 1 + (int)(rng_below(&r, 4) * rng_below(&r, 5)); /* 1..13, mostly few */
		for (int c = 0; c < conns; c++) {
			ip_addr server = v4(0xc0a80000u + (uint32_t)rng_below(&r, 2000));
			uint16_t dp = ports[rng_below(&r, 8)], sp = (uint16_t)(32768 + c);
			struct window_table *t = sensor[rng_below(&r, SENSORS)];
			int64_t ts = (int64_t)(i % 59);
			add(t, ts, client, server, sp, dp, TCP_SYN, 60);
			add(t, ts, server, client, dp, sp, TCP_SYN | TCP_ACK, 60);
			add(t, ts, client, server, sp, dp, TCP_ACK, 500);
			add(t, ts, server, client, dp, sp, TCP_ACK, 1400);
		}
	}
}

int main(int argc, char **argv)
{
	uint32_t sources = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	uint32_t parts = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 16;
	struct window_table *sensor[SENSORS];
	struct handed h[SENSORS] = { 0 };
	if (!sources || !parts || parts > PART_WIRE_MAX_PARTS) {
		fprintf(stderr, "usage: fleet [SOURCES [PARTS]]\n");
		return 64;
	}
	for (int s = 0; s < SENSORS; s++) {
		sensor[s] = window_table_new(60, 0, (size_t)sources * 4, NULL);
		window_table_keep_distinct(sensor[s]);
		window_table_hand_over(sensor[s], take, &h[s]);
	}
	count(sensor, sources);
	struct part_buf *bufs = calloc((size_t)SENSORS * parts, sizeof *bufs);
	size_t partial = 0, bytes = 0;
	double t0 = now();
	for (int s = 0; s < SENSORS; s++) {
		window_table_flush(sensor[s], NULL, NULL);
		if (h[s].n != 1 ||
		    part_wire_encode(&h[s].set, 0, 60, parts, &bufs[s * parts]) < 0) {
			fprintf(stderr, "fleet: expected one window, encoded\n");
			return 1;
		}
		partial += h[s].set.n;
	}
	double encode = now() - t0;
	struct sample_set *in = calloc((size_t)SENSORS * parts, sizeof *in), merged;
	char err[256];
	t0 = now();
	for (uint32_t i = 0; i < SENSORS * parts; i++) {
		struct part_header hd;
		bytes += bufs[i].len;
		if (part_wire_decode(bufs[i].data, bufs[i].len, &hd, &in[i], err, sizeof err) < 0) {
			fprintf(stderr, "fleet: %s\n", err);
			return 1;
		}
	}
	double decoded = now() - t0;
	if (sample_set_merge(in, (int)(SENSORS * parts), &merged, NULL) < 0)
		return 1;
	double merge = now() - t0;
	printf("%zu %zu %.1f %.3f %.3f %.3f %.0f\n", merged.n, partial,
	       (double)bytes / (double)partial, encode, decoded, merge - decoded,
	       (double)partial / merge);
	sample_set_free(&merged);
	for (int s = 0; s < SENSORS; s++) {
		sample_set_free(&h[s].set);
		window_table_free(sensor[s]);
	}
	for (uint32_t i = 0; i < SENSORS * parts; i++)
		part_buf_free(&bufs[i]);
	free(bufs);
	free(in);
	return 0;
}
