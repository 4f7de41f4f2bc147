/* cli: the options every subcommand shares (flowsad(8)), number parsing with
 * usage errors, and the configuration file under -c. Reading the INPUT
 * files is inputs.h's. */
#ifndef FLOWSAD_CLI_H
#define FLOWSAD_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "common/config.h"
#include "features/feature_options.h"

enum input_format {
	INPUT_AUTO,
	INPUT_PCAP,
	INPUT_IDS_CSV,
	INPUT_FLOW_CSV,
	INPUT_NETFLOW_PCAP,
	INPUT_MATRIX_CSV,
	INPUT_ZEEK,            /* Zeek conn.log, TSV or JSON */
	INPUT_EVE,             /* Suricata EVE JSON (flow and netflow events) */
	INPUT_EVE_ALERTS,      /* Suricata EVE JSON, its alert events as IDS alerts */
};

/* Their names, as --input-format takes them. */
extern const char *const cli_format_names[];

struct cli_common {
	const char *config;
	struct feature_options features; /* window, locations, filter, vocabulary */
	const char *known_normal, *known_anomaly;
	uint64_t seed;
	int seed_given;
	enum input_format format;
	int threads;           /* BLAS threads; 0 = OpenBLAS's default */
	const char *filter;    /* BPF filter on capture input */
	const char *decapsulate; /* tunnels to take off (NULL: the default ones) */
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
	OPT_DECAPSULATE,
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
	{ "exclude-sids", required_argument, NULL, OPT_EXCLUDE_SIDS },       \
	{ "decapsulate", required_argument, NULL, OPT_DECAPSULATE }

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
/* For a command that does no linear algebra (aggregate), after
 * cli_apply_common: stops the BLAS threads, which would spin for a while on
 * the cores that read the input. A later BLAS call starts them again. */
void cli_blas_unused(void);
/* The alert settings flowsad run takes from the -c file ([alerts] top_n and
 * min_score), or their defaults without one. */
void cli_alert_settings(long *top_n, double *min_score);
/* The detection units of the -c file ([unit NAME] sections; 0 without). */
int cli_units(void);
/* Calls fn once per unit, with c->features holding that unit's filter (its
 * keys; the ones it does not give from the command line and [features]),
 * restored afterwards. Every unit runs; returns the first code not EX_OK,
 * or EX_OK. */
typedef int (*cli_unit_fn)(void *ctx, const char *unit);
int cli_for_each_unit(struct cli_common *c, cli_unit_fn fn, void *ctx);
/* The feature settings of configuration f ([window], [features]) that o
 * does not have yet. */
void cli_fill_features(struct feature_options *o, const struct config *f);
/* The tunnels to take off, from a --decapsulate or [capture] decapsulate
 * text (NULL: the default ones, DECODE_TUNNELS_DEFAULT). Returns EX_OK, or
 * EX_CONFIG after logging what key holds. */
int cli_tunnels(const char *key, const char *text, unsigned *mask);
/* The daemon's state files that no setting places: the spool's folder
 * (under systemd the unit's state directory, $STATE_DIRECTORY/spool, else
 * /var/lib/flowsad/spool where it can be written, else the user's:
 * $XDG_STATE_HOME or ~/.local/state, then flowsad/spool, made if missing)
 * and, beside it, the followed logs' positions (follow.positions).
 * Returns EX_OK or EX_OSERR. */
int cli_default_state(struct config *c);
/* Reads and validates a configuration file into c (initialised here; on
 * error freed again). Errors are logged as FILE:LINE: ...; returns EX_OK or
 * EX_CONFIG. */
int cli_load_config(const char *path, struct config *c);

/* A live daemon's cold start: it keeps a history ([retrain] history_dir) and
 * has no model yet (no [model] path, or no file there); it then learns a
 * first one, of [window] length windows. With a model file the window is the
 * model's. */
int cli_cold_start(const struct config *c);

#endif
