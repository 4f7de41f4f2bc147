/* The daemon's windows: the table that counts samples, what happens when a
 * window closes (scoring, history, the --samples rows), the model in use
 * and its retraining. A daemon without a model yet (a cold start) counts
 * and keeps history only, until the history holds enough windows to train
 * the first one. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "daemon.h"
#include "log.h"

#define EXPIRE_SECONDS 3600 /* how often old history segments are looked for */

void windows_emit(void *ctx, int64_t start, const decode_addr *src, const struct window_counters *c)
{
	struct daemon *d = ctx;
	sample_set_collect(&d->pending, start, src, c);
	if (d->samples.out)
		sample_csv_row(&d->samples, start, src, c);
}

static void keep_history(struct daemon *d, int64_t start)
{
	if (!d->history)
		return;
	if (d->pending.n && history_append(d->history, &d->pending) < 0)
		log_err("history: window %lld not kept: %s", (long long)start, strerror(errno));
}

static void window_closed(void *ctx, int64_t start, size_t samples)
{
	struct daemon *d = ctx;
	char when[ISOTIME_LEN];

	isotime_format(start, when);
	if (d->pending.n < samples)
		log_err("out of memory: %zu of the %zu samples of window %s were kept", d->pending.n,
			samples, when);
	uint64_t resets = baseline_stats(d->baseline)->resets;
	sample_set_observe(&d->pending, d->baseline);
	if (baseline_stats(d->baseline)->resets != resets)
		log_info("baseline: window %s is older than what the sources' memory holds (a replay "
			 "of earlier traffic?): the memory starts afresh", when);
	if (d->scorer) {
		const struct scorer_stats *st = scorer_stats(d->scorer);
		uint64_t alerts = st->alerts, suppressed = st->suppressed;
		scorer_score(d->scorer, start, &d->pending, d->baseline);
		log_info("window %s: %zu samples, %" PRIu64 " alerts, %" PRIu64 " suppressed "
			 "(threshold %.3g)", when, samples, st->alerts - alerts,
			 st->suppressed - suppressed, st->threshold);
	} else {
		uint64_t have = 0, need = 0;
		windows_learning(d, &have, &need);
		log_info("window %s: %zu samples; learning (%" PRIu64 " of %" PRIu64 " windows)", when,
			 samples, have + (d->history != NULL), need);
	}
	keep_history(d, start);
	sample_set_free(&d->pending);
	if (d->samples.out)
		fflush(d->samples.out);
}

/* A counting spec (window, locations, filter) as text: two models with the
 * same text can share a window table. From the model, or without one from
 * the configuration (a cold start). */
static char *counting_key(const struct daemon *d, const struct model *m, struct feature_spec *out)
{
	char err[256];
	struct cli_common c = d->args->common;
	if (m) {
		if (feature_spec_from_json(out, m->feature_spec, err, sizeof err) < 0)
			return NULL;
	} else {
		c.window = d->conf.window;
		c.locations = d->conf.locations;
		if (cli_counting_spec(&c, out) != EX_OK)
			return NULL;
	}
	if (d->conf.window)
		out->window_seconds = d->conf.window;
	struct feature_spec counting = *out;
	counting.n_terms = 0;
	return feature_spec_to_json(&counting);
}

int windows_open(struct daemon *d)
{
	const struct model *m = d->scorer ? scorer_model(d->scorer) : NULL;
	if (!(d->table_key = counting_key(d, m, &d->table_spec)))
		return m ? EX_DATAERR : EX_CONFIG;
	if (m && d->conf.window && d->conf.window != m->window_seconds)
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

void windows_close(struct daemon *d)
{
	if (!d->table)
		return;
	window_table_flush(d->table, windows_emit, d);
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
	if (d->scorer)
		scorer_set_settings(d->scorer, &set);
}

/* Takes model m into use between windows (the first one ends learning). A
 * model that counts otherwise (window length, locations, filter) needs a
 * new table: the open windows are closed and scored first, with the old
 * model. Returns a sysexits code; m is taken over either way. */
int windows_use_model(struct daemon *d, struct model *m)
{
	struct feature_spec spec = { 0 };
	struct scorer_settings set = scorer_settings_of(&d->conf);
	char err[512], *key = counting_key(d, m, &spec);
	int same = key && d->table_key && strcmp(key, d->table_key) == 0;

	feature_spec_free(&spec);
	free(key);
	if (!same && d->table) {
		log_warn("model %s counts differently: the open windows are closed early", m->id);
		windows_close(d);
	}
	const char *id = m->id;
	int64_t made = m->created_at;
	int ok = d->scorer ? scorer_set_model(d->scorer, m, err, sizeof err) == 0
			   : (d->scorer = scorer_new(m, &set, daemon_deliver, d, err, sizeof err)) != NULL;
	if (!ok) {
		log_err("model %s refused: %s", id, err);
		model_free(m);
		return d->table ? EX_DATAERR : (windows_open(d), EX_DATAERR);
	}
	scorer_set_settings(d->scorer, &set);
	d->model_time = (time_t)made;
	log_info("model %s in use: %d features, windows of %u s", scorer_model(d->scorer)->id,
		 scorer_model(d->scorer)->n_features, scorer_model(d->scorer)->window_seconds);
	return d->table ? EX_OK : windows_open(d);
}

/* --- the sources' memory ------------------------------------------------------------------------ */

#define BASELINE_SAVE_SECONDS 300

int windows_open_baseline(struct daemon *d)
{
	const struct config *c = &d->conf;
	char err[512];

	if (!(d->baseline = baseline_new((size_t)c->baseline_max_hosts, c->baseline_horizon))) {
		log_err("out of memory for the memory of %" PRIu64 " sources", c->baseline_max_hosts);
		return EX_OSERR;
	}
	if (c->baseline_state)
		d->baseline_path = strdup(c->baseline_state);
	else if (c->history_dir && asprintf(&d->baseline_path, "%s/baseline.state", c->history_dir) < 0)
		d->baseline_path = NULL;
	if (!d->baseline_path)
		return EX_OK;
	int rc = baseline_load(d->baseline, d->baseline_path, err, sizeof err);
	if (rc == 0)
		log_info("baseline %s: %" PRIu64 " sources remembered", d->baseline_path,
			 baseline_stats(d->baseline)->hosts);
	else if (rc != -ENOENT)
		log_warn("baseline: %s; starting with no memory of the sources", err);
	d->baseline_saved_at = time(NULL);
	return EX_OK;
}

void windows_save_baseline(struct daemon *d, time_t now)
{
	char err[512];
	if (!d->baseline_path || !d->baseline || now < d->baseline_saved_at + BASELINE_SAVE_SECONDS)
		return;
	d->baseline_saved_at = now;
	if (baseline_save(d->baseline, d->baseline_path, err, sizeof err) < 0)
		log_err("baseline not kept: %s", err);
}

void windows_close_baseline(struct daemon *d)
{
	windows_save_baseline(d, INT64_MAX / 2);
	baseline_free(d->baseline);
	d->baseline = NULL;
	free(d->baseline_path);
	d->baseline_path = NULL;
}

/* --- history and retraining -------------------------------------------------------------------- */

int windows_open_history(struct daemon *d)
{
	char err[512];
	if (!d->conf.history_dir)
		return EX_OK;
	if (!(d->history = history_open(d->conf.history_dir, d->conf.history_retention, !d->scorer, err,
					 sizeof err))) {
		log_err("history: %s", err);
		return EX_CANTCREAT;
	}
	const struct history_stats *st = history_stats(d->history);
	if (st->cut_bytes)
		log_warn("history: %" PRIu64 " bytes of a torn record cut at the end", st->cut_bytes);
	log_info("history %s: %" PRIu64 " samples in %" PRIu64 " windows", d->conf.history_dir,
		 st->records, st->windows);
	windows_expire_history(d, time(NULL));
	return EX_OK;
}

void windows_expire_history(struct daemon *d, time_t now)
{
	if (!d->history || now < d->expire_at)
		return;
	int gone = history_expire(d->history, (int64_t)now);
	if (gone > 0)
		log_info("history: %d day(s) past the retention deleted", gone);
	d->expire_at = now + EXPIRE_SECONDS;
}

int windows_learning(const struct daemon *d, uint64_t *have, uint64_t *need)
{
	*have = d->history ? history_stats(d->history)->windows : 0;
	*need = d->conf.min_windows;
	return d->scorer == NULL;
}

static void retraining_done(void *ctx, struct retrain_result *r)
{
	struct daemon *d = ctx;
	d->retraining = NULL;
	d->retrain.last_seconds = r->seconds;
	if (r->history && d->history) /* a full count, which a start with a model skips */
		history_set_counts(d->history, r->history, r->history_windows);
	if (!r->model) {
		d->retrain.failures++;
		log_err("retraining failed after %.1f s: %s; %s", r->seconds, r->why,
			d->scorer ? "the running model stays" : "still learning");
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
		.history_dir = c->history_dir, .model_path = c->model, .common = d->args->common,
		.max_samples = (size_t)c->train_samples, .redis = c->redis,
		.baseline_max_hosts = (size_t)c->baseline_max_hosts,
		.baseline_horizon = c->baseline_horizon, .alert_quantile = c->train_alert_quantile,
		.trim = c->train_trim,
		.password_file = c->redis_password_file, .feedback_stream = c->feedback_stream,
		.timeout_ms = c->command_timeout_ms,
	};
	q.common.window = d->table_spec.window_seconds;
	q.common.locations = c->locations;
	q.common.monitor = c->monitor;
	q.common.include_ports = c->include_ports;
	q.common.exclude_ports = c->exclude_ports;
	q.common.exclude_src = c->exclude_src;
	q.common.exclude_dst = c->exclude_dst;
	q.common.exclude_sids = c->exclude_sids;
	q.common.known_normal = c->known_normal;
	q.common.known_anomaly = c->known_anomaly;
	q.common.vocabulary = c->vocabulary;
	q.common.min_df = c->min_df;
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
	if (!d->history || d->retraining || d->stopping || !d->conf.model)
		return;
	if (windows_learning(d, &have, &need)) {
		if (have >= need && now >= d->retrain.last_start + 10) /* failures retry after 10 s */
			start_retraining(d, now);
	} else if (d->conf.retrain_interval && now >= d->retrain.last_start + d->conf.retrain_interval) {
		if (d->retrain.last_start == 0) /* the interval runs from the start */
			d->retrain.last_start = now;
		else
			start_retraining(d, now);
	}
}
