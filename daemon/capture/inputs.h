/* inputs: the INPUT files of the offline subcommands (train, score, detect,
 * aggregate) to a dataset: their format told from their first bytes,
 * captures and flow or alert records counted into samples and vectors
 * through a feature spec, matrix CSVs joined, the label lists applied; and
 * a dataset scored by a model. Logs what it read; returns sysexits codes. */
#ifndef FLOWSAD_INPUTS_H
#define FLOWSAD_INPUTS_H

#include "base/dataset.h"
#include "common/cli.h"
#include "detector/model.h"
#include "features/window.h"
#include "ingest/decode.h"
#include "ingest/netflow.h"

/* Reads every path into ds (one dataset; matrix CSVs must share their
 * columns). Capture files and records become samples through a feature
 * spec: model's (m not NULL) or, without a model, one fitted on them and
 * returned in *fitted (JSON, caller frees; NULL for matrix input). The
 * label lists of c are applied. Returns a sysexits code, logging why. */
int inputs_load(const struct cli_common *c, char **paths, int n, const struct model *m,
		char **fitted, struct dataset *ds);

/* The given input format, or the one the file's first bytes show (AUTO
 * when unreadable: the reader then reports why). */
enum input_format inputs_format(const struct cli_common *c, const char *path);

/* Whether the format is one of records read line by line (not captures). */
int inputs_is_records(enum input_format fmt);

/* Reads a file of records into t: an nfdump CSV, a Zeek conn.log or a
 * Suricata EVE log (flows at their start times), or an IDS alert CSV;
 * logging the count of records and of malformed rows. Returns a sysexits
 * code. */
int inputs_read_records(const char *path, enum input_format fmt, struct window_table *t,
			window_emit_fn emit, void *ctx);

/* Reads the n files of format fmt into t: record CSVs one after the
 * other (their lateness allows for disorder), capture files merged by time
 * (the packets of several captures or of files out of order, in the order
 * they were seen) through c's BPF filter, taking off c's tunnels. Returns a
 * sysexits code, logging why. */
int inputs_read_all(const struct cli_common *c, char *const *paths, int n, enum input_format fmt,
		    struct window_table *t, window_emit_fn emit, void *ctx,
		    struct decode_tally *tally, struct netflow_decoder *nf);

/* Loads the model file at path into *m. Returns EX_OK, EX_NOINPUT when the
 * file cannot be opened (missing, unreadable), or EX_DATAERR when it is no
 * valid model; logs why. */
int inputs_load_model(const char *path, struct model **m);

/* Vectorises ds for model m and scores it as the daemon does
 * (lib/detector/sides.h): each sample by what it opened, or by what it
 * served when it opened nothing, a window's samples in one batch. New
 * arrays: values [n, features] unscaled, x the same scaled (the network's
 * input) and kept to the side told, raw [n] raw scores of that side, side
 * [n] the side (unless side is NULL).
 * Returns a sysexits code, logging why. */
int inputs_score(const struct model *m, const struct dataset *ds, float **values, float **x,
		 float **raw, uint8_t **side);

#endif
