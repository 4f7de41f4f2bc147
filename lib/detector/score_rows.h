/* score_rows: a feature matrix scored as the daemon scores its windows, for
 * the offline commands (score, detect) that must agree with its alerts.
 *
 * Each sample is scored by what it opened, or by what it served when it
 * opened nothing (detector/sides.h); the rows of a window (consecutive rows
 * of one window_start) in batches of at most SCORE_ROWS_BLOCK, the batch the
 * daemon's scorer uses: a batch of another size sums in another order and
 * moves a score by a few units in the last place, enough to put a score
 * equal to the threshold on the other side of it. Pure: no I/O. */
#ifndef FLOWSAD_SCORE_ROWS_H
#define FLOWSAD_SCORE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "base/dataset.h"
#include "detector/model.h"

/* Samples vectorised and scored at once: a window is never copied whole. */
#define SCORE_ROWS_BLOCK 16384

/* Vectorises ds for model m and scores it. New arrays (the caller frees
 * them): values [n, features] unscaled, x the same scaled (the network's
 * input) and kept to the side told, raw [n] raw scores of that side, side
 * [n] the side (unless side is NULL). *ignored: input columns that are not
 * the model's features. Returns 0; -EINVAL when ds cannot be vectorised for
 * m, or -ENOMEM, with the reason in err and every array NULL. */
int score_rows(const struct model *m, const struct dataset *ds, float **values, float **x,
	       float **raw, uint8_t **side, int *ignored, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
