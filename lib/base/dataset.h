/* dataset: a feature matrix with its sample ids and labels, as the detector
 * and the report see it whatever the input was (matrix CSV now; packets and
 * flows once vectorised). */
#ifndef FLOWSAD_DATASET_H
#define FLOWSAD_DATASET_H

#include <stddef.h>
#include <stdint.h>

#define DATASET_ID_LEN 48 /* an IPv6 address in text, NUL included */

struct dataset {
	size_t n;             /* rows (samples) */
	int dim;              /* features */
	char **names;         /* [dim] feature names */
	float *x;             /* [n, dim] row-major */
	int8_t *y;            /* [n] 0 unlabelled, +1 known normal, -1 known anomaly */
	int64_t *window_start; /* [n] epoch seconds, or NULL when the input had none */
	char (*src_ip)[DATASET_ID_LEN]; /* [n] or NULL */
	size_t cap;           /* rows allocated */
};

/* Starts an empty dataset of dim named features (names are copied); the
 * window_start and src_ip columns exist only when asked for. Returns 0 or
 * -ENOMEM. */
int dataset_init(struct dataset *ds, int dim, char *const *names, int with_window, int with_src)
	__attribute__((warn_unused_result));
/* Appends a zeroed row and returns its index, or -ENOMEM. */
long dataset_add_row(struct dataset *ds) __attribute__((warn_unused_result));
void dataset_free(struct dataset *ds);
/* Counts of labels: normal (+1) and anomaly (-1). */
void dataset_label_counts(const struct dataset *ds, size_t *normal, size_t *anomaly);

#endif
