#include "detector/deepsad.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/duration.h"
#include "detector/adam.h"
#include "base/stats.h"

/* Rows per forward pass when scoring or embedding. */
#define SCORE_CHUNK 1024

void deepsad_config_default(struct deepsad_config *cfg)
{
	static const int hidden[] = { 128, 128, 64, 64, 32 };

	memset(cfg, 0, sizeof *cfg);
	cfg->n_hidden = 5;
	memcpy(cfg->hidden, hidden, sizeof hidden);
	cfg->eta = 1.0;
	cfg->lam = 1e-6;
	cfg->lr = 1e-4;
	cfg->batch_size = 64;
	cfg->epochs_pretrain = 10;
	cfg->epochs = 20;
	cfg->seed = 1;
}

static int config_valid(const struct deepsad_config *cfg)
{
	if (cfg->n_hidden < 1 || cfg->n_hidden > DEEPSAD_MAX_HIDDEN || cfg->batch_size < 1 ||
	    cfg->epochs < 1 || cfg->epochs_pretrain < 0 || !(cfg->eta > 0) || !(cfg->lam >= 0) ||
	    !(cfg->lr > 0))
		return 0;
	for (int i = 0; i < cfg->n_hidden; i++)
		if (cfg->hidden[i] < 1)
			return 0;
	return 1;
}

double deepsad_mse_loss(const float *out, const float *x, int n, int dim, float *grad)
{
	size_t len = (size_t)n * (size_t)dim;
	double sum = 0, scale = 1.0 / (double)len;

	for (size_t i = 0; i < len; i++) {
		double diff = (double)out[i] - x[i];
		sum += diff * diff;
		if (grad)
			grad[i] = (float)(2.0 * diff * scale);
	}
	return sum * scale;
}

double deepsad_sad_loss(const float *emb, const float *center, const int8_t *y, int n, int k,
			double eta, float *grad)
{
	double total = 0;

	for (int i = 0; i < n; i++) {
		const float *e = emb + (size_t)i * (size_t)k;
		double dist = 0, loss, dloss_ddist;
		for (int j = 0; j < k; j++)
			dist += ((double)e[j] - center[j]) * ((double)e[j] - center[j]);
		int label = y ? y[i] : 0;
		if (label == 0) {
			loss = dist;
			dloss_ddist = 1.0;
		} else if (label > 0) {
			loss = eta * (dist + DEEPSAD_EPS);
			dloss_ddist = eta;
		} else {
			loss = eta / (dist + DEEPSAD_EPS);
			dloss_ddist = -eta / ((dist + DEEPSAD_EPS) * (dist + DEEPSAD_EPS));
		}
		total += loss;
		if (grad)
			for (int j = 0; j < k; j++)
				grad[(size_t)i * (size_t)k + (size_t)j] =
					(float)(dloss_ddist * 2.0 * ((double)e[j] - center[j]) / n);
	}
	return total / n;
}

/* Adds the L2 penalty's gradient and returns its value. */
static double add_l2(const struct mlp *m, float *grad, double lam)
{
	if (lam == 0)
		return 0;
	for (size_t i = 0; i < m->n_params; i++)
		grad[i] += (float)(2.0 * lam) * m->params[i];
	return lam * mlp_weight_sq(m);
}

/* One training run over a network: the shared epoch/batch machinery of the
 * autoencoder and the Deep SAD phases. batch_loss computes the loss of the
 * network's output for the gathered rows and writes d(loss)/d(output). */
struct phase {
	const char *name;
	struct mlp *net;
	const float *x;
	const int8_t *y;
	size_t n;
	int dim;
	const struct deepsad_config *cfg;
	const float *center; /* train phase only */
	double *history;     /* [epochs] */
	float *best;         /* NULL: keep the last epoch's weights */
	float *best_bn;      /* with best: the running statistics of that epoch */
	int best_epoch;
};

static void save_best(const struct phase *p)
{
	memcpy(p->best, p->net->params, p->net->n_params * sizeof(float));
	memcpy(p->best_bn, p->net->bn_stats, p->net->n_bn_stats * sizeof(float));
}

static void restore_best(const struct phase *p)
{
	memcpy(p->net->params, p->best, p->net->n_params * sizeof(float));
	memcpy(p->net->bn_stats, p->best_bn, p->net->n_bn_stats * sizeof(float));
}

static double batch_loss(const struct phase *p, const float *out, const float *xb,
			 const int8_t *yb, int b, float *dout)
{
	if (!p->center)
		return deepsad_mse_loss(out, xb, b, p->dim, dout);
	return deepsad_sad_loss(out, p->center, yb, b, mlp_dim_out(p->net), p->cfg->eta, dout);
}

static int run_phase(struct phase *p, int epochs, struct rng *rng, deepsad_progress_fn progress,
		     void *ctx)
{
	const int bs = p->cfg->batch_size;
	struct mlp *net = p->net;
	struct adam opt = { 0 };
	struct mlp_work *w = mlp_work_new(net, bs);
	uint32_t *idx = malloc(p->n * sizeof *idx);
	float *xb = malloc((size_t)bs * (size_t)p->dim * sizeof *xb);
	float *dout = malloc((size_t)bs * (size_t)mlp_dim_out(net) * sizeof *dout);
	float *grad = malloc(net->n_params * sizeof *grad);
	int8_t *yb = malloc((size_t)bs);
	double best = INFINITY;
	int rc = -ENOMEM;

	if (!w || !idx || !xb || !dout || !grad || !yb ||
	    adam_init(&opt, net->n_params, (float)p->cfg->lr) < 0)
		goto out;
	for (size_t i = 0; i < p->n; i++)
		idx[i] = (uint32_t)i;
	for (int epoch = 0; epoch < epochs; epoch++) {
		struct timespec t0;
		double sum = 0;
		size_t seen = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (p->center && p->cfg->lr_milestone > 0 && epoch == p->cfg->lr_milestone)
			opt.lr *= 0.1f;
		rng_shuffle(rng, idx, p->n);
		for (size_t start = 0; start < p->n; start += (size_t)bs) {
			int b = (int)(p->n - start < (size_t)bs ? p->n - start : (size_t)bs);
			if (b < 2 && p->cfg->batchnorm)
				continue; /* no batch statistics from one row */
			for (int i = 0; i < b; i++) {
				memcpy(xb + (size_t)i * (size_t)p->dim,
				       p->x + (size_t)idx[start + (size_t)i] * (size_t)p->dim,
				       (size_t)p->dim * sizeof *xb);
				yb[i] = p->y ? p->y[idx[start + (size_t)i]] : 0;
			}
			const float *out = mlp_forward_train(net, w, xb, b);
			double loss = batch_loss(p, out, xb, yb, b, dout);
			mlp_backward(net, w, dout, b, grad, NULL);
			loss += add_l2(net, grad, p->cfg->lam);
			if (!isfinite(loss)) {
				rc = -EDOM;
				goto out;
			}
			adam_step(&opt, net->params, grad);
			sum += loss * b;
			seen += (size_t)b;
		}
		double mean = sum / (double)seen;
		p->history[epoch] = mean;
		if (p->best && mean < best) {
			best = mean;
			p->best_epoch = epoch;
			save_best(p);
		}
		if (progress &&
		    progress(ctx, p->name, epoch + 1, epochs, mean, duration_since(&t0))) {
			rc = -ECANCELED;
			goto out;
		}
	}
	if (p->best)
		restore_best(p);
	rc = 0;
out:
	adam_free(&opt);
	mlp_work_free(w);
	free(idx);
	free(xb);
	free(dout);
	free(grad);
	free(yb);
	return rc;
}

/* Autoencoder layout: the encoder's layers, LeakyReLU on the bottleneck,
 * the hidden widths mirrored, a linear output of the input's width. */
static int build_autoencoder(struct mlp *ae, const struct deepsad_config *cfg, int dim)
{
	int sizes[MLP_MAX_LAYERS + 1], k = cfg->n_hidden, n_layers = 2 * k;
	uint8_t leaky[MLP_MAX_LAYERS], bn[MLP_MAX_LAYERS];

	sizes[0] = dim;
	for (int i = 0; i < k; i++)
		sizes[i + 1] = cfg->hidden[i];
	for (int i = 1; i < k; i++)
		sizes[k + i] = cfg->hidden[k - 1 - i];
	sizes[n_layers] = dim;
	for (int l = 0; l < n_layers; l++) {
		leaky[l] = l < n_layers - 1;
		/* hidden layers of encoder and decoder; not the code nor the output */
		bn[l] = cfg->batchnorm && l != k - 1 && l != n_layers - 1;
	}
	int rc = mlp_init(ae, n_layers, sizes, leaky);
	if (rc == 0 && (rc = mlp_enable_batchnorm(ae, bn)) < 0)
		mlp_free(ae);
	return rc;
}

static int build_encoder(struct mlp *enc, const struct deepsad_config *cfg, int dim)
{
	int sizes[MLP_MAX_LAYERS + 1], k = cfg->n_hidden;
	uint8_t leaky[MLP_MAX_LAYERS], bn[MLP_MAX_LAYERS];

	sizes[0] = dim;
	for (int i = 0; i < k; i++) {
		sizes[i + 1] = cfg->hidden[i];
		leaky[i] = i < k - 1;
		bn[i] = cfg->batchnorm && i < k - 1;
	}
	int rc = mlp_init(enc, k, sizes, leaky);
	if (rc == 0 && (rc = mlp_enable_batchnorm(enc, bn)) < 0)
		mlp_free(enc);
	return rc;
}

static void init_weights(struct mlp *m, const struct deepsad_config *cfg, struct rng *rng)
{
	if (cfg->init_uniform)
		mlp_init_uniform(m, rng);
	else
		mlp_init_he(m, rng);
}

static int pretrain(struct deepsad *d, const struct deepsad_config *cfg, const float *x,
		    size_t n, int dim, struct rng *rng, deepsad_progress_fn progress, void *ctx)
{
	struct mlp ae;
	int rc = build_autoencoder(&ae, cfg, dim);

	if (rc < 0)
		return rc;
	init_weights(&ae, cfg, rng);
	struct phase p = { .name = "pretrain", .net = &ae, .x = x, .n = n, .dim = dim,
			   .cfg = cfg, .history = d->loss_pretrain };
	rc = run_phase(&p, cfg->epochs_pretrain, rng, progress, ctx);
	if (rc == 0) { /* the encoder's layers are the autoencoder's first ones */
		memcpy(d->enc.params, ae.params, d->enc.n_params * sizeof(float));
		memcpy(d->enc.bn_stats, ae.bn_stats, d->enc.n_bn_stats * sizeof(float));
	}
	mlp_free(&ae);
	return rc;
}

static int fit_center(struct deepsad *d, const float *x, size_t n)
{
	int k = mlp_dim_out(&d->enc);
	float *emb = malloc(n * (size_t)k * sizeof *emb);

	if (!emb)
		return -ENOMEM;
	if (deepsad_embed(d, x, n, emb) < 0) {
		free(emb);
		return -ENOMEM;
	}
	for (int j = 0; j < k; j++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += emb[i * (size_t)k + (size_t)j];
		float c = (float)(s / (double)n);
		if (fabsf(c) < DEEPSAD_CENTER_MIN)
			c = c < 0 ? -DEEPSAD_CENTER_MIN : DEEPSAD_CENTER_MIN;
		d->center[j] = c;
	}
	free(emb);
	return 0;
}

static int fit_scale(struct deepsad *d, const float *x, size_t n)
{
	float *s = malloc(n * sizeof *s);
	int rc;

	if (!s)
		return -ENOMEM;
	rc = deepsad_score(d, x, n, s);
	if (rc == 0)
		deepsad_set_scale(d, s, n);
	free(s);
	return rc;
}

int deepsad_train(struct deepsad *d, const struct deepsad_config *cfg, const float *x,
		  const int8_t *y, size_t n, int dim, deepsad_progress_fn progress, void *ctx)
{
	struct rng rng;
	int rc;

	memset(d, 0, sizeof *d);
	if (!config_valid(cfg) || n < (cfg->batchnorm ? 2u : 1u) || dim < 1 || n > UINT32_MAX)
		return -EINVAL;
	rng_seed(&rng, cfg->seed);
	if ((rc = build_encoder(&d->enc, cfg, dim)) < 0)
		return rc;
	d->center = calloc((size_t)mlp_dim_out(&d->enc), sizeof(float));
	d->loss_pretrain = calloc((size_t)cfg->epochs_pretrain + 1, sizeof(double));
	d->loss_train = calloc((size_t)cfg->epochs, sizeof(double));
	float *best = malloc(d->enc.n_params * sizeof *best);
	float *best_bn = malloc(d->enc.n_bn_stats * sizeof *best_bn + 1);
	rc = -ENOMEM;
	if (!d->center || !d->loss_pretrain || !d->loss_train || !best || !best_bn)
		goto out;
	d->n_loss_pretrain = cfg->epochs_pretrain;
	d->n_loss_train = cfg->epochs;
	if (cfg->epochs_pretrain > 0)
		rc = pretrain(d, cfg, x, n, dim, &rng, progress, ctx);
	else {
		init_weights(&d->enc, cfg, &rng);
		rc = 0;
	}
	if (rc < 0 || (rc = fit_center(d, x, n)) < 0)
		goto out;
	struct phase p = { .name = "train", .net = &d->enc, .x = x, .y = y, .n = n, .dim = dim,
			   .cfg = cfg, .center = d->center, .history = d->loss_train, .best = best,
			   .best_bn = best_bn };
	if ((rc = run_phase(&p, cfg->epochs, &rng, progress, ctx)) < 0)
		goto out;
	d->best_epoch = p.best_epoch;
	rc = fit_scale(d, x, n);
out:
	free(best);
	free(best_bn);
	if (rc < 0)
		deepsad_free(d);
	return rc;
}

void deepsad_free(struct deepsad *d)
{
	if (!d)
		return;
	mlp_free(&d->enc);
	free(d->center);
	free(d->loss_pretrain);
	free(d->loss_train);
	memset(d, 0, sizeof *d);
}

/* Inference over x [n, dim] in chunks: embeddings into emb [n, k] and raw
 * scores into score [n], each only when not NULL. */
static int forward_chunks(const struct deepsad *d, const float *x, size_t n, float *emb,
			  float *score)
{
	int k = mlp_dim_out(&d->enc), dim = mlp_dim_in(&d->enc);
	struct mlp_work *w = mlp_work_new(&d->enc, SCORE_CHUNK);

	if (!w)
		return -ENOMEM;
	for (size_t start = 0; start < n; start += SCORE_CHUNK) {
		int b = (int)(n - start < SCORE_CHUNK ? n - start : SCORE_CHUNK);
		const float *out = mlp_forward(&d->enc, w, x + start * (size_t)dim, b);
		if (emb)
			memcpy(emb + start * (size_t)k, out, (size_t)b * (size_t)k * sizeof *emb);
		for (int i = 0; score && i < b; i++) {
			double s = 0;
			for (int j = 0; j < k; j++) {
				double diff = (double)out[i * k + j] - d->center[j];
				s += diff * diff;
			}
			score[start + (size_t)i] = (float)s;
		}
	}
	mlp_work_free(w);
	return 0;
}

int deepsad_embed(const struct deepsad *d, const float *x, size_t n, float *emb)
{
	return forward_chunks(d, x, n, emb, NULL);
}

int deepsad_score(const struct deepsad *d, const float *x, size_t n, float *score)
{
	return forward_chunks(d, x, n, NULL, score);
}

void deepsad_set_scale(struct deepsad *d, const float *raw, size_t n)
{
	d->score_median = stats_median(raw, n);
	d->score_mad = stats_mad(raw, n, d->score_median);
	if (!(d->score_mad > 0))
		d->score_mad = d->score_median;
	if (!(d->score_mad > 0))
		d->score_mad = 1.0;
}

double deepsad_scaled(const struct deepsad *d, double raw)
{
	return (raw - d->score_median) / d->score_mad;
}
