/* adam: the Adam optimiser (Kingma & Ba) over one flat parameter vector,
 * in the form the seed's framework uses (Keras): the bias corrections are
 * folded into the step size and epsilon is added to sqrt(v):
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr * sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps) */
#ifndef FLOWSAD_ADAM_H
#define FLOWSAD_ADAM_H

#include <stddef.h>
#include <stdint.h>

struct adam {
	float lr, beta1, beta2, eps;
	int64_t t;
	size_t n;
	float *m, *v; /* [n] moments */
};

/* Defaults b1 0.9, b2 0.999, eps 1e-7. Returns 0 or -ENOMEM. */
int adam_init(struct adam *a, size_t n, float lr) __attribute__((warn_unused_result));
void adam_free(struct adam *a);
/* Zeroes the moments and the step count (a new training phase). */
void adam_reset(struct adam *a);
void adam_step(struct adam *a, float *params, const float *grad);

#endif
