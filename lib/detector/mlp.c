#include "detector/mlp.h"

#include <cblas.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
	free(m->bn_stats);
	memset(m, 0, sizeof *m);
}

int mlp_enable_batchnorm(struct mlp *m, const uint8_t *bn)
{
	size_t n = 0;

	for (int l = 0; l < m->n_layers; l++)
		n += bn[l] ? 2 * (size_t)m->sizes[l + 1] : 0;
	free(m->bn_stats);
	m->bn_stats = calloc(n + 1, sizeof(float));
	if (!m->bn_stats)
		return -ENOMEM;
	m->n_bn_stats = n;
	n = 0;
	for (int l = 0; l < m->n_layers; l++) {
		m->bn[l] = bn[l] != 0;
		if (!m->bn[l])
			continue;
		m->bn_mean[l] = m->bn_stats + n;
		m->bn_var[l] = m->bn_stats + n + m->sizes[l + 1];
		for (int j = 0; j < m->sizes[l + 1]; j++)
			m->bn_var[l][j] = 1.0f;
		n += 2 * (size_t)m->sizes[l + 1];
	}
	return 0;
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

void mlp_init_uniform(struct mlp *m, struct rng *r)
{
	for (int l = 0; l < m->n_layers; l++) {
		double bound = 1.0 / sqrt(m->sizes[l]);
		size_t n = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
		for (size_t i = 0; i < n; i++)
			m->w[l][i] = (float)((2.0 * rng_uniform(r) - 1.0) * bound);
	}
}

/* Sum of squares: 16 float lanes over runs of 1024 weights (a loop that
 * vectorizes), each run's total added in double. */
double mlp_weight_sq(const struct mlp *m)
{
	double s = 0;
	for (size_t from = 0; from < m->n_params; from += 1024) {
		size_t to = from + 1024 < m->n_params ? from + 1024 : m->n_params;
		float lane[16] = { 0 };
		size_t i = from;
		for (; i + 16 <= to; i += 16)
			for (int k = 0; k < 16; k++)
				lane[k] += m->params[i + (size_t)k] * m->params[i + (size_t)k];
		for (; i < to; i++)
			lane[0] += m->params[i] * m->params[i];
		for (int k = 0; k < 16; k++)
			s += lane[k];
	}
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

static int sparse_input_new(struct mlp_sparse_input *s, const struct mlp *m, int cap)
{
	size_t most = (size_t)cap * (size_t)m->sizes[0] / MLP_SPARSE_SHARE + 1;
	s->base = malloc(sizeof(float) * (size_t)m->sizes[0]);
	s->base_w = malloc(sizeof(float) * (size_t)m->sizes[1]);
	s->row_start = malloc(sizeof(int) * ((size_t)cap + 1));
	s->col = malloc(sizeof(int) * most);
	s->val = malloc(sizeof(float) * most);
	return s->base && s->base_w && s->row_start && s->col && s->val ? 0 : -ENOMEM;
}

static void sparse_input_free(struct mlp_sparse_input *s)
{
	free(s->base);
	free(s->base_w);
	free(s->row_start);
	free(s->col);
	free(s->val);
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
	for (int l = 0; l < m->n_layers; l++)
		if (m->bn[l] && !(w->inv_std[l] = malloc(sizeof(float) * (size_t)m->sizes[l + 1])))
			goto fail;
	w->d0 = malloc(sizeof(float) * wide);
	w->d1 = malloc(sizeof(float) * wide);
	if (!w->d0 || !w->d1 || sparse_input_new(&w->sparse, m, cap) < 0)
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
	for (int l = 0; l < MLP_MAX_LAYERS; l++)
		free(w->inv_std[l]);
	free(w->d0);
	free(w->d1);
	sparse_input_free(&w->sparse);
	free(w);
}

static void leaky_relu(float *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = a[i] > 0 ? a[i] : a[i] * MLP_LEAKY_SLOPE;
}

/* Batch statistics of z [n, out] per column; folds them into the running
 * ones (variance unbiased, as the authors' framework keeps it). */
static void batch_stats(struct mlp *m, int l, const float *z, int n, float *mean, float *inv_std)
{
	int out = m->sizes[l + 1];
	for (int j = 0; j < out; j++) {
		double s = 0, sq = 0;
		for (int i = 0; i < n; i++)
			s += z[(size_t)i * (size_t)out + (size_t)j];
		double mu = s / n;
		for (int i = 0; i < n; i++) {
			double d = z[(size_t)i * (size_t)out + (size_t)j] - mu;
			sq += d * d;
		}
		mean[j] = (float)mu;
		inv_std[j] = (float)(1.0 / sqrt(sq / n + MLP_BN_EPS));
		if (n > 1) {
			m->bn_mean[l][j] += MLP_BN_MOMENTUM * ((float)mu - m->bn_mean[l][j]);
			m->bn_var[l][j] +=
				MLP_BN_MOMENTUM * ((float)(sq / (n - 1)) - m->bn_var[l][j]);
		}
	}
}

static void normalize(float *z, int n, int out, const float *mean, const float *inv_std)
{
	for (int i = 0; i < n; i++) {
		float *row = z + (size_t)i * (size_t)out;
		for (int j = 0; j < out; j++)
			row[j] = (row[j] - mean[j]) * inv_std[j];
	}
}

/* Batch normalisation and activation of layer l, in place on act[l+1]. */
static void finish_layer(struct mlp *m, struct mlp_work *w, int l, int n)
{
	int out = m->sizes[l + 1];
	float *z = w->act[l + 1];

	if (m->bn[l] && w->training) {
		float *mean = w->d0; /* scratch: backward has not started */
		batch_stats(m, l, z, n, mean, w->inv_std[l]);
		normalize(z, n, out, mean, w->inv_std[l]);
	} else if (m->bn[l]) {
		for (int j = 0; j < out; j++)
			w->inv_std[l][j] = 1.0f / sqrtf(m->bn_var[l][j] + MLP_BN_EPS);
		normalize(z, n, out, m->bn_mean[l], w->inv_std[l]);
	}
	if (m->leaky[l])
		leaky_relu(z, (size_t)n * (size_t)out);
}

/* Each column's common value: the one that two of rows first, middle and
 * last agree on (else the middle's). Any choice is exact; a good one leaves
 * few entries to differ. */
static void choose_base(float *base, const float *x, int n, int dim)
{
	const float *a = x, *b = x + (size_t)(n / 2) * (size_t)dim,
		    *c = x + (size_t)(n - 1) * (size_t)dim;
	for (int j = 0; j < dim; j++)
		base[j] = a[j] == b[j] || a[j] == c[j] ? a[j] : b[j];
}

/* The sparse layer's row updates run wider where the processor can (chosen
 * once at load time): AVX2 with FMA doubles them on this hardware. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/* (not under the sanitizers: their runtime is not up yet when a resolver runs) */
#define SPARSE_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SPARSE_CLONES
#endif

/* Which of 16 floats differ, one bit each. */
#if defined(__SSE2__)
static uint32_t differ_mask16(const float *a, const float *b)
{
	uint32_t mask = 0;
	for (int k = 0; k < 16; k += 4) {
		__m128 d = _mm_cmpneq_ps(_mm_loadu_ps(a + k), _mm_loadu_ps(b + k));
		mask |= (uint32_t)_mm_movemask_ps(d) << k;
	}
	return mask;
}
#else
static uint32_t differ_mask16(const float *a, const float *b)
{
	uint32_t mask = 0;
	for (int k = 0; k < 16; k++)
		mask |= (uint32_t)(a[k] != b[k]) << k;
	return mask;
}
#endif

/* The entries of x [n, dim] that differ from their column's base, in rows.
 * Returns 0 when there are too many for the sparse path. */
static int gather_differences(struct mlp_sparse_input *s, const float *x, int n, int dim)
{
	size_t most = (size_t)n * (size_t)dim / MLP_SPARSE_SHARE, k = 0;
	choose_base(s->base, x, n, dim);
	for (int i = 0; i < n; i++) {
		const float *row = x + (size_t)i * (size_t)dim;
		s->row_start[i] = (int)k;
		for (int from = 0; from < dim; from += 16) { /* 16 columns at a time */
			uint32_t mask = 0;
			if (from + 16 <= dim)
				mask = differ_mask16(row + from, s->base + from);
			else
				for (int j = from; j < dim; j++)
					mask |= (uint32_t)(row[j] != s->base[j]) << (j - from);
			for (; mask; mask &= mask - 1) {
				int j = from + __builtin_ctz(mask);
				if (k == most)
					return 0;
				s->col[k] = j;
				s->val[k++] = row[j] - s->base[j];
			}
		}
	}
	s->row_start[n] = (int)k;
	return 1;
}

/* act[1] = x·W0 for a batch that gather_differences took: base·W0 in every
 * row, plus each differing entry times its row of W0. */
SPARSE_CLONES
static void forward_sparse_first(const struct mlp *m, struct mlp_work *w, int n)
{
	const struct mlp_sparse_input *s = &w->sparse;
	int in = m->sizes[0], out = m->sizes[1];
	cblas_sgemv(CblasRowMajor, CblasTrans, in, out, 1.0f, m->w[0], out, s->base, 1, 0.0f,
		    s->base_w, 1);
	for (int i = 0; i < n; i++) {
		float *z = w->act[1] + (size_t)i * (size_t)out;
		memcpy(z, s->base_w, sizeof(float) * (size_t)out);
		for (int k = s->row_start[i]; k < s->row_start[i + 1]; k++) {
			const float *wr = m->w[0] + (size_t)s->col[k] * (size_t)out;
			float v = s->val[k];
			for (int j = 0; j < out; j++)
				z[j] += v * wr[j];
		}
	}
}

/* Layers first.. of the pass; m is written only in training mode (running
 * statistics). */
static const float *forward_layers(struct mlp *m, struct mlp_work *w, int n, int first)
{
	for (int l = first; l < m->n_layers; l++) {
		int in = m->sizes[l], out = m->sizes[l + 1];
		if (l == 0 && w->sparse.used)
			forward_sparse_first(m, w, n);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, 1.0f,
				    w->act[l], in, m->w[l], out, 0.0f, w->act[l + 1], out);
		finish_layer(m, w, l, n);
	}
	return w->act[m->n_layers];
}

static const float *forward(struct mlp *m, struct mlp_work *w, const float *x, int n, int training)
{
	w->act[0] = (float *)x; /* only read */
	w->training = training;
	w->sparse.used = gather_differences(&w->sparse, x, n, m->sizes[0]);
	return forward_layers(m, w, n, 0);
}

float *mlp_work_preact(struct mlp_work *w)
{
	return w->act[1];
}

const float *mlp_forward_from_preact(const struct mlp *m, struct mlp_work *w, int n)
{
	struct mlp *mm = (struct mlp *)m; /* inference writes nothing to m */
	w->act[0] = NULL;
	w->training = 0;
	w->sparse.used = 0;
	finish_layer(mm, w, 0, n);
	return forward_layers(mm, w, n, 1);
}

const float *mlp_forward(const struct mlp *m, struct mlp_work *w, const float *x, int n)
{
	return forward((struct mlp *)m, w, x, n, 0); /* inference writes nothing to m */
}

const float *mlp_forward_train(struct mlp *m, struct mlp_work *w, const float *x, int n)
{
	return forward(m, w, x, n, 1);
}

/* dz = da * LeakyReLU'(z); the slope is positive, so sign(z) = sign(a). */
static void leaky_relu_backward(const float *a, const float *da, float *dz, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dz[i] = a[i] > 0 ? da[i] : da[i] * MLP_LEAKY_SLOPE;
}

/* The normalised value of a bn layer's output, recovered from its activation. */
static float normalized_of(const struct mlp *m, int l, float a)
{
	return m->leaky[l] && a < 0 ? a / MLP_LEAKY_SLOPE : a;
}

/* d(loss)/dz from d(loss)/dzhat. In training the batch statistics depend on
 * z: dz = inv_std * (dzhat - mean(dzhat) - zhat * mean(dzhat * zhat)) per
 * column; in inference the statistics are constants: dz = inv_std * dzhat. */
static void batchnorm_backward(const struct mlp *m, const struct mlp_work *w, int l,
			       const float *dzhat, float *dz, int n)
{
	int out = m->sizes[l + 1];
	const float *a = w->act[l + 1], *inv_std = w->inv_std[l];

	for (int j = 0; j < out; j++) {
		double mean_d = 0, mean_dz = 0;
		if (w->training) {
			for (int i = 0; i < n; i++) {
				size_t k = (size_t)i * (size_t)out + (size_t)j;
				mean_d += dzhat[k];
				mean_dz += (double)dzhat[k] * normalized_of(m, l, a[k]);
			}
			mean_d /= n;
			mean_dz /= n;
		}
		for (int i = 0; i < n; i++) {
			size_t k = (size_t)i * (size_t)out + (size_t)j;
			dz[k] = (float)(inv_std[j] * (dzhat[k] - mean_d -
						      normalized_of(m, l, a[k]) * mean_dz));
		}
	}
}

/* d(loss)/dW0 = X^T·dz for a batch the sparse path took: base ⊗ (column
 * sums of dz), plus each differing entry times its row of dz. */
SPARSE_CLONES
static void weight_grad_sparse_first(const struct mlp *m, struct mlp_work *w, const float *dz,
				     int n, float *grad)
{
	struct mlp_sparse_input *s = &w->sparse;
	int in = m->sizes[0], out = m->sizes[1];
	float *g = grad + (m->w[0] - m->params), *sum = s->base_w; /* forward is done with it */

	memset(sum, 0, sizeof(float) * (size_t)out);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < out; j++)
			sum[j] += dz[(size_t)i * (size_t)out + (size_t)j];
	for (int c = 0; c < in; c++)
		for (int j = 0; j < out; j++)
			g[(size_t)c * (size_t)out + (size_t)j] = s->base[c] * sum[j];
	for (int i = 0; i < n; i++)
		for (int k = s->row_start[i]; k < s->row_start[i + 1]; k++) {
			float *gr = g + (size_t)s->col[k] * (size_t)out;
			const float *d = dz + (size_t)i * (size_t)out, v = s->val[k];
			for (int j = 0; j < out; j++)
				gr[j] += v * d[j];
		}
}

/* The backward pass; stops at layer 0's pre-activation gradient when dz0 is
 * not NULL (then grad and dx are not written for layer 0). */
static void backward(const struct mlp *m, struct mlp_work *w, const float *dout, int n,
		     float *grad, float *dx, float *dz0)
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
		if (m->bn[l]) {
			float *t = bufs[flip];
			batchnorm_backward(m, w, l, dz, t, n);
			dz = t;
			flip ^= 1;
		}
		if (l == 0 && dz0) {
			memcpy(dz0, dz, sizeof(float) * (size_t)n * (size_t)out);
			break;
		}
		if (grad && l == 0 && w->sparse.used)
			weight_grad_sparse_first(m, w, dz, n, grad);
		else if (grad)
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

void mlp_backward(const struct mlp *m, struct mlp_work *w, const float *dout, int n,
		  float *grad, float *dx)
{
	backward(m, w, dout, n, grad, dx, NULL);
}

void mlp_backward_to_preact(const struct mlp *m, struct mlp_work *w, const float *dout, int n,
			    float *dz0)
{
	backward(m, w, dout, n, NULL, NULL, dz0);
}
