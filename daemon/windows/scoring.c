/* Closed windows scored on the score thread, and what comes back (scoring.h). */
#include "windows/scoring.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/isotime.h"
#include "common/log.h"
#include "windows/replays.h"
#include "windows/stores.h"

#define EXPIRE_SECONDS 3600    /* how often old history segments are looked for */
#define FLEET_LATE_SECONDS 900 /* a scorer: how late a window taken over may be */

struct scoring {
	const struct config *conf;
	struct sinks *sinks;
	struct score_thread *thread;
	struct replays *replays; /* a scorer's windows read before by another */
	uint64_t scored;         /* windows back from the score thread */
	uint64_t history_lost;   /* windows the history could not keep, in all */
	int history_failing;     /* the last window could not be kept */
	time_t expire_at;        /* when old history is next looked for */
};

/* The history's failures, logged once an episode (a full disk fails every
 * window until space returns), with what they cost. */
static void note_history(struct scoring *w, const struct window_result *r, const char *when)
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

/* A window's alerts to the sinks, but those another scorer delivered
 * before it died (a window read again). */
static void deliver_alerts(struct scoring *w, const struct window_result *r, const char *when)
{
	struct alerted *done = replays_take(&w->replays, r->start);
	if (!done) {
		sinks_deliver(w->sinks, r->alert, r->n_alerts);
		return;
	}
	struct alert_record *send;
	size_t n = replays_filter(r->alert, r->n_alerts, done, &send);
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
	struct scoring *w = ctx;
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

/* Deletes history past its retention, at most once an hour. */
void scoring_tick(struct scoring *w, time_t now)
{
	if (!w || !w->conf->history_dir || now < w->expire_at)
		return;
	score_thread_expire_history(w->thread, (int64_t)now);
	w->expire_at = now + EXPIRE_SECONDS;
}

struct scoring *scoring_start(struct ev_loop *loop, const struct config *conf, struct sinks *sinks,
			      int cold, int *rc)
{
	struct history *h;
	char *path;
	struct scoring *w = calloc(1, sizeof *w);
	struct baseline *b = w ? stores_open_baseline(conf, &path) : NULL;
	if (b && conf->role == CONFIG_ROLE_SCORER)
		baseline_accept_late(b, FLEET_LATE_SECONDS);
	*rc = b ? stores_open_history(conf, cold, &h) : EX_OSERR;

	if (*rc == EX_OK &&
	    !(w->thread = score_thread_start(loop, b, h, path, window_scored, w))) {
		history_close(h);
		*rc = EX_OSERR;
	}
	if (*rc != EX_OK)
		baseline_free(b);
	if (b)
		free(path);
	if (*rc != EX_OK) {
		free(w);
		return NULL;
	}
	w->conf = conf;
	w->sinks = sinks;
	scoring_tick(w, time(NULL));
	return w;
}

void scoring_stop(struct scoring *w, struct score_counts *last)
{
	score_thread_stop(w ? w->thread : NULL, last);
	if (w)
		w->thread = NULL;
}

void scoring_free(struct scoring *w)
{
	if (!w)
		return;
	scoring_stop(w, NULL);
	replays_free(&w->replays);
	free(w);
}

void scoring_window(struct scoring *w, int64_t start, size_t samples, struct sample_set *set)
{
	score_thread_window(w->thread, start, samples, set);
}

void scoring_model(struct scoring *w, struct model *m, const struct scorer_settings *set)
{
	score_thread_model(w->thread, m, set);
}

void scoring_settings(struct scoring *w, const struct scorer_settings *set)
{
	score_thread_settings(w->thread, set);
}

void scoring_share_memory(struct scoring *w, memory_shared_fn fn, void *ctx)
{
	if (w)
		score_thread_share_memory(w->thread, fn, ctx);
}

void scoring_take_memory(struct scoring *w, struct memory_batch *b)
{
	if (w)
		score_thread_take_memory(w->thread, b);
	else
		free(b);
}

void scoring_replayed(struct scoring *w, int64_t start, struct alerted *done)
{
	replays_add(&w->replays, start, done);
}

void scoring_history_counts(struct scoring *w, uint64_t records, uint64_t windows)
{
	if (w)
		score_thread_history_counts(w->thread, records, windows);
}

void scoring_counts(const struct scoring *w, struct score_counts *out)
{
	if (w)
		score_thread_counts(w->thread, out);
	else
		memset(out, 0, sizeof *out);
}

uint64_t scoring_scored(const struct scoring *w)
{
	return w->scored;
}

uint64_t scoring_history_lost(const struct scoring *w)
{
	return w->history_lost;
}
