#include "base/dataset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dataset_init(struct dataset *ds, int dim, char *const *names, int with_window, int with_src)
{
	memset(ds, 0, sizeof *ds);
	ds->dim = dim;
	ds->names = calloc((size_t)dim + 1, sizeof *ds->names);
	if (!ds->names)
		return -ENOMEM;
	for (int j = 0; j < dim; j++)
		if (!(ds->names[j] = strdup(names[j]))) {
			dataset_free(ds);
			return -ENOMEM;
		}
	/* a non-NULL marker until the first row allocates the column */
	ds->window_start = with_window ? malloc(sizeof(int64_t)) : NULL;
	ds->src_ip = with_src ? malloc(DATASET_ID_LEN) : NULL;
	if ((with_window && !ds->window_start) || (with_src && !ds->src_ip)) {
		dataset_free(ds);
		return -ENOMEM;
	}
	return 0;
}

static int grow(void **p, size_t cap, size_t elem)
{
	void *q = realloc(*p, cap * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

long dataset_add_row(struct dataset *ds)
{
	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 256;
		if (grow((void **)&ds->x, cap, (size_t)ds->dim * sizeof(float)) < 0 ||
		    grow((void **)&ds->y, cap, sizeof(int8_t)) < 0 ||
		    (ds->window_start &&
		     grow((void **)&ds->window_start, cap, sizeof(int64_t)) < 0) ||
		    (ds->src_ip && grow((void **)&ds->src_ip, cap, DATASET_ID_LEN) < 0))
			return -ENOMEM;
		ds->cap = cap;
	}
	size_t i = ds->n++;
	memset(ds->x + i * (size_t)ds->dim, 0, (size_t)ds->dim * sizeof(float));
	ds->y[i] = 0;
	if (ds->window_start)
		ds->window_start[i] = 0;
	if (ds->src_ip)
		ds->src_ip[i][0] = '\0';
	return (long)i;
}

void dataset_free(struct dataset *ds)
{
	if (!ds)
		return;
	if (ds->names)
		for (int j = 0; j < ds->dim; j++)
			free(ds->names[j]);
	free(ds->names);
	free(ds->x);
	free(ds->y);
	free(ds->window_start);
	free(ds->src_ip);
	memset(ds, 0, sizeof *ds);
}

void dataset_label_counts(const struct dataset *ds, size_t *normal, size_t *anomaly)
{
	*normal = *anomaly = 0;
	for (size_t i = 0; i < ds->n; i++) {
		*normal += ds->y[i] > 0;
		*anomaly += ds->y[i] < 0;
	}
}
