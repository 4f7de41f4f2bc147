#include "report/pca.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Leading eigenvector of the symmetric k x k matrix c by power iteration;
 * returns its eigenvalue. */
static double leading_eigenvector(const double *c, int k, double *v)
{
	double *next = malloc((size_t)k * sizeof *next), lambda = 0;

	for (int i = 0; i < k; i++)
		v[i] = 1.0 + 0.01 * i; /* fixed, generic start */
	for (int it = 0; it < 500 && next; it++) {
		double norm = 0;
		for (int i = 0; i < k; i++) {
			next[i] = 0;
			for (int j = 0; j < k; j++)
				next[i] += c[i * k + j] * v[j];
			norm += next[i] * next[i];
		}
		norm = sqrt(norm);
		if (norm < 1e-300) {
			lambda = 0;
			break;
		}
		double change = 0;
		for (int i = 0; i < k; i++) {
			change += fabs(next[i] / norm - v[i]);
			v[i] = next[i] / norm;
		}
		lambda = norm;
		if (change < 1e-10)
			break;
	}
	free(next);
	return lambda;
}

int pca_project2(const float *x, size_t n, int k, float *out, double explained[2])
{
	double *mean = calloc((size_t)k, sizeof *mean);
	double *cov = calloc((size_t)k * (size_t)k, sizeof *cov);
	double *axis = malloc(2 * (size_t)k * sizeof *axis);

	if (!mean || !cov || !axis) {
		free(mean), free(cov), free(axis);
		return -ENOMEM;
	}
	for (size_t r = 0; r < n; r++)
		for (int i = 0; i < k; i++)
			mean[i] += x[r * (size_t)k + (size_t)i] / (double)n;
	for (size_t r = 0; r < n; r++)
		for (int i = 0; i < k; i++)
			for (int j = 0; j < k; j++)
				cov[i * k + j] += (x[r * (size_t)k + (size_t)i] - mean[i]) *
						  (x[r * (size_t)k + (size_t)j] - mean[j]);
	double total = 0;
	for (int i = 0; i < k; i++)
		total += cov[i * k + i];
	for (int a = 0; a < 2; a++) {
		double *v = axis + (size_t)a * (size_t)k;
		double lambda = leading_eigenvector(cov, k, v);
		explained[a] = total > 0 ? lambda / total : 0;
		for (int i = 0; i < k; i++) /* deflate: the next axis is orthogonal */
			for (int j = 0; j < k; j++)
				cov[i * k + j] -= lambda * v[i] * v[j];
	}
	for (size_t r = 0; r < n; r++)
		for (int a = 0; a < 2; a++) {
			double s = 0;
			for (int i = 0; i < k; i++)
				s += (x[r * (size_t)k + (size_t)i] - mean[i]) *
				     axis[(size_t)a * (size_t)k + (size_t)i];
			out[r * 2 + (size_t)a] = (float)s;
		}
	free(mean);
	free(cov);
	free(axis);
	return 0;
}
