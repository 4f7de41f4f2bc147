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
	int rc = s && sides_init(&sides, m) == 0 ? 0 : -1;
	if (rc == 0) {
		rc = deepsad_score(&m->det, x, n, s) < 0 ||
				     sides_score(&sides, m, x, n, s, open, served) < 0
			     ? -1
			     : 0;
		sides_free(&sides);
	}
	if (rc < 0) {
		free(s);
		return -1;
	}
	for (size_t i = 0; i < n;
	     i++) { /* a row that did nothing on either side: its plain score */
		float side =
			sides_pick(open[i], served[i]) == BASELINE_SERVED ? served[i] : open[i];
		s[i] = (float)deepsad_scaled(&m->det, side == side ? side : s[i]);
	}
	qsort(s, n, sizeof *s, cmp_float);
	m->calib_quantile = q;
	m->calib_threshold = stats_tail_quantile(s, n, q);
	m->calib_top = s[n - 1];
	free(s);
	return 0;
}

/* The score above which a row is left out of the robust pass: far above the
 * bulk of the unlabelled rows' scores (sorted, n of them), at ROBUST_SPREAD
 * robust deviations (1.4826 median absolute deviations) of their log over
 * its median, and never more than the share `most` of them. Traffic without
 * attacks loses a few rows; traffic with many loses up to the share. */
#define ROBUST_SPREAD 3.0
static float outlier_limit(const float *sorted, size_t n, double most)
{
	float *logs = malloc(n * sizeof *logs + 1);
	if (!logs || n == 0) {
		free(logs);
		return INFINITY;
	}
	for (size_t i = 0; i < n; i++)
		logs[i] = logf(sorted[i] + 1e-12f);
	double median = stats_median(logs, n), mad = stats_mad(logs, n, median);
	free(logs);
	size_t cap = (size_t)((double)n * (1 - most));
	float far = (float)exp(median + ROBUST_SPREAD * 1.4826 * mad),
	      limit = cap < n ? sorted[cap] : INFINITY;
	return far > limit ? far : limit; /* NAN (no memory): the share */
}

/* The robust pass: traffic learnt from may already hold attacks. The rows
 * the first model finds far more anomalous than the bulk (outlier_limit)
 * are left out and the detector is trained again from the start on the
 * rest, so that an attack in the baseline does not teach the model that it
 * is normal. Labelled rows are always kept; the rows kept are returned in
 * *kept_x [*n_kept, dim] (caller frees). Returns as deepsad_train. */
static int train_again_without_outliers(struct model *m, struct dataset *ds,
					const struct trainer_settings *s, float **kept_x,
					size_t *n_kept)
{
	size_t n = ds->n, dim = (size_t)ds->dim, kept = 0, unlabelled = 0;
	float *raw = malloc(n * sizeof *raw + 1), *sorted = malloc(n * sizeof *sorted + 1);
	float *x = malloc(n * dim * sizeof *x + 1);
	int8_t *y = malloc(n + 1);
	int rc = -ENOMEM;

	if (!raw || !sorted || !x || !y || deepsad_score(&m->det, ds->x, n, raw) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!ds->y || ds->y[i] == 0)
			sorted[unlabelled++] = raw[i];
	qsort(sorted, unlabelled, sizeof *sorted, cmp_float);
	float limit = outlier_limit(sorted, unlabelled, s->trim);
	for (size_t i = 0; i < n; i++) {
		int labelled = ds->y && ds->y[i] != 0;
		if (!labelled && raw[i] >= limit)
			continue;
		memcpy(x + kept * dim, ds->x + i * dim, dim * sizeof *x);
		y[kept++] = labelled ? ds->y[i] : 0;
	}
	log_info("robust pass: %zu of %zu rows left out as far more anomalous than the rest (at "
		 "most %.3g); training again",
		 n - kept, n, s->trim);
	deepsad_free(&m->det);
	memset(&m->det, 0, sizeof m->det);
	rc = deepsad_train(&m->det, &s->cfg, x, y, kept, ds->dim, s->progress, s->progress_ctx);
	*kept_x = x;
	*n_kept = kept;
	x = NULL;
out:
	free(raw);
	free(sorted);
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
