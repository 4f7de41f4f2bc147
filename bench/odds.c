/* bench/odds: Deep SAD on the six ODDS datasets under the protocol of the
 * Deep SAD paper's classic anomaly detection experiments (Ruff et al., ICLR
 * 2020, section 4.3 and appendix): per-class 60/40 train/test split,
 * standardise then min-max scale fitted on the training part, 1 % labelled
 * anomalies in training, no pollution (the other training anomalies are
 * dropped), per-dataset network sizes, 10 seeds; mean and std of test AUC.
 *
 * usage: odds DATA_DIR [SEEDS] [DATASET...]
 * DATA_DIR holds NAME.csv files: header x1..xD,anomaly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detector/deepsad.h"
#include "ingest/matrix_csv.h"
#include "base/rng.h"
#include "detector/scaler.h"
#include "base/stats.h"

struct bench_set {
	const char *name;
	int hidden[3];         /* h1, h2, embedding */
	double paper_mean, paper_std; /* Deep SAD, AUC %, gamma_l = 0.01, no pollution */
};

/* Paper figures: Table 3 of the ICLR 2020 paper (classic AD benchmark, Deep
 * SAD column). */
static const struct bench_set sets[] = {
	{ "arrhythmia", { 128, 64, 32 }, 75.8, 7.5 },
	{ "cardio", { 32, 16, 8 }, 92.4, 2.7 },
	{ "satellite", { 32, 16, 8 }, 90.7, 1.4 },
	{ "satimage-2", { 32, 16, 8 }, 99.95, 0.06 },
	{ "shuttle", { 32, 16, 8 }, 98.6, 0.6 },
	{ "thyroid", { 32, 16, 4 }, 98.0, 1.6 },
};

struct split {
	size_t n_train, n_test, n_fit;
	float *train, *test;
	float *fit; /* the whole 60 % part, anomalies included: the scalers' data */
	int8_t *y_train;
	uint8_t *test_anomaly;
};

static void free_split(struct split *s)
{
	free(s->train);
	free(s->test);
	free(s->fit);
	free(s->y_train);
	free(s->test_anomaly);
}

/* Removes the "anomaly" column from ds into truth[]. Returns 0 or -1. */
static int take_truth(struct dataset *ds, uint8_t **truth)
{
	int col = -1;
	for (int j = 0; j < ds->dim; j++)
		if (strcmp(ds->names[j], "anomaly") == 0)
			col = j;
	if (col < 0)
		return -1;
	*truth = malloc(ds->n);
	for (size_t i = 0; i < ds->n; i++) {
		float *row = ds->x + i * (size_t)ds->dim;
		(*truth)[i] = row[col] != 0;
		float *dst = ds->x + i * (size_t)(ds->dim - 1);
		memmove(dst, row, (size_t)col * sizeof(float));
		memmove(dst + col, row + col + 1, (size_t)(ds->dim - col - 1) * sizeof(float));
	}
	free(ds->names[col]);
	ds->dim--;
	return 0;
}

static void copy_row(float *dst, const struct dataset *ds, size_t i)
{
	memcpy(dst, ds->x + i * (size_t)ds->dim, (size_t)ds->dim * sizeof(float));
}

/* Stratified 60/40 split; the training part keeps every normal and labels
 * round(0.01 * n_train / 0.99) anomalies (-1), so they are 1 % of it. */
static void make_split(const struct dataset *ds, const uint8_t *truth, uint64_t seed,
		       struct split *s)
{
	struct rng r;
	uint32_t *idx = malloc(ds->n * sizeof *idx);
	size_t n_cls[2] = { 0, 0 };

	rng_seed(&r, seed);
	memset(s, 0, sizeof *s);
	s->train = malloc(ds->n * (size_t)ds->dim * sizeof(float));
	s->test = malloc(ds->n * (size_t)ds->dim * sizeof(float));
	s->fit = malloc(ds->n * (size_t)ds->dim * sizeof(float));
	s->y_train = malloc(ds->n);
	s->test_anomaly = malloc(ds->n);
	for (int cls = 0; cls < 2; cls++) {
		size_t n = 0;
		for (size_t i = 0; i < ds->n; i++)
			if (truth[i] == cls)
				idx[n++] = (uint32_t)i;
		n_cls[cls] = n;
		rng_shuffle(&r, idx, n);
		size_t n_train = (size_t)llround(0.6 * (double)n);
		size_t keep = n_train;
		if (cls == 1) {
			size_t n_normal_train = (size_t)llround(0.6 * (double)n_cls[0]);
			keep = (size_t)llround(0.01 * (double)n_normal_train / 0.99);
			keep = keep < 1 ? 1 : keep > n_train ? n_train : keep;
		}
		for (size_t k = 0; k < n; k++) {
			if (k < n_train) {
				copy_row(s->fit + s->n_fit++ * (size_t)ds->dim, ds, idx[k]);
				if (k >= keep)
					continue; /* no pollution: unlabelled anomalies leave */
				copy_row(s->train + s->n_train * (size_t)ds->dim, ds, idx[k]);
				s->y_train[s->n_train++] = cls ? -1 : 0;
			} else {
				copy_row(s->test + s->n_test * (size_t)ds->dim, ds, idx[k]);
				s->test_anomaly[s->n_test++] = (uint8_t)cls;
			}
		}
	}
	free(idx);
}

/* As the authors' loader: both scalers are fitted on the whole training
 * part, before the semi-supervised selection drops unlabelled anomalies. */
static void scale_split(struct split *s, int dim)
{
	struct scaler z, mm;
	if (scaler_fit(&z, SCALER_ZSCORE, s->fit, s->n_fit, dim) < 0)
		abort();
	scaler_apply(&z, s->fit, s->n_fit);
	scaler_apply(&z, s->train, s->n_train);
	scaler_apply(&z, s->test, s->n_test);
	if (scaler_fit(&mm, SCALER_MINMAX, s->fit, s->n_fit, dim) < 0)
		abort();
	scaler_apply(&mm, s->train, s->n_train);
	scaler_apply(&mm, s->test, s->n_test);
	scaler_free(&z);
	scaler_free(&mm);
}

static double run_seed(const struct bench_set *b, const struct dataset *ds, const uint8_t *truth,
		       uint64_t seed)
{
	struct split s;
	struct deepsad_config cfg;
	struct deepsad d;
	double auc = NAN;

	make_split(ds, truth, seed, &s);
	scale_split(&s, ds->dim);
	deepsad_config_default(&cfg);
	cfg.n_hidden = 3;
	memcpy(cfg.hidden, b->hidden, sizeof b->hidden);
	/* the paper's optimisation settings for these datasets */
	cfg.lr = 1e-4;
	cfg.epochs_pretrain = 150;
	cfg.epochs = 150;
	cfg.lr_milestone = 50;
	cfg.batch_size = 128;
	cfg.lam = 0.5e-6 / 2; /* torch weight_decay wd adds wd*w: lam = wd / 2 */
	cfg.batchnorm = 1;    /* their ODDS networks: BatchNorm after hidden layers */
	cfg.init_uniform = 1; /* and PyTorch's default initialisation */
	cfg.seed = seed;
	if (deepsad_train(&d, &cfg, s.train, s.y_train, s.n_train, ds->dim, NULL, NULL) == 0) {
		float *score = malloc(s.n_test * sizeof *score);
		if (deepsad_score(&d, s.test, s.n_test, score) == 0)
			auc = stats_auc(score, s.test_anomaly, s.n_test);
		free(score);
		deepsad_free(&d);
	}
	free_split(&s);
	return auc;
}

static int bench_dataset(const struct bench_set *b, const char *dir, int seeds)
{
	char path[1024], err[512];
	struct dataset ds;
	uint8_t *truth = NULL;
	double sum = 0, sq = 0;
	struct timespec t0, t1;

	snprintf(path, sizeof path, "%s/%s.csv", dir, b->name);
	FILE *f = fopen(path, "r");
	if (!f || matrix_csv_read(&ds, f, path, err, sizeof err) < 0 ||
	    take_truth(&ds, &truth) < 0) {
		fprintf(stderr, "odds: %s: cannot read\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int s = 0; s < seeds; s++) {
		double auc = 100 * run_seed(b, &ds, truth, (uint64_t)s + 1);
		sum += auc;
		sq += auc * auc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double mean = sum / seeds,
	       sd = seeds > 1 ? sqrt(fmax(0, (sq - seeds * mean * mean) / (seeds - 1))) : 0;
	double floor_ = b->paper_mean - b->paper_std;
	printf("| %-10s | %5zux%-3d | %d-%d-%d-%d | %6.2f ± %4.2f | %6.2f ± %4.2f | %6.2f "
	       "| %-4s | %6.1f |\n",
	       b->name, ds.n, ds.dim, ds.dim, b->hidden[0], b->hidden[1], b->hidden[2], mean, sd,
	       b->paper_mean, b->paper_std, floor_, mean >= floor_ ? "yes" : "no",
	       (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
	fflush(stdout);
	free(truth);
	dataset_free(&ds);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/data/odds";
	int seeds = argc > 2 ? atoi(argv[2]) : 10;

	printf("ODDS, Deep SAD protocol, %d seeds (test AUC %%)\n\n", seeds);
	printf("| dataset    | rows x d  | network     | flowsad        | paper          | floor  "
	       "| met  | time s |\n");
	printf("|------------|-----------|-------------|----------------|----------------|--------|"
	       "------|--------|\n");
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		int wanted = argc <= 3;
		for (int a = 3; a < argc; a++)
			wanted |= strcmp(argv[a], sets[i].name) == 0;
		if (wanted)
			bench_dataset(&sets[i], dir, seeds);
	}
	return 0;
}
