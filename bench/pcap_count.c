/* bench/pcap_count: the floor for capture-file ingest: libpcap reads every
 * frame and a hash table counts packets per (minute, IPv4 source) of
 * untagged Ethernet frames; no other decoding. A minute's entries are
 * dropped when a later minute begins (the table holds one minute's sources,
 * as a window table does), at a cost in proportion to them. Prints "count
 * SAMPLES". */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (1u << 20)

struct slot {
	uint64_t key;
	uint64_t packets;
};

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct slot *t = calloc(SLOTS, sizeof *t);
	uint32_t *used = malloc(SLOTS * sizeof *used), n_used = 0;
	uint64_t samples = 0;
	long minute = -1;

	if (argc != 2)
		return 64;
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p || !t || !used)
		return fprintf(stderr, "%s\n", err), 66;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (h->caplen < 34 || d[12] != 0x08 || d[13] != 0x00)
			continue;
		uint32_t src;
		memcpy(&src, d + 26, 4);
		if (h->ts.tv_sec / 60 > minute) { /* a new minute: the old one's sources go */
			for (uint32_t k = 0; k < n_used; k++)
				t[used[k]].key = 0;
			n_used = 0;
			minute = h->ts.tv_sec / 60;
		}
		uint64_t key = ((uint64_t)(h->ts.tv_sec / 60) << 32 | src) + 1;
		uint64_t i = (key * 0x9e3779b97f4a7c15ull) >> 44;
		while (t[i].key && t[i].key != key)
			i = (i + 1) & (SLOTS - 1);
		if (!t[i].key) {
			samples++;
			if (n_used == SLOTS - 1)
				return fprintf(stderr, "more than %u sources in a minute\n",
					       SLOTS - 1),
				       70;
			used[n_used++] = (uint32_t)i;
		}
		t[i].key = key;
		t[i].packets++;
	}
	printf("count %llu\n", (unsigned long long)samples);
	pcap_close(p);
	free(used);
	free(t);
	return 0;
}
