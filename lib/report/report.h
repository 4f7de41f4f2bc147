/* report: the seed's detection report. Which samples are reported (at most
 * top_n per window above a score threshold) and how each reads: score, then
 * the k features with the largest Shapley values, each with its value. */
#ifndef FLOWSAD_REPORT_H
#define FLOWSAD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct report_pick {
	size_t row;
	double score; /* scaled */
};

/* Selects, in every window (rows with equal window_start; all rows form one
 * window when window_start is NULL), the top_n rows by scaled score whose
 * score exceeds min_score. *picks (caller frees) is sorted by score,
 * highest first, ties by row. Returns the count, or -1 without memory. */
long report_select(const int64_t *window_start, const float *scaled, size_t n, int top_n,
		   double min_score, struct report_pick **picks);

/* Indices of the k largest values of phi [dim] (k <= dim), largest first;
 * ties go to the lower index. */
void report_top_features(const float *phi, int dim, int k, int *top);

/* The header: window_start,src_ip,anomaly_score, then for i = 1..k
 * shap_top_i,top_i_shap_value,top_i_value, then over_threshold. */
void report_write_header(FILE *f, int k);

/* One row; over (0 or 1) says whether the sample is among those above the
 * daemon's alert threshold (see flowsad(8), detect). A feature whose Shapley
 * value is 0 is written as feature "0" (the seed's convention). Names are
 * quoted when they hold a comma or quote. */
void report_write_row(FILE *f, const char *window, const char *src_ip, double score,
		      char *const *names, const float *phi, const float *value, const int *top,
		      int k, int over);

#endif
