/* mlp: a chain of bias-free dense layers with optional LeakyReLU, forward and
 * backward by OpenBLAS matrix products. Rows are samples (row-major).
 *
 * Layer l maps sizes[l] -> sizes[l+1]: Z = A_l · W_l, W_l is [sizes[l], sizes[l+1]]
 * (the same orientation as a Keras kernel), then optionally batch
 * normalisation without affine parameters (bn[l]: Z' = (Z - mean) / sqrt(var +
 * eps), batch statistics in training, running ones in inference), then
 * A_{l+1} = leaky[l] ? LeakyReLU(Z') : Z'.
 * All weights live in one allocation (params) so that an optimiser, a copy
 * of the best epoch or a model file treats them as one vector. */
#ifndef FLOWSAD_MLP_H
#define FLOWSAD_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

#define MLP_MAX_LAYERS 16
/* LeakyReLU negative slope: the seed's framework default (Keras alpha=0.3). */
#define MLP_LEAKY_SLOPE 0.3f
/* Batch normalisation constants as in the Deep SAD authors' networks. */
#define MLP_BN_EPS 1e-4f
#define MLP_BN_MOMENTUM 0.1f

struct mlp {
	int n_layers;
	int sizes[MLP_MAX_LAYERS + 1];
	uint8_t leaky[MLP_MAX_LAYERS];
	size_t n_params;
	float *params;              /* [n_params] */
	float *w[MLP_MAX_LAYERS];   /* views into params: [sizes[l], sizes[l+1]] */
	uint8_t bn[MLP_MAX_LAYERS];
	size_t n_bn_stats;
	float *bn_stats;            /* [n_bn_stats]: running mean then var per bn layer */
	float *bn_mean[MLP_MAX_LAYERS], *bn_var[MLP_MAX_LAYERS]; /* views: [sizes[l+1]] */
};

/* A batch whose columns each hold mostly one value (network counters: most
 * are zero, or what zero becomes once standardised) is taken by the first
 * layer as that row of values plus the few entries that differ: X·W0 =
 * 1·(base·W0) + D·W0, with D sparse, in rows. At most 1/MLP_SPARSE_SHARE of
 * the entries may differ; a denser batch goes through the matrix product. */
#define MLP_SPARSE_SHARE 4

struct mlp_sparse_input {
	int used;       /* the last forward took this path */
	float *base;    /* [sizes[0]]: each column's common value in the batch */
	float *base_w;  /* [sizes[1]]: base·W0 (and scratch of the backward) */
	int *row_start; /* [cap + 1] into col and val */
	int *col;       /* [cap * sizes[0] / MLP_SPARSE_SHARE] */
	float *val;     /* the entry minus its column's base */
};

/* Activations and scratch for batches of up to cap rows (one per thread of use). */
struct mlp_work {
	int cap;
	int training;                   /* the last forward used batch statistics */
	float *act[MLP_MAX_LAYERS + 1]; /* act[0] borrowed input; act[l] [cap, sizes[l]] */
	float *d0, *d1;                 /* [cap, max width] gradient scratch */
	float *inv_std[MLP_MAX_LAYERS]; /* [sizes[l+1]] of bn layers: 1/sqrt(var + eps) */
	struct mlp_sparse_input sparse;
};

/* Allocates zeroed weights. Returns 0, -EINVAL on bad sizes, -ENOMEM. */
int mlp_init(struct mlp *m, int n_layers, const int *sizes, const uint8_t *leaky)
	__attribute__((warn_unused_result));
void mlp_free(struct mlp *m);
/* Adds batch normalisation after the layers with bn[l] set (running mean 0,
 * variance 1). Call before creating work areas. Returns 0 or -ENOMEM. */
int mlp_enable_batchnorm(struct mlp *m, const uint8_t *bn) __attribute__((warn_unused_result));
/* He-normal initialisation as Keras draws it: a normal truncated at two
 * standard deviations, scaled so the variance is 2 / fan_in. */
void mlp_init_he(struct mlp *m, struct rng *r);
/* PyTorch's default for a linear layer (the Deep SAD authors' networks):
 * uniform in +-1/sqrt(fan_in), a variance 6 times smaller than He-normal's. */
void mlp_init_uniform(struct mlp *m, struct rng *r);
static inline int mlp_dim_in(const struct mlp *m) { return m->sizes[0]; }
static inline int mlp_dim_out(const struct mlp *m) { return m->sizes[m->n_layers]; }
/* L2 penalty sum(w^2) over all weights. */
double mlp_weight_sq(const struct mlp *m);

struct mlp_work *mlp_work_new(const struct mlp *m, int cap);
void mlp_work_free(struct mlp_work *w);

/* Inference forward pass of n <= w->cap rows of x [n, dim_in] (borrowed
 * until the next call on w). Returns the output [n, dim_out], owned by w. */
const float *mlp_forward(const struct mlp *m, struct mlp_work *w, const float *x, int n);
/* The same in training mode: batch normalisation uses the batch's statistics
 * and updates the running ones (so m changes). Without bn layers it is
 * mlp_forward. */
const float *mlp_forward_train(struct mlp *m, struct mlp_work *w, const float *x, int n);

/* The first layer is linear in its input, so a caller that knows X·W0 by
 * cheaper means (the explainer: rows on segments between known rows) can
 * write it into mlp_work_preact(w) [n, sizes[1]] and run the rest of the
 * network in inference mode with mlp_forward_from_preact. */
float *mlp_work_preact(struct mlp_work *w);
const float *mlp_forward_from_preact(const struct mlp *m, struct mlp_work *w, int n);
/* Backward of such a pass down to d(loss)/d(X·W0) [n, sizes[1]] in dz0. */
void mlp_backward_to_preact(const struct mlp *m, struct mlp_work *w, const float *dout, int n,
			    float *dz0);

/* Backward pass for the last forward on w: dout [n, dim_out] is d(loss)/d(output).
 * Writes d(loss)/d(params) into grad [n_params] (overwritten, not accumulated)
 * when grad is not NULL, and d(loss)/d(input) into dx [n, dim_in] when dx is
 * not NULL. */
void mlp_backward(const struct mlp *m, struct mlp_work *w, const float *dout, int n,
		  float *grad, float *dx);

#endif
