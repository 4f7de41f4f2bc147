/* scaler: per-feature scaling fitted on training rows and stored in the model,
 * applied as x' = (x - offset) * mult.
 *
 * zscore is the default: on network-like planted anomalies it gave AUC ~0.96
 * where the seed's divide-by-the-maximum gave ~0.8 (measurements in
 * docs/detector.md). A constant feature (zero spread) gets mult 1 so it
 * passes through unscaled. */
#ifndef FLOWSAD_SCALER_H
#define FLOWSAD_SCALER_H

#include <stddef.h>

enum scaler_kind {
	SCALER_NONE,
	SCALER_ZSCORE, /* (x - mean) / std */
	SCALER_MINMAX, /* (x - min) / (max - min) */
	SCALER_MAXABS, /* x / max|x|: the seed's choice, keeps zeros zero */
};

struct scaler {
	enum scaler_kind kind;
	int dim;
	float *offset; /* [dim] */
	float *mult;   /* [dim] */
};

/* Fits on x [n, dim]. Returns 0 or -ENOMEM. */
int scaler_fit(struct scaler *s, enum scaler_kind kind, const float *x, size_t n, int dim)
	__attribute__((warn_unused_result));
/* Allocates an identity scaler of dim features, for loading. */
int scaler_alloc(struct scaler *s, enum scaler_kind kind, int dim)
	__attribute__((warn_unused_result));
void scaler_free(struct scaler *s);
/* Scales x [n, dim] in place. */
void scaler_apply(const struct scaler *s, float *x, size_t n);
const char *scaler_kind_name(enum scaler_kind kind);
/* Returns the kind for a name, or -1. */
int scaler_kind_parse(const char *name);

#endif
