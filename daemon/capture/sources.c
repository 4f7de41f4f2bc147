/* The daemon's sources (sources.h). */
#include "capture/sources.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "capture/follow.h"
#include "capture/inputs.h"
#include "common/log.h"
#include "common/metrics.h"
#include "capture/capture.h"
#include "capture/udp_listener.h"

#define REPLAY_STEP 4096     /* frames read per turn of the loop while replaying */
#define LIVE_STEP 4096       /* frames or datagrams per readiness event */
#define PACING_HZ 100        /* turns per second of a paced replay */

/* A source the loop watches: a capture or a listener; or an interface the
 * workers read (its counts only). */
struct source_watch {
	ev_io io;
	struct sources *s;
	char *name;                     /* a copy: a reload frees the configuration's */
	struct capture *capture;        /* or */
	struct udp_listener *udp;       /* (both NULL once closed after an error) */
	int iface;                      /* read by the workers: the interface index (else -1) */
	uint64_t drops_seen;            /* drops already reported */
};

struct sources {
	struct ev_loop *loop;
	const struct config *conf;
	struct sources_input in;
	struct sources_hooks hooks;
	struct netflow_decoder *nf;     /* the listeners' and replayed exports' */
	struct decode_tally tally;      /* the loop's own reading */
	struct filter_nets allow;       /* exporters allowed */
	struct source_watch live[2 * CONFIG_MAX_LIST];
	int n_live;
	struct capture_workers *workers;/* or NULL */
	struct follower *follow;        /* followed connection logs, or NULL */
	int next_file;                  /* replay: the next of in.files */
	struct capture *replay;
	enum input_format replay_format;
	ev_idle replay_w;               /* as fast as it goes, or */
	ev_timer pacing_w;              /* replay_pps / PACING_HZ frames per turn */
	int stopped;
};

static struct window_table *table(const struct sources *s)
{
	return s->hooks.table(s->hooks.ctx);
}

/* A source that failed (an interface gone, a socket error) is closed and
 * the others go on; when none is left reading is over with an error, so
 * that systemd restarts the daemon. */
static void close_failed(struct sources *s, struct source_watch *w)
{
	int open = 0;
	log_err("%s: closed after the error above", w->name);
	ev_io_stop(s->loop, &w->io);
	capture_close(w->capture);
	udp_listener_close(w->udp);
	w->capture = NULL;
	w->udp = NULL;
	for (int i = 0; i < s->n_live; i++)
		open += s->live[i].capture || s->live[i].udp || s->live[i].iface >= 0;
	if (!open)
		s->hooks.done(s->hooks.ctx, "no source is left", EX_UNAVAILABLE);
}

static void on_source(struct ev_loop *loop, ev_io *io, int revents)
{
	struct source_watch *w = (struct source_watch *)io;
	struct sources *s = w->s;
	int n = w->capture ? capture_step(w->capture, LIVE_STEP, table(s), NULL, NULL, NULL)
			   : udp_listener_step(w->udp, LIVE_STEP, s->nf, table(s), NULL, NULL);
	(void)loop, (void)revents;
	if (n < 0)
		close_failed(s, w);
}

/* Watches capture c or listener u (taken over). Returns a sysexits code. */
static int watch_source(struct sources *s, const char *name, struct capture *c,
			struct udp_listener *u)
{
	char *copy = strdup(name);
	if (!copy) {
		capture_close(c);
		udp_listener_close(u);
		return EX_OSERR;
	}
	struct source_watch *w = &s->live[s->n_live++];
	*w = (struct source_watch){ .s = s, .name = copy, .capture = c, .udp = u, .iface = -1 };
	ev_io_init(&w->io, on_source, c ? capture_fd(c) : udp_listener_fd(u), EV_READ);
	ev_io_start(s->loop, &w->io);
	return EX_OK;
}

/* How the configuration says frames are read. */
static int capture_options(const struct config *c, struct capture_options *o)
{
	*o = (struct capture_options){ .bpf = c->bpf, .snaplen = c->snaplen,
				       .buffer = c->pcap_buffer };
	return capture_decap_options("[capture] decapsulate", c->decapsulate, c, &o->decap);
}

/* Threads that capture: [capture] workers, one a core by default; a
 * replay reads on the loop alone. */
static int capture_worker_count(const struct sources *s)
{
	long n = s->conf->capture_workers ? (long)s->conf->capture_workers
					  : sysconf(_SC_NPROCESSORS_ONLN);
	if (s->in.n_files || n < 1)
		return 1;
	return n > CONFIG_MAX_WORKERS ? CONFIG_MAX_WORKERS : (int)n;
}

/* The interfaces read by worker threads (their windows merged for the loop). */
static int open_workers(struct sources *s, const struct capture_options *o, int n)
{
	const struct config *c = s->conf;
	int rc;
	if (!(s->workers = capture_workers_open(c->interfaces, c->n_interfaces, n, o, &rc)))
		return rc;
	for (int i = 0; i < c->n_interfaces; i++) {
		char *copy = strdup(c->interfaces[i]);
		if (!copy)
			return EX_OSERR;
		s->live[s->n_live++] = (struct source_watch){ .s = s, .name = copy, .iface = i };
	}
	return EX_OK;
}

static int open_live(struct sources *s)
{
	const struct config *c = s->conf;
	struct capture_options o;
	int rc = capture_options(c, &o), workers = capture_worker_count(s);

	if (rc != EX_OK)
		return rc;
	if (c->n_interfaces && workers > 1 && (rc = open_workers(s, &o, workers)) != EX_OK)
		return rc;
	if (c->exporters && filter_add_nets(&s->allow, c->exporters) < 0) {
		log_err("[netflow] exporters: expected addresses or CIDRs, got '%s'", c->exporters);
		return EX_CONFIG;
	}
	for (int i = 0; i < c->n_interfaces && !s->workers && rc == EX_OK; i++) {
		struct capture *cap = capture_open_live(c->interfaces[i], &o, &s->tally, &rc);
		if (cap) {
			log_info("capturing on %s", c->interfaces[i]);
			rc = watch_source(s, c->interfaces[i], cap, NULL);
		}
	}
	if (c->n_follow && rc == EX_OK)
		s->follow = follow_open(c->follow, c->n_follow, c->follow_positions, &rc);
	for (int i = 0; i < c->n_listen && rc == EX_OK; i++) {
		struct udp_listener *u =
			udp_listener_open(c->listen[i], c->udp_rcvbuf, &s->allow, &rc);
		if (u) {
			log_info("collecting NetFlow/IPFIX on %s", c->listen[i]);
			rc = watch_source(s, c->listen[i], NULL, u);
		}
	}
	return rc;
}

/* The loop's sources closed (what followed logs gained since the last
 * second counted first). */
static void close_loop_sources(struct sources *s)
{
	ev_idle_stop(s->loop, &s->replay_w);
	ev_timer_stop(s->loop, &s->pacing_w);
	capture_close(s->replay);
	s->replay = NULL;
	for (int i = 0; i < s->n_live; i++) {
		if (s->live[i].iface >= 0)
			continue;
		ev_io_stop(s->loop, &s->live[i].io);
		capture_close(s->live[i].capture);
		udp_listener_close(s->live[i].udp);
		s->live[i].capture = NULL;
		s->live[i].udp = NULL;
	}
	if (s->follow && table(s))
		follow_poll(s->follow, time(NULL), table(s), NULL, NULL);
	follow_close(s->follow);
	s->follow = NULL;
}

struct sources *sources_open(struct ev_loop *loop, const struct config *conf,
			     const struct sources_input *in, const struct sources_hooks *hooks,
			     int *rc)
{
	struct sources *s = calloc(1, sizeof *s);
	*rc = EX_OSERR;
	if (!s)
		return NULL;
	*s = (struct sources){ .loop = loop, .conf = conf, .in = *in, .hooks = *hooks };
	if (!(s->nf = netflow_new((int)conf->nf_max_exporters, (int)conf->nf_max_templates)) ||
	    (*rc = open_live(s)) != EX_OK) {
		close_loop_sources(s);
		sources_free(s);
		return NULL;
	}
	return s;
}

/* A source's counts: received and dropped (by the kernel or the interface
 * for a capture; for a listener, datagrams taken, from exporters not
 * allowed, and dropped by the kernel for want of buffer). Returns its
 * drops so far. */
static uint64_t source_counts(const struct sources *s, const struct source_watch *w, char *line,
			      size_t len)
{
	if (w->iface >= 0) { /* and how the workers shared the frames of every interface */
		uint64_t received, dropped;
		capture_workers_packets(s->workers, w->iface, &received, &dropped);
		int off = snprintf(line, len, "%s: %" PRIu64 " packets received, %" PRIu64
				   " dropped; frames by worker:", w->name, received, dropped);
		for (int k = 0;
		     k < capture_workers_count(s->workers) && off > 0 && (size_t)off < len; k++)
			off += snprintf(line + off, len - (size_t)off, " %" PRIu64,
					capture_workers_frames(s->workers, k));
		return dropped;
	}
	if (!w->capture && !w->udp) {
		snprintf(line, len, "%s: closed after an error", w->name);
		return w->drops_seen;
	}
	if (w->capture) {
		uint64_t received, dropped;
		capture_counts(w->capture, &received, &dropped);
		snprintf(line, len, "%s: %" PRIu64 " packets received, %" PRIu64 " dropped",
			 w->name, received, dropped);
		return dropped;
	}
	const struct udp_listener_stats *u = udp_listener_stats(w->udp);
	snprintf(line, len, "%s: %" PRIu64 " datagrams (%" PRIu64 " bytes), %" PRIu64
		 " from exporters not allowed, %" PRIu64 " dropped by the kernel", w->name,
		 u->datagrams, u->bytes, u->refused, u->kernel_drops);
	return u->kernel_drops;
}

/* Drops are reported as they happen (at most once a second a source). */
static void report_drops(struct sources *s)
{
	char line[256];
	for (int i = 0; i < s->n_live; i++) {
		uint64_t drops = source_counts(s, &s->live[i], line, sizeof line);
		if (drops > s->live[i].drops_seen)
			log_warn("%s (%" PRIu64 " new drops)", line, drops - s->live[i].drops_seen);
		s->live[i].drops_seen = drops;
	}
}

void sources_tick(struct sources *s, time_t now)
{
	if (s->follow && table(s))
		follow_poll(s->follow, now, table(s), NULL, NULL);
	if (sources_live(s))
		report_drops(s);
	if (s->workers && !capture_workers_open_handles(s->workers) && !sources_listening(s))
		s->hooks.done(s->hooks.ctx, "no source is left", EX_UNAVAILABLE);
}

static void log_counts(struct sources *s)
{
	char line[256];
	for (int i = 0; i < s->n_live; i++) {
		source_counts(s, &s->live[i], line, sizeof line);
		log_info("%s", line);
	}
	if (netflow_counters(s->nf)[NF_DATAGRAMS])
		capture_log_netflow(s->nf);
	follow_log(s->follow);
}

struct capture_workers *sources_workers(const struct sources *s)
{
	return s->workers;
}

int sources_listening(const struct sources *s)
{
	for (int i = 0; i < s->n_live; i++)
		if (s->live[i].capture || s->live[i].udp)
			return 1;
	return s->follow != NULL || s->replay != NULL;
}

int sources_live(const struct sources *s)
{
	return s->n_live > 0 || s->follow != NULL;
}

void sources_tally(const struct sources *s, struct decode_tally *sum)
{
	*sum = s->tally;
	if (s->workers)
		capture_workers_tally(s->workers, sum);
}

/* The workers' handles stay open until the end, for their counts. */
void sources_stop(struct sources *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = 1;
	capture_workers_stop(s->workers);
	log_counts(s);
	close_loop_sources(s);
}

void sources_free(struct sources *s)
{
	if (!s)
		return;
	capture_workers_close(s->workers);
	netflow_free(s->nf);
	for (int i = 0; i < s->n_live; i++)
		free(s->live[i].name);
	free(s);
}

/* How many of the files from the next one on are captures of format f:
 * they are replayed as one, merged by time. */
static int capture_run(const struct sources *s, enum input_format f)
{
	int n = 1;
	while (s->next_file + n < s->in.n_files &&
	       inputs_format(s->in.common, s->in.files[s->next_file + n]) == f)
		n++;
	return n;
}

/* The next replay file, opened (CSV files are read whole here; a run of
 * capture files opens as one). Returns 0 when one is open, 1 when none is
 * left, -1 on error with *failure its sysexits code (EX_NOINPUT for a file
 * that is not there). */
static int next_replay_file(struct sources *s, int *failure)
{
	while (s->next_file < s->in.n_files) {
		const char *path = s->in.files[s->next_file];
		enum input_format f = inputs_format(s->in.common, path);
		int n = inputs_is_records(f) ? 1 : capture_run(s, f);
		s->next_file += n;
		if (n > 1)
			log_info("replaying %s and %d more, merged by time", path, n - 1);
		else
			log_info("replaying %s", path);
		if (inputs_is_records(f)) {
			*failure = inputs_read_records(path, f, table(s), NULL, NULL);
			if (*failure != EX_OK)
				return -1;
			continue;
		}
		if (f == INPUT_MATRIX_CSV) {
			log_err("%s: a feature matrix has no traffic to replay", path);
			*failure = EX_DATAERR;
			return -1;
		}
		s->replay_format = f;
		struct capture_options o;
		if ((*failure = capture_options(s->conf, &o)) != EX_OK)
			return -1;
		s->replay = capture_open_files((const char *const *)s->in.files + s->next_file - n,
					       n, &o, &s->tally, failure);
		return s->replay ? 0 : -1;
	}
	return 1;
}

static void replay_turn(struct sources *s, int frames)
{
	int n = 0;
	if (s->replay)
		n = capture_step(s->replay, frames, table(s), NULL, NULL,
				 s->replay_format == INPUT_NETFLOW_PCAP ? s->nf : NULL);
	if (n > 0)
		return;
	capture_close(s->replay);
	s->replay = NULL;
	int failure = EX_DATAERR; /* a broken record ended the reading */
	int next = n < 0 ? -1 : next_replay_file(s, &failure);
	if (next == 1)
		s->hooks.done(s->hooks.ctx, "end of the replayed files", EX_OK);
	else if (next < 0)
		s->hooks.done(s->hooks.ctx, "a replayed file failed", failure);
}

static void on_replay(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop, (void)revents;
	replay_turn(w->data, REPLAY_STEP);
}

static void on_paced_replay(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sources *s = w->data;
	long per_turn = s->in.replay_pps / PACING_HZ;
	(void)loop, (void)revents;
	replay_turn(s, per_turn > 0 ? (int)per_turn : 1);
}

void sources_start_replay(struct sources *s)
{
	if (s->in.replay_pps) { /* below PACING_HZ: a frame a turn, fewer turns */
		long hz = s->in.replay_pps < PACING_HZ ? s->in.replay_pps : PACING_HZ;
		ev_timer_init(&s->pacing_w, on_paced_replay, 0, 1.0 / hz);
		s->pacing_w.data = s;
		ev_timer_start(s->loop, &s->pacing_w);
	} else {
		ev_idle_init(&s->replay_w, on_replay);
		s->replay_w.data = s;
		ev_idle_start(s->loop, &s->replay_w);
	}
}

/* --- metrics -------------------------------------------------------------------------------- */

/* One family of the tunnels' counts: per tunnel (kind and outer
 * endpoints), packets or (bytes) outer bytes. */
static void write_tunnel_family(const struct decode_tally *t, FILE *out, const char *name,
				const char *help, int bytes)
{
	char labels[256], src[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN];
	metrics_family(out, name, "counter", help);
	for (int i = 0; i < t->n_tunnels; i++) {
		const struct decode_tunnel_count *e = &t->tunnel[i];
		snprintf(labels, sizeof labels, "{kind=\"%s\",src=\"%s\",dst=\"%s\"}",
			 decode_tunnel_name(e->kind), ip_addr_str(&e->src, src),
			 ip_addr_str(&e->dst, dst));
		metrics_labelled(out, name, labels, (double)(bytes ? e->bytes : e->packets));
	}
	if (t->n_tunnels == DECODE_TALLY_TUNNELS)
		metrics_labelled(out, name, "{kind=\"other\"}",
				 (double)(bytes ? t->other_tunnel_bytes : t->other_tunnel_packets));
}

/* The outer headers of tunnelled packets, per tunnel. */
static void write_tunnels(const struct decode_tally *t, FILE *out)
{
	char help[128];
	snprintf(help, sizeof help,
		 "Packets taken out of a tunnel, per tunnel kind and outer endpoints (\"other\" "
		 "beyond %d tunnels).", DECODE_TALLY_TUNNELS);
	write_tunnel_family(t, out, "tunnel_packets_total", help, 0);
	write_tunnel_family(t, out, "tunnel_bytes_total",
			    "The outer IP bytes of the packets taken out of each tunnel.", 1);
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
		const char *metric, *help;
	} families[] = {
		{ "netflow_templates_total", "Templates accepted (new or refreshed), withdrawn, or "
					     "refused (the exporter holds its maximum)." },
		{ "netflow_errors_total", "Export data not trusted, by reason (records without "
					  "their template are dropped)." },
	};
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
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
		metrics_family(out, families[f].metric, "counter", families[f].help);
		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
			if (strcmp(parts[i].metric, families[f].metric) != 0)
				continue;
			snprintf(labels, sizeof labels, "{%s}", parts[i].label);
			metrics_labelled(out, parts[i].metric, labels, (double)c[parts[i].c]);
		}
	}
}

/* A live source's capture counts; -1 when it is no capture. */
static int capture_packets(const struct sources *s, const struct source_watch *w,
			   uint64_t *received, uint64_t *dropped)
{
	if (w->iface >= 0)
		capture_workers_packets(s->workers, w->iface, received, dropped);
	else if (w->capture)
		capture_counts(w->capture, received, dropped);
	else
		return -1;
	return 0;
}

/* One of the captures' counts per interface: received, or (dropped) lost. */
static void write_capture_family(const struct sources *s, FILE *out, const char *name,
				 const char *help, int dropped)
{
	char labels[256];
	metrics_family(out, name, "counter", help);
	for (int i = 0; i < s->n_live; i++) {
		uint64_t n[2];
		if (capture_packets(s, &s->live[i], &n[0], &n[1]) < 0)
			continue;
		snprintf(labels, sizeof labels, "{source=\"%s\"}", s->live[i].name);
		metrics_labelled(out, name, labels, (double)n[dropped]);
	}
}

/* Each live capture's packets received and lost; with workers, the frames
 * each one read (how evenly the sources spread). */
static void write_captures(const struct sources *s, FILE *out)
{
	char labels[256];
	write_capture_family(s, out, "capture_received_packets_total",
			     "Packets a live capture received (pcap_stats).", 0);
	write_capture_family(s, out, "capture_dropped_packets_total",
			     "Packets a live capture lost: dropped by the kernel or the interface.",
			     1);
	if (!s->workers)
		return;
	metrics_family(out, "capture_worker_frames_total", "counter",
		       "Frames each capture worker read (the kernel gives a source's packets to "
		       "one worker).");
	for (int k = 0; k < capture_workers_count(s->workers); k++) {
		snprintf(labels, sizeof labels, "{worker=\"%d\"}", k);
		metrics_labelled(out, "capture_worker_frames_total", labels,
				 (double)capture_workers_frames(s->workers, k));
	}
}

void sources_write_metrics(void *ctx, FILE *out)
{
	const struct sources *s = ctx;
	struct decode_tally tally;
	char labels[256];
	sources_tally(s, &tally);
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
	write_captures(s, out);
	metrics_family(out, "udp_datagrams_total", "counter",
		       "Export datagrams taken, refused (exporter not allowed) or dropped by the "
		       "kernel.");
	for (int i = 0; i < s->n_live; i++) {
		const struct source_watch *w = &s->live[i];
		if (!w->udp)
			continue;
		const struct udp_listener_stats *u = udp_listener_stats(w->udp);
		const char *states[] = { "taken", "refused", "dropped" };
		uint64_t values[] = { u->datagrams, u->refused, u->kernel_drops };
		for (int k = 0; k < 3; k++) {
			snprintf(labels, sizeof labels, "{source=\"%s\",state=\"%s\"}", w->name,
				 states[k]);
			metrics_labelled(out, "udp_datagrams_total", labels, (double)values[k]);
		}
	}
	write_netflow(s->nf, out);
}
