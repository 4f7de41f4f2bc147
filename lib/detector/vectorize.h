/* vectorize: turns samples into the model's input rows: the model's features
 * in the model's column order (then scaler_apply with the model's scaler
 * gives the network's input). */
#ifndef FLOWSAD_VECTORIZE_H
#define FLOWSAD_VECTORIZE_H

#include <stddef.h>

#include "base/dataset.h"
#include "detector/model.h"
#include "features/feature_spec.h"

/* Maps the dataset's columns to the model's features by name (columns the
 * model does not know are ignored; a missing one is an error) and returns a
 * new [ds->n, m->n_features] matrix of the unscaled values in *out. Returns 0, -EINVAL
 * with the reason in err, or -ENOMEM. *ignored counts unused columns. */
int vectorize_matrix(const struct model *m, const struct dataset *ds, float **out, int *ignored,
		     char *err, size_t errlen) __attribute__((warn_unused_result));

/* The network model's feature spec (the JSON its file keeps), parsed and
 * checked: its features must be the model's, in order. Returns 0, -ENOENT
 * for a model trained on a matrix (it has none), -EINVAL with the reason in
 * err, or -ENOMEM. */
int vectorize_model_spec(const struct model *m, struct feature_spec *spec, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
