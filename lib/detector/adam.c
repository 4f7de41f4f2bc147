#include "detector/adam.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int adam_init(struct adam *a, size_t n, float lr)
{
	memset(a, 0, sizeof *a);
	a->m = calloc(n, sizeof(float));
	a->v = calloc(n, sizeof(float));
	if (!a->m || !a->v) {
		adam_free(a);
		return -ENOMEM;
	}
	a->n = n;
	a->lr = lr;
	a->beta1 = 0.9f;
	a->beta2 = 0.999f;
	a->eps = 1e-7f;
	return 0;
}

void adam_free(struct adam *a)
{
	if (!a)
		return;
	free(a->m);
	free(a->v);
	a->m = a->v = NULL;
}

void adam_reset(struct adam *a)
{
	memset(a->m, 0, a->n * sizeof(float));
	memset(a->v, 0, a->n * sizeof(float));
	a->t = 0;
}

void adam_step(struct adam *a, float *params, const float *grad)
{
	a->t++;
	const double c1 = 1.0 - pow(a->beta1, (double)a->t);
	const double c2 = 1.0 - pow(a->beta2, (double)a->t);
	const float step = (float)(a->lr * sqrt(c2) / c1);
	const float b1 = a->beta1, b2 = a->beta2, eps = a->eps;
	/* four arrays that never overlap: said, so that the loop vectorizes */
	float *restrict m = a->m, *restrict v = a->v, *restrict p = params;
	const float *restrict gr = grad;

	for (size_t i = 0; i < a->n; i++) {
		float g = gr[i];
		m[i] = b1 * m[i] + (1.0f - b1) * g;
		v[i] = b2 * v[i] + (1.0f - b2) * g * g;
		p[i] -= step * m[i] / (__builtin_sqrtf(v[i]) + eps);
	}
}
