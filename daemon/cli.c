#include "cli.h"

#include <cblas.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/defaults.h"
#include "base/duration.h"
#include "log.h"
#include "features/feature_spec.h"
#include "ingest/flow_csv.h"
#include "ingest/ids_csv.h"
#include "features/labels.h"
#include "ingest/matrix_csv.h"
#include "pcap_input.h"
#include "detector/vectorize.h"

static const char *const format_names[] = {
	[INPUT_AUTO] = "auto", [INPUT_PCAP] = "pcap", [INPUT_IDS_CSV] = "ids-csv",
	[INPUT_FLOW_CSV] = "flow-csv", [INPUT_NETFLOW_PCAP] = "netflow-pcap",
	[INPUT_MATRIX_CSV] = "matrix-csv",
};

int cli_parse_int(const char *name, const char *arg, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi) {
		log_err("--%s: expected a whole number from %ld to %ld, got '%s'", name, lo, hi, arg);
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
	for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
		if (strcmp(arg, format_names[i]) == 0) {
			*out = (enum input_format)i;
			return 0;
		}
	log_err("--input-format: expected auto, pcap, ids-csv, flow-csv, netflow-pcap or "
		"matrix-csv, got '%s'", arg);
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
		if (duration_parse(arg, &c->window) < 0) {
			log_err("--window: expected a duration such as 90s, 5m or 1h, got '%s'", arg);
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
		c->locations = arg;
		return 1;
	case OPT_FILTER:
		c->filter = arg;
		return 1;
	case OPT_VOCABULARY:
		return cli_parse_int("vocabulary", arg, 0, 100000, &c->vocabulary) < 0 ? EX_USAGE : 1;
	case OPT_MIN_DF:
		return cli_parse_int("min-df", arg, 1, 1000000, &c->min_df) < 0 ? EX_USAGE : 1;
	case OPT_MONITOR: c->monitor = arg; return 1;
	case OPT_INCLUDE_PORTS: c->include_ports = arg; return 1;
	case OPT_EXCLUDE_PORTS: c->exclude_ports = arg; return 1;
	case OPT_EXCLUDE_SRC: c->exclude_src = arg; return 1;
	case OPT_EXCLUDE_DST: c->exclude_dst = arg; return 1;
	case OPT_EXCLUDE_SIDS: c->exclude_sids = arg; return 1;
	default:
		return 0;
	}
}

/* Detects an input's format from its first bytes: capture magic numbers,
 * then the CSV header. */
static enum input_format sniff_format(FILE *f)
{
	unsigned char head[512] = { 0 };
	size_t n = fread(head, 1, sizeof head - 1, f);
	rewind(f);
	if (n >= 4) {
		uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
				 (uint32_t)head[2] << 8 | head[3];
		if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
		    magic == 0x4d3cb2a1 || magic == 0x0a0d0d0a)
			return INPUT_PCAP;
	}
	if (ids_csv_sniff((char *)head))
		return INPUT_IDS_CSV;
	if (flow_csv_sniff((char *)head))
		return INPUT_FLOW_CSV;
	if (matrix_csv_sniff((char *)head))
		return INPUT_MATRIX_CSV;
	return INPUT_AUTO;
}

/* Appends src's rows to dst; both must have the same feature columns. */
static int append_dataset(struct dataset *dst, const struct dataset *src, const char *path)
{
	if (src->dim != dst->dim || !!src->window_start != !!dst->window_start ||
	    !!src->src_ip != !!dst->src_ip) {
		log_err("%s: its columns differ from the first input's", path);
		return EX_DATAERR;
	}
	for (int j = 0; j < dst->dim; j++)
		if (strcmp(dst->names[j], src->names[j]) != 0) {
			log_err("%s: column '%s' where the first input has '%s'", path,
				src->names[j], dst->names[j]);
			return EX_DATAERR;
		}
	for (size_t i = 0; i < src->n; i++) {
		long row = dataset_add_row(dst);
		if (row < 0) {
			log_err("out of memory");
			return EX_OSERR;
		}
		memcpy(dst->x + (size_t)row * (size_t)dst->dim, src->x + i * (size_t)src->dim,
		       (size_t)src->dim * sizeof(float));
		dst->y[row] = src->y[i];
		if (dst->window_start)
			dst->window_start[row] = src->window_start[i];
		if (dst->src_ip)
			memcpy(dst->src_ip[row], src->src_ip[i], DATASET_ID_LEN);
	}
	return EX_OK;
}

static int load_one(const struct cli_common *c, const char *path, struct dataset *ds)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char err[512];
	int rc = EX_OK;

	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	enum input_format fmt = c->format != INPUT_AUTO ? c->format : sniff_format(f);
	switch (fmt) {
	case INPUT_MATRIX_CSV:
		if (matrix_csv_read(ds, f, path, err, sizeof err) < 0) {
			log_err("%s", err);
			rc = EX_DATAERR;
		}
		break;
	case INPUT_AUTO:
		log_err("%s: unrecognised input: not a capture file, an IDS alert CSV, a flow "
			"CSV or a feature matrix CSV (see --input-format)", path);
		rc = EX_DATAERR;
		break;
	case INPUT_PCAP:
		log_err("%s: a capture file cannot be mixed with feature matrix inputs", path);
		rc = EX_DATAERR;
		break;
	default:
		log_err("%s: %s input is not built yet in this version; pcap and matrix-csv are",
			path, format_names[fmt]);
		rc = EX_UNAVAILABLE;
		break;
	}
	if (f != stdin)
		fclose(f);
	return rc;
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

/* Settings of the file that the command line did not give. */
static void apply_config(struct cli_common *c, const struct config *f)
{
	const char **fields[] = { &c->locations, &c->monitor, &c->include_ports, &c->exclude_ports,
				  &c->exclude_src, &c->exclude_dst, &c->exclude_sids,
				  &c->known_normal, &c->known_anomaly, &c->filter };
	const char *values[] = { f->locations, f->monitor, f->include_ports, f->exclude_ports,
				 f->exclude_src, f->exclude_dst, f->exclude_sids,
				 f->known_normal, f->known_anomaly, f->bpf };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!*fields[i])
			*fields[i] = values[i];
	if (!c->window)
		c->window = f->window;
	if (!c->vocabulary)
		c->vocabulary = f->vocabulary;
	if (!c->min_df)
		c->min_df = f->min_df;
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

static int filter_option(int rc, const char *option, const char *value)
{
	if (rc < 0)
		log_err("--%s: expected %s, got '%s'", option,
			strstr(option, "ports") ? "ports and ranges such as 22,80,8000-8100"
			: strstr(option, "sids") ? "signature ids such as 2013028,2001219"
						 : "networks such as 10.0.0.0/8,2001:db8::/32", value);
	return rc < 0 ? EX_USAGE : EX_OK;
}

/* The filter of the command line, or NULL when it filters nothing. */
static int build_filter(const struct cli_common *c, struct filter **out)
{
	struct filter *f = malloc(sizeof *f);
	int rc = EX_OK;

	*out = NULL;
	if (!f)
		return EX_OSERR;
	filter_init(f);
	if (c->monitor)
		rc = filter_option(filter_add_nets(&f->monitor, c->monitor), "monitor", c->monitor);
	if (rc == EX_OK && c->exclude_src)
		rc = filter_option(filter_add_nets(&f->exclude_src, c->exclude_src), "exclude-src", c->exclude_src);
	if (rc == EX_OK && c->exclude_dst)
		rc = filter_option(filter_add_nets(&f->exclude_dst, c->exclude_dst), "exclude-dst", c->exclude_dst);
	if (rc == EX_OK && c->include_ports && (f->has_include = 1))
		rc = filter_option(filter_add_ports(f->include_port, c->include_ports), "include-ports",
				   c->include_ports);
	if (rc == EX_OK && c->exclude_ports && (f->has_exclude = 1))
		rc = filter_option(filter_add_ports(f->exclude_port, c->exclude_ports), "exclude-ports",
				   c->exclude_ports);
	if (rc == EX_OK && c->exclude_sids)
		rc = filter_option(filter_add_sids(f, c->exclude_sids), "exclude-sids", c->exclude_sids);
	if (rc == EX_OK && filter_active(f))
		*out = f;
	else
		free(f);
	return rc;
}

static int read_locations(const struct cli_common *c, struct location_table *loc)
{
	char err[512];
	location_init(loc);
	if (!c->locations)
		return EX_OK;
	FILE *f = fopen(c->locations, "r");
	if (!f) {
		log_err("%s: %s", c->locations, strerror(errno));
		return EX_NOINPUT;
	}
	int rc = location_read(loc, f, c->locations, err, sizeof err) < 0 ? EX_DATAERR : EX_OK;
	if (rc != EX_OK)
		log_err("%s", err);
	fclose(f);
	return rc;
}

int cli_counting_spec(const struct cli_common *c, struct feature_spec *spec)
{
	int rc;
	spec->window_seconds = c->window ? c->window : DEFAULT_WINDOW_SECONDS;
	spec->host_features = 1;
	if ((rc = read_locations(c, &spec->loc)) == EX_OK)
		rc = build_filter(c, &spec->filter);
	return rc;
}

/* The spec that turns samples into vectors: the model's, or a new one whose
 * vocabulary is fitted on set (returned as JSON in *fitted). */
int cli_network_spec(const struct cli_common *c, const char *spec_json, char **fitted,
		     const struct sample_set *set, struct feature_spec *spec)
{
	char err[512];
	if (spec_json) {
		if (feature_spec_from_json(spec, spec_json, err, sizeof err) < 0) {
			log_err("model: %s", err);
			return EX_DATAERR;
		}
		return EX_OK;
	}
	if (feature_spec_fit(spec, set, c->vocabulary ? (int)c->vocabulary : DEFAULT_VOCABULARY,
			     c->min_df ? (int)c->min_df : DEFAULT_MIN_DF) < 0 || !(*fitted = feature_spec_to_json(spec))) {
		log_err("out of memory");
		return EX_OSERR;
	}
	log_info("vocabulary: %d service terms", spec->n_terms);
	return EX_OK;
}

int cli_observe_hosts(struct sample_set *set)
{
	/* the input's own past: a file starts with an empty memory */
	struct baseline *b = baseline_new(DEFAULT_BASELINE_MAX_HOSTS, DEFAULT_BASELINE_HORIZON);
	if (!b) {
		log_err("out of memory");
		return EX_OSERR;
	}
	sample_set_observe(set, b);
	const struct baseline_stats *st = baseline_stats(b);
	log_info("host baselines: %" PRIu64 " sources, %" PRIu64 " forgotten to stay within %d",
		 st->hosts, st->evicted, DEFAULT_BASELINE_MAX_HOSTS);
	baseline_free(b);
	return EX_OK;
}

/* Lateness allowed to flow records read from files: an hour covers
 * exporters' usual active timeouts (softflowd 30 min, nfdump/Cisco 30 min). */

enum network_kind { NET_PACKETS, NET_EXPORT_PCAP, NET_FLOW_CSV, NET_IDS_CSV };

static void add_alert(void *ctx, const struct ids_alert *a)
{
	struct window_flow_sink *s = ctx;
	if (window_table_add_alert(s->t, a->ts, &a->src, &a->dst, a->sport, a->dport, a->sid,
				   s->emit, s->ctx) < 0)
		s->failed = 1;
}

int cli_read_record_csv(const char *path, int ids, struct window_table *t, window_emit_fn emit,
			void *ctx)
{
	struct csv_stats st;
	struct window_flow_sink sink = { t, emit, ctx, 0 };
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");

	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	int rc = ids ? ids_csv_read(f, path, add_alert, &sink, &st)
		     : flow_csv_read(f, path, window_flow_sink_add, &sink, &st);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		log_err("%s", st.first_error);
		return EX_DATAERR;
	}
	log_info("%s: %" PRIu64 " %s, %" PRIu64 " malformed rows skipped%s%s", path, st.records,
		 ids ? "alerts" : "flow records", st.malformed, st.malformed ? "; first: " : "",
		 st.first_error);
	return sink.failed ? EX_OSERR : EX_OK;
}

/* Capture files (of packets, or of flow export datagrams) or flow CSVs to
 * samples to vectors. */
static int load_network(const struct cli_common *c, char **paths, int n, const char *spec_json,
			char **fitted, struct dataset *ds, enum network_kind kind)
{
	int flows = kind != NET_PACKETS;
	struct feature_spec spec = { 0 };
	struct sample_set set = { 0 };
	struct decode_tally tally = { 0 };
	int rc = EX_OK;

	if (spec_json) { /* the model decides window, locations and filter */
		if ((rc = cli_network_spec(c, spec_json, fitted, &set, &spec)) != EX_OK)
			return rc;
		if (c->monitor || c->include_ports || c->exclude_ports || c->exclude_src ||
		    c->exclude_dst || c->exclude_sids)
			log_warn("the model's filter applies; the filter options are for training");
	} else if ((rc = cli_counting_spec(c, &spec)) != EX_OK) {
		feature_spec_free(&spec);
		return rc;
	}
	/* flow records come when flows expire, long after they started */
	struct window_table *t = window_table_new(spec.window_seconds, flows ? DEFAULT_FLOW_LATENESS : 0,
						  DEFAULT_MAX_SAMPLES, &spec.loc);
	if (!t) {
		feature_spec_free(&spec);
		return EX_OSERR;
	}
	window_table_set_filter(t, spec.filter);
	struct netflow_decoder *nf = kind == NET_EXPORT_PCAP ? netflow_new() : NULL;
	for (int i = 0; i < n && rc == EX_OK; i++)
		rc = kind >= NET_FLOW_CSV ? cli_read_record_csv(paths[i], kind == NET_IDS_CSV, t,
								sample_set_collect, &set)
					  : pcap_input_read(paths[i], c->filter, t, sample_set_collect,
							    &set, &tally, nf);
	window_table_flush(t, sample_set_collect, &set);
	if (kind < NET_FLOW_CSV)
		pcap_input_log_summary(&tally, window_table_stats(t));
	if (spec.filter)
		log_info("filter: %" PRIu64 " events not counted", window_table_stats(t)->filtered);
	if (nf)
		pcap_input_log_netflow(nf);
	netflow_free(nf);
	if (rc == EX_OK && set.n < window_table_stats(t)->samples) {
		log_err("out of memory collecting samples");
		rc = EX_OSERR;
	}
	window_table_free(t);
	if (rc == EX_OK && spec.host_features)
		rc = cli_observe_hosts(&set);
	if (rc == EX_OK && !spec_json)
		rc = cli_network_spec(c, NULL, fitted, &set, &spec);
	if (rc == EX_OK && feature_spec_dataset(&spec, &set, ds) < 0) {
		log_err("out of memory");
		rc = EX_OSERR;
	}
	if (rc == EX_OK && ds->n == 0) {
		log_err("no samples: the input holds no IP packets%s", c->filter ? " that pass the filter" : "");
		dataset_free(ds);
		rc = EX_DATAERR;
	}
	sample_set_free(&set);
	feature_spec_free(&spec);
	return rc;
}

enum input_format cli_input_format(const struct cli_common *c, const char *path)
{
	if (c->format != INPUT_AUTO)
		return c->format;
	FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "r");
	if (!f)
		return INPUT_AUTO;
	enum input_format fmt = sniff_format(f);
	fclose(f);
	return fmt;
}

/* Applies one label list file to ds; value +1 (normal) or -1 (anomaly). */
int cli_read_labels(const char *path, struct label_list *l)
{
	char err[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	int rc = labels_read(l, f, path, err, sizeof err);
	fclose(f);
	if (rc < 0)
		log_err("%s", rc == -EINVAL ? err : "out of memory");
	return rc < 0 ? (rc == -EINVAL ? EX_DATAERR : EX_OSERR) : EX_OK;
}

static int apply_label_file(const char *path, int8_t value, struct dataset *ds)
{
	struct label_list l = { 0 };
	int rc = cli_read_labels(path, &l);

	if (rc == EX_OK) {
		if (!ds->src_ip)
			log_warn("%s: the input has no src_ip column: no sample is labelled", path);
		size_t hits = labels_apply(&l, ds, value);
		log_info("%s: %zu entries label %zu sample(s) known %s", path, l.n, hits,
			 value > 0 ? "normal" : "anomaly");
	}
	labels_free(&l);
	return rc;
}

/* The label lists of the common options, the anomaly list last (it wins). */
static int apply_labels(const struct cli_common *c, struct dataset *ds)
{
	int rc = EX_OK;
	if (c->known_normal)
		rc = apply_label_file(c->known_normal, 1, ds);
	if (rc == EX_OK && c->known_anomaly)
		rc = apply_label_file(c->known_anomaly, -1, ds);
	if (rc != EX_OK)
		dataset_free(ds);
	return rc;
}

static int load_inputs(const struct cli_common *c, char **paths, int n, const char *spec_json,
		       char **fitted, struct dataset *ds);

int cli_load_inputs(const struct cli_common *c, char **paths, int n, const char *spec_json,
		    char **fitted, struct dataset *ds)
{
	int rc = load_inputs(c, paths, n, spec_json, fitted, ds);
	return rc == EX_OK ? apply_labels(c, ds) : rc;
}

static int load_inputs(const struct cli_common *c, char **paths, int n, const char *spec_json,
		       char **fitted, struct dataset *ds)
{
	int rc;

	*fitted = NULL;
	if (n < 1) {
		log_err("no INPUT given");
		return EX_USAGE;
	}
	if (c->format == INPUT_NETFLOW_PCAP)
		return load_network(c, paths, n, spec_json, fitted, ds, NET_EXPORT_PCAP);
	enum input_format fmt = cli_input_format(c, paths[0]);
	if (fmt == INPUT_PCAP)
		return load_network(c, paths, n, spec_json, fitted, ds, NET_PACKETS);
	if (fmt == INPUT_FLOW_CSV)
		return load_network(c, paths, n, spec_json, fitted, ds, NET_FLOW_CSV);
	if (fmt == INPUT_IDS_CSV)
		return load_network(c, paths, n, spec_json, fitted, ds, NET_IDS_CSV);
	if ((rc = load_one(c, paths[0], ds)) != EX_OK)
		return rc;
	for (int i = 1; i < n; i++) {
		struct dataset more;
		if ((rc = load_one(c, paths[i], &more)) != EX_OK)
			return dataset_free(ds), rc;
		rc = append_dataset(ds, &more, paths[i]);
		dataset_free(&more);
		if (rc != EX_OK)
			return dataset_free(ds), rc;
	}
	return EX_OK;
}

int cli_score_dataset(const struct model *m, const struct dataset *ds, float **values,
		      float **x, float **raw)
{
	char err[512];
	int ignored = 0, rc = vectorize_matrix(m, ds, values, &ignored, err, sizeof err);

	*x = *raw = NULL;
	if (rc < 0) {
		log_err("%s", err);
		return rc == -EINVAL ? EX_DATAERR : EX_OSERR;
	}
	if (ignored > 0)
		log_warn("%d input column(s) are not features of model %s and are ignored",
			 ignored, m->id);
	size_t len = ds->n * (size_t)m->n_features;
	*x = malloc(len * sizeof **x + 1);
	*raw = malloc(ds->n * sizeof **raw + 1);
	if (*x) {
		memcpy(*x, *values, len * sizeof **x);
		scaler_apply(&m->scaler, *x, ds->n);
	}
	if (!*x || !*raw || deepsad_score(&m->det, *x, ds->n, *raw) < 0) {
		log_err("out of memory");
		free(*values), free(*x), free(*raw);
		*values = *x = *raw = NULL;
		return EX_OSERR;
	}
	return EX_OK;
}
