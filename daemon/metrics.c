#include "metrics.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "daemon.h"
#include "base/hostport.h"
#include "log.h"

struct metrics {
	struct MHD_Daemon *mhd;
	ev_io io;
	ev_timer timeout;
	struct daemon *d;
};

void metrics_value(FILE *out, const char *name, const char *type, const char *help,
		   const char *labels, double value)
{
	fprintf(out, "# HELP flowsad_%s %s\n# TYPE flowsad_%s %s\n", name, help, name, type);
	fprintf(out, "flowsad_%s%s %.17g\n", name, labels ? labels : "", value);
}

static void labelled(FILE *out, const char *name, const char *labels, double value)
{
	fprintf(out, "flowsad_%s%s %.17g\n", name, labels, value);
}

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
		labelled(out, "tunnel_packets_total", labels, (double)e->packets);
		labelled(out, "tunnel_bytes_total", labels, (double)e->bytes);
	}
	if (t->n_tunnels == DECODE_TALLY_TUNNELS) {
		labelled(out, "tunnel_packets_total", "{kind=\"other\"}",
			 (double)t->other_tunnel_packets);
		labelled(out, "tunnel_bytes_total", "{kind=\"other\"}",
			 (double)t->other_tunnel_bytes);
	}
}

/* A counter family labelled by key: one sample per name_of(i), i < n. */
static void counter_family(FILE *out, const char *name, const char *help, const char *key,
			   const char *(*name_of)(int), const uint64_t *values, int n)
{
	char labels[256];
	fprintf(out, "# HELP flowsad_%s %s\n# TYPE flowsad_%s counter\n", name, help, name);
	for (int i = 0; i < n; i++) {
		snprintf(labels, sizeof labels, "{%s=\"%s\"}", key, name_of(i));
		labelled(out, name, labels, (double)values[i]);
	}
}

static const char *result_name(int r)
{
	return decode_result_name((enum decode_result)r);
}

static const char *netflow_name(int i)
{
	return netflow_counter_name((enum netflow_counter)i);
}

static void write_sources(struct daemon *d, FILE *out)
{
	char labels[256];
	metrics_value(out, "frames_total", "counter", "Frames read from captures.", NULL,
		      (double)d->tally.frames);
	metrics_value(
		out, "decode_tunnelled_total", "counter",
		"IP packets counted from inside a tunnel (GRE, ERSPAN, VXLAN, Geneve, IP in IP, "
		"Teredo).",
		NULL, (double)d->tally.tunnelled);
	write_tunnels(&d->tally, out);
	counter_family(out, "decode_total",
		       "Frames by decoding outcome (ok, not_ip, malformed reasons).", "result",
		       result_name, d->tally.result, DECODE_N_RESULTS);
	fprintf(out,
		"# HELP flowsad_capture_packets_total Packets a live capture received or lost.\n"
		"# TYPE flowsad_capture_packets_total counter\n"
		"# HELP flowsad_udp_datagrams_total Export datagrams taken, refused (exporter not "
		"allowed) or dropped by the kernel.\n"
		"# TYPE flowsad_udp_datagrams_total counter\n");
	for (int i = 0; i < d->n_live; i++) {
		const struct source_watch *s = &d->live[i];
		if (!s->capture && !s->udp) /* closed after an error */
			continue;
		if (s->capture) {
			uint64_t received, dropped;
			capture_counts(s->capture, &received, &dropped);
			snprintf(labels, sizeof labels, "{source=\"%s\",state=\"received\"}",
				 s->name);
			labelled(out, "capture_packets_total", labels, (double)received);
			snprintf(labels, sizeof labels, "{source=\"%s\",state=\"dropped\"}",
				 s->name);
			labelled(out, "capture_packets_total", labels, (double)dropped);
			continue;
		}
		const struct udp_stats *u = udp_stats(s->udp);
		const char *states[] = { "taken", "refused", "dropped" };
		uint64_t values[] = { u->datagrams, u->refused, u->kernel_drops };
		for (int k = 0; k < 3; k++) {
			snprintf(labels, sizeof labels, "{source=\"%s\",state=\"%s\"}", s->name,
				 states[k]);
			labelled(out, "udp_datagrams_total", labels, (double)values[k]);
		}
	}
	counter_family(out, "netflow_total",
		       "NetFlow/IPFIX decoder counts (records, templates, errors).", "counter",
		       netflow_name, netflow_counters(d->nf), NF_N_COUNTERS);
}

static void write_windows(struct daemon *d, FILE *out)
{
	static const struct window_stats none;
	const struct window_stats *w = d->table ? window_table_stats(d->table) : &none;
	metrics_value(out, "events_total", "counter",
		      "Packets and flow records offered to the window table.", NULL,
		      (double)w->packets);
	metrics_value(out, "samples_total", "counter", "Samples (window, source) closed.", NULL,
		      (double)w->samples);
	metrics_value(out, "windows_total", "counter", "Windows closed.", NULL, (double)w->windows);
	metrics_value(out, "evicted_total", "counter",
		      "Events dropped: their window was full of sources.", NULL,
		      (double)w->evicted);
	metrics_value(out, "late_total", "counter", "Events dropped: their window had closed.",
		      NULL, (double)w->late);
	metrics_value(out, "filtered_total", "counter",
		      "Events the detection unit's filter left out.", NULL, (double)w->filtered);
	metrics_value(out, "sample_memory_bytes", "gauge",
		      "Memory held by the open windows' samples.", NULL, (double)w->bytes);
}

static void write_alerts(struct daemon *d, FILE *out)
{
	struct score_counts n;
	windows_counts(d, &n);
	const struct scorer_stats *s = &n.scorer;
	metrics_value(out, "alerts_total", "counter", "Alerts made.", NULL,
		      s ? (double)s->alerts : 0);
	metrics_value(
		out, "alerts_suppressed_total", "counter",
		"Alerts held back: the source repeated a behaviour alerted within the suppression "
		"interval.",
		NULL, s ? (double)s->suppressed : 0);
	metrics_value(out, "alerts_within_usual_total", "counter",
		      "Samples above the threshold held back: within their source's usual score.",
		      NULL, s ? (double)s->usual : 0);
	metrics_value(out, "alerts_answering_total", "counter",
		      "Samples above the threshold held back: their source only answered others.",
		      NULL, s ? (double)s->answering : 0);
	metrics_value(out, "alert_threshold", "gauge",
		      "The alert threshold of the last window scored.", NULL, s ? s->threshold : 0);
	metrics_value(out, "score_pending_windows", "gauge",
		      "Closed windows handed to the score thread, not yet back.", NULL,
		      (double)n.pending);
	metrics_value(out, "score_waits_total", "counter",
		      "Closed windows the capture loop waited to hand over (the score thread fell "
		      "behind).",
		      NULL, (double)n.waits);
	{
		const struct baseline_stats *b = &n.baseline;
		metrics_value(out, "baseline_sources", "gauge",
			      "Sources remembered across windows.", NULL, (double)b->hosts);
		metrics_value(out, "baseline_evicted_total", "counter",
			      "Sources forgotten to stay within [baseline] max_hosts.", NULL,
			      (double)b->evicted);
		metrics_value(out, "baseline_first_seen_total", "counter",
			      "Samples of sources not remembered.", NULL, (double)b->first_seen);
	}
	metrics_value(out, "windows_scored_total", "counter", "Windows scored.", NULL,
		      s ? (double)s->windows : 0);
	sinks_write_metrics(d->sinks, out);
}

static void write_model(struct daemon *d, FILE *out)
{
	uint64_t have, need;
	int learning = windows_learning(d, &have, &need);
	metrics_value(out, "learning", "gauge", "1 while no model exists yet (a cold start).", NULL,
		      learning);
	metrics_value(
		out, "history_windows", "gauge",
		"Windows in the history (all of it at a cold start and after a retraining; else "
		"those since the newest day's).",
		NULL, (double)have);
	metrics_value(out, "model_age_seconds", "gauge", "Age of the model in use.", NULL,
		      learning ? 0 : (double)(time(NULL) - d->model_time));
	metrics_value(out, "history_lost_windows_total", "counter",
		      "Windows the history could not keep (its disk full, I/O errors).", NULL,
		      (double)d->history_lost);
	metrics_value(out, "retrain_total", "counter", "Retrainings that gave a model.", NULL,
		      (double)d->retrain.runs);
	metrics_value(out, "retrain_failures_total", "counter",
		      "Retrainings that failed (the model stayed).", NULL,
		      (double)d->retrain.failures);
	metrics_value(out, "retrain_last_seconds", "gauge", "Duration of the last retraining.",
		      NULL, d->retrain.last_seconds);
	metrics_value(out, "retrain_running", "gauge", "1 while a retraining runs.", NULL,
		      d->retraining != NULL);
}

void metrics_write(struct daemon *d, FILE *out)
{
	write_sources(d, out);
	write_windows(d, out);
	write_alerts(d, out);
	write_model(d, out);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct metrics *m = cls;
	char *text = NULL;
	size_t len = 0;
	(void)version, (void)upload, (void)upload_size, (void)con_cls;

	/* HEAD as GET: libmicrohttpd sends the headers alone */
	int found = strcmp(url, "/metrics") == 0 &&
		    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return MHD_NO;
	if (found)
		metrics_write(m->d, out);
	else
		fputs("flowsad: GET /metrics\n", out);
	fclose(out);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	enum MHD_Result rc = MHD_queue_response(conn, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
	MHD_destroy_response(r);
	return rc;
}

static void serve(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;
	MHD_run(m->mhd);
	ev_timer_stop(m->d->loop, &m->timeout);
	if (MHD_get_timeout(m->mhd, &ms) == MHD_YES) {
		ev_timer_set(&m->timeout, (double)ms / 1000.0, 0);
		ev_timer_start(m->d->loop, &m->timeout);
	}
}

static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	serve(w->data);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	serve(w->data);
}

int metrics_open(struct daemon *d)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct hostport hp;
	char err[HOSTPORT_MAX + 64];
	const char *listen = d->conf.metrics_listen;
	if (!listen)
		return EX_OK;
	if (hostport_parse(listen, 0, &hp, err, sizeof err) < 0 ||
	    hostport_sockaddr(&hp, SOCK_STREAM, &sa, &salen, err, sizeof err) < 0) {
		log_err("[metrics] listen = %s", err);
		return EX_CONFIG;
	}
	struct metrics *m = calloc(1, sizeof *m);
	if (!m)
		return EX_OSERR;
	m->d = d;
	/* an IPv6 address takes IPv4 too ([::] is every address, as operators expect) */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 (sa.ss_family == AF_INET6 ? MHD_USE_DUAL_STACK : 0);
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
		m->mhd ? MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		log_err("[metrics] listen = %s: cannot serve there", listen);
		if (m->mhd)
			MHD_stop_daemon(m->mhd);
		free(m);
		return EX_UNAVAILABLE;
	}
	ev_io_init(&m->io, on_ready, info->epoll_fd, EV_READ);
	ev_init(&m->timeout, on_timeout);
	m->io.data = m->timeout.data = m;
	ev_io_start(d->loop, &m->io);
	d->metrics = m;
	log_info("metrics on http://%s/metrics", listen);
	return EX_OK;
}

void metrics_close(struct daemon *d)
{
	struct metrics *m = d->metrics;
	if (!m)
		return;
	ev_io_stop(d->loop, &m->io);
	ev_timer_stop(d->loop, &m->timeout);
	MHD_stop_daemon(m->mhd);
	free(m);
	d->metrics = NULL;
}
