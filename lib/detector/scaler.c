#include "detector/scaler.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = { "none", "zscore", "minmax", "maxabs" };

const char *scaler_kind_name(enum scaler_kind kind)
{
	return (unsigned)kind < 4 ? kind_names[kind] : "?";
}

int scaler_kind_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

int scaler_alloc(struct scaler *s, enum scaler_kind kind, int dim)
{
	s->kind = kind;
	s->dim = dim;
	s->offset = calloc((size_t)dim, sizeof(float));
	s->mult = malloc((size_t)dim * sizeof(float));
	if (!s->offset || !s->mult) {
		scaler_free(s);
		return -ENOMEM;
	}
	for (int j = 0; j < dim; j++)
		s->mult[j] = 1.0f;
	return 0;
}

void scaler_free(struct scaler *s)
{
	if (!s)
		return;
	free(s->offset);
	free(s->mult);
	s->offset = s->mult = NULL;
}

/* 1/spread, or 1 for a constant feature. */
static float inverse_or_one(double spread)
{
	return spread > 1e-12 ? (float)(1.0 / spread) : 1.0f;
}

static void fit_column(struct scaler *s, int j, const float *x, size_t n)
{
	double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY, amax = 0;

	for (size_t i = 0; i < n; i++) {
		double v = x[i * (size_t)s->dim + (size_t)j];
		sum += v;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		amax = fabs(v) > amax ? fabs(v) : amax;
	}
	double mean = n ? sum / (double)n : 0;
	for (size_t i = 0; i < n; i++) {
		double dv = x[i * (size_t)s->dim + (size_t)j] - mean;
		sq += dv * dv;
	}
	switch (s->kind) {
	case SCALER_ZSCORE:
		s->offset[j] = (float)mean;
		s->mult[j] = inverse_or_one(n ? sqrt(sq / (double)n) : 0);
		break;
	case SCALER_MINMAX:
		s->offset[j] = n ? (float)lo : 0.0f;
		s->mult[j] = inverse_or_one(n ? hi - lo : 0);
		break;
	case SCALER_MAXABS:
		s->mult[j] = inverse_or_one(amax);
		break;
	case SCALER_NONE:
		break;
	}
}

int scaler_fit(struct scaler *s, enum scaler_kind kind, const float *x, size_t n, int dim)
{
	int rc = scaler_alloc(s, kind, dim);
	if (rc < 0)
		return rc;
	for (int j = 0; j < dim; j++)
		fit_column(s, j, x, n);
	return 0;
}

void scaler_apply(const struct scaler *s, float *x, size_t n)
{
	if (s->kind == SCALER_NONE)
		return;
	for (size_t i = 0; i < n; i++) {
		float *row = x + i * (size_t)s->dim;
		for (int j = 0; j < s->dim; j++)
			row[j] = (row[j] - s->offset[j]) * s->mult[j];
	}
}
