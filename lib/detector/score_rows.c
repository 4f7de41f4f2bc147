/* A feature matrix scored as the daemon scores its windows (score_rows.h). */
#include "detector/score_rows.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detector/deepsad.h"
#include "detector/scaler.h"
#include "detector/sides.h"
#include "detector/vectorize.h"

/* raw [n] becomes the score of each row's side (sides_pick), and the row
 * is kept to it; its side into side [n] (unless NULL). Returns 0 or -1. */
static int score_by_side(const struct model *m, float *x, size_t n, float *raw, uint8_t *side)
{
	struct sides s;
	float *open = malloc(2 * n * sizeof *open + 1), *served = open + n;
	int rc = open && sides_init(&s, m) == 0 ? 0 : -1;
	if (rc == 0) {
		rc = sides_score(&s, m, x, n, raw, open, served) < 0 ? -1 : 0;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			int k = sides_pick(&s, x + i * (size_t)m->n_features, open[i], served[i]);
			raw[i] = k == BASELINE_SERVED ? served[i]
				 : open[i] == open[i] ? open[i]
						      : raw[i];
			sides_keep(&s, x + i * (size_t)m->n_features, k);
			if (side)
				side[i] = (uint8_t)k;
		}
		sides_free(&s);
	}
	free(open);
	return rc;
}

/* Scores rows x [ds->n] (scaled) as the daemon scores its windows: the rows
 * of a window (consecutive rows of one window_start) in batches of at most
 * SCORE_ROWS_BLOCK. A batch of another size sums in another order, and moves a
 * score by a few units in the last place: enough to put a score equal to
 * the threshold on the other side of it. Returns 0 or -1. */
static int score_as_windows(const struct model *m, const struct dataset *ds, float *x,
			    float *raw, uint8_t *side)
{
	const int64_t *w = ds->window_start;
	size_t dim = (size_t)m->n_features;

	for (size_t from = 0, to; from < ds->n; from = to) {
		for (to = from + 1; to < ds->n && to - from < SCORE_ROWS_BLOCK; to++)
			if (w && w[to] != w[from])
				break;
		if (deepsad_score(&m->det, x + from * dim, to - from, raw + from) < 0 ||
		    score_by_side(m, x + from * dim, to - from, raw + from,
				  side ? side + from : NULL) < 0)
			return -1;
	}
	return 0;
}

int score_rows(const struct model *m, const struct dataset *ds, float **values, float **x,
	       float **raw, uint8_t **side, int *ignored, char *err, size_t errlen)
{
	int rc = vectorize_matrix(m, ds, values, ignored, err, errlen);

	*x = *raw = NULL;
	if (side)
		*side = NULL;
	if (rc < 0)
		return rc == -EINVAL ? -EINVAL : -ENOMEM;
	size_t len = ds->n * (size_t)m->n_features;
	*x = malloc(len * sizeof **x + 1);
	*raw = malloc(ds->n * sizeof **raw + 1);
	if (*x) {
		memcpy(*x, *values, len * sizeof **x);
		scaler_apply(&m->scaler, *x, ds->n);
	}
	if (side)
		*side = malloc(ds->n + 1);
	if (!*x || !*raw || (side && !*side) ||
	    score_as_windows(m, ds, *x, *raw, side ? *side : NULL) < 0) {
		snprintf(err, errlen, "out of memory");
		free(*values), free(*x), free(*raw);
		*values = *x = *raw = NULL;
		if (side) {
			free(*side);
			*side = NULL;
		}
		return -ENOMEM;
	}
	return 0;
}
