/* cli: what the offline subcommands share: the common options (flowsad(8)),
 * number parsing with usage errors, and reading INPUT files into a dataset. */
#ifndef FLOWSAD_CLI_H
#define FLOWSAD_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "base/config.h"
#include "base/dataset.h"
#include "features/feature_spec.h"
#include "features/labels.h"
#include "detector/model.h"
#include "features/window.h"

enum input_format {
	INPUT_AUTO,
	INPUT_PCAP,
	INPUT_IDS_CSV,
	INPUT_FLOW_CSV,
	INPUT_NETFLOW_PCAP,
	INPUT_MATRIX_CSV,
};

struct cli_common {
	const char *config;
	uint32_t window;       /* seconds; 0 = not given */
	const char *known_normal, *known_anomaly;
	uint64_t seed;
	int seed_given;
	enum input_format format;
	int threads;           /* BLAS threads; 0 = OpenBLAS's default */
	const char *locations; /* CIDR,name file for network features */
	const char *filter;    /* BPF filter on capture input */
	long vocabulary, min_df; /* service-profile vocabulary size and minimum sample count */
	/* the detection unit's filter (lib/features/filter.h), as given on the command line */
	const char *monitor, *include_ports, *exclude_ports, *exclude_src, *exclude_dst, *exclude_sids;
};

/* Long option values of the common options (short ones use their letter). */
enum {
	OPT_WINDOW = 0x100,
	OPT_KNOWN_NORMAL,
	OPT_KNOWN_ANOMALY,
	OPT_SEED,
	OPT_INPUT_FORMAT,
	OPT_THREADS,
	OPT_LOCATIONS,
	OPT_FILTER,
	OPT_VOCABULARY,
	OPT_MIN_DF,
	OPT_MONITOR,
	OPT_INCLUDE_PORTS,
	OPT_EXCLUDE_PORTS,
	OPT_EXCLUDE_SRC,
	OPT_EXCLUDE_DST,
	OPT_EXCLUDE_SIDS,
	OPT_FIRST_COMMAND_OPTION, /* commands number their own options from here */
};

#define CLI_COMMON_OPTIONS                                                   \
	{ "config", required_argument, NULL, 'c' },                          \
	{ "window", required_argument, NULL, OPT_WINDOW },                   \
	{ "known-normal", required_argument, NULL, OPT_KNOWN_NORMAL },       \
	{ "known-anomaly", required_argument, NULL, OPT_KNOWN_ANOMALY },     \
	{ "seed", required_argument, NULL, OPT_SEED },                       \
	{ "input-format", required_argument, NULL, OPT_INPUT_FORMAT },       \
	{ "threads", required_argument, NULL, OPT_THREADS },                 \
	{ "locations", required_argument, NULL, OPT_LOCATIONS },             \
	{ "filter", required_argument, NULL, OPT_FILTER },                   \
	{ "vocabulary", required_argument, NULL, OPT_VOCABULARY },           \
	{ "min-df", required_argument, NULL, OPT_MIN_DF },                   \
	{ "monitor", required_argument, NULL, OPT_MONITOR },                 \
	{ "include-ports", required_argument, NULL, OPT_INCLUDE_PORTS },     \
	{ "exclude-ports", required_argument, NULL, OPT_EXCLUDE_PORTS },     \
	{ "exclude-src", required_argument, NULL, OPT_EXCLUDE_SRC },         \
	{ "exclude-dst", required_argument, NULL, OPT_EXCLUDE_DST },         \
	{ "exclude-sids", required_argument, NULL, OPT_EXCLUDE_SIDS }

/* Handles one common option. Returns 1 when it was one (and valid), 0 when
 * it is not a common option, or EX_USAGE after logging why it is bad. */
int cli_common_option(struct cli_common *c, int opt, const char *arg);

/* Parses an integer in [lo, hi] for option name; logs and returns -1 if bad. */
int cli_parse_int(const char *name, const char *arg, long lo, long hi, long *out);
int cli_parse_double(const char *name, const char *arg, double lo, double hi, double *out);

/* Acts on the parsed common options: sets the BLAS thread count, and with
 * -c CONF takes from the file's [window], [features], [capture] filter and
 * [retrain] label files what the command line did not give. Returns a
 * sysexits code, logging why. */
int cli_apply_common(struct cli_common *c);
/* Reads and validates a configuration file into c (initialised here; on
 * error freed again). Errors are logged as FILE:LINE: ...; returns EX_OK or
 * EX_CONFIG. */
int cli_load_config(const char *path, struct config *c);

/* Reads every path into ds (one dataset; matrix CSVs must share their
 * columns). Capture files become samples through a feature spec: the
 * model's (spec_json) or, when spec_json is NULL, one fitted on them and
 * returned in *fitted (JSON, caller frees; NULL for matrix input).
 * Returns a sysexits code, logging why. */
int cli_load_inputs(const struct cli_common *c, char **paths, int n, const char *spec_json,
		    char **fitted, struct dataset *ds);

/* The given input format, or the one the file's first bytes show (AUTO
 * when unreadable: the reader then reports why). */
enum input_format cli_input_format(const struct cli_common *c, const char *path);

/* Reads an nfdump CSV (flow records at their start times) or, with ids, an
 * IDS alert CSV into t, logging the count of records and of malformed rows.
 * Returns a sysexits code. */
int cli_read_record_csv(const char *path, int ids, struct window_table *t, window_emit_fn emit,
			void *ctx);

/* The counting part of a network feature spec from the options: window
 * length (1h when not given), location table, detection-unit filter.
 * Returns a sysexits code, logging why. */
int cli_counting_spec(const struct cli_common *c, struct feature_spec *spec);
/* The model's spec (spec_json), or, when it is NULL, spec's vocabulary
 * fitted on set (--vocabulary, --min-df) and returned as JSON in *fitted. */
int cli_network_spec(const struct cli_common *c, const char *spec_json, char **fitted,
		     const struct sample_set *set, struct feature_spec *spec);
/* Sets the host features of set (samples in window order) from a fresh
 * memory of the sources: offline inputs are their own past. Returns a
 * sysexits code, logging why. */
int cli_observe_hosts(struct sample_set *set);
/* Reads a --known-normal / --known-anomaly list into l. Returns a sysexits
 * code, logging why. */
int cli_read_labels(const char *path, struct label_list *l);
/* Vectorises ds for model m and scores it. New arrays: values [n, features]
 * unscaled, x the same scaled (the network's input), raw [n] raw scores.
 * Returns a sysexits code, logging why. */
int cli_score_dataset(const struct model *m, const struct dataset *ds, float **values,
		      float **x, float **raw);

#endif
