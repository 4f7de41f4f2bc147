/* bench/gen_flood: a SYN flood from many sources, for the live-capture
 * benchmark: PACKETS TCP SYNs to one address (10.99.0.1, port 80) from
 * SOURCES distinct addresses in 10.128.0.0/9 taken in turn, so that each
 * window of a fast replay holds as many samples as possible. Ethernet,
 * 60-byte frames; the timestamps are 1 us apart (tcpreplay paces by --pps).
 *
 * usage: gen_flood OUT.pcap PACKETS SOURCES */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put16be(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

int main(int argc, char **argv)
{
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 }, rec[16], f[60] = { 0 };
	if (argc != 4)
		return fprintf(stderr, "usage: gen_flood OUT.pcap PACKETS SOURCES\n"), 64;
	long n = atol(argv[2]), sources = atol(argv[3]);
	FILE *out = fopen(argv[1], "wb");
	if (!out || n < 1 || sources < 1 || sources > (1L << 23))
		return 64;
	hdr[16] = 96, hdr[20] = 1; /* snaplen, Ethernet */
	fwrite(hdr, 1, sizeof hdr, out);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45, put16be(ip + 2, 40), ip[8] = 64, ip[9] = 6;
	ip[12] = 10, ip[16] = 10, ip[17] = 99, ip[19] = 1;
	put16be(tcp + 2, 80), tcp[12] = 0x50, tcp[13] = 0x02, put16be(tcp + 14, 64240);
	for (long i = 0; i < n; i++) {
		uint32_t s = (uint32_t)(i % sources), usec = (uint32_t)(i % 1000000);
		ip[13] = (uint8_t)(128 | s >> 16), ip[14] = (uint8_t)(s >> 8), ip[15] = (uint8_t)s;
		put16be(tcp, 1024 + (unsigned)(i % 60000));
		ip[10] = ip[11] = 0;
		put16be(ip + 10, checksum(ip, 20));
		uint32_t sec = 1772370000u + (uint32_t)(i / 1000000);
		memcpy(rec, &sec, 4), memcpy(rec + 4, &usec, 4);
		uint32_t len = sizeof f;
		memcpy(rec + 8, &len, 4), memcpy(rec + 12, &len, 4);
		fwrite(rec, 1, sizeof rec, out);
		fwrite(f, 1, sizeof f, out);
	}
	return fclose(out) ? 74 : 0;
}
