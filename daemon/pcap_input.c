#include "pcap_input.h"

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"

static int apply_filter(pcap_t *p, const char *path, const char *bpf)
{
	struct bpf_program prog;

	if (!bpf)
		return EX_OK;
	if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		log_err("%s: BPF filter '%s': %s", path, bpf, pcap_geterr(p));
		return EX_USAGE;
	}
	int rc = pcap_setfilter(p, &prog) < 0 ? EX_SOFTWARE : EX_OK;
	if (rc != EX_OK)
		log_err("%s: cannot set the BPF filter: %s", path, pcap_geterr(p));
	pcap_freecode(&prog);
	return rc;
}

int pcap_input_read(const char *path, const char *bpf, struct window_table *t,
		    window_emit_fn emit, void *ctx, struct decode_tally *tally,
		    struct netflow_decoder *nf)
{
	struct window_flow_sink sink = { t, emit, ctx, 0 };
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc, dlt;

	if (!p) {
		log_err("%s: %s", path, errbuf);
		return strstr(errbuf, "No such file") ? EX_NOINPUT : EX_DATAERR;
	}
	dlt = pcap_datalink(p);
	if (!decode_link_supported(dlt)) {
		log_err("%s: link type %s (%d) is not one flowsad decodes", path,
			pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?", dlt);
		pcap_close(p);
		return EX_DATAERR;
	}
	if ((rc = apply_filter(p, path, bpf)) != EX_OK) {
		pcap_close(p);
		return rc;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		struct packet_info info = { .ts_sec = hdr->ts.tv_sec, .ts_usec = (uint32_t)hdr->ts.tv_usec,
					    .wire_len = hdr->len };
		enum decode_result r = decode_packet(dlt, data, hdr->caplen, &info);
		tally->frames++;
		tally->result[r]++;
		if (nf && r == DECODE_OK && info.payload)
			netflow_decode(nf, &info.src, info.payload, info.payload_len,
				       info.ts_sec * 1000 + info.ts_usec / 1000, window_flow_sink_add, &sink);
		if ((!nf && r == DECODE_OK && window_table_add(t, &info, emit, ctx) < 0) || sink.failed) {
			log_err("%s: out of memory", path);
			pcap_close(p);
			return EX_OSERR;
		}
	}
	if (rc == PCAP_ERROR) /* a truncated file: what was read counts */
		log_warn("%s: %s (stopped after %" PRIu64 " frames)", path, pcap_geterr(p),
			 tally->frames);
	pcap_close(p);
	return EX_OK;
}

void pcap_input_log_summary(const struct decode_tally *tally, const struct window_stats *ws)
{
	char reasons[512] = "";
	size_t off = 0;

	for (int r = DECODE_TRUNC_LINK; r < DECODE_N_RESULTS; r++)
		if (tally->result[r] && off < sizeof reasons)
			off += (size_t)snprintf(reasons + off, sizeof reasons - off, " %s=%" PRIu64,
						decode_result_name((enum decode_result)r), tally->result[r]);
	log_info("frames %" PRIu64 ": IP %" PRIu64 ", not IP %" PRIu64 ", malformed %" PRIu64 "%s%s",
		 tally->frames, tally->result[DECODE_OK], tally->result[DECODE_NOT_IP],
		 tally->frames - tally->result[DECODE_OK] - tally->result[DECODE_NOT_IP],
		 off ? ":" : "", reasons);
	log_info("samples %" PRIu64 " in %" PRIu64 " windows; late %" PRIu64 ", evicted %" PRIu64
		 "; peak sample memory %zu KiB", ws->samples, ws->windows, ws->late, ws->evicted,
		 ws->peak_bytes / 1024);
}

void pcap_input_log_netflow(const struct netflow_decoder *nf)
{
	const uint64_t *n = netflow_counters(nf);
	char line[512];
	size_t off = 0;

	for (int i = 0; i < NF_N_COUNTERS && off < sizeof line; i++)
		off += (size_t)snprintf(line + off, sizeof line - off, "%s%s %" PRIu64, i ? ", " : "",
					netflow_counter_name((enum netflow_counter)i), n[i]);
	log_info("netflow: %s", line);
}
