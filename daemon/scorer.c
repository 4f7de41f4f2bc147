#include "scorer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerting/alert.h"
#include "detector/calibrate.h"
#include "features/distinct.h"
#include "detector/explain.h"
#include "log.h"
#include "report/report.h"
#include "detector/scaler.h"
#include "alerting/suppress.h"

struct scorer {
	struct scorer_settings set;
	struct model *m;
	struct feature_spec spec;
	struct explainer *explainer;
	struct suppressor *suppressor;
	struct calibrator recent;   /* the threshold recent windows imply */
	alert_sink_fn sink;
	void *sink_ctx;
	struct scorer_stats st;
};

int scorer_check_model(const struct model *m, struct feature_spec *spec, char *err, size_t errlen)
{
	struct feature_spec parsed = { 0 };
	if (!m->feature_spec) {
		snprintf(err, errlen, "model %s was trained on a feature matrix, not on network "
			 "input: the daemon cannot build its features", m->id);
		return -1;
	}
	if (m->n_background < 1) {
		snprintf(err, errlen, "model %s has no background rows to explain against", m->id);
		return -1;
	}
	if (feature_spec_from_json(&parsed, m->feature_spec, err, errlen) < 0)
		return -1;
	if (spec)
		*spec = parsed;
	else
		feature_spec_free(&parsed);
	return 0;
}

/* The model's spec and explainer, checked; on success they replace s's. */
static int adopt_model(struct scorer *s, struct model *m, char *err, size_t errlen)
{
	struct feature_spec spec;
	struct explainer *e;

	if (scorer_check_model(m, &spec, err, errlen) < 0)
		return -1;
	if (!(e = explain_new(&m->det, m->background, m->n_background,
			      (int)s->set.explain_nsamples))) {
		feature_spec_free(&spec);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	explain_free(s->explainer);
	feature_spec_free(&s->spec);
	model_free(s->m);
	s->m = m;
	s->spec = spec;
	s->explainer = e;
	return 0;
}

struct scorer *scorer_new(struct model *m, const struct scorer_settings *set, alert_sink_fn sink,
			  void *sink_ctx, char *err, size_t errlen)
{
	struct scorer *s = calloc(1, sizeof *s);
	if (!s || !(s->suppressor = suppress_new(set->suppress))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->set = *set;
	s->sink = sink;
	s->sink_ctx = sink_ctx;
	s->st.last_window = INT64_MIN;
	calibrate_init(&s->recent, SCORER_RECENT_QUANTILE, SCORER_RECENT_HALFLIFE);
	if (adopt_model(s, m, err, errlen) < 0) {
		suppress_free(s->suppressor);
		free(s);
		return NULL;
	}
	return s;
}

void scorer_free(struct scorer *s)
{
	if (!s)
		return;
	explain_free(s->explainer);
	feature_spec_free(&s->spec);
	model_free(s->m);
	suppress_free(s->suppressor);
	free(s);
}

int scorer_set_model(struct scorer *s, struct model *m, char *err, size_t errlen)
{
	return adopt_model(s, m, err, errlen);
}

void scorer_set_settings(struct scorer *s, const struct scorer_settings *set)
{
	struct explainer *e = explain_new(&s->m->det, s->m->background, s->m->n_background,
					  (int)set->explain_nsamples);
	if (!e) {
		log_err("out of memory: the alert settings stay as they were");
		return;
	}
	explain_free(s->explainer);
	s->explainer = e;
	s->set = *set;
	suppress_set_interval(s->suppressor, set->suppress);
}

const struct model *scorer_model(const struct scorer *s)
{
	return s->m;
}

const struct feature_spec *scorer_spec(const struct scorer *s)
{
	return &s->spec;
}

const struct scorer_stats *scorer_stats(const struct scorer *s)
{
	return &s->st;
}

/* The behaviour an explanation speaks of: the families (feature_family)
 * of its two leading features with a positive Shapley value, as a name
 * ("fan-out+failures") and an order-free hash. */
static uint64_t behaviour_of(const struct alert_feature *f, int k, char *name, size_t len)
{
	const char *fam[2];
	int n = 0;
	for (int i = 0; i < k && n < 2; i++)
		if (f[i].shap > 0 && (n == 0 || strcmp(fam[0], feature_family(f[i].name)) != 0))
			fam[n++] = feature_family(f[i].name);
	if (n == 2 && strcmp(fam[0], fam[1]) > 0) {
		const char *t = fam[0];
		fam[0] = fam[1], fam[1] = t;
	}
	snprintf(name, len, "%s%s%s", n ? fam[0] : "none", n == 2 ? "+" : "", n == 2 ? fam[1] : "");
	return distinct_hash(name, strlen(name));
}

/* The score a sample must exceed: the largest of min_score, the model's
 * calibration and what recent windows imply. */
static double alert_threshold(const struct scorer *s)
{
	double t = s->set.min_score, recent = calibrate_threshold(&s->recent);
	if (s->m->calib_quantile > 0 && s->m->calib_threshold > t)
		t = s->m->calib_threshold;
	return recent > t ? recent : t; /* NAN (too few yet) compares false */
}

/* Explains row (scaled input x, unscaled value) and sends its alert unless
 * it repeats one already sent. */
static void consider_alert(struct scorer *s, int64_t window_start, const char *src, const float *x,
			   const float *value, double score, double raw, int rank, double threshold,
			   double usual)
{
	const struct model *m = s->m;
	int dim = m->n_features, k = (int)s->set.explain_k < dim ? (int)s->set.explain_k : dim;
	float *phi = malloc((size_t)dim * sizeof *phi);
	int *top = malloc(((size_t)dim + 1) * sizeof *top);
	struct alert_feature *f = malloc(((size_t)dim + 1) * sizeof *f);
	char *json = NULL, behaviour[160];
	uint64_t repeats = 0;

	if (phi && top && f) {
		/* the seed depends on the sample alone: a replay, or detect, explains it
		 * identically */
		explain_row(s->explainer, x, explain_seed(m->cfg.seed, window_start, src, 0), phi);
		/* the behaviour looks past explain_k: it needs two leading features */
		int lead = k > 2 ? k : (dim < 2 ? dim : 2);
		report_top_features(phi, dim, lead, top);
		for (int i = 0; i < lead; i++)
			f[i] = (struct alert_feature){ m->features[top[i]], phi[top[i]],
						       value[top[i]] };
		uint64_t b = behaviour_of(f, lead, behaviour, sizeof behaviour);
		if (suppress_check(s->suppressor, src, b, window_start, score, &repeats) == 1) {
			s->st.suppressed++;
			free(f), free(top), free(phi);
			return;
		}
		struct alert a = {
			.window_start = window_start,
			.window_seconds = s->spec.window_seconds,
			.src_ip = src,
			.score = score,
			.raw_score = raw,
			.rank = rank,
			.model_id = m->id,
			.observer = s->set.observer,
			.created = (int64_t)time(NULL),
			.n_features = k,
			.features = f,
			.threshold = threshold,
			.usual = usual,
			.behaviour = behaviour,
			.repeats = repeats,
		};
		json = alert_json(&a);
	}
	if (json) {
		struct alert_record r = { window_start, src, score, json };
		s->sink(s->sink_ctx, &r);
		s->st.alerts++;
	} else {
		log_err("out of memory: the alert for %s was not built", src);
	}
	free(json);
	free(f);
	free(top);
	free(phi);
}

/* What each sample must exceed: the global threshold, and its own source's
 * usual score (lib/features/baseline.h), so that a busy server's ordinary noise is
 * not news; and a source that only answered others is not alerted (its
 * attacker is). Such samples get -INFINITY in gated. */
static void gate_by_source(struct scorer *s, const struct sample_set *set, const float *scaled,
			   double threshold, const struct baseline *b, float *gated, float *usual)
{
	for (size_t i = 0; i < set->n; i++) {
		usual[i] = NAN;
		gated[i] = scaled[i];
		if (!(scaled[i] > threshold)) /* most samples: no lookup of their source */
			continue;
		if (b)
			usual[i] = (float)baseline_usual_score(b, &set->s[i]->src);
		if (scaled[i] <= usual[i]) { /* NAN: no usual yet */
			gated[i] = -INFINITY;
			s->st.usual++;
		} else if (s->spec.host_features &&
			   baseline_only_answers(&set->s[i]->c, set->s[i]->host)) {
			gated[i] = -INFINITY;
			s->st.answering++;
		}
	}
}

/* Raw scores of every sample into raw [set->n], SCORE_BLOCK samples at a
 * time: the window is never copied whole into vectors. Returns 0 or -1. */
static int score_blocks(struct scorer *s, const struct sample_set *set, float *raw)
{
	size_t dim = (size_t)s->m->n_features;
	float *x = malloc(SCORE_BLOCK * dim * sizeof *x);
	int rc = x ? 0 : -1;

	for (size_t from = 0; rc == 0 && from < set->n; from += SCORE_BLOCK) {
		size_t k = set->n - from < SCORE_BLOCK ? set->n - from : SCORE_BLOCK;
		for (size_t i = 0; i < k; i++) {
			if (from + i + 8 < set->n) /* samples lie apart (sample_set_prefetch) */
				__builtin_prefetch(set->s[from + i + 8]);
			feature_spec_vectorize(&s->spec, set->s[from + i], x + i * dim);
		}
		scaler_apply(&s->m->scaler, x, k);
		rc = deepsad_score(&s->m->det, x, k, raw + from) < 0 ? -1 : 0;
	}
	free(x);
	return rc;
}

/* The alert of a picked sample: its vector made again (unscaled values for
 * the analyst, scaled for the explanation). */
static void alert_pick(struct scorer *s, int64_t window_start, const struct net_sample *sample,
		       const struct report_pick *pick, double raw, int rank, double threshold,
		       double usual)
{
	size_t dim = (size_t)s->m->n_features;
	float *value = malloc(2 * dim * sizeof *value);
	char src[48];

	ip_addr_str(&sample->src, src);
	if (!value) {
		log_err("out of memory: the alert for %s was not built", src);
		return;
	}
	feature_spec_vectorize(&s->spec, sample, value);
	memcpy(value + dim, value, dim * sizeof *value);
	scaler_apply(&s->m->scaler, value + dim, 1);
	consider_alert(s, window_start, src, value + dim, value, pick->score, raw, rank,
		       usual > threshold ? usual : threshold, usual);
	free(value);
}

void scorer_score(struct scorer *s, int64_t window_start, const struct sample_set *set,
		  struct baseline *b)
{
	struct report_pick *picks = NULL;
	long n_picks = -1;
	double threshold = alert_threshold(s);
	size_t n = set->n;

	if (n == 0)
		return;
	/* [4n]: raw scores, scaled, gated by source, the sources' usual */
	float *raw = malloc(4 * n * sizeof *raw), *scaled = raw + n, *gated = raw + 2 * n,
	      *usual = raw + 3 * n;
	if (raw && score_blocks(s, set, raw) == 0) {
		for (size_t i = 0; i < n; i++)
			scaled[i] = (float)deepsad_scaled(&s->m->det, raw[i]);
		gate_by_source(s, set, scaled, threshold, b, gated, usual);
		n_picks = report_select(NULL, gated, n, (int)s->set.top_n, threshold, &picks);
		calibrate_add(&s->recent, window_start, scaled, n);
	}
	if (n_picks < 0)
		log_err("window %lld not scored (out of memory)", (long long)window_start);
	for (long i = 0; i < n_picks; i++)
		alert_pick(s, window_start, set->s[picks[i].row], &picks[i], raw[picks[i].row],
			   (int)i + 1, threshold, usual[picks[i].row]);
	for (size_t i = 0; b && n_picks >= 0 && i < n; i++) {
		sample_set_prefetch(set, b, i);
		baseline_note_score(b, &set->s[i]->src, window_start, scaled[i]);
	}
	s->st.windows++;
	s->st.samples += n;
	s->st.last_window = window_start;
	s->st.threshold = threshold;
	free(picks);
	free(raw);
}
