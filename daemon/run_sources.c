/* The daemon's sources: live interfaces and NetFlow/IPFIX listeners watched
 * by the loop, or capture files replayed a step at a time. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "inputs.h"
#include "log.h"
#include "metrics.h"

#define REPLAY_STEP 4096     /* frames read per turn of the loop while replaying */
#define LIVE_STEP 4096       /* frames or datagrams per readiness event */
#define PACING_HZ 100        /* turns per second of a paced replay */

/* A source that failed (an interface gone, a socket error) is closed and
 * the others go on; when none is left the daemon stops with an error, so
 * that systemd restarts it. */
static void close_failed(struct daemon *d, struct source_watch *s)
{
	int open = 0;
	log_err("%s: closed after the error above", s->name);
	ev_io_stop(d->loop, &s->io);
	capture_close(s->capture);
	udp_close(s->udp);
	s->capture = NULL;
	s->udp = NULL;
	for (int i = 0; i < d->n_live; i++)
		open += d->live[i].capture || d->live[i].udp || d->live[i].iface >= 0;
	if (!open) {
		d->exit_code = EX_UNAVAILABLE;
		daemon_stop(d, "no source is left");
	}
}

static void on_source(struct ev_loop *loop, ev_io *w, int revents)
{
	struct source_watch *s = (struct source_watch *)w;
	struct daemon *d = s->d;
	int n = s->capture ? capture_step(s->capture, LIVE_STEP, d->table, NULL, NULL, NULL)
			   : udp_step(s->udp, LIVE_STEP, d->nf, d->table, NULL, NULL);
	(void)loop, (void)revents;
	if (n < 0)
		close_failed(d, s);
}

static int watch_source(struct daemon *d, const char *name, struct capture *c,
			struct udp_listener *u)
{
	struct source_watch *s = &d->live[d->n_live++];
	s->d = d;
	s->name = name;
	s->capture = c;
	s->udp = u;
	s->iface = -1;
	ev_io_init(&s->io, on_source, c ? capture_fd(c) : udp_fd(u), EV_READ);
	ev_io_start(d->loop, &s->io);
	return EX_OK;
}

/* How the configuration says frames are read. */
static int capture_options(const struct config *c, struct capture_options *o)
{
	*o = (struct capture_options){ .bpf = c->bpf, .snaplen = c->snaplen,
				       .buffer = c->pcap_buffer };
	return cli_tunnels("[capture] decapsulate", c->decapsulate, &o->tunnels);
}

/* Threads that capture: [capture] workers, one a core by default; a
 * replay reads on the loop alone. */
static int capture_worker_count(const struct daemon *d)
{
	long n = d->conf.capture_workers ? (long)d->conf.capture_workers
					 : sysconf(_SC_NPROCESSORS_ONLN);
	if (d->args->n_files || n < 1)
		return 1;
	return n > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : (int)n;
}

/* The interfaces read by worker threads (their windows merged for the loop). */
static int open_workers(struct daemon *d, const struct capture_options *o, int n)
{
	const struct config *c = &d->conf;
	int rc;
	if (!(d->workers = capture_workers_open(c->interfaces, c->n_interfaces, n, o, &rc)))
		return rc;
	for (int i = 0; i < c->n_interfaces; i++)
		d->live[d->n_live++] = (struct source_watch){ .d = d, .name = c->interfaces[i],
							      .iface = i };
	return EX_OK;
}

int sources_open_live(struct daemon *d)
{
	const struct config *c = &d->conf;
	struct capture_options o;
	int rc = capture_options(c, &o), workers = capture_worker_count(d);

	if (rc != EX_OK)
		return rc;
	if (c->n_interfaces && workers > 1 && (rc = open_workers(d, &o, workers)) != EX_OK)
		return rc;

	if (c->exporters && filter_add_nets(&d->allow, c->exporters) < 0) {
		log_err("[netflow] exporters: expected addresses or CIDRs, got '%s'", c->exporters);
		return EX_CONFIG;
	}
	for (int i = 0; i < c->n_interfaces && !d->workers && rc == EX_OK; i++) {
		struct capture *cap = capture_open_live(c->interfaces[i], &o, &d->tally, &rc);
		if (cap) {
			log_info("capturing on %s", c->interfaces[i]);
			rc = watch_source(d, c->interfaces[i], cap, NULL);
		}
	}
	if (c->n_follow && rc == EX_OK)
		d->follow = follow_open(c->follow, c->n_follow, c->follow_positions, &rc);
	for (int i = 0; i < c->n_listen && rc == EX_OK; i++) {
		struct udp_listener *u = udp_listen(c->listen[i], c->udp_rcvbuf, &d->allow, &rc);
		if (u) {
			log_info("collecting NetFlow/IPFIX on %s", c->listen[i]);
			rc = watch_source(d, c->listen[i], NULL, u);
		}
	}
	return rc;
}

/* A source's counts: received and dropped (by the kernel or the interface
 * for a capture; for a listener, datagrams taken, from exporters not
 * allowed, and dropped by the kernel for want of buffer). */
uint64_t sources_counts(const struct source_watch *s, char *line, size_t len)
{
	if (s->iface >= 0) { /* and how the workers shared the frames of every interface */
		uint64_t received, dropped;
		struct capture_workers *w = s->d->workers;
		capture_workers_packets(w, s->iface, &received, &dropped);
		int off = snprintf(line, len, "%s: %" PRIu64 " packets received, %" PRIu64
				   " dropped; frames by worker:", s->name, received, dropped);
		for (int k = 0; k < capture_workers_count(w) && off > 0 && (size_t)off < len; k++)
			off += snprintf(line + off, len - (size_t)off, " %" PRIu64,
					capture_workers_frames(w, k));
		return dropped;
	}
	if (!s->capture && !s->udp) {
		snprintf(line, len, "%s: closed after an error", s->name);
		return s->drops_seen;
	}
	if (s->capture) {
		uint64_t received, dropped;
		capture_counts(s->capture, &received, &dropped);
		snprintf(line, len, "%s: %" PRIu64 " packets received, %" PRIu64 " dropped",
			 s->name, received, dropped);
		return dropped;
	}
	const struct udp_stats *u = udp_stats(s->udp);
	snprintf(line, len, "%s: %" PRIu64 " datagrams (%" PRIu64 " bytes), %" PRIu64
		 " from exporters not allowed, %" PRIu64 " dropped by the kernel", s->name,
		 u->datagrams, u->bytes, u->refused, u->kernel_drops);
	return u->kernel_drops;
}

/* Drops are reported as they happen (at most once a second a source). */
void sources_report_drops(struct daemon *d)
{
	char line[256];
	for (int i = 0; i < d->n_live; i++) {
		uint64_t drops = sources_counts(&d->live[i], line, sizeof line);
		if (drops > d->live[i].drops_seen)
			log_warn("%s (%" PRIu64 " new drops)", line, drops - d->live[i].drops_seen);
		d->live[i].drops_seen = drops;
	}
}

void sources_log(struct daemon *d)
{
	char line[256];
	for (int i = 0; i < d->n_live; i++) {
		sources_counts(&d->live[i], line, sizeof line);
		log_info("%s", line);
	}
	if (netflow_counters(d->nf)[NF_DATAGRAMS])
		pcap_input_log_netflow(d->nf);
	follow_log(d->follow);
}

int sources_listening(const struct daemon *d)
{
	for (int i = 0; i < d->n_live; i++)
		if (d->live[i].capture || d->live[i].udp)
			return 1;
	return d->follow != NULL || d->replay != NULL;
}

void sources_tally(const struct daemon *d, struct decode_tally *sum)
{
	*sum = d->tally;
	if (d->workers)
		capture_workers_tally(d->workers, sum);
}

/* The workers stop (their windows go to the parts); their handles stay
 * open until the end, for their counts. */
void sources_close(struct daemon *d)
{
	capture_workers_stop(d->workers);
	ev_idle_stop(d->loop, &d->replay_w);
	ev_timer_stop(d->loop, &d->pacing_w);
	capture_close(d->replay);
	d->replay = NULL;
	for (int i = 0; i < d->n_live; i++) {
		if (d->live[i].iface >= 0)
			continue;
		ev_io_stop(d->loop, &d->live[i].io);
		capture_close(d->live[i].capture);
		udp_close(d->live[i].udp);
		d->live[i].capture = NULL;
		d->live[i].udp = NULL;
	}
	if (d->follow && d->table) /* what was appended since the last second counts too */
		follow_poll(d->follow, time(NULL), d->table, NULL, NULL);
	follow_close(d->follow);
	d->follow = NULL;
}

/* How many of the files from the next one on are captures of format f:
 * they are replayed as one, merged by time. */
static int capture_run(struct daemon *d, enum input_format f)
{
	struct run_args *a = d->args;
	int n = 1;
	while (d->next_file + n < a->n_files &&
	       inputs_format(&a->common, a->files[d->next_file + n]) == f)
		n++;
	return n;
}

/* The next replay file, opened (CSV files are read whole here; a run of
 * capture files opens as one). Returns 0 when one is open, 1 when none is
 * left, -1 on error. */
static int next_replay_file(struct daemon *d)
{
	struct run_args *a = d->args;
	int rc;

	while (d->next_file < a->n_files) {
		const char *path = a->files[d->next_file];
		enum input_format f = inputs_format(&a->common, path);
		int n = inputs_is_records(f) ? 1 : capture_run(d, f);
		d->next_file += n;
		if (n > 1)
			log_info("replaying %s and %d more, merged by time", path, n - 1);
		else
			log_info("replaying %s", path);
		if (inputs_is_records(f)) {
			if (inputs_read_records(path, f, d->table, NULL, NULL) != EX_OK)
				return -1;
			continue;
		}
		if (f == INPUT_MATRIX_CSV) {
			log_err("%s: a feature matrix has no traffic to replay", path);
			return -1;
		}
		d->replay_format = f;
		struct capture_options o;
		if (capture_options(&d->conf, &o) != EX_OK)
			return -1;
		d->replay = capture_open_files((const char *const *)a->files + d->next_file - n, n,
					       &o, &d->tally, &rc);
		return d->replay ? 0 : -1;
	}
	return 1;
}

static void replay_turn(struct daemon *d, int frames)
{
	int n = 0;
	if (d->replay)
		n = capture_step(d->replay, frames, d->table, NULL, NULL,
				 d->replay_format == INPUT_NETFLOW_PCAP ? d->nf : NULL);
	if (n > 0)
		return;
	capture_close(d->replay);
	d->replay = NULL;
	int next = n < 0 ? -1 : next_replay_file(d);
	if (next == 1)
		daemon_stop(d, "end of the replayed files");
	else if (next < 0)
		d->exit_code = EX_DATAERR, daemon_stop(d, "a replayed file failed");
}

static void on_replay(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop, (void)revents;
	replay_turn(w->data, REPLAY_STEP);
}

static void on_paced_replay(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	(void)loop, (void)revents;
	replay_turn(d, (int)(d->args->replay_pps / PACING_HZ > 0 ? d->args->replay_pps / PACING_HZ
								 : 1));
}

void sources_start_replay(struct daemon *d)
{
	d->progress_at = time(NULL);
	if (d->args->replay_pps) {
		ev_timer_init(&d->pacing_w, on_paced_replay, 0, 1.0 / PACING_HZ);
		d->pacing_w.data = d;
		ev_timer_start(d->loop, &d->pacing_w);
	} else {
		ev_idle_init(&d->replay_w, on_replay);
		d->replay_w.data = d;
		ev_idle_start(d->loop, &d->replay_w);
	}
}

/* --- metrics -------------------------------------------------------------------------------- */

/* The outer headers of tunnelled packets, per tunnel (kind and endpoints). */
static void write_tunnels(const struct decode_tally *t, FILE *out)
{
	char labels[256], src[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN];
	fprintf(out,
		"# HELP flowsad_tunnel_packets_total Packets taken out of a tunnel, per "
		"tunnel kind and outer endpoints (\"other\" beyond %d tunnels).\n"
		"# TYPE flowsad_tunnel_packets_total counter\n"
		"# HELP flowsad_tunnel_bytes_total Their outer IP bytes.\n"
		"# TYPE flowsad_tunnel_bytes_total counter\n",
		DECODE_TALLY_TUNNELS);
	for (int i = 0; i < t->n_tunnels; i++) {
		const struct decode_tunnel_count *e = &t->tunnel[i];
		snprintf(labels, sizeof labels, "{kind=\"%s\",src=\"%s\",dst=\"%s\"}",
			 decode_tunnel_name(e->kind), ip_addr_str(&e->src, src),
			 ip_addr_str(&e->dst, dst));
		metrics_labelled(out, "tunnel_packets_total", labels, (double)e->packets);
		metrics_labelled(out, "tunnel_bytes_total", labels, (double)e->bytes);
	}
	if (t->n_tunnels == DECODE_TALLY_TUNNELS) {
		metrics_labelled(out, "tunnel_packets_total", "{kind=\"other\"}",
			 (double)t->other_tunnel_packets);
		metrics_labelled(out, "tunnel_bytes_total", "{kind=\"other\"}",
			 (double)t->other_tunnel_bytes);
	}
}

static const char *result_name(int r)
{
	return decode_result_name((enum decode_result)r);
}

/* The NetFlow/IPFIX decoder's counts, one metric a kind of thing counted
 * (a label partitions one quantity, never mixes several). */
static void write_netflow(const struct netflow_decoder *nf, FILE *out)
{
	static const struct {
		enum netflow_counter c;
		const char *metric, *label;
	} parts[] = {
		{ NF_TEMPLATES, "netflow_templates_total", "event=\"accepted\"" },
		{ NF_WITHDRAWALS, "netflow_templates_total", "event=\"withdrawn\"" },
		{ NF_TEMPLATE_LIMIT, "netflow_templates_total", "event=\"refused\"" },
		{ NF_NO_TEMPLATE, "netflow_errors_total", "reason=\"no_template\"" },
		{ NF_SEQUENCE_GAPS, "netflow_errors_total", "reason=\"sequence_gap\"" },
		{ NF_BAD_VERSION, "netflow_errors_total", "reason=\"bad_version\"" },
		{ NF_TRUNCATED, "netflow_errors_total", "reason=\"truncated\"" },
		{ NF_BAD_TEMPLATE, "netflow_errors_total", "reason=\"bad_template\"" },
	};
	const uint64_t *c = netflow_counters(nf);
	char labels[64];
	metrics_value(out, "netflow_datagrams_total", "counter", "Export datagrams decoded.", NULL,
		      (double)c[NF_DATAGRAMS]);
	metrics_value(out, "netflow_records_total", "counter", "Flow records decoded.", NULL,
		      (double)c[NF_RECORDS]);
	metrics_value(out, "netflow_exporters_evicted_total", "counter",
		      "Exporters forgotten (the one silent longest) for new ones.", NULL,
		      (double)c[NF_EXPORTERS_EVICTED]);
	fprintf(out,
		"# HELP flowsad_netflow_templates_total Templates accepted (new or refreshed), "
		"withdrawn, or refused (the exporter holds its maximum).\n"
		"# TYPE flowsad_netflow_templates_total counter\n"
		"# HELP flowsad_netflow_errors_total Export data not trusted, by reason (records "
		"without their template are dropped).\n"
		"# TYPE flowsad_netflow_errors_total counter\n");
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		snprintf(labels, sizeof labels, "{%s}", parts[i].label);
		metrics_labelled(out, parts[i].metric, labels, (double)c[parts[i].c]);
	}
}

/* Each live capture's packets received and lost; with workers, the frames
 * each one read (how evenly the sources spread). */
static void write_captures(const struct daemon *d, FILE *out)
{
	char labels[256];
	fprintf(out,
		"# HELP flowsad_capture_packets_total Packets a live capture received or lost.\n"
		"# TYPE flowsad_capture_packets_total counter\n");
	for (int i = 0; i < d->n_live; i++) {
		const struct source_watch *s = &d->live[i];
		uint64_t received, dropped;
		if (s->iface >= 0)
			capture_workers_packets(d->workers, s->iface, &received, &dropped);
		else if (s->capture)
			capture_counts(s->capture, &received, &dropped);
		else
			continue;
		snprintf(labels, sizeof labels, "{source=\"%s\",state=\"received\"}", s->name);
		metrics_labelled(out, "capture_packets_total", labels, (double)received);
		snprintf(labels, sizeof labels, "{source=\"%s\",state=\"dropped\"}", s->name);
		metrics_labelled(out, "capture_packets_total", labels, (double)dropped);
	}
	if (!d->workers)
		return;
	fprintf(out, "# HELP flowsad_capture_worker_frames_total Frames each capture worker read "
		     "(the kernel gives a source's packets to one worker).\n"
		     "# TYPE flowsad_capture_worker_frames_total counter\n");
	for (int k = 0; k < capture_workers_count(d->workers); k++) {
		snprintf(labels, sizeof labels, "{worker=\"%d\"}", k);
		metrics_labelled(out, "capture_worker_frames_total", labels,
				 (double)capture_workers_frames(d->workers, k));
	}
}

void sources_write_metrics(void *ctx, FILE *out)
{
	const struct daemon *d = ctx;
	struct decode_tally tally;
	char labels[256];
	sources_tally(d, &tally);
	metrics_value(out, "frames_total", "counter", "Frames read from captures.", NULL,
		      (double)tally.frames);
	metrics_value(
		out, "decode_tunnelled_total", "counter",
		"IP packets counted from inside a tunnel (GRE, ERSPAN, VXLAN, Geneve, IP in IP, "
		"Teredo).",
		NULL, (double)tally.tunnelled);
	write_tunnels(&tally, out);
	metrics_counter_family(out, "decode_total",
		       "Frames by decoding outcome (ok, not_ip, malformed reasons).", "result",
		       result_name, tally.result, DECODE_N_RESULTS);
	write_captures(d, out);
	fprintf(out,
		"# HELP flowsad_udp_datagrams_total Export datagrams taken, refused (exporter not "
		"allowed) or dropped by the kernel.\n"
		"# TYPE flowsad_udp_datagrams_total counter\n");
	for (int i = 0; i < d->n_live; i++) {
		const struct source_watch *s = &d->live[i];
		if (!s->udp)
			continue;
		const struct udp_stats *u = udp_stats(s->udp);
		const char *states[] = { "taken", "refused", "dropped" };
		uint64_t values[] = { u->datagrams, u->refused, u->kernel_drops };
		for (int k = 0; k < 3; k++) {
			snprintf(labels, sizeof labels, "{source=\"%s\",state=\"%s\"}", s->name,
				 states[k]);
			metrics_labelled(out, "udp_datagrams_total", labels, (double)values[k]);
		}
	}
	write_netflow(d->nf, out);
}
