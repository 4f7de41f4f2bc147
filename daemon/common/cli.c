#include "common/cli.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/duration.h"
#include "ingest/decode.h"
#include "common/log.h"

const char *const cli_format_names[] = {
	[INPUT_AUTO] = "auto", [INPUT_PCAP] = "pcap", [INPUT_IDS_CSV] = "ids-csv",
	[INPUT_FLOW_CSV] = "flow-csv", [INPUT_NETFLOW_PCAP] = "netflow-pcap",
	[INPUT_MATRIX_CSV] = "matrix-csv", [INPUT_ZEEK] = "zeek", [INPUT_EVE] = "eve",
	[INPUT_EVE_ALERTS] = "eve-alerts",
};

int cli_parse_int(const char *name, const char *arg, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi) {
		log_err("--%s: expected a whole number from %ld to %ld, got '%s'", name, lo, hi,
			arg);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_double(const char *name, const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !isfinite(v) || v < lo || v > hi) {
		log_err("--%s: expected a number from %g to %g, got '%s'", name, lo, hi, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_format(const char *arg, enum input_format *out)
{
	for (size_t i = 0; i <= INPUT_EVE_ALERTS; i++)
		if (strcmp(arg, cli_format_names[i]) == 0) {
			*out = (enum input_format)i;
			return 0;
		}
	log_err("--input-format: expected auto, pcap, ids-csv, flow-csv, netflow-pcap, "
		"matrix-csv, zeek, eve or eve-alerts, got '%s'", arg);
	return -1;
}

int cli_common_option(struct cli_common *c, int opt, const char *arg)
{
	long v;

	switch (opt) {
	case 'c':
		c->config = arg;
		return 1;
	case OPT_WINDOW:
		if (duration_parse(arg, &c->features.window) < 0 || !c->features.window) {
			log_err("--window: expected a duration such as 90s, 5m or 1h, got '%s'",
				arg);
			return EX_USAGE;
		}
		return 1;
	case OPT_KNOWN_NORMAL:
		c->known_normal = arg;
		return 1;
	case OPT_KNOWN_ANOMALY:
		c->known_anomaly = arg;
		return 1;
	case OPT_SEED: {
		char *end;
		errno = 0;
		c->seed = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-') {
			log_err("--seed: expected a non-negative whole number, got '%s'", arg);
			return EX_USAGE;
		}
		c->seed_given = 1;
		return 1;
	}
	case OPT_INPUT_FORMAT:
		return parse_format(arg, &c->format) < 0 ? EX_USAGE : 1;
	case OPT_THREADS:
		if (cli_parse_int("threads", arg, 1, 256, &v) < 0)
			return EX_USAGE;
		c->threads = (int)v;
		return 1;
	case OPT_LOCATIONS:
		c->features.locations = arg;
		return 1;
	case OPT_FILTER:
		c->filter = arg;
		return 1;
	case OPT_VOCABULARY:
		return cli_parse_int("vocabulary", arg, 0, 100000, &c->features.vocabulary) < 0
			       ? EX_USAGE
			       : 1;
	case OPT_MIN_DF:
		return cli_parse_int("min-df", arg, 1, 1000000, &c->features.min_df) < 0 ? EX_USAGE
											 : 1;
	case OPT_MONITOR: c->features.monitor = arg; return 1;
	case OPT_INCLUDE_PORTS: c->features.include_ports = arg; return 1;
	case OPT_EXCLUDE_PORTS: c->features.exclude_ports = arg; return 1;
	case OPT_EXCLUDE_SRC: c->features.exclude_src = arg; return 1;
	case OPT_EXCLUDE_DST: c->features.exclude_dst = arg; return 1;
	case OPT_EXCLUDE_SIDS: c->features.exclude_sids = arg; return 1;
	case OPT_DECAPSULATE: {
		unsigned mask;
		c->decapsulate = arg;
		return cli_tunnels("--decapsulate", arg, &mask) == EX_OK ? 1 : EX_USAGE;
	}
	default:
		return 0;
	}
}

int cli_load_config(const char *path, struct config *c)
{
	FILE *f = fopen(path, "r");

	config_init(c);
	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		return EX_CONFIG;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *msgs = open_memstream(&text, &len);
	int errors = config_read(c, f, path, msgs);
	fclose(f);
	if (msgs)
		fclose(msgs);
	for (char *line = text, *next; line && *line; line = next) { /* each at error priority */
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		log_err("%s", line);
		if (!next)
			break;
	}
	free(text);
	if (errors) {
		log_err("%s: %d error%s", path, errors, errors == 1 ? "" : "s");
		config_free(c);
		return EX_CONFIG;
	}
	return EX_OK;
}

/* The offline commands' configuration file lives as long as the process. */
static struct config file_conf;

static void free_file_conf(void)
{
	config_free(&file_conf);
}

/* Each field not given yet takes its value. */
static void fill_unset(const char **fields[], const char *const values[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!*fields[i])
			*fields[i] = values[i];
}

void cli_fill_features(struct feature_options *o, const struct config *f)
{
	const char **fields[] = { &o->locations, &o->monitor, &o->include_ports, &o->exclude_ports,
				  &o->exclude_src, &o->exclude_dst, &o->exclude_sids };
	const char *const values[] = { f->locations, f->monitor, f->include_ports, f->exclude_ports,
				       f->exclude_src, f->exclude_dst, f->exclude_sids };
	fill_unset(fields, values, sizeof fields / sizeof fields[0]);
	if (!o->window)
		o->window = f->window;
	if (!o->vocabulary)
		o->vocabulary = f->vocabulary;
	if (!o->min_df)
		o->min_df = f->min_df;
}

void cli_alert_settings(long *top_n, double *min_score)
{
	int loaded = file_conf.top_n > 0; /* a file's top_n is at least 1 */
	*top_n = loaded ? (long)file_conf.top_n : DEFAULT_TOP_N;
	*min_score = loaded ? file_conf.min_score : DEFAULT_MIN_SCORE;
}

int cli_units(void)
{
	return file_conf.n_units;
}

int cli_for_each_unit(struct cli_common *c, cli_unit_fn fn, void *ctx)
{
	struct feature_options base = c->features;
	int first = EX_OK;

	for (int i = 0; i < file_conf.n_units; i++) {
		const struct config_unit *u = &file_conf.units[i];
		const char **fields[] = { &c->features.monitor, &c->features.include_ports,
					  &c->features.exclude_ports, &c->features.exclude_src,
					  &c->features.exclude_dst, &c->features.exclude_sids };
		const char *const values[] = { u->monitor, u->include_ports, u->exclude_ports,
					       u->exclude_src, u->exclude_dst, u->exclude_sids };
		c->features = base;
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
			if (values[k])
				*fields[k] = values[k];
		log_info("unit %s (%d of %d)", u->name, i + 1, file_conf.n_units);
		int rc = fn(ctx, u->name);
		if (rc != EX_OK) {
			log_err("unit %s: not done (exit %d)", u->name, rc);
			first = first == EX_OK ? rc : first;
		}
	}
	c->features = base;
	return first;
}

/* Settings of the file that the command line did not give. */
static void apply_config(struct cli_common *c, const struct config *f)
{
	const char **fields[] = { &c->known_normal, &c->known_anomaly, &c->filter,
				  &c->decapsulate };
	const char *const values[] = { f->known_normal, f->known_anomaly, f->bpf, f->decapsulate };
	cli_fill_features(&c->features, f);
	fill_unset(fields, values, sizeof fields / sizeof fields[0]);
}

int cli_apply_common(struct cli_common *c)
{
	int rc;
	if (c->threads > 0)
		openblas_set_num_threads(c->threads);
	if (c->config) {
		if ((rc = cli_load_config(c->config, &file_conf)) != EX_OK)
			return rc;
		atexit(free_file_conf);
		apply_config(c, &file_conf);
	}
	return EX_OK;
}

/* OpenBLAS's pthreads build starts its threads as it loads, and each spins
 * (sched_yield) for about 2^28 cycles before it sleeps: 0.1 s of CPU that
 * two threads reading a capture on two cores lose. Its shutdown is not in
 * cblas.h but exported (its fork handler calls it); weak, for BLAS builds
 * without it. */
extern int blas_thread_shutdown_(void) __attribute__((weak));

void cli_blas_unused(void)
{
	if (blas_thread_shutdown_)
		(void)blas_thread_shutdown_();
}

/* Makes the folders of path that are missing (0750). */
static void make_folders(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0750);
		*p = '/';
	}
	mkdir(path, 0750);
}

/* The spool's folder, when no setting gives one. */
static int default_spool(struct config *c)
{
	const char *state = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char path[4096];

	if (c->spool_dir)
		return EX_OK;
	if (state && *state) { /* systemd may list several, separated by colons */
		snprintf(path, sizeof path, "%.*s/spool", (int)strcspn(state, ":"), state);
	} else if (access("/var/lib/flowsad", W_OK) == 0 || geteuid() == 0) {
		snprintf(path, sizeof path, "/var/lib/flowsad/spool");
	} else { /* the user's state folder; spool_open makes spool/ itself */
		if (xdg && *xdg == '/')
			snprintf(path, sizeof path, "%s/flowsad", xdg);
		else
			snprintf(path, sizeof path, "%s/.local/state/flowsad", home ? home : ".");
		make_folders(path);
		strncat(path, "/spool", sizeof path - strlen(path) - 1);
	}
	return config_set_string(&c->spool_dir, path) < 0 ? EX_OSERR : EX_OK;
}

int cli_default_state(struct config *c)
{
	char path[4096];
	int rc = default_spool(c);
	if (rc != EX_OK || c->follow_positions)
		return rc;
	const char *slash = strrchr(c->spool_dir, '/'); /* beside the spool folder */
	snprintf(path, sizeof path, "%.*sfollow.positions",
		 slash ? (int)(slash - c->spool_dir + 1) : 0, c->spool_dir);
	return config_set_string(&c->follow_positions, path) < 0 ? EX_OSERR : EX_OK;
}

int cli_cold_start(const struct config *c)
{
	return c->history_dir && (!c->model || access(c->model, F_OK) != 0);
}

int cli_tunnels(const char *key, const char *text, unsigned *mask)
{
	*mask = DECODE_TUNNELS_DEFAULT;
	if (!text || decode_tunnels_parse(text, mask) == 0)
		return EX_OK;
	log_err("%s: expected tunnel kinds (ipip, gre, erspan, vxlan, vxlan-gpe, geneve, teredo), "
		"all or none, got '%s'", key, text);
	return EX_CONFIG;
}
