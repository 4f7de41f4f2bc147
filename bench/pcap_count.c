/* bench/pcap_count: the floor for capture-file ingest: libpcap reads every
 * frame and a hash table counts packets per (minute, IPv4 source) of
 * untagged Ethernet frames; no other decoding. Prints "count SAMPLES". */
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
	uint64_t samples = 0;

	if (argc != 2)
		return 64;
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p || !t)
		return fprintf(stderr, "%s\n", err), 66;
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (h->caplen < 34 || d[12] != 0x08 || d[13] != 0x00)
			continue;
		uint32_t src;
		memcpy(&src, d + 26, 4);
		uint64_t key = ((uint64_t)(h->ts.tv_sec / 60) << 32 | src) + 1;
		uint64_t i = (key * 0x9e3779b97f4a7c15ull) >> 44;
		while (t[i].key && t[i].key != key)
			i = (i + 1) & (SLOTS - 1);
		samples += !t[i].key;
		t[i].key = key;
		t[i].packets++;
	}
	printf("count %llu\n", (unsigned long long)samples);
	pcap_close(p);
	free(t);
	return 0;
}
