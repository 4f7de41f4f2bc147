/* flowsad detect: the top anomalies of every window with their Shapley
 * explanations: report.csv, stats.json, pictures and report.html in -o DIR
 * (detect_page.c). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "common/cli.h"
#include "capture/inputs.h"
#include "cmd/commands.h"
#include "cmd/detection.h"
#include "base/defaults.h"
#include "detector/explain.h"
#include "detector/sides.h"
#include "base/isotime.h"
#include "common/log.h"
#include "detector/model.h"
#include "report/report.h"

enum {
	OPT_MIN_SCORE = OPT_FIRST_COMMAND_OPTION,
	OPT_NSAMPLES,
	OPT_NO_ZERO_CORRECTION,
	OPT_NO_SHIFT,
};

struct detect_opts {
	struct cli_common common;
	const char *model_path, *outdir;
	long top_n, k, nsamples;
	double min_score; /* given: report the samples above it instead */
	int min_score_given, zero_correction, shift;
};

/* Releases what d holds. */
static void detect_free(struct detection *d)
{
	model_free(d->m);
	dataset_free(&d->ds);
	free(d->values);
	free(d->x);
	free(d->raw);
	free(d->scaled);
	free(d->side);
	free(d->over);
	free(d->picks);
	free(d->phi);
	free(d->top);
}

void detect_sample_ids(const struct dataset *ds, size_t row, char *window, const char **src)
{
	if (ds->window_start)
		isotime_format(ds->window_start[row], window);
	else
		snprintf(window, ISOTIME_LEN, "%s", "");
	*src = ds->src_ip ? ds->src_ip[row] : "";
}

/* Explains every pick as the daemon explains an alert (the sample's seed,
 * the side it is told by), then in the seed's presentation unless it was
 * turned off: into d->phi and d->top. Returns 0 or -1 without memory. */
static int explain_picks(const struct detect_opts *o, struct detection *d)
{
	const struct model *m = d->m;
	int dim = m->n_features;
	struct explainer *e =
		explain_new(&m->det, m->background, m->n_background, (int)o->nsamples);
	uint64_t seed = o->common.seed_given ? o->common.seed : m->cfg.seed;
	char window[ISOTIME_LEN];
	struct sides sides;

	d->k = (int)(o->k < dim ? o->k : dim);
	d->seed_presentation = o->zero_correction || o->shift;
	d->phi = malloc((size_t)d->n_picks * (size_t)dim * sizeof *d->phi + 1);
	d->top = malloc((size_t)d->n_picks * (size_t)d->k * sizeof *d->top + 1);
	if (!d->phi || !d->top || !e || sides_init(&sides, m) < 0) {
		explain_free(e);
		return -1;
	}
	for (long i = 0; i < d->n_picks; i++) {
		size_t row = d->picks[i].row;
		const float *value = d->values + row * (size_t)dim;
		float *phi = d->phi + (size_t)i * (size_t)dim;
		const char *src;
		int64_t start = d->ds.window_start ? d->ds.window_start[row] : 0;
		detect_sample_ids(&d->ds, row, window, &src);
		/* the sample's seed: the daemon explains the same sample alike */
		explain_row(e, d->x + row * (size_t)dim, explain_seed(seed, start, src, row), phi);
		sides_explain_only(&sides, phi, d->side[row]);
		if (o->zero_correction)
			explain_zero_correct(value, phi, dim);
		if (o->shift)
			explain_shift_to_one(value, phi, dim);
		report_top_features(phi, dim, d->k, d->top + (size_t)i * (size_t)d->k);
	}
	sides_free(&sides);
	explain_free(e);
	return 0;
}

static int write_report(const struct detect_opts *o, const struct detection *d)
{
	int dim = d->m->n_features;
	char path[4096], window[ISOTIME_LEN];
	FILE *f = detect_open_output(o->outdir, "report.csv", path, sizeof path);

	if (!f)
		return EX_CANTCREAT;
	report_write_header(f, d->k);
	for (long i = 0; i < d->n_picks; i++) {
		size_t row = d->picks[i].row;
		const char *src;
		detect_sample_ids(&d->ds, row, window, &src);
		report_write_row(f, window, src, d->picks[i].score, d->m->features,
				 d->phi + (size_t)i * (size_t)dim, d->values + row * (size_t)dim,
				 d->top + (size_t)i * (size_t)d->k, d->k, d->over[row]);
	}
	return detect_close_output(f, path);
}

static size_t count_windows(const struct dataset *ds)
{
	size_t n = ds->window_start ? 0 : 1;
	for (size_t i = 0; ds->window_start && i < ds->n; i++) {
		size_t j = 0;
		while (j < i && ds->window_start[j] != ds->window_start[i])
			j++;
		n += j == i;
	}
	return n;
}

static json_t *time_range(const struct dataset *ds)
{
	char a[ISOTIME_LEN], b[ISOTIME_LEN];
	int64_t lo = 0, hi = 0;

	if (!ds->window_start)
		return json_null();
	for (size_t i = 0; i < ds->n; i++) {
		lo = i == 0 || ds->window_start[i] < lo ? ds->window_start[i] : lo;
		hi = i == 0 || ds->window_start[i] > hi ? ds->window_start[i] : hi;
	}
	return json_pack("{s:s, s:s}", "first_window", isotime_format(lo, a), "last_window",
			 isotime_format(hi, b));
}

static int write_stats(const struct detect_opts *o, const struct detection *d)
{
	size_t normal, anomaly;
	json_t *anomalies = json_array();
	char path[4096], window[ISOTIME_LEN];

	dataset_label_counts(&d->ds, &normal, &anomaly);
	for (long i = 0; i < d->n_picks; i++) {
		const char *src;
		detect_sample_ids(&d->ds, d->picks[i].row, window, &src);
		json_array_append_new(
			anomalies, json_pack("{s:s, s:s, s:f, s:f, s:b}", "window_start", window,
					     "src_ip", src, "score", d->picks[i].score, "raw_score",
					     (double)d->raw[d->picks[i].row], "over_threshold",
					     d->over[d->picks[i].row]));
	}
	json_t *stats = json_pack(
		"{s:I, s:I, s:{s:I, s:I}, s:I, s:o, s:s, s:o, s:{s:f, s:f, s:o, s:I}, "
		"s:{s:i, s:f, s:i, s:i}}",
		"samples", (json_int_t)d->ds.n, "windows", (json_int_t)d->n_windows,
		"labelled", "normal", (json_int_t)normal, "anomaly", (json_int_t)anomaly,
		"anomaly_count", (json_int_t)d->n_picks, "anomalies", anomalies,
		"model_id", d->m->id, "time_range", time_range(&d->ds),
		"alert_threshold", "threshold", d->threshold, "min_score", d->floor,
		"calibrated",
		d->m->calib_quantile > 0 ? json_real(d->m->calib_threshold) : json_null(),
		"over_threshold", (json_int_t)d->n_over,
		"settings", "top_n", (int)o->top_n, "min_score", d->report_above,
		"shap_top_k", (int)o->k, "nsamples", (int)o->nsamples);
	FILE *f = detect_open_output(o->outdir, "stats.json", path, sizeof path);
	if (!f) {
		json_decref(stats);
		return EX_CANTCREAT;
	}
	json_dumpf(stats, f, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	fputc('\n', f);
	json_decref(stats);
	return detect_close_output(f, path);
}

/* The samples run would alert if no gate of a source held them back: the
 * top_n of run's settings in each window above its threshold, chosen as
 * run chooses them (alert_select); into d->over. Returns 0 or -1. */
static int mark_over_threshold(struct detection *d, long run_top_n)
{
	struct alert_pick *over;
	d->n_over = alert_select(d->ds.window_start, d->scaled, d->ds.n, (int)run_top_n,
				 d->threshold, &over);
	d->over = calloc(d->ds.n + 1, 1);
	for (long i = 0; d->over && i < d->n_over; i++)
		d->over[over[i].row] = 1;
	free(over);
	return d->n_over < 0 || !d->over ? -1 : 0;
}

/* Scales the scores, finds run's alert threshold (the largest of [alerts]
 * min_score and the model's calibration), marks the samples over it and
 * picks the rows of the report: the top_n of each window above the
 * threshold, or above --min-score when given. Returns 0 or -1. */
static int select_rows(const struct detect_opts *o, struct detection *d)
{
	long run_top_n;

	cli_alert_settings(&run_top_n, &d->floor);
	d->threshold = model_alert_threshold(d->m, d->floor);
	d->report_above = o->min_score_given ? o->min_score : d->threshold;
	d->scaled = malloc(d->ds.n * sizeof *d->scaled + 1);
	if (!d->scaled)
		return -1;
	for (size_t i = 0; i < d->ds.n; i++)
		d->scaled[i] = (float)deepsad_scaled(&d->m->det, d->raw[i]);
	if (mark_over_threshold(d, run_top_n) < 0)
		return -1;
	d->top_n = o->top_n;
	d->n_picks = alert_select(d->ds.window_start, d->scaled, d->ds.n, (int)o->top_n,
				  d->report_above, &d->picks);
	return d->n_picks < 0 ? -1 : 0;
}

static int detect(const struct detect_opts *o, char **inputs, int n_inputs)
{
	struct detection d = { 0 };
	int rc;

	if ((rc = inputs_load_model(o->model_path, &d.m)) != EX_OK)
		return rc;
	if (d.m->n_background < 1) {
		log_err("%s: the model has no background rows to explain against (train it with "
			"--background N)", o->model_path);
		detect_free(&d);
		return EX_DATAERR;
	}
	char *unused = NULL; /* a matrix model given capture input: no spec to fit */
	rc = inputs_load(&o->common, inputs, n_inputs, d.m, &unused, &d.ds);
	free(unused);
	if (rc != EX_OK ||
	    (rc = inputs_score(d.m, &d.ds, &d.values, &d.x, &d.raw, &d.side)) != EX_OK) {
		detect_free(&d);
		return rc;
	}
	if (select_rows(o, &d) < 0 || explain_picks(o, &d) < 0) {
		log_err("out of memory");
		detect_free(&d);
		return EX_OSERR;
	}
	d.n_windows = count_windows(&d.ds);
	if (mkdir(o->outdir, 0755) < 0 && errno != EEXIST) {
		log_err("%s: %s", o->outdir, strerror(errno));
		detect_free(&d);
		return EX_CANTCREAT;
	}
	if ((rc = write_report(o, &d)) == EX_OK && (rc = write_stats(o, &d)) == EX_OK &&
	    (rc = detect_write_pictures(o->outdir, &d)) == EX_OK)
		rc = detect_write_page(o->outdir, &d);
	if (rc == EX_OK)
		log_info("%zu samples in %zu window(s); %ld anomal%s above %g (at most %ld per "
			 "window), %ld over the alert threshold %g; wrote report.csv, stats.json, "
			 "scores.svg, timeline.svg, explanations.svg, loss.svg, report.html in %s",
			 d.ds.n, d.n_windows, d.n_picks, d.n_picks == 1 ? "y" : "ies",
			 d.report_above, o->top_n, d.n_over, d.threshold, o->outdir);
	detect_free(&d);
	return rc;
}

/* With [unit NAME] sections: -m names the folder of their models (as flowsad
 * train -c wrote it) and each unit's report goes to a folder of its name. */
struct unit_detection {
	struct detect_opts *o;
	const char *models, *outdir;
	char **inputs;
	int n_inputs;
};

static int detect_unit(void *ctx, const char *unit)
{
	struct unit_detection *u = ctx;
	char model[4096], outdir[4096];
	snprintf(model, sizeof model, "%s/%s.model", u->models, unit);
	snprintf(outdir, sizeof outdir, "%s/%s", u->outdir, unit);
	u->o->model_path = model;
	u->o->outdir = outdir;
	int rc = detect(u->o, u->inputs, u->n_inputs);
	u->o->model_path = u->models;
	u->o->outdir = u->outdir;
	return rc;
}

int cmd_detect(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "model", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 'n' },
		{ "shap-top-k", required_argument, NULL, 'k' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "min-score", required_argument, NULL, OPT_MIN_SCORE },
		{ "nsamples", required_argument, NULL, OPT_NSAMPLES },
		{ "no-zero-correction", no_argument, NULL, OPT_NO_ZERO_CORRECTION },
		{ "no-shift", no_argument, NULL, OPT_NO_SHIFT },
		{ NULL, 0, NULL, 0 },
	};
	struct detect_opts o = { .outdir = ".",
				 .top_n = DEFAULT_TOP_N,
				 .k = DEFAULT_EXPLAIN_K,
				 .nsamples = DEFAULT_EXPLAIN_NSAMPLES,
				 .zero_correction = 1,
				 .shift = 1 };
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:m:n:k:o:", longopts, NULL)) != -1) {
		if ((rc = cli_common_option(&o.common, opt, optarg)) == 1)
			continue;
		if (rc != 0 || opt == '?')
			return EX_USAGE;
		switch (opt) {
		case 'm': o.model_path = optarg; break;
		case 'o': o.outdir = optarg; break;
		case OPT_NO_ZERO_CORRECTION: o.zero_correction = 0; break;
		case OPT_NO_SHIFT: o.shift = 0; break;
		case 'n': rc = cli_parse_int("top", optarg, 1, 1000000, &o.top_n); break;
		case 'k': rc = cli_parse_int("shap-top-k", optarg, 1, 1000, &o.k); break;
		case OPT_NSAMPLES:
			rc = cli_parse_int("nsamples", optarg, 1, 1000000, &o.nsamples);
			break;
		case OPT_MIN_SCORE:
			rc = cli_parse_double("min-score", optarg, -1e300, 1e300, &o.min_score);
			o.min_score_given = 1;
			break;
		}
		if (rc < 0)
			return EX_USAGE;
	}
	if (!o.model_path) {
		log_err("detect: -m MODEL is required");
		return EX_USAGE;
	}
	if ((rc = cli_apply_common(&o.common)) != EX_OK)
		return rc;
	if (cli_units() == 0)
		return detect(&o, argv + optind, argc - optind);
	if (mkdir(o.outdir, 0755) < 0 && errno != EEXIST) {
		log_err("%s: %s", o.outdir, strerror(errno));
		return EX_CANTCREAT;
	}
	struct unit_detection u = { &o, o.model_path, o.outdir, argv + optind, argc - optind };
	return cli_for_each_unit(&o.common, detect_unit, &u);
}
