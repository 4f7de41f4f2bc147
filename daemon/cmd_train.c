/* flowsad train: fit scaling and the Deep SAD detector, write a model file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "deepsad.h"
#include "duration.h"
#include "log.h"
#include "model.h"
#include "rng.h"

/* SHAP background rows stored in the model (the seed samples up to 100). */
#define DEFAULT_BACKGROUND 100

enum {
	OPT_HIDDEN = OPT_FIRST_COMMAND_OPTION,
	OPT_ETA,
	OPT_LAM,
	OPT_EPOCHS_PRETRAIN,
	OPT_EPOCHS,
	OPT_LR,
	OPT_LR_MILESTONE,
	OPT_BATCH_SIZE,
	OPT_SCALING,
	OPT_BACKGROUND,
	OPT_QUIET,
	OPT_BATCHNORM,
	OPT_INIT,
};

struct train_opts {
	struct cli_common common;
	struct deepsad_config cfg;
	enum scaler_kind scaling;
	long background;
	const char *out;
	int quiet;
};

static int parse_hidden(const char *arg, struct deepsad_config *cfg)
{
	char *copy = strdup(arg), *save = NULL;
	int n = 0, rc = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		long v;
		if (n == DEEPSAD_MAX_HIDDEN) {
			log_err("--hidden: at most %d layers", DEEPSAD_MAX_HIDDEN);
			rc = -1;
		} else if ((rc = cli_parse_int("hidden", tok, 1, 65536, &v)) == 0) {
			cfg->hidden[n++] = (int)v;
		}
	}
	free(copy);
	if (rc == 0 && n == 0) {
		log_err("--hidden: expected widths such as 128,128,64,64,32");
		rc = -1;
	}
	cfg->n_hidden = n;
	return rc;
}

static int parse_train_option(struct train_opts *o, int opt, const char *arg)
{
	struct deepsad_config *c = &o->cfg;
	long v;
	int s;

	switch (opt) {
	case 'o': o->out = arg; return 0;
	case OPT_HIDDEN: return parse_hidden(arg, c);
	case OPT_ETA: return cli_parse_double("eta", arg, 1e-9, 1e9, &c->eta);
	case OPT_LAM: return cli_parse_double("lam", arg, 0, 1e3, &c->lam);
	case OPT_LR: return cli_parse_double("lr", arg, 1e-9, 10, &c->lr);
	case OPT_QUIET: o->quiet = 1; return 0;
	case OPT_BATCHNORM: c->batchnorm = 1; return 0;
	case OPT_INIT:
		if (strcmp(arg, "he-normal") != 0 && strcmp(arg, "uniform") != 0) {
			log_err("--init: expected he-normal or uniform, got '%s'", arg);
			return -1;
		}
		c->init_uniform = arg[0] == 'u';
		return 0;
	case OPT_SCALING:
		if ((s = scaler_kind_parse(arg)) < 0) {
			log_err("--scaling: expected zscore, minmax, maxabs or none, got '%s'", arg);
			return -1;
		}
		o->scaling = (enum scaler_kind)s;
		return 0;
	case OPT_BACKGROUND: return cli_parse_int("background", arg, 0, 100000, &o->background);
	}
	static const struct { int opt; const char *name; long lo, hi; } ints[] = {
		{ OPT_EPOCHS_PRETRAIN, "epochs-pretrain", 0, 100000 },
		{ OPT_EPOCHS, "epochs", 1, 100000 },
		{ OPT_LR_MILESTONE, "lr-milestone", 0, 100000 },
		{ OPT_BATCH_SIZE, "batch-size", 1, 1 << 20 },
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		if (ints[i].opt != opt)
			continue;
		if (cli_parse_int(ints[i].name, arg, ints[i].lo, ints[i].hi, &v) < 0)
			return -1;
		if (opt == OPT_EPOCHS_PRETRAIN) c->epochs_pretrain = (int)v;
		else if (opt == OPT_EPOCHS) c->epochs = (int)v;
		else if (opt == OPT_LR_MILESTONE) c->lr_milestone = (int)v;
		else c->batch_size = (int)v;
		return 0;
	}
	return -1;
}

static void print_progress(void *ctx, const char *phase, int epoch, int epochs, double loss,
			   double seconds)
{
	const struct train_opts *o = ctx;
	if (!o->quiet)
		log_info("%s: epoch %d/%d loss %.6g (%.3f s)", phase, epoch, epochs, loss, seconds);
}

/* A uniform sample (without replacement) of up to want scaled rows. */
static int pick_background(struct model *m, const float *x, size_t n, long want, uint64_t seed)
{
	struct rng r;
	size_t k = (size_t)want < n ? (size_t)want : n;
	uint32_t *idx = malloc(n * sizeof *idx);

	if (!idx || !(m->background = malloc(k * (size_t)m->n_features * sizeof(float) + 1))) {
		free(idx);
		return -1;
	}
	rng_seed(&r, seed ^ 0x6261636b67726f75ull);
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	rng_shuffle(&r, idx, n);
	for (size_t i = 0; i < k; i++)
		memcpy(m->background + i * (size_t)m->n_features, x + (size_t)idx[i] * (size_t)m->n_features,
		       (size_t)m->n_features * sizeof(float));
	m->n_background = (int)k;
	free(idx);
	return 0;
}

/* SOURCE_DATE_EPOCH, when set, stands for "now" so that a rebuild of the
 * same model gives the same file (reproducible-builds convention). */
static int64_t creation_time(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t = sde ? strtoll(sde, &end, 10) : 0;

	return sde && *sde && !*end && t > 0 ? (int64_t)t : (int64_t)time(NULL);
}

static void record_data(struct model *m, struct dataset *ds, const struct train_opts *o)
{
	m->n_features = ds->dim;
	m->features = ds->names; /* moved: the dataset gives up its names */
	ds->names = NULL;
	/* network features window by the spec's length; a matrix by its rows */
	m->window_seconds = m->feature_spec ? (o->common.window ? o->common.window : 3600)
					    : o->common.window;
	m->train_rows = ds->n;
	dataset_label_counts(ds, &m->train_normal, &m->train_anomaly);
	for (size_t i = 0; ds->window_start && i < ds->n; i++) {
		int64_t t = ds->window_start[i];
		if (!m->data_start || t < m->data_start)
			m->data_start = t;
		if (t + (int64_t)m->window_seconds > m->data_end)
			m->data_end = t + (int64_t)m->window_seconds;
	}
	m->created_at = creation_time();
}

static int train(struct train_opts *o, char **inputs, int n_inputs)
{
	struct dataset ds;
	struct model *m = calloc(1, sizeof *m);
	char err[512];
	int rc;

	if (!m)
		return EX_OSERR;
	if ((rc = cli_load_inputs(&o->common, inputs, n_inputs, NULL, &m->feature_spec, &ds)) != EX_OK) {
		model_free(m);
		return rc;
	}
	log_info("training on %zu rows x %d features", ds.n, ds.dim);
	rc = EX_OSERR;
	if (scaler_fit(&m->scaler, o->scaling, ds.x, ds.n, ds.dim) < 0)
		goto out;
	scaler_apply(&m->scaler, ds.x, ds.n);
	m->cfg = o->cfg;
	int trc = deepsad_train(&m->det, &o->cfg, ds.x, ds.y, ds.n, ds.dim, print_progress, o);
	if (trc < 0) {
		if (trc == -EDOM)
			log_err("training diverged: the loss is not finite (check the inputs, or "
				"try a lower --lr)");
		else
			log_err("training failed: %s", strerror(-trc));
		rc = trc == -EDOM ? EX_DATAERR : EX_SOFTWARE;
		goto out;
	}
	record_data(m, &ds, o);
	if (pick_background(m, ds.x, ds.n, o->background, o->cfg.seed) < 0)
		goto out;
	if (model_save(m, o->out, err, sizeof err) < 0) {
		log_err("%s", err);
		rc = EX_IOERR;
		goto out;
	}
	log_info("wrote %s: model %s, best epoch %d of %d (loss %.6g), score median %.6g MAD %.6g",
		 o->out, m->id, m->det.best_epoch + 1, m->det.n_loss_train,
		 m->det.loss_train[m->det.best_epoch], m->det.score_median, m->det.score_mad);
	rc = EX_OK;
out:
	dataset_free(&ds);
	model_free(m);
	return rc;
}

int cmd_train(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "output", required_argument, NULL, 'o' },
		{ "hidden", required_argument, NULL, OPT_HIDDEN },
		{ "eta", required_argument, NULL, OPT_ETA },
		{ "lam", required_argument, NULL, OPT_LAM },
		{ "epochs-pretrain", required_argument, NULL, OPT_EPOCHS_PRETRAIN },
		{ "epochs", required_argument, NULL, OPT_EPOCHS },
		{ "lr", required_argument, NULL, OPT_LR },
		{ "lr-milestone", required_argument, NULL, OPT_LR_MILESTONE },
		{ "batch-size", required_argument, NULL, OPT_BATCH_SIZE },
		{ "scaling", required_argument, NULL, OPT_SCALING },
		{ "background", required_argument, NULL, OPT_BACKGROUND },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "batchnorm", no_argument, NULL, OPT_BATCHNORM },
		{ "init", required_argument, NULL, OPT_INIT },
		{ NULL, 0, NULL, 0 },
	};
	struct train_opts o = { .scaling = SCALER_ZSCORE, .background = DEFAULT_BACKGROUND };
	int opt, rc;

	deepsad_config_default(&o.cfg);
	while ((opt = getopt_long(argc, argv, "c:o:", longopts, NULL)) != -1) {
		if ((rc = cli_common_option(&o.common, opt, optarg)) == 1)
			continue;
		if (rc != 0 || opt == '?' || parse_train_option(&o, opt, optarg) < 0)
			return EX_USAGE;
	}
	if (o.common.seed_given)
		o.cfg.seed = o.common.seed;
	if (!o.out) {
		log_err("train: -o MODEL is required");
		return EX_USAGE;
	}
	if ((rc = cli_apply_common(&o.common)) != EX_OK)
		return rc;
	return train(&o, argv + optind, argc - optind);
}
