#include "capture/capture.h"

#include <inttypes.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sysexits.h>

#include "common/config.h"
#include "common/cli.h"
#include "capture/file_times.h"
#include "common/log.h"
#include "common/queue.h"

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

/* A capture file opened for libpcap through stdio with a large buffer and
 * no locking: the default 4 KiB buffer costs a read(2) every 50 packets,
 * and only this thread reads the file. "-" is standard input. */
static pcap_t *open_capture(const char *path, char *errbuf, int *rc)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	pcap_t *p;

	if (!f) {
		*rc = errno == ENOENT ? EX_NOINPUT : EX_DATAERR;
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	if (!(p = pcap_fopen_offline(f, errbuf))) {
		*rc = EX_DATAERR;
		if (f != stdin)
			fclose(f);
	}
	return p;
}

/* One of several files read as one capture, with its next frame. */
struct merged_file {
	pcap_t *p;
	const char *name;
	int dlt;
	struct file_times times;
	struct pcap_pkthdr *hdr;     /* NULL once the file is done */
	const u_char *data;
};

/* An open capture. Frames are read through pcap_dispatch (cheaper per
 * frame than pcap_next_ex) and decoded in its callback; several files are
 * merged by time, a frame at a time. */
struct capture {
	pcap_t *p;                   /* NULL when merging */
	struct merged_file *files;   /* the merged files, or NULL */
	int n_files;
	pcap_t *failed;              /* the handle whose error ended the reading */
	const char *failed_name;     /* its file */
	char *name;                  /* file or interface, for messages */
	int dlt, live;
	struct decode_options decap; /* the tunnels taken off */
	struct file_times own_times; /* a single file's */
	struct file_times *times;    /* the file's of the frame read (NULL: live) */
	int read_error;              /* the reading ended in an error: */
	int corrupt;                 /* ... a record that cannot be (else the file was cut short) */
	long long corrupt_at;        /* ... the byte offset of that record's header */
	int frames_in_call;          /* frames the current pcap_dispatch delivered */
	uint64_t frames;             /* frames read in all */
	struct decode_tally *tally;
	struct packet_info *out;     /* IP packets are decoded into out[n++] ... */
	size_t n;
	struct netflow_decoder *nf;  /* ... or, for export datagrams, into out[0] and */
	struct window_flow_sink *sink; /* their records counted at once: the payload is
					* libpcap's buffer, valid only in the callback */
	struct window_flow_sink step_sink; /* capture_step's */
};

/* A flow record of an export datagram: its time checked (an exporter's
 * clock may be wrong where the capture's is not), then counted. */
static void add_exported_flow(void *ctx, const struct flow_record *r)
{
	struct capture *c = ctx;
	if (c->times)
		file_times_note(c->times, r->start_ms / 1000);
	window_flow_sink_add(c->sink, r);
}

static void decode_frame(u_char *arg, const struct pcap_pkthdr *hdr, const u_char *data)
{
	struct capture *c = (struct capture *)arg;
	struct packet_info *info = &c->out[c->n];

	info->ts_sec = hdr->ts.tv_sec;
	info->ts_usec = (uint32_t)hdr->ts.tv_usec;
	info->wire_len = hdr->len;
	c->frames_in_call++;
	if (c->times)
		file_times_note(c->times, hdr->ts.tv_sec);
	enum decode_result r = decode_packet(c->dlt, data, hdr->caplen, &c->decap, info);
	c->tally->frames++;
	c->tally->result[r]++;
	if (r != DECODE_OK)
		return;
	decode_tally_add(c->tally, info);
	if (!c->nf)
		c->n++;
	else if (info->proto == IP_PROTO_UDP && info->payload && !c->sink->failed)
		netflow_decode(c->nf, &info->src, info->payload, info->payload_len,
			       info->ts_sec * 1000 + info->ts_usec / 1000, add_exported_flow, c);
}

/* Notes the error that ended the reading of p (file name). A file cut
 * short in its last record (tcpdump killed, a file still being written) has
 * its end reached: the whole records before count. Otherwise a record
 * header was impossible (a length beyond any snapshot): the file is corrupt
 * there, and the offset of that header is kept. libpcap has read just the
 * header then: 16 bytes in a pcap file (version 2), 8 in a pcapng block. */
static void note_read_error(struct capture *c, pcap_t *p, const char *name)
{
	FILE *f = c->live ? NULL : pcap_file(p);

	c->read_error = 1;
	c->failed = p;
	c->failed_name = name;
	if (f && !feof(f)) {
		c->corrupt = 1;
		c->corrupt_at = (long long)ftello(f) - (pcap_major_version(p) == 2 ? 16 : 8);
	}
}

/* The next frame of one of the merged files into f->hdr and f->data; hdr
 * NULL at the file's end, or after an error (note_read_error). */
static void next_merged_frame(struct capture *c, struct merged_file *f)
{
	int rc = pcap_next_ex(f->p, &f->hdr, &f->data);
	if (rc == 1)
		return;
	if (rc == PCAP_ERROR)
		note_read_error(c, f->p, f->name);
	f->hdr = NULL;
}

static int earlier(const struct pcap_pkthdr *a, const struct pcap_pkthdr *b)
{
	return a->ts.tv_sec < b->ts.tv_sec ||
	       (a->ts.tv_sec == b->ts.tv_sec && a->ts.tv_usec < b->ts.tv_usec);
}

/* Up to max frames from the merged files, the earliest first (the first
 * file's on a tie, so that files in order read as one). */
static void read_merged(struct capture *c, int max)
{
	while (c->frames_in_call < max && !c->corrupt) {
		struct merged_file *next = NULL;
		for (int i = 0; i < c->n_files; i++)
			if (c->files[i].hdr && (!next || earlier(c->files[i].hdr, next->hdr)))
				next = &c->files[i];
		if (!next)
			return;
		c->dlt = next->dlt;
		c->times = &next->times;
		decode_frame((u_char *)c, next->hdr, next->data);
		next_merged_frame(c, next);
	}
}

/* Reads up to max frames, decoding the IP packets among them into out[]
 * (c->n of them). Returns the frames read: 0 at the end of the file, or
 * once an error ended the reading (note_read_error). */
static int read_frames(struct capture *c, struct packet_info *out, int max)
{
	c->out = out;
	c->n = 0;
	c->frames_in_call = 0;
	if (c->files)
		read_merged(c, max);
	else if (!c->read_error && /* libpcap would read on after the bad record */
		 pcap_dispatch(c->p, max, decode_frame, (u_char *)c) == PCAP_ERROR)
		note_read_error(c, c->p, c->name);
	c->frames += (uint64_t)c->frames_in_call;
	return c->frames_in_call;
}

/* What ended the reading of a file early. */
static const char *capture_error(const struct capture *c)
{
	return c->failed ? pcap_geterr(c->failed) : "read error";
}

/* Logs how the reading of a file ended, if an error ended it; returns
 * EX_DATAERR for a corrupt record, EX_OK for a file cut short (a warning:
 * its whole frames were read) or none. */
static int report_read_error(const struct capture *c)
{
	if (!c->read_error)
		return EX_OK;
	if (c->corrupt) {
		log_err("%s: corrupt record at byte offset %lld: %s; the rest of the file is "
			"not read", c->failed_name, c->corrupt_at, capture_error(c));
		return EX_DATAERR;
	}
	log_warn("%s: cut short inside its last record (%s): read up to its last whole frame, "
		 "%" PRIu64 " frames in all", c->failed_name, capture_error(c), c->frames);
	return EX_OK;
}

static int count_export_datagrams(struct capture *c, struct netflow_decoder *nf,
				  struct window_flow_sink *sink)
{
	struct packet_info scratch;
	c->nf = nf;
	c->sink = sink;
	while (!sink->failed && read_frames(c, &scratch, 64) > 0)
		;
	return sink->failed ? -1 : 0;
}

/* Packets are decoded on a second thread while this one counts them: the
 * two halves cost about the same, so a file is read in close to half the
 * time. Batches of decoded packets go round between them through two queues
 * (common/queue.h): filled ones to the counting side, counted ones back to
 * be filled again. The batches are made once, so that neither side
 * allocates, and their number bounds what is decoded ahead. A batch is
 * large, so that a side that finds nothing to take and sleeps pays its
 * wake-up once for thousands of packets: with 256 packets a batch the
 * hand-offs cost more than the spinning ring this replaced, with 2048
 * (four batches, 1.2 MiB, within L2) less. */
#define BATCH_PACKETS 2048
#define RELAY_BATCHES 4

struct batch {
	struct queue_link link;
	size_t n;
	struct packet_info pkt[BATCH_PACKETS];
};

struct decode_relay {
	struct queue *filled;  /* to the counting side; closed after the last batch */
	struct queue *empty;   /* back to the decoding side; closed when counting gives up */
	struct capture *capture;
	struct batch batches[RELAY_BATCHES];
};

/* Decodes frames into b until it is full or the reading ends. Returns
 * whether there may be more to read. */
static int fill_batch(struct capture *c, struct batch *b)
{
	b->n = 0;
	while (b->n < BATCH_PACKETS) {
		if (read_frames(c, b->pkt + b->n, (int)(BATCH_PACKETS - b->n)) == 0)
			return 0;
		b->n += c->n;
	}
	return 1;
}

/* The decoding side: fills each batch the counting side gives back. */
static void *decode_into_relay(void *arg)
{
	struct decode_relay *r = arg;
	struct queue_link *l;
	int more = 1;
	while (more && (l = queue_pop(r->empty))) {
		struct batch *b = queue_item(l, struct batch, link);
		more = fill_batch(r->capture, b);
		if (b->n && queue_push(r->filled, &b->link, 0) < 0) /* (closed only below) */
			break;
	}
	queue_close(r->filled);
	return NULL;
}

/* The counting side, on this thread, while the decoder thread runs. */
static int count_relayed(struct decode_relay *r, struct window_table *t, window_emit_fn emit,
			 void *ctx)
{
	struct queue_link *l;
	int rc = 0;
	while (rc == 0 && (l = queue_pop(r->filled))) {
		struct batch *b = queue_item(l, struct batch, link);
		rc = window_table_add_batch(t, b->pkt, b->n, emit, ctx);
		if (queue_push(r->empty, &b->link, 0) < 0) /* (closed only below) */
			break;
	}
	if (rc < 0) /* the decoder stops at its next batch */
		queue_close(r->empty);
	return rc;
}

/* Decodes and counts on this thread alone (no second thread to be had). */
static int count_unrelayed(struct decode_relay *r, struct window_table *t, window_emit_fn emit,
			   void *ctx)
{
	struct batch *b = &r->batches[0];
	int rc = 0, more = 1;
	while (rc == 0 && more) {
		more = fill_batch(r->capture, b);
		rc = window_table_add_batch(t, b->pkt, b->n, emit, ctx);
	}
	return rc;
}

static void relay_free(struct decode_relay *r)
{
	if (!r)
		return;
	queue_free(r->filled);
	queue_free(r->empty);
	free(r);
}

/* A relay of c's packets with every batch waiting to be filled. */
static struct decode_relay *relay_new(struct capture *c)
{
	struct decode_relay *r = calloc(1, sizeof *r);
	if (!r || !(r->filled = queue_new(0)) || !(r->empty = queue_new(0))) {
		relay_free(r);
		return NULL;
	}
	r->capture = c;
	for (int i = 0; i < RELAY_BATCHES; i++)
		if (queue_push(r->empty, &r->batches[i].link, 0) < 0) /* (not closed yet) */
			break;
	return r;
}

static int count_packets(struct capture *c, struct window_table *t, window_emit_fn emit, void *ctx)
{
	struct decode_relay *r = relay_new(c);
	pthread_t decoder;
	int rc;

	if (!r)
		return -1;
	if (pthread_create(&decoder, NULL, decode_into_relay, r) != 0) {
		rc = count_unrelayed(r, t, emit, ctx);
	} else {
		pthread_setname_np(decoder, "flowsad-decode"); /* as top -H shows it */
		rc = count_relayed(r, t, emit, ctx);
		pthread_join(decoder, NULL);
	}
	relay_free(r);
	return rc < 0 ? -1 : 0;
}

/* Checks the link type and sets the filter of a new handle. */
static int prepare(pcap_t *p, const char *name, const char *bpf, int *dlt)
{
	*dlt = pcap_datalink(p);
	if (!decode_link_supported(*dlt)) {
		log_err("%s: link type %s (%d) is not one flowsad decodes", name,
			pcap_datalink_val_to_name(*dlt) ? pcap_datalink_val_to_name(*dlt) : "?",
			*dlt);
		return EX_DATAERR;
	}
	return apply_filter(p, name, bpf);
}

/* A [decap] list of the ports of a tunnel kind (NULL: its default ones). */
static int decap_ports(struct decode_options *o, const char *key, int kind, const char *text)
{
	if (!text || decode_options_set_ports(o, kind, text) == 0)
		return EX_OK;
	log_err("[decap] %s: expected up to %d UDP ports (1-65535) separated by commas, got '%s'",
		key, DECODE_MAX_PORTS, text);
	return EX_CONFIG;
}

int capture_decap_options(const char *key, const char *decapsulate, const struct config *conf,
			  struct decode_options *o)
{
	unsigned tunnels;
	int rc = cli_tunnels(key, decapsulate, &tunnels);

	decode_options_init(o, tunnels);
	if (rc != EX_OK || !conf)
		return rc;
	if ((rc = decap_ports(o, "vxlan_ports", DECODE_TUNNEL_VXLAN, conf->vxlan_ports)) != EX_OK)
		return rc;
	return decap_ports(o, "geneve_ports", DECODE_TUNNEL_GENEVE, conf->geneve_ports);
}

static struct capture *new_capture(const char *name, const struct capture_options *o,
				   struct decode_tally *tally)
{
	struct capture *c = calloc(1, sizeof *c);
	if (c && !(c->name = strdup(name))) {
		free(c);
		c = NULL;
	}
	if (c)
		c->tally = tally, c->decap = o->decap;
	else
		log_err("%s: out of memory", name);
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	for (int i = 0; i < c->n_files; i++)
		if (c->files[i].p)
			pcap_close(c->files[i].p);
	free(c->files);
	free(c->name);
	free(c);
}

/* Each file open, with its first frame read. */
static int open_merged(struct capture *c, const char *const *paths, int n, const char *bpf)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	int rc = EX_OK;

	if (!(c->files = calloc((size_t)n, sizeof *c->files)))
		return EX_OSERR;
	for (int i = 0; i < n && rc == EX_OK; i++) {
		struct merged_file *f = &c->files[i];
		f->name = paths[i];
		file_times_init(&f->times, paths[i]);
		c->n_files++;
		if (!(f->p = open_capture(paths[i], errbuf, &rc)))
			log_err("%s: %s", paths[i], errbuf);
		else if ((rc = prepare(f->p, paths[i], bpf, &f->dlt)) == EX_OK)
			next_merged_frame(c, f);
	}
	if (rc == EX_OK && c->corrupt)
		rc = report_read_error(c);
	return rc;
}

struct capture *capture_open_files(const char *const *paths, int n,
				   const struct capture_options *o, struct decode_tally *tally,
				   int *rc)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct capture *c = new_capture(paths[0], o, tally);

	*rc = EX_OSERR;
	if (!c)
		return NULL;
	if (n > 1) {
		if ((*rc = open_merged(c, paths, n, o->bpf)) == EX_OK)
			return c;
	} else if (!(c->p = open_capture(paths[0], errbuf, rc))) {
		log_err("%s: %s", paths[0], errbuf);
	} else if ((*rc = prepare(c->p, c->name, o->bpf, &c->dlt)) == EX_OK) {
		file_times_init(&c->own_times, c->name);
		c->times = &c->own_times;
		return c;
	}
	capture_close(c);
	return NULL;
}

struct capture *capture_open_live(const char *iface, const struct capture_options *o,
				  struct decode_tally *tally, int *rc)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct capture *c = new_capture(iface, o, tally);
	int status;

	*rc = EX_OSERR;
	if (!c)
		return NULL;
	c->live = 1;
	if (!(c->p = pcap_create(iface, errbuf))) {
		log_err("%s: %s", iface, errbuf);
		capture_close(c);
		return NULL;
	}
	pcap_set_snaplen(c->p, (int)o->snaplen);
	pcap_set_promisc(c->p, 1);
	pcap_set_timeout(c->p, 100); /* ms a kernel block may wait before it is handed over */
	pcap_set_buffer_size(c->p, (int)(o->buffer > INT32_MAX ? INT32_MAX : o->buffer));
	if ((status = pcap_activate(c->p)) < 0) {
		log_err("%s: cannot capture: %s", iface,
			status == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(status));
		*rc = status == PCAP_ERROR_PERM_DENIED ? EX_NOPERM : EX_UNAVAILABLE;
	} else if (status > 0) {
		log_warn("%s: %s", iface, pcap_statustostr(status));
	}
	if (status >= 0 && pcap_setnonblock(c->p, 1, errbuf) < 0) {
		log_err("%s: %s", iface, errbuf);
		status = -1;
	}
	if (status >= 0 && (*rc = prepare(c->p, c->name, o->bpf, &c->dlt)) == EX_OK)
		return c;
	capture_close(c);
	return NULL;
}

int capture_fd(const struct capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->p) : -1;
}

int capture_step(struct capture *c, int max, struct window_table *t, window_emit_fn emit, void *ctx,
		 struct netflow_decoder *nf)
{
	struct packet_info pkt[64];
	int frames = 0, n;

	c->step_sink = (struct window_flow_sink){ t, emit, ctx, 0 };
	c->nf = nf;
	c->sink = &c->step_sink;
	while (frames < max &&
	       (n = read_frames(c, pkt, max - frames < 64 ? max - frames : 64)) > 0) {
		frames += n;
		int rc = window_table_add_batch(t, pkt, c->n, emit, ctx);
		if (rc < 0 || c->step_sink.failed) {
			log_err("%s: %s", c->name, rc < 0 ? strerror(-rc) : "out of memory");
			return -1;
		}
	}
	if (c->read_error && c->live) {
		log_err("%s: %s", c->name, capture_error(c));
		return -1;
	}
	if (c->read_error && frames == 0) /* the end of the file, as the error left it */
		return report_read_error(c) == EX_OK ? 0 : -1;
	return frames;
}

void capture_counts(const struct capture *c, uint64_t *received, uint64_t *dropped)
{
	struct pcap_stat st;
	*received = *dropped = 0;
	if (c->live && pcap_stats(c->p, &st) == 0) {
		*received = st.ps_recv;
		*dropped = (uint64_t)st.ps_drop + st.ps_ifdrop;
	}
}

int capture_read(const char *const *paths, int n, const struct capture_options *o,
		 struct window_table *t, window_emit_fn emit, void *ctx,
		 struct decode_tally *tally, struct netflow_decoder *nf)
{
	struct window_flow_sink sink = { t, emit, ctx, 0 };
	int rc;
	struct capture *c = capture_open_files(paths, n, o, tally, &rc);

	if (!c)
		return rc;
	if (n > 1)
		log_info("%d capture files read as one, merged by time", n);
	if ((nf ? count_export_datagrams(c, nf, &sink) : count_packets(c, t, emit, ctx)) < 0) {
		log_err("%s: out of memory", c->name);
		rc = EX_OSERR;
	} else {
		rc = report_read_error(c);
	}
	capture_close(c);
	return rc;
}

void capture_log_summary(const struct decode_tally *tally, const struct window_stats *ws)
{
	char reasons[512] = "";
	size_t off = 0;

	for (int r = DECODE_TRUNC_LINK; r < DECODE_N_RESULTS; r++)
		if (tally->result[r] && off < sizeof reasons)
			off += (size_t)snprintf(reasons + off, sizeof reasons - off, " %s=%" PRIu64,
						decode_result_name((enum decode_result)r),
						tally->result[r]);
	log_info("frames %" PRIu64 ": IP %" PRIu64 " (%" PRIu64 " out of tunnels), not IP %" PRIu64
		 ", malformed %" PRIu64 "%s%s",
		 tally->frames, tally->result[DECODE_OK], tally->tunnelled,
		 tally->result[DECODE_NOT_IP],
		 tally->frames - tally->result[DECODE_OK] - tally->result[DECODE_NOT_IP],
		 off ? ":" : "", reasons);
	for (int i = 0; i < tally->n_tunnels; i++) {
		char src[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN];
		const struct decode_tunnel_count *e = &tally->tunnel[i];
		log_info("tunnel %s %s -> %s: %" PRIu64 " packets taken out, %" PRIu64
			 " outer bytes",
			 decode_tunnel_name(e->kind), ip_addr_str(&e->src, src),
			 ip_addr_str(&e->dst, dst), e->packets, e->bytes);
	}
	capture_log_windows(ws);
}

void capture_log_windows(const struct window_stats *ws)
{
	log_info("samples %" PRIu64 " in %" PRIu64 " windows; late %" PRIu64 ", evicted %" PRIu64
		 ", flows split over windows %" PRIu64 "; peak sample memory %zu KiB",
		 ws->samples, ws->windows, ws->late, ws->evicted, ws->split,
		 ws->peak_bytes / 1024);
}

void capture_log_netflow(const struct netflow_decoder *nf)
{
	const uint64_t *n = netflow_counters(nf);
	char line[512];
	size_t off = 0;

	for (int i = 0; i < NF_N_COUNTERS && off < sizeof line; i++)
		off += (size_t)snprintf(line + off, sizeof line - off, "%s%s %" PRIu64,
					i ? ", " : "",
					netflow_counter_name((enum netflow_counter)i), n[i]);
	log_info("netflow: %s", line);
}
