#include "sinks/sample_csv.h"

#include <stdint.h>
#include <errno.h>
#include <string.h>

void sample_csv_header(FILE *out)
{
	fputs("window_start,src_ip,packets,bytes,flows,dst_ips,dst_ports,dst_pairs,tcp_packets,"
	     "udp_packets,icmp_packets,other_packets,syn_sent,synack_received,syn_unanswered,"
	     "rst_sent,rst_received,unreach_received\n", out);
}

/* Decimal digits of v at p; returns the end. (printf spent more time on
 * these rows than counting the packets did.) Two digits a division, from a
 * table: with many short-lived sources, rows of small counters are written
 * as fast as packets are counted, and most counters are below ten. */
static char *put_u64(char *p, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	int n = 2;
	for (uint64_t x = v; x >= 100; x /= 10)
		n++;
	char *end = p + n, *q = end;
	for (; v >= 100; v /= 100) {
		q -= 2;
		memcpy(q, pairs + v % 100 * 2, 2);
	}
	if (v >= 10)
		memcpy(q - 2, pairs + v * 2, 2);
	else
		q[-1] = (char)('0' + v);
	return end;
}

int sample_csv_row(void *ctx, int64_t start, const ip_addr *src, const struct window_counters *c)
{
	struct sample_csv *rp = ctx;
	const uint64_t v[] = {
		c->packets,	   c->bytes,	     c->flows,	      c->dst_ips,
		c->dst_ports,	   c->dst_pairs,     c->tcp_packets,  c->udp_packets,
		c->icmp_packets,   c->other_packets, c->syn_sent,     c->synack_received,
		c->syn_unanswered, c->rst_sent,	     c->rst_received, c->unreach_received,
	};
	char line[ISOTIME_LEN + 48 + 21 * 16 + 2], *p = line;

	if (rp->window != start || !rp->when[0]) {
		isotime_format(start, rp->when);
		rp->window = start;
	}
	p = stpcpy(p, rp->when);
	*p++ = ',';
	ip_addr_str(src, p);
	p += strlen(p);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		*p++ = ',';
		p = put_u64(p, v[i]);
	}
	*p++ = '\n';
	size_t len = (size_t)(p - line);
	return fwrite(line, 1, len, rp->out) == len ? 0 : -EIO;
}
