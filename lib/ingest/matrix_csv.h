/* matrix_csv: a ready feature matrix as CSV ("--input-format matrix-csv").
 *
 * The header names the columns. window_start (ISO 8601 UTC or epoch
 * seconds), src_ip and label (1 known normal, -1 known anomaly, 0 or empty
 * unlabelled) are optional and may stand anywhere; every other column is a
 * numeric feature named by its header. Values must be finite numbers. */
#ifndef FLOWSAD_MATRIX_CSV_H
#define FLOWSAD_MATRIX_CSV_H

#include <stdio.h>

#include "base/dataset.h"

/* At most this many columns and this long a line: bounds for untrusted files. */
#define MATRIX_CSV_MAX_COLUMNS 100000
#define MATRIX_CSV_MAX_LINE (16u << 20)

/* Reads all of f into ds. name is used in messages ("name:line: ..."). Returns
 * 0; -EINVAL for malformed input with the reason in err; -ENOMEM. On error ds
 * is left empty. */
int matrix_csv_read(struct dataset *ds, FILE *f, const char *name, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Does the first line look like a matrix CSV header (every field a name, not
 * a known header of another input format)? Used by input detection. */
int matrix_csv_sniff(const char *first_line);

#endif
