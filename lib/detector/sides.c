#include "detector/sides.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detector/scaler.h"
#include "features/feature_spec.h"

int sides_init(struct sides *s, const struct model *m)
{
	memset(s, 0, sizeof *s);
	s->dim = m->n_features;
	s->packets = s->new_served = -1;
	s->side = malloc((size_t)s->dim + 1);
	s->nothing = calloc((size_t)s->dim + 1, sizeof *s->nothing);
	if (!s->side || !s->nothing) {
		sides_free(s);
		return -ENOMEM;
	}
	scaler_apply(&m->scaler, s->nothing, 1);
	for (int j = 0; j < s->dim; j++) {
		s->side[j] = (uint8_t)feature_side(m->features[j]);
		s->two_sided |= s->side[j] == BASELINE_SERVED;
		if (strcmp(m->features[j], "volume packets") == 0)
			s->packets = j;
		if (strcmp(m->features[j], "host new_served") == 0)
			s->new_served = j;
	}
	return 0;
}

void sides_free(struct sides *s)
{
	free(s->side);
	free(s->nothing);
	s->side = NULL;
	s->nothing = NULL;
}

void sides_keep(const struct sides *s, float *row, int side)
{
	for (int j = 0; j < s->dim; j++)
		if (s->side[j] != side)
			row[j] = s->nothing[j];
}

void sides_explain_only(const struct sides *s, float *phi, int side)
{
	for (int j = 0; j < s->dim; j++)
		if (s->side[j] != side)
			phi[j] = 0;
}

int sides_pick(const struct sides *s, const float *row, float open, float served)
{
	if (served != served)
		return BASELINE_OPENED;
	if (open != open)
		return BASELINE_SERVED;
	int news = s->new_served >= 0 && row[s->new_served] != s->nothing[s->new_served];
	return news && served > open ? BASELINE_SERVED : BASELINE_OPENED;
}

/* Whether row has anything on side. */
static int did_any(const struct sides *s, const float *row, int side)
{
	for (int j = 0; j < s->dim; j++)
		if (s->side[j] == side && row[j] != s->nothing[j])
			return 1;
	return 0;
}

int sides_score(const struct sides *s, const struct model *m, const float *x, size_t n,
		const float *raw, float *open, float *served)
{
	size_t dim = (size_t)s->dim, k = 0;
	for (size_t i = 0; i < n; i++) {
		const float *row = x + i * dim;
		open[i] =
			s->packets >= 0 && row[s->packets] == s->nothing[s->packets] ? NAN : raw[i];
		served[i] = NAN;
		k += s->two_sided && did_any(s, row, BASELINE_SERVED);
	}
	if (k == 0)
		return 0;
	/* the rows that served anything, once from each side: [2k, dim], then 2k scores */
	float *y = malloc((2 * k * dim + 2 * k) * sizeof *y);
	if (!y)
		return -ENOMEM;
	float *score = y + 2 * k * dim;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (!did_any(s, x + i * dim, BASELINE_SERVED))
			continue;
		for (int side = BASELINE_OPENED; side < BASELINE_SIDES; side++) {
			memcpy(y + (2 * j + (size_t)side) * dim, x + i * dim, dim * sizeof *y);
			sides_keep(s, y + (2 * j + (size_t)side) * dim, side);
		}
		j++;
	}
	int rc = deepsad_score(&m->det, y, 2 * k, score);
	for (size_t i = 0, r = 0; rc == 0 && i < n; i++) {
		if (!did_any(s, x + i * dim, BASELINE_SERVED))
			continue;
		if (open[i] == open[i])
			open[i] = score[2 * r];
		served[i] = score[2 * r + 1];
		r++;
	}
	free(y);
	return rc;
}
