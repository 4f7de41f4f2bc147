/* bench/speed: Deep SAD training and scoring speed at the seed's network
 * size, on data written to a file that the PyTorch peer (torch_deepsad.py)
 * reads, so both run the same rows.
 *
 * usage: speed DATA.f32 ROWS DIM EPOCHS
 * Writes DATA.f32 (float32 rows, little-endian) if it does not exist, then
 * prints one line: "flowsad PRETRAIN_S_PER_EPOCH TRAIN_S_PER_EPOCH SCORE_ROWS_PER_S". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detector/deepsad.h"
#include "base/rng.h"
#include "detector/scaler.h"

/* Network-like rows: about 2 % of the features non-zero, with count-like
 * log-normal values, a few features common to most rows. */
static void make_rows(float *x, size_t rows, int dim, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	memset(x, 0, rows * (size_t)dim * sizeof *x);
	for (size_t i = 0; i < rows; i++) {
		float *row = x + i * (size_t)dim;
		for (int k = 0; k < 5; k++)
			row[k] = (float)(1.0 + 3.0 * rng_uniform(&r));
		for (int k = 0; k < dim / 50; k++)
			row[rng_below(&r, (uint64_t)dim)] = (float)exp(rng_normal(&r));
	}
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

struct epoch_times {
	double pretrain, train;
	int n_pretrain, n_train;
};

static int record(void *ctx, const char *phase, int epoch, int epochs, double loss, double s)
{
	struct epoch_times *t = ctx;
	(void)epoch, (void)epochs, (void)loss;
	if (phase[0] == 'p') {
		t->pretrain += s;
		t->n_pretrain++;
	} else {
		t->train += s;
		t->n_train++;
	}
	return 0; /* go on */
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: speed DATA.f32 ROWS DIM EPOCHS\n");
		return 64;
	}
	size_t rows = strtoul(argv[2], NULL, 10);
	int dim = atoi(argv[3]), epochs = atoi(argv[4]);
	float *x = malloc(rows * (size_t)dim * sizeof *x);
	FILE *f = fopen(argv[1], "rb");

	if (f) {
		if (fread(x, sizeof *x, rows * (size_t)dim, f) != rows * (size_t)dim)
			return fprintf(stderr, "speed: %s: short file\n", argv[1]), 65;
	} else {
		make_rows(x, rows, dim, 1);
		f = fopen(argv[1], "wb");
		if (!f || fwrite(x, sizeof *x, rows * (size_t)dim, f) != rows * (size_t)dim)
			return fprintf(stderr, "speed: cannot write %s\n", argv[1]), 74;
	}
	fclose(f);

	struct scaler sc; /* as flowsad train does (and the peer) */
	if (scaler_fit(&sc, SCALER_ZSCORE, x, rows, dim) < 0)
		return 71;
	scaler_apply(&sc, x, rows);
	scaler_free(&sc);

	struct deepsad_config cfg;
	struct deepsad d;
	struct epoch_times t = { 0 };
	deepsad_config_default(&cfg);
	cfg.epochs_pretrain = epochs;
	cfg.epochs = epochs;
	if (deepsad_train(&d, &cfg, x, NULL, rows, dim, record, &t) < 0)
		return fprintf(stderr, "speed: training failed\n"), 70;

	float *score = malloc(rows * sizeof *score);
	double best = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now();
		if (deepsad_score(&d, x, rows, score) < 0)
			return 71;
		double s = now() - t0;
		best = s < best ? s : best;
	}
	printf("flowsad %.4f %.4f %.0f\n", t.pretrain / t.n_pretrain, t.train / t.n_train,
	       (double)rows / best);
	deepsad_free(&d);
	free(score);
	free(x);
	return 0;
}
