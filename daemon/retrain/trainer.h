/* trainer: fits a model (scaling, the Deep SAD detector, background rows
 * for explanations) on a dataset: what flowsad train and the retraining
 * worker share. */
#ifndef FLOWSAD_TRAINER_H
#define FLOWSAD_TRAINER_H

#include <stdint.h>

#include "base/defaults.h"
#include "base/dataset.h"
#include "detector/deepsad.h"
#include "detector/model.h"
#include "detector/scaler.h"

struct trainer_settings {
	struct deepsad_config cfg;
	enum scaler_kind scaling;
	long background;
	uint32_t window_seconds;    /* of the samples (0: a matrix without windows) */
	deepsad_progress_fn progress;
	void *progress_ctx;
	double alert_quantile;      /* of the training scores: the alert threshold (0: default) */
	double trim;                /* robust pass: the share of unlabelled rows, most anomalous
				     * first, left out of a second training (0: one pass) */
};

#define TRAINER_MIN_ROWS 8 /* fewer give a median and MAD of noise */

/* A model of ds (its feature names move into the model, and so does
 * spec_json, the network feature spec or NULL). Returns NULL after logging
 * why, with a sysexits code in *rc: EX_DATAERR when the loss was not finite. */
struct model *trainer_fit(struct dataset *ds, char *spec_json, const struct trainer_settings *s,
			  int *rc);

#endif
