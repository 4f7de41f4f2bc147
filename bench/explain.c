/* bench/explain: time to explain rows by expected gradients at the seed's
 * network size; the PyTorch peer is torch_explain.py on the same rows.
 *
 * usage: explain DATA.f32 ROWS DIM
 * Uses the first 100 rows as background and explains rows 100..104 with 200
 * samples each; prints "flowsad SECONDS_FOR_5_ROWS". The network is
 * He-initialised, not trained: the cost does not depend on the weights. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "detector/deepsad.h"
#include "detector/explain.h"
#include "base/rng.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 0, 128, 128, 64, 64, 32 };
	static const uint8_t leaky[] = { 1, 1, 1, 1, 0 };
	int s[6];
	struct deepsad d = { 0 };
	struct rng r;

	if (argc != 4)
		return fprintf(stderr, "usage: explain DATA.f32 ROWS DIM\n"), 64;
	size_t rows = strtoul(argv[2], NULL, 10);
	int dim = atoi(argv[3]);
	float *x = malloc(rows * (size_t)dim * sizeof *x), phi[4096];
	FILE *f = fopen(argv[1], "rb");
	if (!f || fread(x, sizeof *x, rows * (size_t)dim, f) != rows * (size_t)dim || dim > 4096 ||
	    rows < 105)
		return fprintf(stderr, "explain: cannot read %s\n", argv[1]), 66;
	fclose(f);
	for (int i = 0; i < 6; i++)
		s[i] = i ? sizes[i] : dim;
	if (mlp_init(&d.enc, 5, s, leaky) < 0)
		return 71;
	rng_seed(&r, 1);
	mlp_init_he(&d.enc, &r);
	float center[32];
	for (int j = 0; j < 32; j++)
		center[j] = 0.1f;
	d.center = center;

	struct explainer *e = explain_new(&d, x, 100, 200);
	double best = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now();
		for (int i = 0; i < 5; i++)
			explain_row(e, x + (size_t)(100 + i) * (size_t)dim, (uint64_t)i, phi);
		double t = now() - t0;
		best = t < best ? t : best;
	}
	printf("flowsad %.4f\n", best);
	explain_free(e);
	mlp_free(&d.enc);
	free(x);
	return 0;
}
