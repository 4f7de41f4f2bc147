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
#include <sys/resource.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "run/daemon.h"
#include "capture/inputs.h"
#include "base/defaults.h"
#include "base/hostport.h"
#include "common/log.h"
#include "common/metrics.h"
#include "run/notify.h"
#include "run/privileges.h"
#include "run/run_metrics.h"

enum {
	OPT_REDIS = OPT_FIRST_COMMAND_OPTION,
	OPT_STREAM,
	OPT_JSONL,
	OPT_SAMPLES,
	OPT_SPOOL,
	OPT_REPLAY_PPS,
};

#define DRAIN_SECONDS 10.0   /* at exit, how long undelivered alerts may hold it up */
#define PROGRESS_SECONDS 10  /* a progress line while replaying */

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
		log_err("run: unexpected argument '%s' (capture files are given with -r)",
			argv[optind]);
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
	const char *const *strings[] = { &a->redis, &a->stream,	  &a->jsonl,
					 &a->spool, &a->model,	  &a->common.filter,
					 &a->common.decapsulate };
	char **fields[] = { &c->redis, &c->stream, &c->jsonl,	   &c->spool_dir,
			    &c->model, &c->bpf,	   &c->decapsulate };
	int rc = a->config_path ? cli_load_config(a->config_path, c) : (config_init(c), EX_OK);

	if (rc != EX_OK)
		return rc;
	if (c->n_units)
		log_warn("%s: %d [unit] sections are for train and detect; this daemon scores "
			 "its one model (run one daemon per unit's model)", a->config_path,
			 c->n_units);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (*strings[i] && config_set_string(fields[i], *strings[i]) < 0)
			rc = EX_OSERR;
	if (a->common.features.window)
		c->window = a->common.features.window;
	if (a->n_ifaces || a->n_files) { /* the command line names the sources */
		for (int i = 0; i < c->n_interfaces; i++)
			free(c->interfaces[i]);
		c->n_interfaces = 0;
		for (int i = 0; i < a->n_ifaces && rc == EX_OK; i++)
			if (config_set_string(&c->interfaces[c->n_interfaces++], a->ifaces[i]) < 0)
				rc = EX_OSERR;
	}
	if (a->n_files || a->n_ifaces) { /* the command line names the sources */
		for (int i = 0; i < c->n_follow; i++)
			free(c->follow[i]);
		c->n_follow = 0;
	}
	if (a->n_files) {
		for (int i = 0; i < c->n_listen; i++)
			free(c->listen[i]);
		c->n_listen = 0;
	}
	if (rc == EX_OK)
		rc = cli_default_state(c);
	if (rc == EX_OK && !c->model && c->role != CONFIG_ROLE_SENSOR) {
		log_err("run: no model: give -m MODEL or [model] path");
		rc = EX_CONFIG;
	}
	if (rc == EX_OK && !a->n_files && !c->window && cli_cold_start(c)) {
		log_err("run: a cold start (no model at %s yet, [retrain] history_dir set) needs "
			"[window] length: there is no model to take it from",
			c->model ? c->model : "[model] path");
		rc = EX_CONFIG;
	}
	if (rc == EX_OK && c->role == CONFIG_ROLE_SCORER && (a->n_files || a->n_ifaces)) {
		log_err("run: a scorer ([role] mode = scorer) reads the sensors' windows, not "
			"packets: give -r and -i to the sensors");
		rc = EX_USAGE;
	}
	if (rc == EX_OK && c->role != CONFIG_ROLE_SCORER && !a->n_files && !c->n_interfaces &&
	    !c->n_listen && !c->n_follow) {
		log_err("run: no source: give -i IFACE, -r FILE, or [capture] interface, [netflow] "
			"listen or [files] follow");
		rc = EX_CONFIG;
	}
	if (rc != EX_OK)
		config_free(c);
	return rc;
}

/* --- sinks -------------------------------------------------------------------------------- */

/* --- timers, signals, stopping ------------------------------------------------------------ */

static void log_progress(struct daemon *d)
{
	struct score_counts counts;
	struct window_stats ws;
	struct decode_tally tally;
	windows_counts(d->windows, &counts);
	windows_stats(d->windows, &ws);
	sources_tally(d->sources, &tally);
	log_info("%" PRIu64 " frames, %" PRIu64 " samples in %" PRIu64 " closed windows, %" PRIu64
		 " alerts", tally.frames, ws.samples, ws.windows, counts.scorer.alerts);
}

/* What systemd's STATUS line says (the packet rate since the last call). */
static struct notify_state state_of(struct daemon *d)
{
	struct notify_state s = { .retraining = retraining_running(d->retraining) };
	struct decode_tally tally;
	struct window_stats ws;
	struct score_counts n;
	s.model_id = windows_model_id(d->windows, &s.model_time);
	sources_tally(d->sources, &tally);
	windows_stats(d->windows, &ws);
	windows_counts(d->windows, &n);
	s.packets_per_second = tally.frames - d->status_frames;
	d->status_frames = tally.frames;
	s.windows = ws.windows;
	s.alerts = n.scorer.alerts;
	s.learning = windows_learning(d->windows, &s.have, &s.need);
	return s;
}

/* Every second: live windows close by the wall clock too (a quiet network
 * still gets its alerts), retraining is due or not, systemd hears the
 * state; a replay says how far it got now and then. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	time_t now = time(NULL);
	(void)loop, (void)revents;

	sources_tick(d->sources, now);
	if (d->stopping) /* no source was left */
		return;
	windows_tick(d->windows, now);
	roles_tick(d->roles);
	retraining_tick(d->retraining, now);
	if (getenv("NOTIFY_SOCKET")) { /* under systemd */
		struct notify_state st = state_of(d);
		notify_status(&st);
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
	if (!d->sinks || sinks_drained(d->sinks) || ev_now(loop) >= d->drain_until) {
		if (d->sinks)
			sinks_log_undelivered(d->sinks);
		ev_break(loop, EVBREAK_ALL);
	}
}

/* Stops reading, closes and scores the open windows, then waits (a
 * bounded time) for the alerts to be delivered before the loop ends. */
static void daemon_stop(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	notify_stopping();
	log_info("stopping: %s", why);
	ev_timer_stop(d->loop, &d->tick);
	sources_stop(d->sources); /* the workers' windows closed, every source's counts logged */
	struct window_stats ws;
	struct decode_tally tally;
	roles_pause(d->roles);
	windows_flush(d->windows); /* the summary counts the windows the flush closes */
	windows_stats(d->windows, &ws);
	sources_tally(d->sources, &tally);
	windows_close(d->windows);
	roles_stop_publishing(d->roles); /* a sensor's windows sent */
	struct score_counts n;
	uint64_t have, need;
	windows_stop_scoring(d->windows, &n); /* every window scored, its alerts in the sinks */
	capture_log_summary(&tally, &ws);
	if (!windows_learning(d->windows, &have, &need))
		log_info("%" PRIu64 " frames; %" PRIu64 " windows scored, %" PRIu64 " alerts; held "
			 "back: %" PRIu64 " repeats, %" PRIu64 " within their usual score, %" PRIu64
			 " only answering, %" PRIu64 " told as a young service's users; %" PRIu64
			 " incidents ended",
			 tally.frames, n.scorer.windows, n.scorer.alerts, n.scorer.suppressed,
			 n.scorer.usual, n.scorer.answering, n.scorer.young_service_users,
			 n.scorer.incidents_ended);
	/* (a replay reads faster than windows score, as a scorer's backlog
	 * comes: they wait by design) */
	if (n.waits && !d->args->n_files && d->conf.role != CONFIG_ROLE_SCORER)
		log_warn("the score thread fell behind: the capture waited to hand over %" PRIu64
			 " windows", n.waits);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_info("peak memory (RSS) %ld MiB; samples alive at most %zu MiB (the open "
			 "windows and those being scored)",
			 ru.ru_maxrss / 1024, windows_peak_samples(d->windows) >> 20);
	d->drain_until = ev_now(d->loop) + DRAIN_SECONDS;
	if (d->sinks) /* undelivered alerts: one more attempt, then they wait in the spool */
		sinks_start_drain(d->sinks);
	ev_timer_init(&d->drain, on_drain, 0, 0.05);
	d->drain.data = d;
	ev_timer_start(d->loop, &d->drain);
}

/* SIGHUP: a new configuration (alert settings take effect now; sources,
 * sinks and the window length at the next start) and model. */
static void reload(struct daemon *d)
{
	struct config fresh;
	struct model *m = NULL;

	notify_reloading();
	log_info("reloading");
	if (d->sinks)
		sinks_reopen(d->sinks);
	if (load_settings(d->args, &fresh) != EX_OK) {
		log_err("reload refused: the running configuration stays");
	} else if (d->conf.role != CONFIG_ROLE_SENSOR /* a sensor counts by its file alone */ &&
		   access(fresh.model, F_OK) == 0 && inputs_load_model(fresh.model, &m) != EX_OK) {
		uint64_t have, need;
		log_err("reload refused: %s", windows_learning(d->windows, &have, &need)
						      ? "still learning"
						      : "the running model stays");
		config_free(&fresh);
	} else {
		fresh.window = d->conf.window;
		if (fresh.role != d->conf.role)
			log_warn("[role] mode = %s takes effect at the next start; this run stays "
				 "a %s",
				 config_role_names[fresh.role], config_role_names[d->conf.role]);
		fresh.role = d->conf.role;
		config_free(&d->conf);
		d->conf = fresh;
		if (m)
			windows_use_model(d->windows, m);
		else
			windows_apply_settings(d->windows);
	}
	struct notify_state st = state_of(d);
	notify_ready(&st);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	(void)loop, (void)revents;
	if (w->signum == SIGHUP)
		reload(d);
	else
		daemon_stop(d, w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Set by SIGTERM and SIGINT before the loop hears of them: a thread, or the
 * loop itself, that waits on Redis reads it to stop waiting (a sensor whose
 * queue of windows is full). */
static volatile sig_atomic_t stop_asked;

static void note_stop(int signum)
{
	stop_asked = 1;
	ev_feed_signal(signum); /* then on_signal, on the loop (async-signal-safe) */
}

static void watch_signal(struct daemon *d, ev_signal *w, int signum)
{
	ev_signal_init(w, on_signal, signum);
	w->data = d;
	ev_signal_start(d->loop, w);
	if (signum != SIGHUP) { /* in place of libev's handler, which it calls */
		struct sigaction sa = { .sa_handler = note_stop, .sa_flags = SA_RESTART };
		sigfillset(&sa.sa_mask);
		sigaction(signum, &sa, NULL);
	}
}

/* --- the command --------------------------------------------------------------------------- */

/* The model at [model] path; without one, a daemon that retrains starts
 * learning (a cold start). */
static int start_model(struct daemon *d)
{
	if (d->conf.role == CONFIG_ROLE_SCORER && access(d->conf.model, F_OK) != 0 &&
	    roles_fetch_model(d->roles) != EX_OK)
		log_info("no model at %s, none published by the fleet's scorers", d->conf.model);
	if (d->conf.history_dir && access(d->conf.model, F_OK) != 0) {
		log_info("no model at %s yet: learning from the traffic until the history holds %u "
			 "windows", d->conf.model, d->conf.min_windows);
		return EX_OK;
	}
	struct model *m;
	int rc = inputs_load_model(d->conf.model, &m);
	return rc == EX_OK ? windows_use_model(d->windows, m) : rc;
}

/* The sources count into the windows' table, and end the run through
 * daemon_stop. */
static struct window_table *counting_table(void *ctx)
{
	return windows_table(((struct daemon *)ctx)->windows);
}

static void reading_done(void *ctx, const char *why, int exit_code)
{
	struct daemon *d = ctx;
	if (exit_code != EX_OK)
		d->exit_code = exit_code;
	daemon_stop(d, why);
}

/* What this host does with its windows: scores them (alone, or a
 * scorer's from the sensors), or, a sensor, sends them to the scorers.
 * Returns a sysexits code. */
static int start_role(struct daemon *d, int cold)
{
	int rc, role = d->conf.role;
	if (role == CONFIG_ROLE_SENSOR)
		return (rc = windows_open(d->windows)) != EX_OK
			       ? rc
			       : roles_start_publishing(d->roles, &stop_asked);
	if ((rc = windows_start_scoring(d->windows, cold)) != EX_OK ||
	    (rc = start_model(d)) != EX_OK ||
	    (!windows_table(d->windows) && (rc = windows_open(d->windows)) != EX_OK))
		return rc;
	return role == CONFIG_ROLE_SCORER ? roles_start_collecting(d->roles) : EX_OK;
}

static int start(struct daemon *d)
{
	struct sources_input in = { &d->args->common, d->args->files, d->args->n_files,
				    d->args->replay_pps };
	struct sources_hooks hooks = { counting_table, reading_done, d };
	struct windows_context wc = { d->loop, &d->conf, &d->args->common, NULL, NULL, 0 };
	int rc;
	/* replayed packets come in time order; flow records come when flows expire */
	wc.lateness = d->args->n_files
			      ? (d->args->common.format == INPUT_PCAP ? 0 : DEFAULT_FLOW_LATENESS)
			      : config_lateness(&d->conf);
	if (d->args->n_files && d->conf.lateness >= 0)
		wc.lateness = (uint32_t)d->conf.lateness;
	/* a cold start (no model yet) counts the whole history: it waits for windows */
	int cold = d->conf.history_dir && d->conf.model && access(d->conf.model, F_OK) != 0;
	/* the sources open first: with capture workers, the windows start them */
	if (!(d->sources = sources_open(d->loop, &d->conf, &in, &hooks, &rc)) ||
	    !(d->sinks = sinks_open(d->loop, &d->conf, d->args->samples, &rc)))
		return rc;
	wc.sinks = d->sinks;
	wc.sources = d->sources;
	if (!(d->windows = windows_new(&wc)) ||
	    !(d->roles = roles_new(d->loop, &d->conf, d->windows, d->sinks)) ||
	    !(d->retraining = retraining_new(d->loop, &d->conf, &d->args->common, d->windows)))
		return EX_OSERR;
	if ((rc = start_role(d, cold)) != EX_OK ||
	    (rc = metrics_open(d->loop, d->conf.metrics_listen, &d->metrics)) != EX_OK ||
	    (rc = privileges_drop(&d->conf)) != EX_OK)
		return rc;
	metrics_add(d->metrics, sources_write_metrics, d->sources);
	metrics_add(d->metrics, run_metrics_windows, d->windows);
	metrics_add(d->metrics, roles_write_metrics, d->roles);
	metrics_add(d->metrics, run_metrics_alerts, d->windows);
	metrics_add(d->metrics, sinks_write_metrics, d->sinks);
	metrics_add(d->metrics, run_metrics_model, d->windows);
	metrics_add(d->metrics, retraining_write_metrics, d->retraining);
	if (d->args->n_files) {
		d->progress_at = time(NULL);
		sources_start_replay(d->sources);
	}
	ev_timer_init(&d->tick, on_tick, 1.0, 1.0);
	d->tick.data = d;
	ev_timer_start(d->loop, &d->tick);
	watch_signal(d, &d->sig_term, SIGTERM);
	watch_signal(d, &d->sig_int, SIGINT);
	watch_signal(d, &d->sig_hup, SIGHUP);
	notify_start_watchdog(d->loop, &d->watchdog);
	struct notify_state st = state_of(d);
	notify_ready(&st);
	return EX_OK;
}

static void finish(struct daemon *d)
{
	retraining_free(d->retraining); /* cancelled: its model is not taken */
	d->retraining = NULL;
	sources_stop(d->sources);
	/* the windows closed (a sensor's sent) and scored before the fleet and
	 * the sources go */
	if (d->windows)
		windows_close(d->windows);
	roles_stop_publishing(d->roles);
	if (d->windows)
		windows_stop_scoring(d->windows, NULL);
	roles_free(d->roles);
	windows_free(d->windows);
	sources_free(d->sources);
	metrics_close(d->metrics);
	d->metrics = NULL;
	sinks_close(d->sinks);
	config_free(&d->conf);
}

int cmd_run(int argc, char **argv)
{
	struct run_args args = { 0 };
	struct daemon d = { .args = &args };
	int rc = parse_args(argc, argv, &args);

	/* the daemon's cores belong to its own threads (capture, scoring): a
	 * BLAS worker that spins between the small products of window scoring
	 * takes one from them (bench: run -r 20 % slower with two) */
	if (args.common.threads == 0)
		args.common.threads = 1;
	if (rc == EX_OK && (rc = cli_apply_common(&args.common)) == EX_OK &&
	    (rc = load_settings(&args, &d.conf)) == EX_OK) {
		log_init(d.conf.log_level);
		if (args.n_files && args.common.format == INPUT_AUTO)
			args.common.format = inputs_format(&args.common, args.files[0]);
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
