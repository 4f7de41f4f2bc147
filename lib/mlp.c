#include "mlp.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int mlp_init(struct mlp *m, int n_layers, const int *sizes, const uint8_t *leaky)
{
	size_t n = 0;

	memset(m, 0, sizeof *m);
	if (n_layers < 1 || n_layers > MLP_MAX_LAYERS)
		return -EINVAL;
	for (int l = 0; l <= n_layers; l++)
		if (sizes[l] < 1 || sizes[l] > (1 << 20))
			return -EINVAL;
	for (int l = 0; l < n_layers; l++)
		n += (size_t)sizes[l] * (size_t)sizes[l + 1];
	m->params = calloc(n, sizeof(float));
	if (!m->params)
		return -ENOMEM;
	m->n_layers = n_layers;
	m->n_params = n;
	memcpy(m->sizes, sizes, sizeof(int) * (size_t)(n_layers + 1));
	n = 0;
	for (int l = 0; l < n_layers; l++) {
		m->leaky[l] = leaky[l];
		m->w[l] = m->params + n;
		n += (size_t)sizes[l] * (size_t)sizes[l + 1];
	}
	return 0;
}

void mlp_free(struct mlp *m)
{
	if (!m)
		return;
	free(m->params);
	memset(m, 0, sizeof *m);
}

void mlp_init_he(struct mlp *m, struct rng *r)
{
	/* std of a standard normal truncated to [-2, 2] */
	const double trunc_std = 0.87962566103423978;

	for (int l = 0; l < m->n_layers; l++) {
		double scale = sqrt(2.0 / m->sizes[l]) / trunc_std;
		size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
		for (size_t i = 0; i < n; i++) {
			double z;
			do
				z = rng_normal(r);
			while (fabs(z) > 2.0);
			m->w[l][i] = (float)(z * scale);
		}
	}
}

double mlp_weight_sq(const struct mlp *m)
{
	double s = 0;
	for (size_t i = 0; i < m->n_params; i++)
		s += (double)m->params[i] * m->params[i];
	return s;
}

static int max_width(const struct mlp *m)
{
	int w = 0;
	for (int l = 0; l <= m->n_layers; l++)
		if (m->sizes[l] > w)
			w = m->sizes[l];
	return w;
}

struct mlp_work *mlp_work_new(const struct mlp *m, int cap)
{
	struct mlp_work *w = calloc(1, sizeof *w);
	size_t wide = (size_t)cap * (size_t)max_width(m);

	if (!w)
		return NULL;
	w->cap = cap;
	for (int l = 1; l <= m->n_layers; l++)
		if (!(w->act[l] = malloc(sizeof(float) * (size_t)cap * (size_t)m->sizes[l])))
			goto fail;
	w->d0 = malloc(sizeof(float) * wide);
	w->d1 = malloc(sizeof(float) * wide);
	if (!w->d0 || !w->d1)
		goto fail;
	return w;
fail:
	mlp_work_free(w);
	return NULL;
}

void mlp_work_free(struct mlp_work *w)
{
	if (!w)
		return;
	for (int l = 1; l <= MLP_MAX_LAYERS; l++)
		free(w->act[l]);
	free(w->d0);
	free(w->d1);
	free(w);
}

static void leaky_relu(float *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = a[i] > 0 ? a[i] : a[i] * MLP_LEAKY_SLOPE;
}

const float *mlp_forward(const struct mlp *m, struct mlp_work *w, const float *x, int n)
{
	w->act[0] = (float *)x; /* only read */
	for (int l = 0; l < m->n_layers; l++) {
		int in = m->sizes[l], out = m->sizes[l + 1];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, 1.0f,
			    w->act[l], in, m->w[l], out, 0.0f, w->act[l + 1], out);
		if (m->leaky[l])
			leaky_relu(w->act[l + 1], (size_t)n * (size_t)out);
	}
	return w->act[m->n_layers];
}

/* dz = da * LeakyReLU'(z); the slope is positive, so sign(z) = sign(a). */
static void leaky_relu_backward(const float *a, const float *da, float *dz, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dz[i] = a[i] > 0 ? da[i] : da[i] * MLP_LEAKY_SLOPE;
}

void mlp_backward(const struct mlp *m, struct mlp_work *w, const float *dout, int n,
		  float *grad, float *dx)
{
	const float *da = dout;
	float *bufs[2] = { w->d0, w->d1 };
	int flip = 0;

	for (int l = m->n_layers - 1; l >= 0; l--) {
		int in = m->sizes[l], out = m->sizes[l + 1];
		const float *dz = da;
		if (m->leaky[l]) {
			float *t = bufs[flip];
			leaky_relu_backward(w->act[l + 1], da, t, (size_t)n * (size_t)out);
			dz = t;
			flip ^= 1;
		}
		if (grad)
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, n, 1.0f,
				    w->act[l], in, dz, out, 0.0f, grad + (m->w[l] - m->params),
				    out);
		if (l == 0 && !dx)
			break;
		float *dprev = l == 0 ? dx : bufs[flip];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, in, out, 1.0f, dz, out,
			    m->w[l], out, 0.0f, dprev, in);
		da = dprev;
		flip ^= 1;
	}
}
