#include "report/report.h"

#include <stdlib.h>
#include <string.h>

static int cmp_pick(const void *a, const void *b)
{
	const struct report_pick *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->row > y->row) - (x->row < y->row);
}

struct windowed {
	int64_t window;
	float score;
	size_t row;
};

static int cmp_windowed(const void *a, const void *b)
{
	const struct windowed *x = a, *y = b;
	if (x->window != y->window)
		return x->window < y->window ? -1 : 1;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->row > y->row) - (x->row < y->row);
}

long report_select(const int64_t *window_start, const float *scaled, size_t n, int top_n,
		   double min_score, struct report_pick **picks)
{
	struct windowed *w = malloc(n * sizeof *w + 1);
	long count = 0;

	*picks = malloc(n * sizeof **picks + 1);
	if (!w || !*picks) {
		free(w);
		free(*picks);
		*picks = NULL;
		return -1;
	}
	/* only the samples above min_score can be picked, and in their window's
	 * order by score they come before all the others: the rest need no sort */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (scaled[i] > min_score)
			w[m++] = (struct windowed){ window_start ? window_start[i] : 0, scaled[i],
						    i };
	qsort(w, m, sizeof *w, cmp_windowed);
	for (size_t i = 0, rank = 0; i < m; i++) {
		rank = i > 0 && w[i].window == w[i - 1].window ? rank + 1 : 0;
		if ((int)rank < top_n)
			(*picks)[count++] = (struct report_pick){ w[i].row, w[i].score };
	}
	free(w);
	qsort(*picks, (size_t)count, sizeof **picks, cmp_pick);
	return count;
}

void report_top_features(const float *phi, int dim, int k, int *top)
{
	/* k is small (5 by default): k passes of a linear scan */
	for (int i = 0; i < k; i++) {
		int best = -1;
		for (int j = 0; j < dim; j++) {
			int taken = 0;
			for (int t = 0; t < i && !taken; t++)
				taken = top[t] == j;
			if (!taken && (best < 0 || phi[j] > phi[best]))
				best = j;
		}
		top[i] = best;
	}
}

static void write_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void report_write_header(FILE *f, int k)
{
	fputs("window_start,src_ip,anomaly_score", f);
	for (int i = 1; i <= k; i++)
		fprintf(f, ",shap_top_%d,top_%d_shap_value,top_%d_value", i, i, i);
	fputs(",over_threshold\n", f);
}

void report_write_row(FILE *f, const char *window, const char *src_ip, double score,
		      char *const *names, const float *phi, const float *value, const int *top,
		      int k, int over)
{
	write_field(f, window);
	fputc(',', f);
	write_field(f, src_ip);
	fprintf(f, ",%.6f", score);
	for (int i = 0; i < k; i++) {
		int j = top[i];
		fputc(',', f);
		write_field(f, phi[j] == 0 ? "0" : names[j]);
		fprintf(f, ",%.6g,%.6g", phi[j], value[j]);
	}
	fprintf(f, ",%d\n", over);
}
