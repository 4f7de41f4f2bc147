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
#include "capture/window_parts.h"
#include "common/log.h"
#include "features/feature_options.h"
#include "windows/scorer.h"
#include "windows/scoring.h"

/* The model in use, as the loop knows it (the score thread has the model). */
struct model_brief {
	char id[MODEL_ID_LEN];
	char *feature_spec;             /* NULL while learning (no model yet) */
	int n_features;
	uint32_t window_seconds;
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
	struct scoring *scoring;        /* NULL: not scoring (a sensor, or stopped) */
	uint64_t scored, history_lost;  /* the scoring's, once it stopped */
	struct window_table *table;
	struct feature_spec table_spec; /* what the table counts with */
	struct filter_nets *home;       /* a sensor's hosts ([role] home; NULL: all) */
	char *table_key;                /* that spec without vocabulary, to compare models */
	struct window_parts *parts;     /* with workers: windows in parts (the loop's last) */
	struct sample_set pending;      /* the closing window's samples */
	int stopping;                   /* flushed for the end: no new model */
	size_t peak_alive;              /* most memory of samples alive at once (seen) */
	struct window_sink sink;        /* a sensor's: windows go there, not to scoring */
	void (*on_model)(void *ctx);    /* told each model taken into use */
	void *on_model_ctx;
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
		scoring_window(w->scoring, start, samples, &w->pending);
	else /* closing at the end of a start that failed */
		sample_set_free(&w->pending);
	note_samples_alive(w);
	sinks_window_done(w->sinks);
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
	if (done && w->scoring)
		scoring_replayed(w->scoring, start, done);
	else
		alerted_free(done);
	window_whole(w, start, set);
}

void windows_share_memory(struct windows *w, memory_shared_fn fn, void *ctx)
{
	scoring_share_memory(w->scoring, fn, ctx);
}

void windows_take_memory(struct windows *w, struct memory_batch *b)
{
	scoring_take_memory(w->scoring, b);
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

int windows_stopping(const struct windows *w)
{
	return w->stopping;
}

void windows_history_counts(struct windows *w, uint64_t records, uint64_t windows)
{
	scoring_history_counts(w->scoring, records, windows);
}

uint64_t windows_history_lost(const struct windows *w)
{
	return w->scoring ? scoring_history_lost(w->scoring) : w->history_lost;
}

int windows_merge_stats(const struct windows *w, uint64_t *windows, struct merge_stats *st)
{
	if (!w->parts)
		return 0;
	window_parts_stats(w->parts, windows, st);
	return 1;
}

uint64_t windows_scored(const struct windows *w)
{
	return w->scoring ? scoring_scored(w->scoring) : w->scored;
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
				   .home = w->home,
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

/* A sensor's home networks: the hosts it counts, when other sensors see
 * the same packets (docs/deployment.md). */
static int open_home(struct windows *w)
{
	const char *text = w->conf->role_home;
	if (!text || w->home)
		return EX_OK;
	if (w->conf->role != CONFIG_ROLE_SENSOR) {
		log_warn("[role] home is a sensor's; this %s counts every host",
			 config_role_names[w->conf->role]);
		return EX_OK;
	}
	if (!(w->home = calloc(1, sizeof *w->home)))
		return EX_OSERR;
	if (filter_add_nets(w->home, text) < 0) {
		log_err("[role] home: expected addresses or CIDRs, got '%s'", text);
		return EX_CONFIG;
	}
	return EX_OK;
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
	int rc = open_home(w);
	if (rc != EX_OK)
		return rc;
	window_table_set_home(w->table, w->home);
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
		scoring_settings(w->scoring, &set);
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
	scoring_model(w->scoring, m, &set); /* after the windows handed over before it */
	if (w->on_model)
		w->on_model(w->on_model_ctx);
	log_info("model %s in use: %d features, windows of %u s", w->model.id, w->model.n_features,
		 w->model.window_seconds);
	return w->table ? EX_OK : windows_open(w);
}

/* --- the score thread and what it owns ------------------------------------------------------ */

int windows_start_scoring(struct windows *w, int cold)
{
	int rc;
	w->scoring = scoring_start(w->loop, w->conf, w->sinks, cold, &rc);
	return w->scoring ? EX_OK : rc;
}

void windows_stop_scoring(struct windows *w, struct score_counts *last)
{
	scoring_stop(w->scoring, last);
	if (w->scoring) {
		w->scored = scoring_scored(w->scoring);
		w->history_lost = scoring_history_lost(w->scoring);
	}
	scoring_free(w->scoring);
	w->scoring = NULL;
}

void windows_counts(const struct windows *w, struct score_counts *out)
{
	scoring_counts(w->scoring, out);
}

/* --- learning, and a sensor's frontier ------------------------------------------------------ */

int windows_learning(const struct windows *w, uint64_t *have, uint64_t *need)
{
	struct score_counts n;
	windows_counts(w, &n);
	*have = n.history.windows;
	*need = w->conf->min_windows;
	return w->model.feature_spec == NULL;
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
	scoring_tick(w->scoring, now);
	note_samples_alive(w);
}

void windows_free(struct windows *w)
{
	if (!w)
		return;
	windows_close(w);
	windows_stop_scoring(w, NULL);
	free(w->home);
	free(w->model.feature_spec);
	sample_set_free(&w->pending);
	free(w);
}
