/* flowsad run: the daemon. One libev loop reads the sources (live
 * interfaces, NetFlow/IPFIX listeners, or capture files being replayed),
 * counts them into the window table, scores each window as it closes and
 * hands the alerts to the sinks. SIGTERM/SIGINT stop it cleanly (open
 * windows are closed and scored, alerts delivered or spooled); SIGHUP
 * reloads the configuration and the model, keeping the old ones when a new
 * one is bad. */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "duration.h"
#include "jsonl_sink.h"
#include "log.h"
#include "pcap_input.h"
#include "redis_sink.h"
#include "sample_csv.h"
#include "scorer.h"
#include "udp_input.h"

enum {
	OPT_REDIS = OPT_FIRST_COMMAND_OPTION,
	OPT_STREAM,
	OPT_JSONL,
	OPT_SAMPLES,
	OPT_SPOOL,
	OPT_REPLAY_PPS,
};

#define REPLAY_STEP 4096     /* frames read per turn of the loop while replaying */
#define LIVE_STEP 4096       /* frames or datagrams per readiness event */
#define DRAIN_SECONDS 10.0   /* at exit, how long undelivered alerts may hold it up */
#define PROGRESS_SECONDS 10  /* a progress line while replaying */
#define PACING_HZ 100        /* turns per second of a paced replay */

/* What the command line says; it overrides the file, also after SIGHUP. */
struct run_args {
	struct cli_common common;       /* its config is moved to config_path */
	const char *config_path;
	const char *ifaces[CONFIG_MAX_LIST], *redis, *stream, *jsonl, *samples, *spool, *model;
	int n_ifaces;
	char **files;
	int n_files;
	long replay_pps;                /* 0: as fast as it goes */
};

struct source_watch {
	ev_io io;
	struct daemon *d;
	const char *name;
	struct capture *capture;     /* or */
	struct udp_listener *udp;
	uint64_t drops_seen;         /* drops already reported */
};

struct daemon {
	struct ev_loop *loop;
	struct run_args *args;
	struct config conf;
	struct scorer *scorer;
	struct window_table *table;
	struct feature_spec table_spec; /* what the table counts with (the model's, at its start) */
	char *table_key;                /* that spec without vocabulary, to compare models */
	uint32_t lateness;
	struct netflow_decoder *nf;
	struct decode_tally tally;
	struct filter_nets allow;
	struct source_watch live[2 * CONFIG_MAX_LIST];
	int n_live;
	/* replay */
	int next_file;
	struct capture *replay;
	enum input_format replay_format;
	ev_idle replay_w;               /* as fast as it goes, or */
	ev_timer pacing_w;              /* replay_pps / PACING_HZ frames per turn */
	time_t progress_at;
	/* sinks */
	struct spool *spool;
	struct redis_sink *redis;
	struct jsonl_sink *jsonl;
	struct sample_csv samples;
	/* timers and signals */
	ev_timer tick, drain;
	ev_signal sig_term, sig_int, sig_hup;
	double drain_until;
	uint64_t drain_failures;        /* the Redis sink's failures when the drain began */
	int stopping, exit_code;
};

/* --- options and settings ---------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "interface", required_argument, NULL, 'i' },
		{ "read", required_argument, NULL, 'r' },
		{ "model", required_argument, NULL, 'm' },
		{ "redis", required_argument, NULL, OPT_REDIS },
		{ "stream", required_argument, NULL, OPT_STREAM },
		{ "jsonl", required_argument, NULL, OPT_JSONL },
		{ "samples", required_argument, NULL, OPT_SAMPLES },
		{ "spool", required_argument, NULL, OPT_SPOOL },
		{ "replay-pps", required_argument, NULL, OPT_REPLAY_PPS },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;
	const char **value[] = { [OPT_REDIS - OPT_REDIS] = &a->redis, &a->stream, &a->jsonl,
				 &a->samples, &a->spool };

	a->files = calloc((size_t)argc + 1, sizeof *a->files);
	if (!a->files)
		return EX_OSERR;
	while ((opt = getopt_long(argc, argv, "c:i:r:m:", longopts, NULL)) != -1) {
		if ((rc = cli_common_option(&a->common, opt, optarg)) == 1)
			continue;
		if (rc != 0 || opt == '?')
			return EX_USAGE;
		if (opt == 'i') {
			if (a->n_ifaces == CONFIG_MAX_LIST) {
				log_err("-i: at most %d interfaces", CONFIG_MAX_LIST);
				return EX_USAGE;
			}
			a->ifaces[a->n_ifaces++] = optarg;
		} else if (opt == 'r') {
			a->files[a->n_files++] = optarg;
		} else if (opt == 'm') {
			a->model = optarg;
		} else if (opt == OPT_REPLAY_PPS) {
			if (cli_parse_int("replay-pps", optarg, 1, 100000000, &a->replay_pps) < 0)
				return EX_USAGE;
		} else {
			*value[opt - OPT_REDIS] = optarg;
		}
	}
	if (optind < argc) {
		log_err("run: unexpected argument '%s' (capture files are given with -r)", argv[optind]);
		return EX_USAGE;
	}
	a->config_path = a->common.config; /* read here (and at SIGHUP), not by cli_apply_common */
	a->common.config = NULL;
	if (a->n_files && a->n_ifaces) {
		log_err("run: -r replays files, -i captures live; give one or the other");
		return EX_USAGE;
	}
	return EX_OK;
}

/* The configuration: the file's (if any), then the command line's overrides. */
static int load_settings(const struct run_args *a, struct config *c)
{
	const char *const *strings[] = { &a->redis, &a->stream, &a->jsonl, &a->spool, &a->model,
					 &a->common.filter };
	char **fields[] = { &c->redis, &c->stream, &c->jsonl, &c->spool_dir, &c->model, &c->bpf };
	int rc = a->config_path ? cli_load_config(a->config_path, c) : (config_init(c), EX_OK);

	if (rc != EX_OK)
		return rc;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (*strings[i] && config_set_string(fields[i], *strings[i]) < 0)
			rc = EX_OSERR;
	if (a->common.window)
		c->window = a->common.window;
	if (a->n_ifaces || a->n_files) { /* the command line names the sources */
		for (int i = 0; i < c->n_interfaces; i++)
			free(c->interfaces[i]);
		c->n_interfaces = 0;
		for (int i = 0; i < a->n_ifaces && rc == EX_OK; i++)
			if (config_set_string(&c->interfaces[c->n_interfaces++], a->ifaces[i]) < 0)
				rc = EX_OSERR;
	}
	if (a->n_files) {
		for (int i = 0; i < c->n_listen; i++)
			free(c->listen[i]);
		c->n_listen = 0;
	}
	if (rc == EX_OK && !c->model) {
		log_err("run: no model: give -m MODEL or [model] path");
		rc = EX_CONFIG;
	}
	if (rc == EX_OK && !a->n_files && !c->n_interfaces && !c->n_listen) {
		log_err("run: no source: give -i IFACE, -r FILE, or [capture] interface / [netflow] "
			"listen");
		rc = EX_CONFIG;
	}
	if (rc == EX_OK && (c->metrics_listen || c->user))
		log_warn("[metrics] listen and [daemon] user are not acted on in this version");
	if (rc != EX_OK)
		config_free(c);
	return rc;
}

static struct scorer_settings scorer_settings_of(const struct config *c)
{
	static char host[256];
	if (!c->observer && gethostname(host, sizeof host - 1) < 0)
		host[0] = '\0';
	return (struct scorer_settings){ c->top_n, c->min_score, c->explain_k,
					 c->explain_nsamples, c->suppress,
					 c->observer ? c->observer : host };
}

/* --- the window table and the model ------------------------------------------------------ */

static void emit_sample(void *ctx, int64_t start, const decode_addr *src,
			const struct window_counters *c)
{
	struct daemon *d = ctx;
	scorer_collect(d->scorer, start, src, c);
	if (d->samples.out)
		sample_csv_row(&d->samples, start, src, c);
}

static void window_closed(void *ctx, int64_t start, size_t samples)
{
	struct daemon *d = ctx;
	const struct scorer_stats *before = scorer_stats(d->scorer);
	uint64_t alerts = before->alerts, suppressed = before->suppressed;
	char when[ISOTIME_LEN];

	scorer_window_closed(d->scorer, start, samples);
	if (d->samples.out)
		fflush(d->samples.out);
	log_info("window %s: %zu samples, %" PRIu64 " alerts, %" PRIu64 " suppressed",
		 isotime_format(start, when), samples, scorer_stats(d->scorer)->alerts - alerts,
		 scorer_stats(d->scorer)->suppressed - suppressed);
}

/* A model's counting spec (window, locations, filter) as text: two models
 * with the same text can share a window table. */
static char *counting_key(const struct model *m, uint32_t window, struct feature_spec *out)
{
	char err[256];
	if (feature_spec_from_json(out, m->feature_spec, err, sizeof err) < 0)
		return NULL;
	if (window)
		out->window_seconds = window;
	struct feature_spec counting = *out;
	counting.n_terms = 0;
	return feature_spec_to_json(&counting);
}

static int open_table(struct daemon *d)
{
	const struct model *m = scorer_model(d->scorer);
	if (!(d->table_key = counting_key(m, d->conf.window, &d->table_spec)))
		return EX_DATAERR;
	if (d->conf.window && d->conf.window != m->window_seconds)
		log_warn("windows of %u s, but model %s was trained on %u s windows", d->conf.window,
			 m->id, m->window_seconds);
	d->table = window_table_new(d->table_spec.window_seconds, d->lateness,
				    (size_t)d->conf.max_samples, &d->table_spec.loc);
	if (!d->table)
		return EX_OSERR;
	window_table_set_filter(d->table, d->table_spec.filter);
	window_table_on_close(d->table, window_closed, d);
	return EX_OK;
}

static void close_table(struct daemon *d)
{
	if (!d->table)
		return;
	window_table_flush(d->table, emit_sample, d);
	window_table_free(d->table);
	d->table = NULL;
	feature_spec_free(&d->table_spec);
	free(d->table_key);
	d->table_key = NULL;
}

static struct model *load_model(const char *path)
{
	char err[512];
	struct model *m = model_load(path, err, sizeof err);
	if (!m)
		log_err("%s", err);
	return m;
}

/* Takes model m into use between windows. A model that counts otherwise
 * (window length, locations, filter) needs a new table: the open windows
 * are closed and scored first, with the old model. */
static int swap_model(struct daemon *d, struct model *m)
{
	struct feature_spec spec = { 0 };
	char err[512], *key = counting_key(m, d->conf.window, &spec);
	int same = key && d->table_key && strcmp(key, d->table_key) == 0;

	feature_spec_free(&spec);
	free(key);
	if (!same && d->table) {
		log_warn("model %s counts differently: the open windows are closed early", m->id);
		close_table(d);
	}
	if (scorer_set_model(d->scorer, m, err, sizeof err) < 0) {
		log_err("model %s refused: %s", m->id, err);
		model_free(m);
		return d->table ? EX_DATAERR : open_table(d);
	}
	log_info("model %s in use", m->id);
	return d->table ? EX_OK : open_table(d);
}

/* --- sources ----------------------------------------------------------------------------- */

static void stop(struct daemon *d, const char *why);

static void on_source(struct ev_loop *loop, ev_io *w, int revents)
{
	struct source_watch *s = (struct source_watch *)w;
	struct daemon *d = s->d;
	int n = s->capture ? capture_step(s->capture, LIVE_STEP, d->table, emit_sample, d, NULL)
			   : udp_step(s->udp, LIVE_STEP, d->nf, d->table, emit_sample, d);
	(void)loop, (void)revents;
	if (n < 0)
		stop(d, "a source failed");
}

static int watch_source(struct daemon *d, const char *name, struct capture *c,
			struct udp_listener *u)
{
	struct source_watch *s = &d->live[d->n_live++];
	s->d = d;
	s->name = name;
	s->capture = c;
	s->udp = u;
	ev_io_init(&s->io, on_source, c ? capture_fd(c) : udp_fd(u), EV_READ);
	ev_io_start(d->loop, &s->io);
	return EX_OK;
}

static int open_live_sources(struct daemon *d)
{
	const struct config *c = &d->conf;
	struct capture_options o = { c->bpf, c->snaplen, c->pcap_buffer };
	int rc = EX_OK;

	if (c->exporters && filter_add_nets(&d->allow, c->exporters) < 0) {
		log_err("[netflow] exporters: expected addresses or CIDRs, got '%s'", c->exporters);
		return EX_CONFIG;
	}
	for (int i = 0; i < c->n_interfaces && rc == EX_OK; i++) {
		struct capture *cap = capture_open_live(c->interfaces[i], &o, &d->tally, &rc);
		if (cap) {
			log_info("capturing on %s", c->interfaces[i]);
			rc = watch_source(d, c->interfaces[i], cap, NULL);
		}
	}
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
static uint64_t source_counts(const struct source_watch *s, char *line, size_t len)
{
	if (s->capture) {
		uint64_t received, dropped;
		capture_counts(s->capture, &received, &dropped);
		snprintf(line, len, "%s: %" PRIu64 " packets received, %" PRIu64 " dropped", s->name,
			 received, dropped);
		return dropped;
	}
	const struct udp_stats *u = udp_stats(s->udp);
	snprintf(line, len, "%s: %" PRIu64 " datagrams (%" PRIu64 " bytes), %" PRIu64
		 " from exporters not allowed, %" PRIu64 " dropped by the kernel", s->name,
		 u->datagrams, u->bytes, u->refused, u->kernel_drops);
	return u->kernel_drops;
}

/* Drops are reported as they happen (at most once a second a source). */
static void report_new_drops(struct daemon *d)
{
	char line[256];
	for (int i = 0; i < d->n_live; i++) {
		uint64_t drops = source_counts(&d->live[i], line, sizeof line);
		if (drops > d->live[i].drops_seen)
			log_warn("%s (%" PRIu64 " new drops)", line, drops - d->live[i].drops_seen);
		d->live[i].drops_seen = drops;
	}
}

static void log_sources(struct daemon *d)
{
	char line[256];
	for (int i = 0; i < d->n_live; i++) {
		source_counts(&d->live[i], line, sizeof line);
		log_info("%s", line);
	}
	if (netflow_counters(d->nf)[NF_DATAGRAMS])
		pcap_input_log_netflow(d->nf);
	pcap_input_log_summary(&d->tally, window_table_stats(d->table));
}

static void close_live_sources(struct daemon *d)
{
	for (int i = 0; i < d->n_live; i++) {
		ev_io_stop(d->loop, &d->live[i].io);
		capture_close(d->live[i].capture);
		udp_close(d->live[i].udp);
	}
	d->n_live = 0;
}

/* The next replay file, opened (CSV files are read whole here). Returns 0
 * when one is open, 1 when none is left, -1 on error. */
static int next_replay_file(struct daemon *d)
{
	struct run_args *a = d->args;
	int rc;

	while (d->next_file < a->n_files) {
		const char *path = a->files[d->next_file++];
		enum input_format f = cli_input_format(&a->common, path);
		log_info("replaying %s", path);
		if (f == INPUT_FLOW_CSV || f == INPUT_IDS_CSV) {
			if (cli_read_record_csv(path, f == INPUT_IDS_CSV, d->table, emit_sample, d) != EX_OK)
				return -1;
			continue;
		}
		if (f == INPUT_MATRIX_CSV) {
			log_err("%s: a feature matrix has no traffic to replay", path);
			return -1;
		}
		d->replay_format = f;
		d->replay = capture_open_file(path, d->conf.bpf, &d->tally, &rc);
		return d->replay ? 0 : -1;
	}
	return 1;
}

static void replay_turn(struct daemon *d, int frames)
{
	int n = 0;
	if (d->replay)
		n = capture_step(d->replay, frames, d->table, emit_sample, d,
				 d->replay_format == INPUT_NETFLOW_PCAP ? d->nf : NULL);
	if (n > 0)
		return;
	capture_close(d->replay);
	d->replay = NULL;
	int next = n < 0 ? -1 : next_replay_file(d);
	if (next == 1)
		stop(d, "end of the replayed files");
	else if (next < 0)
		d->exit_code = EX_DATAERR, stop(d, "a replayed file failed");
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
	replay_turn(d, (int)(d->args->replay_pps / PACING_HZ > 0 ? d->args->replay_pps / PACING_HZ : 1));
}

static void start_replay(struct daemon *d)
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

/* --- sinks -------------------------------------------------------------------------------- */

static void deliver(void *ctx, const struct alert_record *r)
{
	struct daemon *d = ctx;
	if (d->jsonl)
		jsonl_sink_push(d->jsonl, r);
	if (d->redis)
		redis_sink_push(d->redis, r);
}

static int open_sinks(struct daemon *d)
{
	const struct config *c = &d->conf;
	char err[512];

	if (d->args->samples) {
		d->samples.out = strcmp(d->args->samples, "-") == 0 ? stdout : fopen(d->args->samples, "w");
		if (!d->samples.out) {
			log_err("%s: %s", d->args->samples, strerror(errno));
			return EX_CANTCREAT;
		}
		sample_csv_header(d->samples.out);
	}
	if (!c->redis && !c->jsonl)
		log_warn("no alert sink configured ([redis] address, [jsonl] path): alerts go to "
			 "standard output");
	if ((c->jsonl || !c->redis) && !(d->jsonl = jsonl_sink_open(c->jsonl ? c->jsonl : "-")))
		return EX_CANTCREAT;
	if (!c->redis)
		return EX_OK;
	if (!(d->spool = spool_open(c->spool_dir, c->spool_max_bytes, err, sizeof err))) {
		log_err("spool: %s", err);
		return EX_CANTCREAT;
	}
	if (spool_stats(d->spool)->cut_bytes)
		log_warn("spool: %" PRIu64 " bytes of a torn record cut at the end",
			 spool_stats(d->spool)->cut_bytes);
	struct redis_sink_config rc = { c->redis, c->redis_password_file, c->stream, c->maxlen,
					c->connect_timeout_ms, c->command_timeout_ms };
	return (d->redis = redis_sink_new(d->loop, &rc, d->spool)) ? EX_OK : EX_CONFIG;
}

static void close_sinks(struct daemon *d)
{
	redis_sink_free(d->redis);
	spool_close(d->spool);
	jsonl_sink_close(d->jsonl);
	if (d->samples.out && d->samples.out != stdout)
		fclose(d->samples.out);
}

/* --- timers, signals, stopping ------------------------------------------------------------ */

static void log_progress(struct daemon *d)
{
	const struct window_stats *ws = window_table_stats(d->table);
	log_info("%" PRIu64 " frames, %" PRIu64 " samples in %" PRIu64 " closed windows, %" PRIu64
		 " alerts", d->tally.frames, ws->samples, ws->windows, scorer_stats(d->scorer)->alerts);
}

/* Every second: live windows close by the wall clock too (a quiet network
 * still gets its alerts); a replay says how far it got now and then. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	time_t now = time(NULL);
	(void)loop, (void)revents;

	if (d->n_live && d->table) {
		window_table_advance(d->table, (int64_t)now, emit_sample, d);
		report_new_drops(d);
	}
	if (d->args->n_files && now >= d->progress_at + PROGRESS_SECONDS) {
		d->progress_at = now;
		log_progress(d);
	}
}

static void on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	(void)revents;
	int gave_up = d->redis && redis_sink_unreachable(d->redis) &&
		      redis_sink_stats(d->redis)->failures > d->drain_failures;
	if (!d->redis || redis_sink_drained(d->redis) || gave_up || ev_now(loop) >= d->drain_until) {
		if (d->redis && !redis_sink_drained(d->redis))
			log_warn("%" PRIu64 " alerts stay in the spool; they are sent at the next start",
				 spool_stats(d->spool)->pending);
		ev_break(loop, EVBREAK_ALL);
	}
}

/* Stops reading, closes and scores the open windows, then waits (a
 * bounded time) for the alerts to be delivered before the loop ends. */
static void stop(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("stopping: %s", why);
	ev_idle_stop(d->loop, &d->replay_w);
	ev_timer_stop(d->loop, &d->pacing_w);
	ev_timer_stop(d->loop, &d->tick);
	log_sources(d);
	close_live_sources(d);
	capture_close(d->replay);
	d->replay = NULL;
	close_table(d);
	log_info("%" PRIu64 " frames; %" PRIu64 " windows scored, %" PRIu64 " alerts, %" PRIu64
		 " suppressed", d->tally.frames, scorer_stats(d->scorer)->windows,
		 scorer_stats(d->scorer)->alerts, scorer_stats(d->scorer)->suppressed);
	d->drain_until = ev_now(d->loop) + DRAIN_SECONDS;
	if (d->redis) { /* undelivered alerts: one more attempt, then they wait in the spool */
		d->drain_failures = redis_sink_stats(d->redis)->failures;
		if (!redis_sink_drained(d->redis))
			redis_sink_retry_now(d->redis);
	}
	ev_timer_init(&d->drain, on_drain, 0, 0.05);
	d->drain.data = d;
	ev_timer_start(d->loop, &d->drain);
}

/* SIGHUP: a new configuration (alert settings take effect now; sources,
 * sinks and the window length at the next start) and model. */
static void reload(struct daemon *d)
{
	struct config fresh;
	log_info("reloading");
	if (load_settings(d->args, &fresh) != EX_OK) {
		log_err("reload refused: the running configuration stays");
		return;
	}
	struct model *m = load_model(fresh.model);
	if (!m) {
		log_err("reload refused: model %s is running still", scorer_model(d->scorer)->id);
		config_free(&fresh);
		return;
	}
	fresh.window = d->conf.window;
	config_free(&d->conf);
	d->conf = fresh;
	swap_model(d, m);
	struct scorer_settings set = scorer_settings_of(&d->conf);
	scorer_set_settings(d->scorer, &set);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	(void)loop, (void)revents;
	if (w->signum == SIGHUP)
		reload(d);
	else
		stop(d, w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void watch_signal(struct daemon *d, ev_signal *w, int signum)
{
	ev_signal_init(w, on_signal, signum);
	w->data = d;
	ev_signal_start(d->loop, w);
}

/* --- the command --------------------------------------------------------------------------- */

static int start(struct daemon *d)
{
	char err[512];
	int rc;
	struct model *m = load_model(d->conf.model);
	struct scorer_settings set = scorer_settings_of(&d->conf);

	if (!m)
		return EX_DATAERR;
	if (!(d->scorer = scorer_new(m, &set, deliver, d, err, sizeof err))) {
		log_err("%s: %s", d->conf.model, err);
		return EX_DATAERR;
	}
	log_info("model %s: %d features, windows of %u s", m->id, m->n_features, m->window_seconds);
	/* replayed packets come in time order; flow records come when flows expire */
	d->lateness = d->args->n_files ? (d->args->common.format == INPUT_PCAP ? 0 : 3600)
				       : config_lateness(&d->conf);
	if (d->args->n_files && d->conf.lateness >= 0)
		d->lateness = (uint32_t)d->conf.lateness;
	if (!(d->nf = netflow_new()))
		return EX_OSERR;
	if ((rc = open_table(d)) != EX_OK || (rc = open_sinks(d)) != EX_OK ||
	    (rc = open_live_sources(d)) != EX_OK)
		return rc;
	if (d->args->n_files)
		start_replay(d);
	ev_timer_init(&d->tick, on_tick, 1.0, 1.0);
	d->tick.data = d;
	ev_timer_start(d->loop, &d->tick);
	watch_signal(d, &d->sig_term, SIGTERM);
	watch_signal(d, &d->sig_int, SIGINT);
	watch_signal(d, &d->sig_hup, SIGHUP);
	return EX_OK;
}

static void finish(struct daemon *d)
{
	close_live_sources(d);
	capture_close(d->replay);
	if (d->table && d->scorer)
		close_table(d);
	close_sinks(d);
	scorer_free(d->scorer);
	netflow_free(d->nf);
	config_free(&d->conf);
}

int cmd_run(int argc, char **argv)
{
	struct run_args args = { 0 };
	struct daemon d = { .args = &args };
	int rc = parse_args(argc, argv, &args);

	if (rc == EX_OK && (rc = cli_apply_common(&args.common)) == EX_OK &&
	    (rc = load_settings(&args, &d.conf)) == EX_OK) {
		log_init(d.conf.log_level);
		if (args.n_files && args.common.format == INPUT_AUTO)
			args.common.format = cli_input_format(&args.common, args.files[0]);
		d.loop = ev_default_loop(EVFLAG_AUTO);
		if ((rc = start(&d)) == EX_OK) {
			ev_run(d.loop, 0);
			rc = d.exit_code;
		}
		finish(&d);
	}
	free(args.files);
	return rc;
}
