/* report: the seed's detection report. How each reported sample reads
 * (which are reported: lib/alerting/alert_select.h): score, then the k
 * features with the largest Shapley values, each with its value. */
#ifndef FLOWSAD_REPORT_H
#define FLOWSAD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
