/* sides: a network sample scored from each side of what its source did.
 *
 * A sample's features describe what the source opened (flows of its own
 * initiative) and what it served (answers to others': docs/features.md).
 * The two are different behaviours: a web server that serves a thousand
 * clients is ordinary, and that must not hide a first upload it opens; a
 * workstation that answers a scan has done nothing itself. So each sample
 * is scored twice more, once from each side, as if the source had done
 * nothing on the other one: the other side's features are set to the value
 * a source that did nothing there has (the scaled 0). The score of a
 * sample is its opened score; a source that opened nothing in the window
 * is scored by what it served, and so is one that serves something new
 * (host new_served) when that scores higher: the served side alerts only
 * then (daemon/windows/gates.c gates the sides apart), and a host that
 * starts serving ranks by it.
 *
 * Rows are scaled (scaler_apply with the model's scaler). Models of other
 * inputs (a matrix without these names) have one side: the opened side is
 * every feature, and the scores are the plain ones. Pure: no I/O. */
#ifndef FLOWSAD_SIDES_H
#define FLOWSAD_SIDES_H

#include <stddef.h>
#include <stdint.h>

#include "detector/model.h"
#include "features/baseline.h"

struct sides {
	int dim;
	uint8_t *side;	/* [dim] BASELINE_OPENED or BASELINE_SERVED (feature_side) */
	float *nothing; /* [dim] each feature's scaled 0: "did nothing there" */
	int packets; /* the column of "volume packets" (-1: none): at nothing, it opened nothing */
	int new_served; /* the column of "host new_served" (-1: none) */
	int two_sided; /* the model has served features */
};

/* The sides of model m's features. Returns 0 or -ENOMEM. */
int sides_init(struct sides *s, const struct model *m) __attribute__((warn_unused_result));
void sides_free(struct sides *s);

/* Raw scores of rows x [n, dim] (scaled) from each side, into open and
 * served [n]: NAN where the row opened (or served) nothing. raw [n] holds the
 * rows' plain raw scores (the opened score of a row that served nothing).
 * Returns 0 or -ENOMEM. */
int sides_score(const struct sides *s, const struct model *m, const float *x, size_t n,
		const float *raw, float *open, float *served) __attribute__((warn_unused_result));

/* The side a sample (row, scaled) is told by, given its scores from each
 * side: opened, unless it opened nothing (open NAN) and served something,
 * or it serves something new and its served score is the higher. */
int sides_pick(const struct sides *s, const float *row, float open, float served);

/* Row (scaled) as seen from side: the other side's features at nothing. */
void sides_keep(const struct sides *s, float *row, int side);
/* Shapley values phi [dim] of a row kept to side: the other side's, held
 * at nothing, explain nothing and are set to 0. */
void sides_explain_only(const struct sides *s, float *phi, int side);

#endif
