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
				x[i * (size_t)d + (size_t)f] = ds->x[i * (size_t)ds->dim + (size_t)src[f]];
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
