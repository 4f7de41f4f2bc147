/* model: everything scoring needs, in one safetensors file.
 *
 * Layout: 8-byte little-endian header length, a JSON header, then the raw
 * little-endian F32 tensors:
 *   encoder.L.weight [in, out]  the encoder's layers, L = 0..
 *   center [k]                  the hypersphere centre c
 *   scaler.offset [d], scaler.mult [d]
 *   background [b, d]           SHAP background rows (scaled), may be absent
 * "__metadata__" holds strings: format "flowsad-model", format_version,
 * model_id, features (JSON array), scaler, score_median, score_mad,
 * window_seconds, training (JSON: config, rows, labels, loss history),
 * data_start, data_end, created_at.
 *
 * Loading validates all of it (magic, version, JSON, shapes that chain,
 * finite values) and names what is wrong. */
#ifndef FLOWSAD_MODEL_H
#define FLOWSAD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "detector/deepsad.h"
#include "detector/scaler.h"

#define MODEL_FORMAT "flowsad-model"
#define MODEL_FORMAT_VERSION 1
#define MODEL_ID_LEN 17 /* 16 hex digits and NUL */
/* Bounds on untrusted files. */
#define MODEL_MAX_HEADER (64u << 20)
#define MODEL_MAX_FEATURES 1000000

struct model {
	struct deepsad det;
	struct deepsad_config cfg; /* how it was trained */
	struct scaler scaler;
	int n_features;
	char **features;           /* [n_features] names, in column order */
	int n_background;
	float *background;         /* [n_background, n_features], scaled */
	uint32_t window_seconds;   /* 0: not window-based (matrix input) */
	size_t train_rows, train_normal, train_anomaly;
	int64_t data_start, data_end; /* epoch seconds; 0 when unknown */
	int64_t created_at;
	/* The alert threshold drawn from data: the calib_quantile quantile of the
	 * training rows' scaled scores (calib_threshold; 0 and 0 for models made
	 * before it existed), and their largest (calib_top). */
	double calib_quantile, calib_threshold, calib_top;
	char *feature_spec; /* JSON of the network features (lib/features/feature_spec.h), or NULL
			     * for a model of a ready feature matrix */
	char id[MODEL_ID_LEN];     /* hash of the tensors, set by model_save/load */
};

/* Writes m to path atomically (temp file in the same folder, fsync, rename)
 * and sets m->id. Returns 0 or a negative errno with the reason in err. */
int model_save(struct model *m, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Reads and validates a model file. Returns NULL with the reason in err. */
struct model *model_load(const char *path, char *err, size_t errlen);
/* The same from a buffer (the fuzz target's entry point). */
struct model *model_parse(const uint8_t *buf, size_t len, char *err, size_t errlen);
void model_free(struct model *m);

/* The score a sample must exceed to be alerted by m: the largest of
 * min_score and m's calibrated threshold (min_score alone for a model
 * without calibration). The daemon raises it further when recent windows'
 * scores imply more (daemon/windows/scorer.c). */
double model_alert_threshold(const struct model *m, double min_score);

/* Metadata as a JSON object (caller owns the jansson reference). */
struct json_t;
struct json_t *model_info(const struct model *m);

#endif
