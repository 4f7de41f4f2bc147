#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"

struct explainer {
	const struct deepsad *det;
	const float *background;
	int n_bg, nsamples, dim, k;
	struct mlp_work *work;
	float *points;  /* [nsamples, dim] b + a (x - b) */
	float *delta;   /* [nsamples, dim] x - b */
	float *dout;    /* [nsamples, k] d score / d embedding */
	float *dx;      /* [nsamples, dim] d score / d point */
};

struct explainer *explain_new(const struct deepsad *d, const float *background, int n_bg,
			      int nsamples)
{
	int dim = mlp_dim_in(&d->enc), k = mlp_dim_out(&d->enc);
	struct explainer *e;

	if (n_bg < 1 || nsamples < 1 || !(e = calloc(1, sizeof *e)))
		return NULL;
	*e = (struct explainer){ .det = d, .background = background, .n_bg = n_bg,
				 .nsamples = nsamples, .dim = dim, .k = k };
	size_t rows = (size_t)nsamples;
	e->work = mlp_work_new(&d->enc, nsamples);
	e->points = malloc(rows * (size_t)dim * sizeof(float));
	e->delta = malloc(rows * (size_t)dim * sizeof(float));
	e->dout = malloc(rows * (size_t)k * sizeof(float));
	e->dx = malloc(rows * (size_t)dim * sizeof(float));
	if (!e->work || !e->points || !e->delta || !e->dout || !e->dx) {
		explain_free(e);
		return NULL;
	}
	return e;
}

void explain_free(struct explainer *e)
{
	if (!e)
		return;
	mlp_work_free(e->work);
	free(e->points);
	free(e->delta);
	free(e->dout);
	free(e->dx);
	free(e);
}

void explain_row(struct explainer *e, const float *x, uint64_t seed, float *phi)
{
	const int dim = e->dim, k = e->k, ns = e->nsamples;
	struct rng r;

	rng_seed(&r, seed);
	for (int s = 0; s < ns; s++) {
		const float *b = e->background + rng_below(&r, (uint64_t)e->n_bg) * (size_t)dim;
		float a = (float)rng_uniform(&r);
		float *p = e->points + (size_t)s * (size_t)dim, *dl = e->delta + (size_t)s * (size_t)dim;
		for (int j = 0; j < dim; j++) {
			dl[j] = x[j] - b[j];
			p[j] = b[j] + a * dl[j];
		}
	}
	/* score = ||phi(p) - c||^2, so d score / d embedding = 2 (phi(p) - c) */
	const float *emb = mlp_forward(&e->det->enc, e->work, e->points, ns);
	for (int s = 0; s < ns; s++)
		for (int j = 0; j < k; j++)
			e->dout[(size_t)s * (size_t)k + (size_t)j] =
				2.0f * (emb[(size_t)s * (size_t)k + (size_t)j] - e->det->center[j]);
	mlp_backward(&e->det->enc, e->work, e->dout, ns, NULL, e->dx);
	for (int j = 0; j < dim; j++) {
		double sum = 0;
		for (int s = 0; s < ns; s++)
			sum += (double)e->dx[(size_t)s * (size_t)dim + (size_t)j] *
			       e->delta[(size_t)s * (size_t)dim + (size_t)j];
		phi[j] = (float)(sum / ns);
	}
}

void explain_zero_correct(const float *value, float *phi, int dim)
{
	for (int j = 0; j < dim; j++)
		if (value[j] == 0)
			phi[j] = 0;
}

void explain_shift_to_one(const float *value, float *phi, int dim)
{
	float lo = 0;
	int any = 0;

	for (int j = 0; j < dim; j++)
		if (value[j] != 0 && (!any || phi[j] < lo)) {
			lo = phi[j];
			any = 1;
		}
	for (int j = 0; j < dim; j++)
		phi[j] = value[j] != 0 ? phi[j] - lo + 1.0f : 0.0f;
}
