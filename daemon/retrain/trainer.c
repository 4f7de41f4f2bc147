#include "retrain/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "common/log.h"
#include "base/defaults.h"
#include "base/rng.h"
#include "base/stats.h"
#include "detector/sides.h"

/* A uniform sample (without replacement) of up to want scaled rows. */
static int pick_background(struct model *m, const float *x, size_t n, long want, uint64_t seed)
{
	struct rng r;
	size_t k = (size_t)want < n ? (size_t)want : n;
	uint32_t *idx = malloc(n * sizeof *idx);

	if (!idx || !(m->background = malloc(k * (size_t)m->n_features * sizeof(float) + 1))) {
		free(idx);
		return -1;
	}
	rng_seed(&r, seed ^ 0x6261636b67726f75ull);
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	rng_shuffle(&r, idx, n);
	for (size_t i = 0; i < k; i++)
		memcpy(m->background + i * (size_t)m->n_features,
		       x + (size_t)idx[i] * (size_t)m->n_features,
		       (size_t)m->n_features * sizeof(float));
	m->n_background = (int)k;
	free(idx);
	return 0;
}

/* SOURCE_DATE_EPOCH, when set, stands for "now" so that a rebuild of the
 * same model gives the same file (reproducible-builds convention). */
static int64_t creation_time(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t = sde ? strtoll(sde, &end, 10) : 0;

	return sde && *sde && !*end && t > 0 ? (int64_t)t : (int64_t)time(NULL);
}

static void record_data(struct model *m, struct dataset *ds, uint32_t window_seconds)
{
	m->n_features = ds->dim;
	m->features = ds->names; /* moved: the dataset gives up its names */
	ds->names = NULL;
	m->window_seconds = window_seconds;
	m->train_rows = ds->n;
	dataset_label_counts(ds, &m->train_normal, &m->train_anomaly);
	for (size_t i = 0; ds->window_start && i < ds->n; i++) {
		int64_t t = ds->window_start[i];
		if (!m->data_start || t < m->data_start)
			m->data_start = t;
		if (t + (int64_t)m->window_seconds > m->data_end)
			m->data_end = t + (int64_t)m->window_seconds;
	}
	m->created_at = creation_time();
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The alert threshold: a high quantile of the scaled scores of the rows the
 * model learnt from (x scaled; the robust pass's outliers are not among
 * them), each scored from the side it is told by as alerts are
 * (lib/detector/sides.h), so that traffic like the training data rarely
 * alerts. */
static int calibrate(struct model *m, const float *x, size_t n, double q)
{
	float *s = malloc(3 * n * sizeof *s + 1), *open = s + n, *served = s + 2 * n;
	struct sides sides;
	if (!s || sides_init(&sides, m) < 0) {
		free(s);
		return -1;
	}
	if (deepsad_score(&m->det, x, n, s) < 0 ||
	    sides_score(&sides, m, x, n, s, open, served) < 0) {
		sides_free(&sides);
		free(s);
		return -1;
	}
	/* a row that did nothing on either side: its plain score */
	for (size_t i = 0; i < n; i++) {
		const float *row = x + i * (size_t)m->n_features;
		int k = sides_pick(&sides, row, open[i], served[i]);
		float side = k == BASELINE_SERVED ? served[i] : open[i];
		s[i] = (float)deepsad_scaled(&m->det, side == side ? side : s[i]);
	}
	sides_free(&sides);
	qsort(s, n, sizeof *s, cmp_float);
	m->calib_quantile = q;
	m->calib_threshold = stats_tail_quantile(s, n, q);
	m->calib_top = s[n - 1];
	free(s);
	return 0;
}

/* The robust pass's cut, in robust deviations (1.4826 median absolute
 * deviations) of a log score over its median: a row is left out when the
 * first model finds it far above the bulk (ROBUST_SPREAD), or above it
 * (ROBUST_NEAR) while a model that never learnt from its part of the
 * traffic finds it far above the rows it did not learn either
 * (ROBUST_UNSEEN: what a model did not see spreads wider). */
#define ROBUST_SPREAD 3.0
#define ROBUST_NEAR   2.0
#define ROBUST_UNSEEN 5.0
#define ROBUST_BLOCKS 8 /* the traffic's time, in blocks dealt to two folds */

/* z[i] for each row i in the fold `fold` (folds NULL: every row): how far
 * the log of s[i] lies above the median of the fold's, in robust
 * deviations. Returns 0 or -1 (no memory). */
static int robust_z(const float *s, size_t n, const uint8_t *folds, int fold, float *z)
{
	float *logs = malloc(n * sizeof *logs + 1);
	size_t k = 0;
	if (!logs)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!folds || folds[i] == fold)
			logs[k++] = logf(s[i] + 1e-12f);
	double median = k ? stats_median(logs, k) : 0,
	       dev = k ? 1.4826 * stats_mad(logs, k, median) : 0;
	free(logs);
	for (size_t i = 0; i < n; i++)
		if (!folds || folds[i] == fold)
			z[i] = (float)((logf(s[i] + 1e-12f) - median) / (dev > 0 ? dev : 1e-12));
	return 0;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The fold of each row: the windows of the history, in time order, cut in
 * ROBUST_BLOCKS blocks dealt to the two folds in turn, so that each fold
 * holds hours of every part of the history and a burst of one source lies
 * in one fold (or two). Returns 0, or -1 when the rows have no time (or
 * no memory). */
static int time_folds(const struct dataset *ds, uint8_t *folds)
{
	int64_t *starts = ds->window_start ? malloc(ds->n * sizeof *starts + 1) : NULL;
	size_t distinct = 0;
	if (!starts)
		return -1;
	memcpy(starts, ds->window_start, ds->n * sizeof *starts);
	qsort(starts, ds->n, sizeof *starts, cmp_int64);
	for (size_t i = 0; i < ds->n; i++)
		if (i == 0 || starts[i] != starts[distinct - 1])
			starts[distinct++] = starts[i];
	for (size_t i = 0; i < ds->n; i++) {
		const int64_t *at =
			bsearch(&ds->window_start[i], starts, distinct, sizeof *starts, cmp_int64);
		size_t rank = (size_t)(at - starts);
		folds[i] = (uint8_t)(rank * ROBUST_BLOCKS / distinct % 2);
	}
	free(starts);
	return 0;
}

/* Scores each row with a model trained on the other fold's rows, as robust
 * z over its fold (z_out). An attack the history holds is learnt by a
 * model trained on it, and masks itself; the fold that did not see it
 * finds it where it is. x [n, dim] and y [n] are scratch. Returns 0, 1 when
 * the folds cannot be made (no time, a fold too small), or a negative
 * errno. */
static int out_of_fold_z(const struct dataset *ds, const struct trainer_settings *s, float *x,
			 int8_t *y, float *z_out)
{
	size_t n = ds->n, dim = (size_t)ds->dim;
	uint8_t *folds = malloc(n + 1);
	float *raw = malloc(n * sizeof *raw + 1);
	int rc = folds && raw ? 0 : -ENOMEM;
	if (rc == 0 && time_folds(ds, folds) < 0)
		rc = 1;
	if (rc == 0)
		log_info("robust pass: a model of each half of the history, to score the other");
	for (int fold = 0; fold < 2 && rc == 0; fold++) {
		size_t learnt = 0, scored = 0;
		for (size_t i = 0; i < n; i++) /* learn from the other fold */
			if (folds[i] != fold) {
				memcpy(x + learnt * dim, ds->x + i * dim, dim * sizeof *x);
				y[learnt++] = ds->y ? ds->y[i] : 0;
			}
		if (learnt < TRAINER_MIN_ROWS || n - learnt < TRAINER_MIN_ROWS) {
			rc = 1;
			break;
		}
		struct deepsad d = { 0 };
		rc = deepsad_train(&d, &s->cfg, x, y, learnt, ds->dim, s->progress,
				   s->progress_ctx);
		for (size_t i = 0; i < n && rc == 0; i++)
			if (folds[i] == fold)
				memcpy(x + scored++ * dim, ds->x + i * dim, dim * sizeof *x);
		if (rc == 0 && deepsad_score(&d, x, scored, raw) < 0)
			rc = -ENOMEM;
		deepsad_free(&d);
		for (size_t i = n, k = scored; i-- > 0 && rc == 0;) /* in place: from the end */
			if (folds[i] == fold)
				raw[i] = raw[--k];
		if (rc == 0 && robust_z(raw, n, folds, fold, z_out) < 0)
			rc = -ENOMEM;
	}
	free(folds);
	free(raw);
	return rc;
}

/* Per row, whether its source was new in its window (the feature "host
 * first_seen", scaled by sc), into first [n]; all 0 without the feature. */
static void first_seen_rows(const struct dataset *ds, const struct scaler *sc, uint8_t *first)
{
	int col = -1;
	for (int j = 0; j < ds->dim && ds->names; j++)
		if (strcmp(ds->names[j], baseline_feature_names[0]) == 0)
			col = j;
	float cut = col < 0 || sc->kind == SCALER_NONE ? 0.5f
						       : (0.5f - sc->offset[col]) * sc->mult[col];
	for (size_t i = 0; i < ds->n; i++)
		first[i] = col >= 0 && ds->x[i * (size_t)ds->dim + (size_t)col] > cut;
}

static int cmp_float_desc(const void *a, const void *b)
{
	return cmp_float(b, a);
}

/* Why the robust pass leaves a row out, if it does. */
enum left_out { KEPT, FAR, UNSEEN };

/* Which unlabelled rows the robust pass leaves out (out[i] != KEPT): far
 * above the bulk of the first model's scores (raw), or above it and far to
 * the model of the other fold; never more than the share `most` of them,
 * the highest first. Traffic without attacks loses a few rows; traffic
 * with many loses up to the share. A source's first window is judged by the
 * first model alone: a history starts with every source new at once, and
 * only the fold that holds the start has seen that. x [n, dim] and y [n]
 * are scratch. Returns 0 or a negative errno. */
static int rows_left_out(const struct dataset *ds, const struct trainer_settings *s,
			 const struct scaler *sc, const float *raw, float *x, int8_t *y,
			 uint8_t *out)
{
	size_t n = ds->n, unlabelled = 0, taken = 0;
	float *z = malloc(n * sizeof *z + 1), *z_out = malloc(n * sizeof *z_out + 1);
	float *ranked = malloc(n * sizeof *ranked + 1);
	/* 0: z_out holds the halves' scores; 1: there are none (no time) */
	int halves = z && z_out && ranked && robust_z(raw, n, NULL, 0, z) == 0 ? 0 : -ENOMEM;
	if (halves == 0)
		halves = out_of_fold_z(ds, s, x, y, z_out);
	if (halves >= 0) {
		first_seen_rows(ds, sc, out); /* (out: whether its source was new) */
		for (size_t i = 0; i < n; i++) {
			int labelled = ds->y && ds->y[i] != 0, first = out[i];
			out[i] = labelled		 ? KEPT
				 : z[i] >= ROBUST_SPREAD ? FAR
				 : halves == 0 && !first && z[i] >= ROBUST_NEAR &&
						 z_out[i] >= ROBUST_UNSEEN
					 ? UNSEEN
					 : KEPT;
			if (out[i] != KEPT)
				ranked[taken++] = z[i];
			unlabelled += !labelled;
		}
		size_t cap = (size_t)((double)unlabelled * s->trim);
		if (taken > cap) { /* the highest first, up to the share */
			qsort(ranked, taken, sizeof *ranked, cmp_float_desc);
			float least = cap ? ranked[cap - 1] : INFINITY;
			for (size_t i = 0, left = 0; i < n; i++) {
				if (out[i] != KEPT && (z[i] < least || left == cap))
					out[i] = KEPT;
				left += out[i] != KEPT;
			}
		}
	}
	free(z);
	free(z_out);
	free(ranked);
	return halves < 0 ? halves : 0;
}

/* The robust pass: traffic learnt from may already hold attacks. The rows
 * the first model, or a model of the other half of the history, finds far
 * more anomalous than the bulk (rows_left_out) are left out and the
 * detector is trained again from the start on the rest, so that an attack
 * in the baseline does not teach the model that it is normal. Labelled rows
 * are always kept; the rows kept are returned in *kept_x [*n_kept, dim]
 * (caller frees). Returns as deepsad_train. */
static int train_again_without_outliers(struct model *m, struct dataset *ds,
					const struct trainer_settings *s, float **kept_x,
					size_t *n_kept)
{
	size_t n = ds->n, dim = (size_t)ds->dim, kept = 0, why[3] = { 0 };
	float *raw = malloc(n * sizeof *raw + 1), *x = malloc(n * dim * sizeof *x + 1);
	uint8_t *out = malloc(n + 1);
	int8_t *y = malloc(n + 1);
	int rc = -ENOMEM;

	if (!raw || !x || !out || !y || deepsad_score(&m->det, ds->x, n, raw) < 0)
		goto out;
	if ((rc = rows_left_out(ds, s, &m->scaler, raw, x, y, out)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		why[out[i]]++;
		if (out[i] != KEPT)
			continue;
		memcpy(x + kept * dim, ds->x + i * dim, dim * sizeof *x);
		y[kept++] = ds->y ? ds->y[i] : 0;
	}
	log_info(
		"robust pass: %zu of %zu rows left out (at most %.3g): %zu far more anomalous "
		"than the rest, %zu above it and far to the half that did not learn them; training "
		"again",
		n - kept, n, s->trim, why[FAR], why[UNSEEN]);
	deepsad_free(&m->det);
	memset(&m->det, 0, sizeof m->det);
	rc = deepsad_train(&m->det, &s->cfg, x, y, kept, ds->dim, s->progress, s->progress_ctx);
	*kept_x = x;
	*n_kept = kept;
	x = NULL;
out:
	free(raw);
	free(out);
	free(x);
	free(y);
	return rc;
}

struct model *trainer_fit(struct dataset *ds, char *spec_json, const struct trainer_settings *s,
			  int *rc)
{
	struct model *m = calloc(1, sizeof *m);

	*rc = EX_OSERR;
	if (!m) {
		free(spec_json);
		log_err("out of memory");
		return NULL;
	}
	m->feature_spec = spec_json;
	if (ds->n < TRAINER_MIN_ROWS) {
		log_err("%zu samples: at least %d are needed to fit the scaling, the detector and "
			"its score scale", ds->n, TRAINER_MIN_ROWS);
		*rc = EX_DATAERR;
		model_free(m);
		return NULL;
	}
	log_info("training on %zu rows x %d features", ds->n, ds->dim);
	if (scaler_fit(&m->scaler, s->scaling, ds->x, ds->n, ds->dim) < 0)
		goto fail;
	scaler_apply(&m->scaler, ds->x, ds->n);
	m->cfg = s->cfg;
	float *kept = NULL; /* the rows the model learnt normal from: ds->x, or fewer */
	size_t n_kept = ds->n;
	int trc = deepsad_train(&m->det, &s->cfg, ds->x, ds->y, ds->n, ds->dim, s->progress,
				s->progress_ctx);
	if (trc == 0 && s->trim > 0)
		trc = train_again_without_outliers(m, ds, s, &kept, &n_kept);
	if (trc < 0) {
		free(kept);
		if (trc == -EDOM)
			log_err("training diverged: the loss is not finite (check the inputs, or "
				"try a lower learning rate)");
		else if (trc == -ECANCELED)
			log_info("training cancelled");
		else
			log_err("training failed: %s", strerror(-trc));
		*rc = trc == -EDOM ? EX_DATAERR : EX_SOFTWARE;
		model_free(m);
		return NULL;
	}
	record_data(m, ds, s->window_seconds);
	/* background and calibration from what is normal to the model */
	const float *normal = kept ? kept : ds->x;
	int ok = pick_background(m, normal, n_kept, s->background, s->cfg.seed) == 0 &&
		 calibrate(m, normal, n_kept, s->alert_quantile > 0 ? s->alert_quantile
								   : DEFAULT_ALERT_QUANTILE) == 0;
	free(kept);
	if (!ok)
		goto fail;
	log_info("alert threshold %.3g: the %.4g quantile of the training scores (highest %.3g)",
		 m->calib_threshold, m->calib_quantile, m->calib_top);
	*rc = EX_OK;
	return m;
fail:
	log_err("out of memory");
	model_free(m);
	return NULL;
}
