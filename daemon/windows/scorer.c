#include "windows/scorer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerting/alert.h"
#include "base/crc32.h"
#include "detector/calibrate.h"
#include "features/distinct.h"
#include "detector/explain.h"
#include "common/log.h"
#include "alerting/alert_select.h"
#include "report/report.h"
#include "detector/scaler.h"
#include "alerting/incident.h"
#include "alerting/summary.h"
#include "detector/sides.h"
#include "detector/vectorize.h"
#include "windows/gates.h"

struct scorer {
	struct scorer_settings set;
	struct model *m;
	struct feature_spec spec;
	struct sides sides; /* the model's features by side */
	struct explainer *explainer;
	struct incident_table *incidents;
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
	/* its spec's features must be the model's, name for name: a model of an
	 * older feature set is refused, not fed vectors of another length */
	if (vectorize_model_spec(m, &parsed, err, errlen) < 0)
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
	struct sides sides;
	int no_sides = sides_init(&sides, m) < 0;
	/* incidents are told in windows: a model of another window length starts them afresh */
	struct incident_table *inc =
		s->incidents && s->spec.window_seconds == spec.window_seconds
			? NULL
			: incident_table_new(spec.window_seconds, s->set.suppress);
	if (no_sides || (!inc && s->spec.window_seconds != spec.window_seconds) ||
	    !(e = explain_new(&m->det, m->background, m->n_background,
			      (int)s->set.explain_nsamples))) {
		if (!no_sides)
			sides_free(&sides);
		incident_table_free(inc);
		feature_spec_free(&spec);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	explain_free(s->explainer);
	feature_spec_free(&s->spec);
	model_free(s->m);
	sides_free(&s->sides);
	if (inc) {
		incident_table_free(s->incidents);
		s->incidents = inc;
	}
	s->m = m;
	s->spec = spec;
	s->explainer = e;
	s->sides = sides;
	return 0;
}

struct scorer *scorer_new(struct model *m, const struct scorer_settings *set, alert_sink_fn sink,
			  void *sink_ctx, char *err, size_t errlen)
{
	struct scorer *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->set = *set;
	s->sink = sink;
	s->sink_ctx = sink_ctx;
	s->st.last_window = INT64_MIN;
	calibrate_init(&s->recent, SCORER_RECENT_QUANTILE, SCORER_RECENT_HALFLIFE);
	if (adopt_model(s, m, err, errlen) < 0) {
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
	sides_free(&s->sides);
	incident_table_free(s->incidents);
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
	incident_table_set_longest(s->incidents, set->suppress);
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

struct incident_table *scorer_incidents(struct scorer *s)
{
	return s->incidents;
}

/* --- the state carried from window to window ----------------------------------------------------
 * MAGIC, u32 version, u32 sizeof(struct calibrator), the calibrator, u32 CRC-32 of everything
 * before it, then the open incidents (incident_table_encode: checked on their own). */

static const char STATE_MAGIC[8] = "FSADSCS";
#define STATE_VERSION 1
#define STATE_HEAD    (8 + 4 + 4 + sizeof(struct calibrator) + 4)

int scorer_state_encode(const struct scorer *s, uint8_t **out, size_t *len)
{
	uint8_t *inc, *buf;
	size_t n;
	uint32_t head[2] = { STATE_VERSION, sizeof(struct calibrator) };
	if (incident_table_encode(s->incidents, &inc, &n) < 0)
		return -ENOMEM;
	if (!(buf = malloc(STATE_HEAD + n))) {
		free(inc);
		return -ENOMEM;
	}
	memcpy(buf, STATE_MAGIC, 8);
	memcpy(buf + 8, head, sizeof head);
	memcpy(buf + 16, &s->recent, sizeof s->recent);
	uint32_t crc = crc32_ieee(buf, STATE_HEAD - 4);
	memcpy(buf + STATE_HEAD - 4, &crc, 4);
	memcpy(buf + STATE_HEAD, inc, n);
	free(inc);
	*out = buf;
	*len = STATE_HEAD + n;
	return 0;
}

/* Whether c, read from elsewhere, is a calibration this scorer could have made. */
static int calibrator_is_sane(const struct calibrator *c)
{
	if (c->quantile != SCORER_RECENT_QUANTILE || c->halflife != SCORER_RECENT_HALFLIFE ||
	    !isfinite(c->weight) || c->weight < 0)
		return 0;
	for (int i = 0; i < CALIBRATE_BINS; i++)
		if (!isfinite(c->bins[i]) || c->bins[i] < 0)
			return 0;
	return 1;
}

int scorer_state_decode(struct scorer *s, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	uint32_t head[2], crc;
	struct calibrator c;
	if (len < STATE_HEAD || memcmp(buf, STATE_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a flowsad scorer's state");
		return -EINVAL;
	}
	memcpy(head, buf + 8, sizeof head);
	memcpy(&crc, buf + STATE_HEAD - 4, 4);
	if (head[0] != STATE_VERSION || head[1] != sizeof c) {
		snprintf(err, errlen,
			 "scorer's state format %u (%u-byte calibration), expected %u (%zu)",
			 head[0], head[1], STATE_VERSION, sizeof c);
		return -EINVAL;
	}
	memcpy(&c, buf + 16, sizeof c);
	if (crc != crc32_ieee(buf, STATE_HEAD - 4) || !calibrator_is_sane(&c)) {
		snprintf(err, errlen, "the scorer's calibration is damaged");
		return -EINVAL;
	}
	int rc = incident_table_decode(s->incidents, buf + STATE_HEAD, len - STATE_HEAD, err,
				       errlen);
	if (rc == 0)
		s->recent = c;
	return rc;
}

/* The hosts an alert's source provoked answers from (related_of). */
struct related {
	int n;
	uint64_t count; /* all of them; the first ALERT_MAX_RELATED listed */
	const char *ip[ALERT_MAX_RELATED];
	char text[ALERT_MAX_RELATED][48];
};

/* The score a sample must exceed: the largest of min_score, the model's
 * calibration and what recent windows imply. */
static double alert_threshold(const struct scorer *s)
{
	double t = model_alert_threshold(s->m, s->set.min_score);
	double recent = calibrate_threshold(&s->recent);
	return recent > t ? recent : t; /* NAN (too few yet) compares false */
}

/* Explains row (scaled input x, unscaled value) of sample and sends its
 * alert unless it repeats its incident. */
static void consider_alert(struct scorer *s, int64_t window_start, const struct net_sample *sample,
			   const char *src, const float *x, const float *value,
			   const struct gate_pass *v, int rank, const struct related *rel)
{
	const struct model *m = s->m;
	int dim = m->n_features, k = (int)s->set.explain_k < dim ? (int)s->set.explain_k : dim;
	float *phi = malloc((size_t)dim * sizeof *phi);
	int *top = malloc(((size_t)dim + 1) * sizeof *top);
	struct alert_feature *f = malloc(((size_t)dim + 1) * sizeof *f);
	char *json = NULL, behaviour[160];

	if (phi && top && f) {
		/* the seed depends on the sample alone: a replay, or detect, explains it
		 * identically */
		explain_row(s->explainer, x, explain_seed(m->cfg.seed, window_start, src, 0), phi);
		sides_explain_only(&s->sides, phi, v->side);
		/* the behaviour looks past explain_k: it needs two leading features */
		int lead = k > 2 ? k : (dim < 2 ? dim : 2);
		report_top_features(phi, dim, lead, top);
		for (int i = 0; i < lead; i++)
			f[i] = (struct alert_feature){ m->features[top[i]], phi[top[i]],
						       value[top[i]] };
		summary_behaviour(f, lead, behaviour, sizeof behaviour);
		const struct incident *inc = NULL;
		int served = v->side == BASELINE_SERVED;
		int verdict = incident_note(s->incidents, src, window_start, behaviour, v->score,
					    served ? sample->c.clients : sample->c.peers,
					    served ? sample->c.served : sample->c.services, &inc);
		if (verdict == INCIDENT_REPEATS) {
			s->st.suppressed++;
			free(f), free(top), free(phi);
			return;
		}
		struct alert a = {
			.window_start = window_start,
			.window_seconds = s->spec.window_seconds,
			.src_ip = src,
			.side = v->side == BASELINE_SERVED ? "served" : "opened",
			.score = v->score,
			.raw_score = v->raw,
			.rank = rank,
			.model_id = m->id,
			.observer = s->set.observer,
			.created = (int64_t)time(NULL),
			.n_features = k,
			.features = f,
			.threshold = v->usual > v->threshold ? v->usual : v->threshold,
			.usual = v->usual,
			.behaviour = behaviour,
			.repeats = verdict < 0 ? 0 : inc->held_before,
			.incident = verdict < 0 ? NULL : inc,
			.related = rel->ip,
			.n_related = rel->n,
			.related_count = rel->count,
			.counts = &sample->c,
		};
		json = alert_json(&a);
	}
	if (json) {
		struct alert_record r = { window_start, src, v->score, json };
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

/* Raw scores of every sample into raw [set->n], and of its sides into open
 * and served [set->n] (NAN: it opened, or served, nothing), SCORE_BLOCK samples at a
 * time: the window is never copied whole into vectors. Returns 0 or -1. */
static int score_blocks(struct scorer *s, const struct sample_set *set, float *raw, float *open,
			float *served)
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
		rc = deepsad_score(&s->m->det, x, k, raw + from) < 0 ||
				     sides_score(&s->sides, s->m, x, k, raw + from, open + from,
						 served + from) < 0
			     ? -1
			     : 0;
	}
	free(x);
	return rc;
}

/* Lists ip among an alert's related hosts (the first ALERT_MAX_RELATED) and
 * counts it. */
static void related_add(struct related *rel, const ip_addr *ip)
{
	if (rel->n < ALERT_MAX_RELATED) {
		ip_addr_str(ip, rel->text[rel->n]);
		rel->ip[rel->n] = rel->text[rel->n];
		rel->n++;
	}
	rel->count++;
}

/* The hosts that refused the source (RSTs, ICMP errors) in the window: the
 * answers its probing provoked, which its alert lists. From each host's
 * 64-bit sketch of the peers it refused; a host that refused more than
 * RELATED_SKETCH_MAX peers is passed over (its sketch would list it for
 * anyone). */
#define RELATED_SKETCH_MAX 16
static void refused_by(const struct sample_set *set, const ip_addr *src, struct related *rel)
{
	uint64_t bit = window_refused_bit(src);
	for (size_t i = 0; i < set->n; i++) {
		uint64_t r = set->s[i]->c.refused_to;
		if ((r & bit) && __builtin_popcountll(r) <= RELATED_SKETCH_MAX &&
		    !ip_addr_equal(&set->s[i]->src, src))
			related_add(rel, &set->s[i]->src);
	}
}

/* The hosts an alert of sample row tells of: those that refused its probes
 * (opened side), or those held back as the first users of its young service
 * (served side: gates.h). */
static void related_of(const struct sample_set *set, const struct gate_pass *v, size_t row,
		       struct related *rel)
{
	rel->n = 0;
	rel->count = 0;
	if (v[row].side == BASELINE_OPENED) {
		refused_by(set, &set->s[row]->src, rel);
		return;
	}
	for (size_t j = 0; j < set->n; j++)
		if (v[j].user_of == (long)row)
			related_add(rel, &set->s[j]->src);
}

/* An incident's end to the sinks, as its alerts go. */
static void send_incident_end(void *ctx, const struct incident *inc)
{
	struct scorer *s = ctx;
	char *json = alert_incident_end_json(inc, s->set.observer, (int64_t)time(NULL));
	if (!json) {
		log_err("out of memory: the end of incident %s was not told", inc->id);
		return;
	}
	struct alert_record r = { inc->last, inc->src, inc->max_score, json };
	s->sink(s->sink_ctx, &r);
	s->st.incidents_ended++;
	free(json);
}

/* The alert of a picked sample: its vector made again from its side
 * (unscaled values for the analyst, scaled for the explanation). */
static void alert_pick(struct scorer *s, int64_t window_start, const struct sample_set *set,
		       size_t row, const struct gate_pass *v, int rank)
{
	const struct net_sample *sample = set->s[row];
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
	sides_keep(&s->sides, value + dim, v[row].side);
	struct related rel;
	related_of(set, v, row, &rel);
	consider_alert(s, window_start, sample, src, value + dim, value, &v[row], rank, &rel);
	free(value);
}

void scorer_score(struct scorer *s, int64_t window_start, const struct sample_set *set,
		  struct baseline *b)
{
	struct alert_pick *picks = NULL;
	long n_picks = -1;
	double threshold = alert_threshold(s);
	size_t n = set->n;

	if (n == 0)
		return;
	/* [6n] floats: raw scores, the opened and served sides raw then scaled,
	 * gated; [n] the side that passed */
	float *raw = malloc(6 * n * sizeof *raw), *open = raw + n, *served = raw + 2 * n,
	      *open_scaled = raw + 3 * n, *served_scaled = raw + 4 * n, *gated = raw + 5 * n;
	struct gate_pass *v = malloc(n * sizeof *v);
	if (raw && v && score_blocks(s, set, raw, open, served) == 0) {
		for (size_t i = 0; i < n; i++) {
			open_scaled[i] = (float)deepsad_scaled(&s->m->det, open[i]);
			served_scaled[i] = (float)deepsad_scaled(&s->m->det, served[i]);
		}
		struct gate_counts held = { 0 };
		gates_apply(set, open_scaled, served_scaled, threshold, s->spec.host_features, b,
			    gated, v, &held);
		s->st.usual += held.usual;
		s->st.answering += held.answering;
		s->st.young_service_users += held.users;
		n_picks = alert_select(NULL, gated, n, (int)s->set.top_n, threshold, &picks);
		calibrate_add(&s->recent, window_start, open_scaled, n);
	}
	if (n_picks < 0)
		log_err("window %lld not scored (out of memory)", (long long)window_start);
	for (long i = 0; i < n_picks; i++) {
		struct gate_pass *p = &v[picks[i].row];
		p->raw = p->side == BASELINE_SERVED && p->of == picks[i].row ? served[p->of]
									     : open[p->of];
		alert_pick(s, window_start, set, picks[i].row, v, (int)i + 1);
	}
	incident_end_quiet(s->incidents, window_start, send_incident_end, s);
	for (size_t i = 0; b && n_picks >= 0 && i < n; i++) {
		sample_set_prefetch(set, b, i);
		baseline_note_score(b, &set->s[i]->src, window_start, BASELINE_OPENED,
				    open_scaled[i], threshold);
		if (served_scaled[i] == served_scaled[i]) /* NAN: it served nothing */
			baseline_note_score(b, &set->s[i]->src, window_start, BASELINE_SERVED,
					    served_scaled[i], threshold);
	}
	s->st.windows++;
	s->st.samples += n;
	s->st.last_window = window_start;
	s->st.threshold = threshold;
	free(picks);
	free(v);
	free(raw);
}
