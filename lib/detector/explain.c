#include "detector/explain.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

/* The first layer is linear: with Z0(p) = p·W0 and p = b + a (x - b),
 * Z0(p) = Z0(b) + a (Z0(x) - Z0(b)). The background's Z0 is computed once,
 * so a draw costs a blend of two rows instead of a product with W0; and
 *   phi_j = mean_s (dZ0_s · W0[j,:]) (x_j - b_sj)
 *         = (x_j (W0 g)_j - sum_h W0[j,h] (B^T G)[j,h]) / nsamples
 * with g = sum_s dZ0_s and G[i,:] = the sum of dZ0_s over draws of
 * background row i, which replaces the input gradient's product with W0
 * by one with the (smaller) background. */
struct explainer {
	const struct deepsad *det;
	const float *background;
	int n_bg, nsamples, dim, h, k;
	struct mlp_work *work;
	float *bg_z0;  /* [n_bg, h] background · W0 */
	float *x_z0;   /* [h] x · W0 */
	uint32_t *pick; /* [nsamples] background row of each draw */
	float *dout;   /* [nsamples, k] d score / d embedding */
	float *dz0;    /* [nsamples, h] d score / d Z0 */
	float *g;      /* [h] sum of dz0 over draws */
	float *gsum;   /* [n_bg, h] sum of dz0 per background row */
	float *m;      /* [dim, h] background^T · gsum */
	float *wg;     /* [dim] W0 · g */
};

struct explainer *explain_new(const struct deepsad *d, const float *background, int n_bg,
			      int nsamples)
{
	const struct mlp *enc = &d->enc;
	int dim = mlp_dim_in(enc), h = enc->sizes[1], k = mlp_dim_out(enc);
	struct explainer *e;

	if (n_bg < 1 || nsamples < 1 || !(e = calloc(1, sizeof *e)))
		return NULL;
	*e = (struct explainer){ .det = d, .background = background, .n_bg = n_bg,
				 .nsamples = nsamples, .dim = dim, .h = h, .k = k };
	size_t ns = (size_t)nsamples;
	e->work = mlp_work_new(enc, nsamples);
	e->bg_z0 = malloc((size_t)n_bg * (size_t)h * sizeof(float));
	e->x_z0 = malloc((size_t)h * sizeof(float));
	e->pick = malloc(ns * sizeof *e->pick);
	e->dout = malloc(ns * (size_t)k * sizeof(float));
	e->dz0 = malloc(ns * (size_t)h * sizeof(float));
	e->g = malloc((size_t)h * sizeof(float));
	e->gsum = malloc((size_t)n_bg * (size_t)h * sizeof(float));
	e->m = malloc((size_t)dim * (size_t)h * sizeof(float));
	e->wg = malloc((size_t)dim * sizeof(float));
	if (!e->work || !e->bg_z0 || !e->x_z0 || !e->pick || !e->dout || !e->dz0 || !e->g ||
	    !e->gsum || !e->m || !e->wg) {
		explain_free(e);
		return NULL;
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n_bg, h, dim, 1.0f, background,
		    dim, enc->w[0], h, 0.0f, e->bg_z0, h);
	return e;
}

void explain_free(struct explainer *e)
{
	if (!e)
		return;
	mlp_work_free(e->work);
	free(e->bg_z0);
	free(e->x_z0);
	free(e->pick);
	free(e->dout);
	free(e->dz0);
	free(e->g);
	free(e->gsum);
	free(e->m);
	free(e->wg);
	free(e);
}

/* Z0 of every draw, blended from the background's and x's. */
static void draw_points(struct explainer *e, struct rng *r)
{
	const int h = e->h;
	float *z0 = mlp_work_preact(e->work);

	for (int s = 0; s < e->nsamples; s++) {
		e->pick[s] = (uint32_t)rng_below(r, (uint64_t)e->n_bg);
		float a = (float)rng_uniform(r);
		const float *zb = e->bg_z0 + (size_t)e->pick[s] * (size_t)h;
		float *z = z0 + (size_t)s * (size_t)h;
		for (int j = 0; j < h; j++)
			z[j] = zb[j] + a * (e->x_z0[j] - zb[j]);
	}
}

/* d score / d Z0 of every draw: score = ||phi - c||^2, d score/d phi = 2 (phi - c). */
static void score_gradients(struct explainer *e)
{
	const struct deepsad *d = e->det;
	const float *emb = mlp_forward_from_preact(&d->enc, e->work, e->nsamples);

	for (int s = 0; s < e->nsamples; s++)
		for (int j = 0; j < e->k; j++)
			e->dout[(size_t)s * (size_t)e->k + (size_t)j] =
				2.0f * (emb[(size_t)s * (size_t)e->k + (size_t)j] - d->center[j]);
	mlp_backward_to_preact(&d->enc, e->work, e->dout, e->nsamples, e->dz0);
}

void explain_row(struct explainer *e, const float *x, uint64_t seed, float *phi)
{
	const int dim = e->dim, h = e->h;
	const float *w0 = e->det->enc.w[0];
	struct rng r;

	rng_seed(&r, seed);
	cblas_sgemv(CblasRowMajor, CblasTrans, dim, h, 1.0f, w0, h, x, 1, 0.0f, e->x_z0, 1);
	draw_points(e, &r);
	score_gradients(e);
	memset(e->g, 0, (size_t)h * sizeof(float));
	memset(e->gsum, 0, (size_t)e->n_bg * (size_t)h * sizeof(float));
	for (int s = 0; s < e->nsamples; s++) {
		const float *dz = e->dz0 + (size_t)s * (size_t)h;
		float *gi = e->gsum + (size_t)e->pick[s] * (size_t)h;
		for (int j = 0; j < h; j++) {
			e->g[j] += dz[j];
			gi[j] += dz[j];
		}
	}
	cblas_sgemv(CblasRowMajor, CblasNoTrans, dim, h, 1.0f, w0, h, e->g, 1, 0.0f, e->wg, 1);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dim, h, e->n_bg, 1.0f,
		    e->background, dim, e->gsum, h, 0.0f, e->m, h);
	for (int j = 0; j < dim; j++) {
		const float *wj = w0 + (size_t)j * (size_t)h, *mj = e->m + (size_t)j * (size_t)h;
		double cross = 0;
		for (int c = 0; c < h; c++)
			cross += (double)wj[c] * mj[c];
		phi[j] = (float)(((double)x[j] * e->wg[j] - cross) / e->nsamples);
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

uint64_t explain_seed(uint64_t model_seed, int64_t window_start, const char *src, uint64_t row)
{
	uint64_t h = 0xcbf29ce484222325ull ^ model_seed * 0x9e3779b97f4a7c15ull; /* FNV-1a */
	for (const char *p = src && *src ? src : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	h ^= (uint64_t)window_start * 0xbf58476d1ce4e5b9ull;
	return src && *src ? h : h ^ row * 0x94d049bb133111ebull;
}
