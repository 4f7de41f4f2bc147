#include "trainer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "log.h"
#include "rng.h"

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
		memcpy(m->background + i * (size_t)m->n_features, x + (size_t)idx[i] * (size_t)m->n_features,
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
	log_info("training on %zu rows x %d features", ds->n, ds->dim);
	if (scaler_fit(&m->scaler, s->scaling, ds->x, ds->n, ds->dim) < 0)
		goto fail;
	scaler_apply(&m->scaler, ds->x, ds->n);
	m->cfg = s->cfg;
	int trc = deepsad_train(&m->det, &s->cfg, ds->x, ds->y, ds->n, ds->dim, s->progress,
				s->progress_ctx);
	if (trc < 0) {
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
	if (pick_background(m, ds->x, ds->n, s->background, s->cfg.seed) < 0)
		goto fail;
	*rc = EX_OK;
	return m;
fail:
	log_err("out of memory");
	model_free(m);
	return NULL;
}
