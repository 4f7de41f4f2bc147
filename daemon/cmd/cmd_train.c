/* flowsad train: fit scaling and the Deep SAD detector, write a model file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "common/cli.h"
#include "capture/inputs.h"
#include "cmd/commands.h"
#include "base/defaults.h"
#include "detector/deepsad.h"
#include "base/duration.h"
#include "common/log.h"
#include "detector/model.h"
#include "retrain/trainer.h"


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
	OPT_ALERT_QUANTILE,
	OPT_TRIM,
};

struct train_opts {
	struct cli_common common;
	struct deepsad_config cfg;
	enum scaler_kind scaling;
	long background;
	double alert_quantile, trim;
	const char *out;
	int quiet;
};

static int parse_hidden(const char *arg, struct deepsad_config *cfg)
{
	char *copy = strdup(arg), *save = NULL;
	int n = 0, rc = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
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
			log_err("--scaling: expected zscore, minmax, maxabs or none, got '%s'",
				arg);
			return -1;
		}
		o->scaling = (enum scaler_kind)s;
		return 0;
	case OPT_BACKGROUND: return cli_parse_int("background", arg, 0, 100000, &o->background);
	case OPT_ALERT_QUANTILE:
		return cli_parse_double("alert-quantile", arg, 0.5, 1, &o->alert_quantile);
	case OPT_TRIM: return cli_parse_double("trim", arg, 0, 0.5, &o->trim);
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

static int print_progress(void *ctx, const char *phase, int epoch, int epochs, double loss,
			   double seconds)
{
	const struct train_opts *o = ctx;
	if (!o->quiet)
		log_info("%s: epoch %d/%d loss %.6g (%.3f s)", phase, epoch, epochs, loss, seconds);
	return 0;
}

static int train(struct train_opts *o, char **inputs, int n_inputs)
{
	struct dataset ds;
	char err[512], *spec = NULL;
	int rc;

	if ((rc = inputs_load(&o->common, inputs, n_inputs, NULL, &spec, &ds)) != EX_OK) {
		free(spec); /* fitted before the inputs were found wanting */
		return rc;
	}
	struct trainer_settings set = { o->cfg, o->scaling, o->background,
					spec ? (o->common.features.window
							? o->common.features.window
							: DEFAULT_WINDOW_SECONDS)
					     : o->common.features.window,
					print_progress, o, o->alert_quantile,
					/* traffic may hold attacks; a matrix is the user's own */
					o->trim >= 0 ? o->trim
					: spec	     ? DEFAULT_TRIM
						     : 0 };
	struct model *m = trainer_fit(&ds, spec, &set, &rc);
	dataset_free(&ds);
	if (!m)
		return rc;
	if (model_save(m, o->out, err, sizeof err) < 0) {
		log_err("%s", err);
		model_free(m);
		return EX_IOERR;
	}
	log_info("wrote %s: model %s, best epoch %d of %d (loss %.6g), score median %.6g MAD %.6g",
		 o->out, m->id, m->det.best_epoch + 1, m->det.n_loss_train,
		 m->det.loss_train[m->det.best_epoch], m->det.score_median, m->det.score_mad);
	model_free(m);
	return EX_OK;
}

/* With [unit NAME] sections: a model of each unit, -o naming their folder. */
struct unit_training {
	struct train_opts *o;
	const char *dir;
	char **inputs;
	int n_inputs;
};

static int train_unit(void *ctx, const char *unit)
{
	struct unit_training *u = ctx;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.model", u->dir, unit);
	u->o->out = path;
	int rc = train(u->o, u->inputs, u->n_inputs);
	u->o->out = u->dir;
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
		{ "alert-quantile", required_argument, NULL, OPT_ALERT_QUANTILE },
		{ "trim", required_argument, NULL, OPT_TRIM },
		{ NULL, 0, NULL, 0 },
	};
	struct train_opts o = { .scaling = SCALER_ZSCORE, .background = DEFAULT_BACKGROUND,
				.trim = -1 };
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
	if (cli_units() == 0)
		return train(&o, argv + optind, argc - optind);
	if (mkdir(o.out, 0755) < 0 && errno != EEXIST) {
		log_err("%s: %s (with units, -o names a folder for their models)", o.out,
			strerror(errno));
		return EX_CANTCREAT;
	}
	struct unit_training u = { &o, o.out, argv + optind, argc - optind };
	return cli_for_each_unit(&o.common, train_unit, &u);
}
