/* The daemon's windows (windows.h). */
#include "windows/windows.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/isotime.h"
#include "features/feature_options.h"
#include "common/log.h"
#include "common/metrics.h"
#include "retrain/retrainer.h"
#include "windows/scorer.h"
#include "capture/window_parts.h"

#define EXPIRE_SECONDS 3600 /* how often old history segments are looked for */
#define FLEET_LATE_SECONDS 900     /* a scorer: how late a window taken over may be */

struct retrain_stats {
	uint64_t runs, failures;
	double last_seconds;
	time_t last_start;              /* of the last retraining (0: none yet) */
};

/* The model in use, as the loop knows it (the score thread has the model). */
struct model_brief {
	char id[MODEL_ID_LEN];
	char *feature_spec;             /* NULL while learning (no model yet) */
	int n_features;
	uint32_t window_seconds;
};

/* A window a killed scorer had scored, taken again here (windows_take), with
 * the sources whose alerts it delivered. */
struct replayed {
	int64_t start;
	struct alerted *done;
	struct replayed *next;
};

struct windows {
	struct ev_loop *loop;
	const struct config *conf;
	const struct cli_common *common;
	struct sinks *sinks;
	struct sources *sources;
	uint32_t lateness;
	struct model_brief model;
	time_t model_time;              /* when the model in use was made */
	struct score_thread *scoring;
	struct window_table *table;
	struct feature_spec table_spec; /* what the table counts with */
	char *table_key;                /* that spec without vocabulary, to compare models */
	struct window_parts *parts;     /* with workers: windows in parts (the loop's last) */
	struct sample_set pending;      /* the closing window's samples */
	struct retrainer *retraining;   /* running, or NULL */
	struct retrain_stats retrain;
	uint64_t history_lost;          /* windows the history could not keep, in all */
	int history_failing;            /* the last window could not be kept */
	time_t expire_at;               /* when old history is next looked for */
	int stopping;                   /* flushed for the end: no new model */
	size_t peak_alive;              /* most memory of samples alive at once (seen) */
	struct window_sink sink;          /* a sensor's: windows go there, not to scoring */
	void (*on_model)(void *ctx);      /* told each model taken into use */
	void *on_model_ctx;
	uint64_t scored;                  /* windows back from the score thread */
	struct replayed *replayed;        /* a scorer's windows read before by another */
};

struct windows *windows_new(const struct windows_context *c)
{
	struct windows *w = calloc(1, sizeof *w);
	if (w)
		*w = (struct windows){ .loop = c->loop, .conf = c->conf, .common = c->common,
				       .sinks = c->sinks, .sources = c->sources,
				       .lateness = c->lateness };
	return w;
}

struct window_table *windows_table(const struct windows *w)
{
	return w->table;
}

const char *windows_model_id(const struct windows *w, time_t *made)
{
	*made = w->model_time;
	return w->model.id;
}

int windows_retraining(const struct windows *w)
{
	return w->retraining != NULL;
}

/* A closed window's samples, handed over by the table: the --samples rows,
 * then they wait in pending for window_closed (the score thread's). */
static int window_handed_over(void *ctx, int64_t start, struct sample_set *set)
{
	struct windows *w = ctx;
	for (size_t i = 0; i < set->n; i++)
		sinks_sample(w->sinks, start, &set->s[i]->src, &set->s[i]->c);
	sample_set_free(&w->pending);
	w->pending = *set;
	return 0;
}

/* The memory of the samples alive now: the open windows' and those with
 * the score thread. Seen at each window's close and each second. */
static void note_samples_alive(struct windows *w)
{
	struct window_stats ws;
	struct score_counts n;
	windows_stats(w, &ws);
	windows_counts(w, &n);
	if (ws.bytes + n.held_bytes > w->peak_alive)
		w->peak_alive = ws.bytes + n.held_bytes;
}

size_t windows_peak_samples(const struct windows *w)
{
	return w->peak_alive;
}

static void window_closed(void *ctx, int64_t start, size_t samples, size_t refused)
{
	struct windows *w = ctx;
	char when[ISOTIME_LEN];

	if (refused)
		log_err("out of memory: %zu of the %zu samples of window %s were kept", samples,
			samples + refused, isotime_format(start, when));
	if (w->sink.window)
		w->sink.window(w->sink.ctx, start, &w->pending);
	else if (w->scoring)
		score_thread_window(w->scoring, start, samples, &w->pending);
	else /* closing at the end of a start that failed */
		sample_set_free(&w->pending);
	note_samples_alive(w);
	sinks_window_done(w->sinks);
}

/* The history's failures, logged once an episode (a full disk fails every
 * window until space returns), with what they cost. */
static void note_history(struct windows *w, const struct window_result *r, const char *when)
{
	if (r->history_failed) {
		w->history_lost++;
		if (!w->history_failing)
			log_err("history: cannot write (%s) from window %s on: those windows are "
				"not kept for retraining (scoring goes on)",
				strerror(r->history_failed), when);
	} else if (w->history_failing) {
		log_info("history: writing again from window %s (%" PRIu64 " windows lost in all)",
			 when, w->history_lost);
	}
	w->history_failing = r->history_failed != 0;
}

/* The sources a window read again had alerts delivered for already. */
static struct alerted *take_replayed(struct windows *w, int64_t start)
{
	for (struct replayed **at = &w->replayed; *at; at = &(*at)->next)
		if ((*at)->start == start) {
			struct replayed *r = *at;
			struct alerted *done = r->done;
			*at = r->next;
			free(r);
			return done;
		}
	return NULL;
}

/* A window's alerts to the sinks, but those another scorer delivered
 * before it died (a window read again). */
static void deliver_alerts(struct windows *w, const struct window_result *r, const char *when)
{
	struct alerted *done = take_replayed(w, r->start);
	if (!done) {
		sinks_deliver(w->sinks, r->alert, r->n_alerts);
		return;
	}
	/* the records are the score thread's (it frees what they point to): the
	 * ones to send are copied, the array left as it is */
	struct alert_record *send = malloc((r->n_alerts + 1) * sizeof *send);
	size_t n = 0;
	for (size_t i = 0; send && i < r->n_alerts; i++)
		if (!alerted_holds(done, r->alert[i].src_ip))
			send[n++] = r->alert[i];
	if (!send)
		log_err("window %s: out of memory: its alerts are sent, some maybe twice", when);
	else if (n < r->n_alerts)
		log_info("window %s: %zu alerts were delivered by the scorer that read it before: "
			 "not sent again",
			 when, r->n_alerts - n);
	sinks_deliver(w->sinks, send ? send : r->alert, send ? n : r->n_alerts);
	free(send);
	alerted_free(done);
}

/* A window back from the score thread: its alerts to the sinks, its line. */
static void window_scored(void *ctx, const struct window_result *r)
{
	struct windows *w = ctx;
	char when[ISOTIME_LEN];

	isotime_format(r->start, when);
	w->scored++;
	if (r->baseline_reset)
		log_info("baseline: window %s is older than what the sources' memory holds (a "
			 "replay "
			 "of earlier traffic?): the memory starts afresh",
			 when);
	deliver_alerts(w, r, when);
	if (r->scored)
		log_info("window %s: %zu samples, %" PRIu64 " alerts, %" PRIu64 " suppressed "
			 "(threshold %.3g)",
			 when, r->samples, r->alerts, r->suppressed, r->threshold);
	else
		log_info("window %s: %zu samples; learning (%" PRIu64 " of %u windows)", when,
			 r->samples, r->history_windows, w->conf->min_windows);
	note_history(w, r, when);
}

static struct capture_workers *workers(const struct windows *w)
{
	return w->sources ? sources_workers(w->sources) : NULL;
}

/* With capture workers, the loop's own table is the last part of each
 * window (window_parts.h): its windows go there, and come back whole. */
static int loop_part_handed(void *ctx, int64_t start, struct sample_set *set)
{
	struct windows *w = ctx;
	window_parts_add(w->parts, capture_workers_count(workers(w)), start, set);
	return 0;
}

static void window_whole(void *ctx, int64_t start, struct sample_set *set)
{
	size_t n = set->n;
	window_handed_over(ctx, start, set);
	window_closed(ctx, start, n, 0);
}

void windows_take(struct windows *w, int64_t start, struct sample_set *set, struct alerted *done)
{
	struct replayed *r = done ? malloc(sizeof *r) : NULL;
	if (r) {
		*r = (struct replayed){ start, done, w->replayed };
		w->replayed = r;
	} else {
		alerted_free(done);
	}
	window_whole(w, start, set);
}

void windows_send_to(struct windows *w, const struct window_sink *sink)
{
	w->sink = sink ? *sink : (struct window_sink){ 0 };
}

void windows_on_model(struct windows *w, void (*fn)(void *ctx), void *ctx)
{
	w->on_model = fn;
	w->on_model_ctx = ctx;
}

uint32_t windows_window_seconds(const struct windows *w)
{
	return w->table_spec.window_seconds;
}

uint64_t windows_scored(const struct windows *w)
{
	return w->scored;
}

/* The workers count into tables of their own, the loop's a part beside
 * them. Returns a sysexits code. */
static int start_workers(struct windows *w)
{
	int n = capture_workers_count(workers(w));
	/* the sources spread evenly: each worker holds its share of the bound */
	size_t share = (size_t)((w->conf->max_samples + (uint64_t)n - 1) / (uint64_t)n);
	struct worker_tables t = { .window_seconds = w->table_spec.window_seconds,
				   .lateness = w->lateness,
				   .max_samples = share,
				   .loc = &w->table_spec.loc,
				   .filter = w->table_spec.filter,
				   .keep_distinct = w->conf->role == CONFIG_ROLE_SENSOR };
	w->parts = window_parts_new(w->loop, n + 1, t.window_seconds, t.lateness, window_whole, w);
	if (!w->parts)
		return EX_OSERR;
	window_table_set_partial(w->table);
	window_table_hand_over(w->table, loop_part_handed, w);
	window_table_on_close(w->table, NULL, NULL);
	if (!sources_listening(w->sources)) /* the loop counts nothing: no window waits for it */
		window_parts_mark(w->parts, n, INT64_MAX);
	return capture_workers_start(workers(w), &t, w->parts);
}

/* A counting spec (window, locations, filter) as text: two models with the
 * same text can share a window table. From the model, or without one from
 * the configuration (a cold start). */
static char *counting_key(const struct windows *w, const char *spec_json, struct feature_spec *out)
{
	char err[512];
	struct feature_options o = w->common->features;
	if (spec_json) {
		if (feature_spec_from_json(out, spec_json, err, sizeof err) < 0)
			return NULL;
	} else {
		o.window = w->conf->window;
		o.locations = w->conf->locations;
		if (feature_options_counting_spec(&o, out, err, sizeof err) < 0) {
			log_err("%s", err);
			return NULL;
		}
	}
	if (w->conf->window)
		out->window_seconds = w->conf->window;
	struct feature_spec counting = *out;
	counting.n_terms = 0;
	return feature_spec_to_json(&counting);
}

int windows_open(struct windows *w)
{
	const struct model_brief *m = &w->model;
	if (!(w->table_key = counting_key(w, m->feature_spec, &w->table_spec)))
		return m->feature_spec ? EX_DATAERR : EX_CONFIG;
	if (m->feature_spec && w->conf->window && w->conf->window != m->window_seconds)
		log_warn("windows of %u s, but model %s was trained on %u s windows",
			 w->conf->window, m->id, m->window_seconds);
	w->table = window_table_new(w->table_spec.window_seconds, w->lateness,
				    (size_t)w->conf->max_samples, &w->table_spec.loc);
	if (!w->table)
		return EX_OSERR;
	window_table_set_filter(w->table, w->table_spec.filter);
	if (w->conf->role == CONFIG_ROLE_SENSOR)
		window_table_keep_distinct(w->table);
	window_table_on_close(w->table, window_closed, w);
	window_table_hand_over(w->table, window_handed_over, w);
	return workers(w) ? start_workers(w) : EX_OK;
}

/* Every open window closed and handed to the score thread (the workers
 * stopped first: their parts are then all in). */
static void flush_tables(struct windows *w)
{
	capture_workers_stop(workers(w));
	if (w->table)
		window_table_flush(w->table, NULL, NULL);
	if (w->parts) {
		window_parts_mark(w->parts, capture_workers_count(workers(w)), INT64_MAX);
		window_parts_deliver(w->parts);
	}
}

void windows_flush(struct windows *w)
{
	w->stopping = 1;
	flush_tables(w);
}

void windows_stats(const struct windows *w, struct window_stats *sum)
{
	memset(sum, 0, sizeof *sum);
	if (w->table)
		*sum = *window_table_stats(w->table);
	if (workers(w))
		capture_workers_window_stats(workers(w), sum);
	if (w->parts) {
		struct merge_stats st;
		window_parts_stats(w->parts, &sum->windows, &st);
	}
}

void windows_close(struct windows *w)
{
	if (!w->table)
		return;
	flush_tables(w);
	window_parts_free(w->parts);
	w->parts = NULL;
	window_table_free(w->table);
	w->table = NULL;
	feature_spec_free(&w->table_spec);
	free(w->table_key);
	w->table_key = NULL;
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

void windows_apply_settings(struct windows *w)
{
	struct scorer_settings set = scorer_settings_of(w->conf);
	if (w->model.feature_spec)
		score_thread_settings(w->scoring, &set);
}

/* Takes model m into use between windows (the first one ends learning). A
 * model that counts otherwise (window length, locations, filter) needs a
 * new table: the open windows are closed and scored first, with the old
 * model. Returns a sysexits code; m is taken over either way. */
int windows_use_model(struct windows *w, struct model *m)
{
	struct feature_spec spec = { 0 };
	struct scorer_settings set = scorer_settings_of(w->conf);
	char err[512], *key = NULL, *spec_json = NULL;

	if (!w->scoring) { /* a retraining that ended after the scoring stopped (at exit) */
		log_info("model %s came after the scoring stopped: not taken into use", m->id);
		model_free(m);
		return EX_OK;
	}
	int checked = scorer_check_model(m, NULL, err, sizeof err);
	if (checked < 0 || !(spec_json = strdup(m->feature_spec))) {
		log_err("model %s refused: %s", m->id, checked < 0 ? err : "out of memory");
		model_free(m);
		return w->table ? EX_DATAERR : (windows_open(w), EX_DATAERR);
	}
	key = counting_key(w, spec_json, &spec);
	feature_spec_free(&spec);
	if (!(key && w->table_key && strcmp(key, w->table_key) == 0) && w->table) {
		log_warn("model %s counts differently: the open windows are closed early", m->id);
		windows_close(w);
	}
	free(key);
	free(w->model.feature_spec);
	w->model = (struct model_brief){ .feature_spec = spec_json, .n_features = m->n_features,
					 .window_seconds = m->window_seconds };
	memcpy(w->model.id, m->id, sizeof w->model.id);
	w->model_time = (time_t)m->created_at;
	score_thread_model(w->scoring, m, &set); /* after the windows handed over before it */
	if (w->on_model)
		w->on_model(w->on_model_ctx);
	log_info("model %s in use: %d features, windows of %u s", w->model.id, w->model.n_features,
		 w->model.window_seconds);
	return w->table ? EX_OK : windows_open(w);
}

/* --- the score thread and what it owns ------------------------------------------------------ */

/* The sources' memory, read from its state file. */
static struct baseline *open_baseline(const struct config *c, char **path)
{
	char err[512];
	struct baseline *b = baseline_new((size_t)c->baseline_max_hosts, c->baseline_horizon);

	*path = NULL;
	if (!b) {
		log_err("out of memory for the memory of %" PRIu64 " sources",
			c->baseline_max_hosts);
		return NULL;
	}
	if (c->baseline_state)
		*path = strdup(c->baseline_state);
	else if (c->history_dir && asprintf(path, "%s/baseline.state", c->history_dir) < 0)
		*path = NULL;
	if (!*path)
		return b;
	int rc = baseline_load(b, *path, err, sizeof err);
	if (rc == 0)
		log_info("baseline %s: %" PRIu64 " sources remembered", *path,
			 baseline_stats(b)->hosts);
	else if (rc != -ENOENT)
		log_warn("baseline: %s; starting with no memory of the sources", err);
	return b;
}

/* The history: every segment is counted on a cold start (it waits for a
 * number of windows), only the newest with a model. */
static int open_history(const struct config *c, int cold, struct history **h)
{
	char err[512];
	*h = NULL;
	if (!c->history_dir)
		return EX_OK;
	if (!(*h = history_open(c->history_dir, c->history_retention, cold, err, sizeof err))) {
		log_err("history: %s", err);
		return EX_CANTCREAT;
	}
	const struct history_stats *st = history_stats(*h);
	if (st->cut_bytes)
		log_warn("history: %" PRIu64 " bytes of a torn record cut at the end",
			 st->cut_bytes);
	log_info("history %s: %" PRIu64 " samples in %" PRIu64 " windows", c->history_dir,
		 st->records, st->windows);
	return EX_OK;
}

/* Deletes history past its retention, at most once an hour. */
static void expire_history(struct windows *w, time_t now)
{
	if (!w->conf->history_dir || now < w->expire_at)
		return;
	score_thread_expire_history(w->scoring, (int64_t)now);
	w->expire_at = now + EXPIRE_SECONDS;
}

int windows_start_scoring(struct windows *w, int cold)
{
	struct history *h;
	char *path;
	struct baseline *b = open_baseline(w->conf, &path);
	if (b && w->conf->role == CONFIG_ROLE_SCORER)
		baseline_accept_late(b, FLEET_LATE_SECONDS);
	int rc = b ? open_history(w->conf, cold, &h) : EX_OSERR;

	if (rc == EX_OK &&
	    !(w->scoring = score_thread_start(w->loop, b, h, path, window_scored, w))) {
		history_close(h);
		rc = EX_OSERR;
	}
	if (rc != EX_OK)
		baseline_free(b);
	free(path);
	if (rc == EX_OK)
		expire_history(w, time(NULL));
	return rc;
}

void windows_stop_scoring(struct windows *w, struct score_counts *last)
{
	score_thread_stop(w->scoring, last);
	w->scoring = NULL;
}

void windows_counts(const struct windows *w, struct score_counts *out)
{
	if (w->scoring)
		score_thread_counts(w->scoring, out);
	else
		memset(out, 0, sizeof *out);
}

/* --- history and retraining --------------------------------------------------------------------
 */

int windows_learning(const struct windows *w, uint64_t *have, uint64_t *need)
{
	struct score_counts n;
	windows_counts(w, &n);
	*have = n.history.windows;
	*need = w->conf->min_windows;
	return w->model.feature_spec == NULL;
}

static void retraining_done(void *ctx, struct retrain_result *r)
{
	struct windows *w = ctx;
	w->retraining = NULL;
	w->retrain.last_seconds = r->seconds;
	if (r->history) /* a full count, which a start with a model skips */
		score_thread_history_counts(w->scoring, r->history, r->history_windows);
	if (!r->model) {
		w->retrain.failures++;
		log_err("retraining failed after %.1f s: %s; %s", r->seconds, r->why,
			w->model.feature_spec ? "the running model stays" : "still learning");
		return;
	}
	w->retrain.runs++;
	log_info("retrained in %.1f s on %zu samples (%zu known normal, %zu known anomaly; %zu "
		 "analyst verdicts): model %s", r->seconds, r->samples, r->normal, r->anomaly,
		 r->verdicts, r->model->id);
	if (!w->stopping)
		windows_use_model(w, r->model);
	else
		model_free(r->model);
}

static void start_retraining(struct windows *w, time_t now)
{
	const struct config *c = w->conf;
	struct retrain_request q = {
		.history_dir = c->history_dir, .model_path = c->model,
		.features = { .window = w->table_spec.window_seconds },
		.known_normal = c->known_normal, .known_anomaly = c->known_anomaly,
		.max_samples = (size_t)c->train_samples, .redis = c->redis,
		.baseline_max_hosts = (size_t)c->baseline_max_hosts,
		.baseline_horizon = c->baseline_horizon, .alert_quantile = c->train_alert_quantile,
		.trim = c->train_trim,
		.password_file = c->redis_password_file, .feedback_stream = c->feedback_stream,
		.timeout_ms = c->command_timeout_ms,
	};
	cli_fill_features(&q.features, c);
	deepsad_config_default(&q.cfg);
	q.cfg.epochs = (int)c->train_epochs;
	q.cfg.lr = c->train_lr;
	q.cfg.eta = c->train_eta;
	if (w->common->seed_given)
		q.cfg.seed = w->common->seed;
	w->retrain.last_start = now;
	log_info("retraining on the history in %s", c->history_dir);
	w->retraining = retrainer_start(w->loop, &q, retraining_done, w);
	if (!w->retraining)
		w->retrain.failures++;
}

/* A first model once the history holds min_windows windows; then one
 * every interval (0: none after the first). */
static void schedule_retraining(struct windows *w, time_t now)
{
	uint64_t have, need;
	if (!w->conf->history_dir || w->retraining || w->stopping || !w->conf->model)
		return;
	if (windows_learning(w, &have, &need)) {
		if (have >= need &&
		    now >= w->retrain.last_start + 10) /* failures retry after 10 s */
			start_retraining(w, now);
	} else if (w->conf->retrain_interval &&
		   now >= w->retrain.last_start + w->conf->retrain_interval) {
		if (w->retrain.last_start == 0) /* the interval runs from the start */
			w->retrain.last_start = now;
		else
			start_retraining(w, now);
	}
}

/* A live sensor tells the scorers how far its windows are closed: those
 * ending (with lateness) at or before the clock of every part. The marks
 * are read before the whole windows are handed: each window they cover
 * is queued before the frontier that says so. */
static void say_closed(struct windows *w, time_t now)
{
	int64_t until = (int64_t)now;
	if (w->parts) {
		until = window_parts_closed_until(w->parts);
		window_parts_deliver(w->parts);
	}
	int64_t wait = (int64_t)w->lateness + (int64_t)w->table_spec.window_seconds;
	if (until != INT64_MIN && until != INT64_MAX)
		w->sink.closed_before(w->sink.ctx, until - wait + 1);
}

void windows_tick(struct windows *w, time_t now)
{
	if (sources_live(w->sources) && w->table) {
		window_table_advance(w->table, (int64_t)now, NULL, NULL);
		if (w->parts) /* the loop's table is a part too */
			window_parts_mark(w->parts, capture_workers_count(workers(w)),
					  (int64_t)now);
		if (w->sink.closed_before)
			say_closed(w, now);
	}
	schedule_retraining(w, now);
	expire_history(w, now);
	note_samples_alive(w);
}

void windows_free(struct windows *w)
{
	if (!w)
		return;
	retrainer_cancel(w->retraining);
	windows_close(w);
	windows_stop_scoring(w, NULL);
	while (w->replayed)
		alerted_free(take_replayed(w, w->replayed->start));
	free(w->model.feature_spec);
	sample_set_free(&w->pending);
	free(w);
}

/* --- metrics -------------------------------------------------------------------------------- */

static void write_windows(const struct windows *w, FILE *out)
{
	struct window_stats st;
	windows_stats(w, &st);
	metrics_value(out, "events_total", "counter",
		      "Packets and flow records offered to the window table.", NULL,
		      (double)st.packets);
	metrics_value(out, "samples_total", "counter", "Samples (window, source) closed.", NULL,
		      (double)st.samples);
	metrics_value(out, "windows_total", "counter", "Windows closed.", NULL, (double)st.windows);
	metrics_value(out, "evicted_total", "counter",
		      "Events dropped: their window was full of sources.", NULL,
		      (double)st.evicted);
	metrics_value(out, "late_total", "counter", "Events dropped: their window had closed.",
		      NULL, (double)st.late);
	metrics_value(out, "filtered_total", "counter",
		      "Events the detection unit's filter left out.", NULL, (double)st.filtered);
	metrics_value(out, "sample_memory_bytes", "gauge",
		      "Memory held by the open windows' samples.", NULL, (double)st.bytes);
	if (!w->parts)
		return;
	uint64_t windows;
	struct merge_stats merged;
	window_parts_stats(w->parts, &windows, &merged);
	metrics_value(out, "merge_joined_samples_total", "counter",
		      "Sources whose packets reached several capture workers (through tunnels), "
		      "joined into one sample.",
		      NULL, (double)merged.joined);
	metrics_value(out, "merge_answers_total", "counter",
		      "Answers one capture worker counted for a host another one holds, applied "
		      "when the window was merged.",
		      NULL, (double)merged.answers);
}

static void write_alerts(const struct windows *w, FILE *out)
{
	struct score_counts n;
	windows_counts(w, &n);
	const struct scorer_stats *s = &n.scorer;
	metrics_value(out, "alerts_total", "counter", "Alerts made.", NULL,
		      s ? (double)s->alerts : 0);
	metrics_value(
		out, "alerts_suppressed_total", "counter",
		"Alerts held back: the source repeated what its open incident was alerted for.",
		NULL, s ? (double)s->suppressed : 0);
	metrics_value(out, "incidents_ended_total", "counter",
		      "Incidents told as ended (their source quiet for 3 windows).", NULL,
		      s ? (double)s->incidents_ended : 0);
	metrics_value(out, "alerts_within_usual_total", "counter",
		      "Samples above the threshold held back: within their source's usual score.",
		      NULL, s ? (double)s->usual : 0);
	metrics_value(out, "alerts_answering_total", "counter",
		      "Samples above the threshold held back: what their source served was "
		      "provoked by others (no new service, or a client alerted itself).",
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
	sinks_write_metrics(w->sinks, out);
}

static void write_model(const struct windows *w, FILE *out)
{
	uint64_t have, need;
	int learning = windows_learning(w, &have, &need);
	metrics_value(out, "learning", "gauge", "1 while no model exists yet (a cold start).", NULL,
		      learning);
	metrics_value(
		out, "history_windows", "gauge",
		"Windows in the history (all of it at a cold start and after a retraining; else "
		"those since the newest day's).",
		NULL, (double)have);
	metrics_value(out, "model_created_timestamp_seconds", "gauge",
		      "When the model in use was made, in seconds since the epoch (0 while "
		      "learning).",
		      NULL, learning ? 0 : (double)w->model_time);
	metrics_value(out, "history_lost_windows_total", "counter",
		      "Windows the history could not keep (its disk full, I/O errors).", NULL,
		      (double)w->history_lost);
	metrics_value(out, "retrain_total", "counter", "Retrainings that gave a model.", NULL,
		      (double)w->retrain.runs);
	metrics_value(out, "retrain_failures_total", "counter",
		      "Retrainings that failed (the model stayed).", NULL,
		      (double)w->retrain.failures);
	metrics_value(out, "retrain_last_duration_seconds", "gauge",
		      "How long the last retraining took.", NULL, w->retrain.last_seconds);
	metrics_value(out, "retrain_running", "gauge", "1 while a retraining runs.", NULL,
		      w->retraining != NULL);
}

void windows_write_metrics(void *ctx, FILE *out)
{
	const struct windows *w = ctx;
	write_windows(w, out);
	write_alerts(w, out);
	write_model(w, out);
}
