#include "detector/vectorize.h"

#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct column {
	const char *name;
	int index;
};

static int cmp_column(const void *a, const void *b)
{
	return strcmp(((const struct column *)a)->name, ((const struct column *)b)->name);
}

/* For each model feature, the dataset column holding it: a sorted index of
 * the dataset's names so wide matrices map in n log n. */
static int map_columns(const struct model *m, const struct dataset *ds, int *src, char *err,
		       size_t errlen)
{
	struct column *cols = malloc((size_t)ds->dim * sizeof *cols);
	int rc = 0;

	if (!cols)
		return -ENOMEM;
	for (int j = 0; j < ds->dim; j++)
		cols[j] = (struct column){ ds->names[j], j };
	qsort(cols, (size_t)ds->dim, sizeof *cols, cmp_column);
	for (int f = 0; f < m->n_features && rc == 0; f++) {
		struct column key = { m->features[f], 0 };
		struct column *hit = bsearch(&key, cols, (size_t)ds->dim, sizeof *cols, cmp_column);
		if (!hit) {
			snprintf(err, errlen, "the input has no column '%s', a feature of model %s",
				 m->features[f], m->id);
			rc = -EINVAL;
		} else {
			src[f] = hit->index;
		}
	}
	free(cols);
	return rc;
}

int vectorize_matrix(const struct model *m, const struct dataset *ds, float **out, int *ignored,
		     char *err, size_t errlen)
{
	int d = m->n_features;
	int *src = malloc((size_t)d * sizeof *src);
	float *x = malloc(ds->n * (size_t)d * sizeof *x + 1);
	int rc = src && x ? map_columns(m, ds, src, err, errlen) : -ENOMEM;

	if (rc == 0) {
		for (size_t i = 0; i < ds->n; i++)
			for (int f = 0; f < d; f++)
				x[i * (size_t)d + (size_t)f] =
					ds->x[i * (size_t)ds->dim + (size_t)src[f]];
		*ignored = ds->dim - d;
		*out = x;
		x = NULL;
	} else if (rc == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
	}
	free(src);
	free(x);
	return rc;
}

/* Whether the spec's vectors are the model's features, name for name. */
static int spec_matches(const struct feature_spec *spec, const struct model *m, char *err,
			size_t errlen)
{
	struct sample_set none = { 0 };
	struct dataset ds = { 0 };
	int rc = feature_spec_dataset(spec, &none, &ds);

	if (rc == 0 && ds.dim != m->n_features) {
		snprintf(err, errlen,
			 "model %s: its feature spec names %d features, the model has %d (a "
			 "model of another version's features: train it again)",
			 m->id, ds.dim, m->n_features);
		rc = -EINVAL;
	}
	for (int j = 0; rc == 0 && j < ds.dim; j++)
		if (strcmp(ds.names[j], m->features[j]) != 0) {
			snprintf(err, errlen,
				 "model %s: feature %d of its feature spec is '%s', the "
				 "model's is '%s' (train it again)",
				 m->id, j, ds.names[j], m->features[j]);
			rc = -EINVAL;
		}
	dataset_free(&ds);
	return rc;
}

int vectorize_model_spec(const struct model *m, struct feature_spec *spec, char *err, size_t errlen)
{
	char why[256];
	int rc;

	if (!m->feature_spec) {
		snprintf(err, errlen,
			 "model %s was trained on a feature matrix, not on network input", m->id);
		return -ENOENT;
	}
	if ((rc = feature_spec_from_json(spec, m->feature_spec, why, sizeof why)) < 0) {
		snprintf(err, errlen, "model %s: feature spec: %s", m->id, why);
		return rc;
	}
	if ((rc = spec_matches(spec, m, err, errlen)) < 0)
		feature_spec_free(spec);
	return rc;
}
