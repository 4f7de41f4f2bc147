/* The daemon's windows: the table that counts samples, the hand-over of
 * each closed window to the score thread (score_thread.h: the sources'
 * memory, scoring, history) and what comes back (alerts to the sinks, the
 * window's log line), the --samples rows, the model in use and its
 * retraining. A daemon without a model yet (a cold start) counts and keeps
 * history only, until the history holds enough windows to train the first
 * one. All of it runs on the loop's thread. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/isotime.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"

#define EXPIRE_SECONDS 3600 /* how often old history segments are looked for */

/* A closed window's samples, handed over by the table: the --samples rows,
 * then they wait in pending for window_closed (the score thread's). */
static int window_handed_over(void *ctx, int64_t start, struct sample_set *set)
{
	struct daemon *d = ctx;
	for (size_t i = 0; i < set->n; i++)
		sinks_sample(d->sinks, start, &set->s[i]->src, &set->s[i]->c);
	sample_set_free(&d->pending);
	d->pending = *set;
	return 0;
}

static void window_closed(void *ctx, int64_t start, size_t samples, size_t refused)
{
	struct daemon *d = ctx;
	char when[ISOTIME_LEN];

	if (refused)
		log_err("out of memory: %zu of the %zu samples of window %s were kept", samples,
			samples + refused, isotime_format(start, when));
	if (d->scoring)
		score_thread_window(d->scoring, start, samples, &d->pending);
	else /* closing at the end of a start that failed */
		sample_set_free(&d->pending);
	sinks_window_done(d->sinks);
}

/* The history's failures, logged once an episode (a full disk fails every
 * window until space returns), with what they cost. */
static void note_history(struct daemon *d, const struct window_result *r, const char *when)
{
	if (r->history_failed) {
		d->history_lost++;
		if (!d->history_failing)
			log_err("history: cannot write (%s) from window %s on: those windows are "
				"not kept for retraining (scoring goes on)",
				strerror(r->history_failed), when);
	} else if (d->history_failing) {
		log_info("history: writing again from window %s (%" PRIu64 " windows lost in all)",
			 when, d->history_lost);
	}
	d->history_failing = r->history_failed != 0;
}

/* A window back from the score thread: its alerts to the sinks, its line. */
static void window_scored(void *ctx, const struct window_result *r)
{
	struct daemon *d = ctx;
	char when[ISOTIME_LEN];

	isotime_format(r->start, when);
	if (r->baseline_reset)
		log_info("baseline: window %s is older than what the sources' memory holds (a "
			 "replay "
			 "of earlier traffic?): the memory starts afresh",
			 when);
	sinks_deliver(d->sinks, r->alert, r->n_alerts);
	if (r->scored)
		log_info("window %s: %zu samples, %" PRIu64 " alerts, %" PRIu64 " suppressed "
			 "(threshold %.3g)",
			 when, r->samples, r->alerts, r->suppressed, r->threshold);
	else
		log_info("window %s: %zu samples; learning (%" PRIu64 " of %u windows)", when,
			 r->samples, r->history_windows, d->conf.min_windows);
	note_history(d, r, when);
}

static struct capture_workers *workers(const struct daemon *d)
{
	return d->sources ? sources_workers(d->sources) : NULL;
}

/* With capture workers, the loop's own table is the last part of each
 * window (window_parts.h): its windows go there, and come back whole. */
static int loop_part_handed(void *ctx, int64_t start, struct sample_set *set)
{
	struct daemon *d = ctx;
	window_parts_add(d->parts, capture_workers_count(workers(d)), start, set);
	return 0;
}

static void window_whole(void *ctx, int64_t start, struct sample_set *set)
{
	size_t n = set->n;
	window_handed_over(ctx, start, set);
	window_closed(ctx, start, n, 0);
}

/* The workers count into tables of their own, the loop's a part beside
 * them. Returns a sysexits code. */
static int start_workers(struct daemon *d)
{
	int n = capture_workers_count(workers(d));
	/* the sources spread evenly: each worker holds its share of the bound */
	size_t share = (size_t)((d->conf.max_samples + (uint64_t)n - 1) / (uint64_t)n);
	struct worker_tables t = { d->table_spec.window_seconds, d->lateness, share,
				   &d->table_spec.loc, d->table_spec.filter };
	d->parts = window_parts_new(d->loop, n + 1, t.window_seconds, t.lateness, window_whole, d);
	if (!d->parts)
		return EX_OSERR;
	window_table_set_partial(d->table);
	window_table_hand_over(d->table, loop_part_handed, d);
	window_table_on_close(d->table, NULL, NULL);
	if (!sources_listening(d->sources)) /* the loop counts nothing: no window waits for it */
		window_parts_mark(d->parts, n, INT64_MAX);
	return capture_workers_start(workers(d), &t, d->parts);
}

/* A counting spec (window, locations, filter) as text: two models with the
 * same text can share a window table. From the model, or without one from
 * the configuration (a cold start). */
static char *counting_key(const struct daemon *d, const char *spec_json, struct feature_spec *out)
{
	char err[512];
	struct feature_options o = d->args->common.features;
	if (spec_json) {
		if (feature_spec_from_json(out, spec_json, err, sizeof err) < 0)
			return NULL;
	} else {
		o.window = d->conf.window;
		o.locations = d->conf.locations;
		if (feature_options_counting_spec(&o, out, err, sizeof err) < 0) {
			log_err("%s", err);
			return NULL;
		}
	}
	if (d->conf.window)
		out->window_seconds = d->conf.window;
	struct feature_spec counting = *out;
	counting.n_terms = 0;
	return feature_spec_to_json(&counting);
}

int windows_open(struct daemon *d)
{
	const struct model_brief *m = &d->model;
	if (!(d->table_key = counting_key(d, m->feature_spec, &d->table_spec)))
		return m->feature_spec ? EX_DATAERR : EX_CONFIG;
	if (m->feature_spec && d->conf.window && d->conf.window != m->window_seconds)
		log_warn("windows of %u s, but model %s was trained on %u s windows",
			 d->conf.window, m->id, m->window_seconds);
	d->table = window_table_new(d->table_spec.window_seconds, d->lateness,
				    (size_t)d->conf.max_samples, &d->table_spec.loc);
	if (!d->table)
		return EX_OSERR;
	window_table_set_filter(d->table, d->table_spec.filter);
	window_table_on_close(d->table, window_closed, d);
	window_table_hand_over(d->table, window_handed_over, d);
	return workers(d) ? start_workers(d) : EX_OK;
}

void windows_flush(struct daemon *d)
{
	capture_workers_stop(workers(d));
	if (d->table)
		window_table_flush(d->table, NULL, NULL);
	if (d->parts) {
		window_parts_mark(d->parts, capture_workers_count(workers(d)), INT64_MAX);
		window_parts_deliver(d->parts);
	}
}

void windows_stats(const struct daemon *d, struct window_stats *sum)
{
	memset(sum, 0, sizeof *sum);
	if (d->table)
		*sum = *window_table_stats(d->table);
	if (workers(d))
		capture_workers_window_stats(workers(d), sum);
	if (d->parts) {
		struct merge_stats st;
		window_parts_stats(d->parts, &sum->windows, &st);
	}
}

void windows_close(struct daemon *d)
{
	if (!d->table)
		return;
	windows_flush(d);
	window_parts_free(d->parts);
	d->parts = NULL;
	window_table_free(d->table);
	d->table = NULL;
	feature_spec_free(&d->table_spec);
	free(d->table_key);
	d->table_key = NULL;
}

struct model *windows_load_model(const char *path)
{
	char err[512];
	struct model *m = model_load(path, err, sizeof err);
	if (!m)
		log_err("%s", err);
	return m;
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

void windows_apply_settings(struct daemon *d)
{
	struct scorer_settings set = scorer_settings_of(&d->conf);
	if (d->model.feature_spec)
		score_thread_settings(d->scoring, &set);
}

/* Takes model m into use between windows (the first one ends learning). A
 * model that counts otherwise (window length, locations, filter) needs a
 * new table: the open windows are closed and scored first, with the old
 * model. Returns a sysexits code; m is taken over either way. */
int windows_use_model(struct daemon *d, struct model *m)
{
	struct feature_spec spec = { 0 };
	struct scorer_settings set = scorer_settings_of(&d->conf);
	char err[512], *key = NULL, *spec_json = NULL;

	if (scorer_check_model(m, NULL, err, sizeof err) < 0 ||
	    !(spec_json = strdup(m->feature_spec))) {
		log_err("model %s refused: %s", m->id, spec_json ? err : "out of memory");
		model_free(m);
		return d->table ? EX_DATAERR : (windows_open(d), EX_DATAERR);
	}
	key = counting_key(d, spec_json, &spec);
	feature_spec_free(&spec);
	if (!(key && d->table_key && strcmp(key, d->table_key) == 0) && d->table) {
		log_warn("model %s counts differently: the open windows are closed early", m->id);
		windows_close(d);
	}
	free(key);
	free(d->model.feature_spec);
	d->model = (struct model_brief){ .feature_spec = spec_json, .n_features = m->n_features,
					 .window_seconds = m->window_seconds };
	memcpy(d->model.id, m->id, sizeof d->model.id);
	d->model_time = (time_t)m->created_at;
	score_thread_model(d->scoring, m, &set); /* after the windows handed over before it */
	log_info("model %s in use: %d features, windows of %u s", d->model.id, d->model.n_features,
		 d->model.window_seconds);
	return d->table ? EX_OK : windows_open(d);
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

int windows_start_scoring(struct daemon *d, int cold)
{
	struct history *h;
	char *path;
	struct baseline *b = open_baseline(&d->conf, &path);
	int rc = b ? open_history(&d->conf, cold, &h) : EX_OSERR;

	if (rc == EX_OK &&
	    !(d->scoring = score_thread_start(d->loop, b, h, path, window_scored, d))) {
		history_close(h);
		rc = EX_OSERR;
	}
	if (rc != EX_OK)
		baseline_free(b);
	free(path);
	if (rc == EX_OK)
		windows_expire_history(d, time(NULL));
	return rc;
}

void windows_stop_scoring(struct daemon *d, struct score_counts *last)
{
	score_thread_stop(d->scoring, last);
	d->scoring = NULL;
}

void windows_counts(const struct daemon *d, struct score_counts *out)
{
	if (d->scoring)
		score_thread_counts(d->scoring, out);
	else
		memset(out, 0, sizeof *out);
}

/* --- history and retraining --------------------------------------------------------------------
 */

void windows_expire_history(struct daemon *d, time_t now)
{
	if (!d->conf.history_dir || now < d->expire_at)
		return;
	score_thread_expire_history(d->scoring, (int64_t)now);
	d->expire_at = now + EXPIRE_SECONDS;
}

int windows_learning(const struct daemon *d, uint64_t *have, uint64_t *need)
{
	struct score_counts n;
	windows_counts(d, &n);
	*have = n.history.windows;
	*need = d->conf.min_windows;
	return d->model.feature_spec == NULL;
}

static void retraining_done(void *ctx, struct retrain_result *r)
{
	struct daemon *d = ctx;
	d->retraining = NULL;
	d->retrain.last_seconds = r->seconds;
	if (r->history) /* a full count, which a start with a model skips */
		score_thread_history_counts(d->scoring, r->history, r->history_windows);
	if (!r->model) {
		d->retrain.failures++;
		log_err("retraining failed after %.1f s: %s; %s", r->seconds, r->why,
			d->model.feature_spec ? "the running model stays" : "still learning");
		return;
	}
	d->retrain.runs++;
	log_info("retrained in %.1f s on %zu samples (%zu known normal, %zu known anomaly; %zu "
		 "analyst verdicts): model %s", r->seconds, r->samples, r->normal, r->anomaly,
		 r->verdicts, r->model->id);
	if (!d->stopping)
		windows_use_model(d, r->model);
	else
		model_free(r->model);
}

static void start_retraining(struct daemon *d, time_t now)
{
	const struct config *c = &d->conf;
	struct retrain_request q = {
		.history_dir = c->history_dir, .model_path = c->model,
		.features = { .window = d->table_spec.window_seconds },
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
	if (d->args->common.seed_given)
		q.cfg.seed = d->args->common.seed;
	d->retrain.last_start = now;
	log_info("retraining on the history in %s", c->history_dir);
	d->retraining = retrainer_start(d->loop, &q, retraining_done, d);
	if (!d->retraining)
		d->retrain.failures++;
}

/* A first model once the history holds min_windows windows; then one
 * every interval (0: none after the first). */
void windows_schedule_retraining(struct daemon *d, time_t now)
{
	uint64_t have, need;
	if (!d->conf.history_dir || d->retraining || d->stopping || !d->conf.model)
		return;
	if (windows_learning(d, &have, &need)) {
		if (have >= need &&
		    now >= d->retrain.last_start + 10) /* failures retry after 10 s */
			start_retraining(d, now);
	} else if (d->conf.retrain_interval &&
		   now >= d->retrain.last_start + d->conf.retrain_interval) {
		if (d->retrain.last_start == 0) /* the interval runs from the start */
			d->retrain.last_start = now;
		else
			start_retraining(d, now);
	}
}

/* --- metrics -------------------------------------------------------------------------------- */

static void write_windows(const struct daemon *d, FILE *out)
{
	struct window_stats stats;
	const struct window_stats *w = &stats;
	windows_stats(d, &stats);
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
	if (!d->parts)
		return;
	uint64_t windows;
	struct merge_stats st;
	window_parts_stats(d->parts, &windows, &st);
	metrics_value(out, "merge_joined_samples_total", "counter",
		      "Sources whose packets reached several capture workers (through tunnels), "
		      "joined into one sample.",
		      NULL, (double)st.joined);
	metrics_value(out, "merge_answers_total", "counter",
		      "Answers one capture worker counted for a host another one holds, applied "
		      "when the window was merged.",
		      NULL, (double)st.answers);
}

static void write_alerts(const struct daemon *d, FILE *out)
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

static void write_model(const struct daemon *d, FILE *out)
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

void windows_write_metrics(void *ctx, FILE *out)
{
	const struct daemon *d = ctx;
	write_windows(d, out);
	write_alerts(d, out);
	write_model(d, out);
}
