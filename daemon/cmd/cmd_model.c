/* flowsad model: a model file's metadata, as text for a person or JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/commands.h"
#include "capture/inputs.h"
#include "base/duration.h"
#include "features/feature_spec.h"
#include "base/isotime.h"
#include "common/log.h"
#include "detector/model.h"

static void print_layers(const struct mlp *enc)
{
	for (int l = 0; l <= enc->n_layers; l++)
		printf("%s%d", l ? "-" : "", enc->sizes[l]);
}

static void print_features(const struct model *m)
{
	const int show = 8;
	printf("features     %d (", m->n_features);
	for (int j = 0; j < m->n_features && j < show; j++)
		printf("%s%s", j ? ", " : "", m->features[j]);
	printf("%s)\n", m->n_features > show ? ", ..." : "");
}

/* What a network model reads: locations, filter, vocabulary size. */
static void print_inputs(const struct model *m)
{
	struct feature_spec spec;
	char err[256];

	if (!m->feature_spec) {
		printf("inputs       a feature matrix (matrix-csv)\n");
		return;
	}
	if (feature_spec_from_json(&spec, m->feature_spec, err, sizeof err) < 0)
		return; /* model_load checked it */
	printf("inputs       traffic (pcap, NetFlow/IPFIX, flow or IDS CSV): %d service terms, "
	       "%d location entr%s", spec.n_terms, spec.loc.n, spec.loc.n == 1 ? "y" : "ies");
	for (int i = 0; i < spec.loc.n && i < 6; i++)
		printf("%s%s", i ? ", " : " (", spec.loc.names[spec.loc.entry[i].name]);
	printf("%s%s\n", spec.loc.n > 6 ? ", ..." : "", spec.loc.n ? ")" : "");
	if (spec.filter) {
		const struct filter *f = spec.filter;
		printf("filter       monitored networks %d, excluded sources %d, destinations %d, "
		       "signatures %d; ports: %s%s%s\n",
		       f->monitor.n, f->exclude_src.n, f->exclude_dst.n, f->n_sids,
		       f->has_include ? "included list" : "",
		       f->has_include && f->has_exclude ? ", " : "",
		       f->has_exclude	? "excluded list"
		       : f->has_include ? ""
					: "all");
	}
	feature_spec_free(&spec);
}

static void print_text(const char *path, const struct model *m)
{
	char t1[ISOTIME_LEN], t2[ISOTIME_LEN], win[32];
	const struct deepsad *d = &m->det;

	printf("model        %s\n", path);
	printf("id           %s\n", m->id);
	printf("format       %s v%d\n", MODEL_FORMAT, MODEL_FORMAT_VERSION);
	printf("created      %s\n", isotime_format(m->created_at, t1));
	print_features(m);
	printf("network      ");
	print_layers(&d->enc);
	printf(" (bias-free, LeakyReLU %.1f, linear embedding)\n", MLP_LEAKY_SLOPE);
	printf("scaling      %s\n", scaler_kind_name(m->scaler.kind));
	printf("score scale  median %.6g, MAD %.6g\n", d->score_median, d->score_mad);
	if (m->calib_quantile > 0)
		printf("calibration  alert threshold %.6g (the %.4g quantile of the training "
		       "scores; "
		       "their highest %.6g)\n",
		       m->calib_threshold, m->calib_quantile, m->calib_top);
	else
		printf("calibration  none (a model older than calibration: min_score alone "
		       "decides)\n");
	printf("training     %zu rows (%zu known normal, %zu known anomaly); eta %g, lam %g, "
	       "lr %g, batch %d, seed %llu\n",
	       m->train_rows, m->train_normal, m->train_anomaly, m->cfg.eta, m->cfg.lam, m->cfg.lr,
	       m->cfg.batch_size, (unsigned long long)m->cfg.seed);
	printf("epochs       %d pre-training, %d training; best epoch %d (loss %.6g)\n",
	       d->n_loss_pretrain, d->n_loss_train, d->best_epoch + 1,
	       d->best_epoch >= 0 && d->best_epoch < d->n_loss_train ? d->loss_train[d->best_epoch]
								     : 0.0);
	if (m->window_seconds) {
		duration_format(m->window_seconds, win, sizeof win);
		printf("window       %s\n", win);
	}
	if (m->data_start)
		printf("data         %s .. %s\n", isotime_format(m->data_start, t1),
		       isotime_format(m->data_end, t2));
	printf("background   %d rows\n", m->n_background);
	print_inputs(m);
}

int cmd_model(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			log_err("model: unknown option '%s'", argv[i]);
			return EX_USAGE;
		} else if (path) {
			log_err("model: one MODEL at a time");
			return EX_USAGE;
		} else
			path = argv[i];
	}
	if (!path) {
		log_err("model: MODEL is required");
		return EX_USAGE;
	}
	struct model *m;
	int rc = inputs_load_model(path, &m);
	if (rc != EX_OK)
		return rc;
	if (json) {
		json_t *info = model_info(m);
		json_dumpf(info, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
		putchar('\n');
		json_decref(info);
	} else {
		print_text(path, m);
	}
	model_free(m);
	return EX_OK;
}
