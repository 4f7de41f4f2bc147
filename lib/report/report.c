#include "report/report.h"

#include <string.h>

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
