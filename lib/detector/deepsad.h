/* deepsad: the Deep SAD detector (Ruff et al., ICLR 2020) with the seed's
 * semantics: a bias-free MLP encoder phi, pre-trained as the encoder half of
 * an autoencoder (MSE), centre c = mean embedding of the training rows, then
 * trained on the Deep SAD loss; score(x) = ||phi(x) - c||^2.
 *
 * Labels: 0 unlabelled, +1 known normal, -1 known anomaly. Per row, with
 * d = ||phi(x) - c||^2: loss d for y = 0 and eta * (d + 1e-6)^y otherwise;
 * a batch's loss is the mean over its rows plus lam * sum(w^2).
 *
 * Training is deterministic: same seed, data and BLAS thread count give the
 * same weights bit for bit. */
#ifndef FLOWSAD_DEEPSAD_H
#define FLOWSAD_DEEPSAD_H

#include <stddef.h>
#include <stdint.h>

#include "detector/mlp.h"

#define DEEPSAD_MAX_HIDDEN (MLP_MAX_LAYERS / 2)
#define DEEPSAD_EPS 1e-6
/* Centre components closer to zero than this are pushed out to +-it: a
 * component at 0 lets a bias-free network map everything there trivially
 * (hypersphere collapse); the paper's code uses the same guard and value. */
#define DEEPSAD_CENTER_MIN 0.1f

struct deepsad_config {
	int n_hidden;
	int hidden[DEEPSAD_MAX_HIDDEN]; /* encoder widths; the last is the embedding */
	double eta;          /* weight of labelled rows (> 0) */
	double lam;          /* L2 penalty on every weight */
	double lr;           /* Adam learning rate */
	int lr_milestone;    /* > 0: lr *= 0.1 from this training epoch on */
	int batch_size;
	int epochs_pretrain; /* autoencoder epochs (0: no pre-training) */
	int epochs;          /* Deep SAD epochs */
	int batchnorm;       /* batch normalisation after every hidden layer */
	int init_uniform;    /* PyTorch's uniform initialisation instead of He-normal */
	uint64_t seed;
};

/* The seed's defaults ([128,128,64,64,32], eta 1, lam 1e-6, batch 64, 10
 * pre-training and 20 training epochs) but for the learning rate: 1e-4 (the
 * Deep SAD paper's) instead of the seed's 1e-3, which collapsed the default
 * network on a planted 48-feature set (AUC 0.52-0.66 over 3 seeds against
 * 0.91-0.97; docs/detector.md). */
void deepsad_config_default(struct deepsad_config *cfg);

struct deepsad {
	struct mlp enc;
	float *center;            /* [dim_out] */
	double score_median;      /* of the training rows' scores */
	double score_mad;         /* their median absolute deviation (> 0) */
	int n_loss_pretrain, n_loss_train, best_epoch;
	double *loss_pretrain;    /* [n_loss_pretrain] mean loss per epoch */
	double *loss_train;       /* [n_loss_train] */
};

/* Called after every epoch; phase is "pretrain" or "train". A non-zero
 * return stops the training (deepsad_train returns -ECANCELED). */
typedef int (*deepsad_progress_fn)(void *ctx, const char *phase, int epoch, int epochs,
				   double loss, double seconds);

/* Trains on x [n, dim] (already scaled) with labels y [n] (NULL: all 0).
 * Returns 0; -EINVAL for a bad config or n == 0; -ENOMEM; -EDOM when the
 * loss stops being finite; -ECANCELED when progress asked to stop (d is
 * left empty on error). */
int deepsad_train(struct deepsad *d, const struct deepsad_config *cfg, const float *x,
		  const int8_t *y, size_t n, int dim, deepsad_progress_fn progress, void *ctx)
	__attribute__((warn_unused_result));
void deepsad_free(struct deepsad *d);

/* Raw scores ||phi(x) - c||^2 of x [n, dim] into score [n]. Returns 0 or -ENOMEM. */
int deepsad_score(const struct deepsad *d, const float *x, size_t n, float *score)
	__attribute__((warn_unused_result));
/* Embeddings phi(x) into emb [n, dim_out]. Returns 0 or -ENOMEM. */
int deepsad_embed(const struct deepsad *d, const float *x, size_t n, float *emb)
	__attribute__((warn_unused_result));
/* Robust scaling of a raw score: (raw - median) / MAD. */
double deepsad_scaled(const struct deepsad *d, double raw);
/* Sets score_median and score_mad from raw training scores; a zero MAD falls
 * back to the median (the seed's rule), and a zero median to 1. */
void deepsad_set_scale(struct deepsad *d, const float *raw, size_t n);

/* Batch loss pieces, exposed for gradient checks. Each returns the mean loss
 * over n rows and writes its gradient (of that mean) into grad when not NULL. */
double deepsad_sad_loss(const float *emb, const float *center, const int8_t *y, int n, int k,
			double eta, float *grad);
double deepsad_mse_loss(const float *out, const float *x, int n, int dim, float *grad);

#endif
