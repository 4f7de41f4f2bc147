#include "capture/inputs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/defaults.h"
#include "detector/score_rows.h"
#include "detector/vectorize.h"
#include "features/feature_options.h"
#include "features/labels.h"
#include "ingest/flow_csv.h"
#include "ingest/eve.h"
#include "ingest/ids_csv.h"
#include "ingest/matrix_csv.h"
#include "ingest/zeek_conn.h"
#include "capture/file_times.h"
#include "common/log.h"
#include "capture/capture.h"

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
	if (zeek_conn_sniff((char *)head))
		return INPUT_ZEEK;
	if (eve_sniff((char *)head))
		return INPUT_EVE;
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
			path, cli_format_names[fmt]);
		rc = EX_UNAVAILABLE;
		break;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Sets the host features of set (samples in window order) from a fresh
 * memory of the sources: offline inputs are their own past. */
static int observe_hosts(struct sample_set *set)
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

int inputs_is_records(enum input_format fmt)
{
	return fmt == INPUT_FLOW_CSV || fmt == INPUT_IDS_CSV || fmt == INPUT_ZEEK ||
	       fmt == INPUT_EVE || fmt == INPUT_EVE_ALERTS;
}

/* Where a file's records go: the table, their times checked on the way. */
struct record_sink {
	struct window_flow_sink table;
	struct file_times times;
};

static void add_alert(void *ctx, const struct ids_alert *a)
{
	struct record_sink *s = ctx;
	file_times_note(&s->times, a->ts);
	if (window_table_add_alert(s->table.t, a->ts, &a->src, &a->dst, a->sport, a->dport,
				   a->sid, s->table.emit, s->table.ctx) < 0)
		s->table.failed = 1;
}

static void add_flow(void *ctx, const struct flow_record *r)
{
	struct record_sink *s = ctx;
	file_times_note(&s->times, r->start_ms / 1000);
	window_flow_sink_add(&s->table, r);
}

/* A file of records through the reader of its format into sink. */
static int read_records(FILE *f, const char *path, enum input_format fmt,
			struct record_sink *sink, struct csv_stats *st)
{
	switch (fmt) {
	case INPUT_IDS_CSV: return ids_csv_read(f, path, add_alert, sink, st);
	case INPUT_EVE_ALERTS: return eve_read_alerts(f, path, add_alert, sink, st);
	case INPUT_ZEEK: return zeek_conn_read(f, path, add_flow, sink, st);
	case INPUT_EVE: return eve_read(f, path, add_flow, sink, st);
	default: return flow_csv_read(f, path, add_flow, sink, st);
	}
}

int inputs_read_records(const char *path, enum input_format fmt, struct window_table *t,
			window_emit_fn emit, void *ctx)
{
	struct csv_stats st;
	struct record_sink sink = { .table = { t, emit, ctx, 0 } };
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");

	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	file_times_init(&sink.times, path);
	int rc = read_records(f, path, fmt, &sink, &st);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		log_err("%s", st.first_error);
		return EX_DATAERR;
	}
	if (st.records == 0 && st.malformed > 0) { /* not of this format, or of none */
		log_err("%s: nothing read as %s (%" PRIu64 " malformed rows); first: %s", path,
			cli_format_names[fmt], st.malformed, st.first_error);
		return EX_DATAERR;
	}
	log_info("%s: %" PRIu64 " %s, %" PRIu64 " malformed rows skipped%s%s", path, st.records,
		 fmt == INPUT_IDS_CSV || fmt == INPUT_EVE_ALERTS ? "alerts"
		 : fmt == INPUT_FLOW_CSV			 ? "flow records"
							 : "connections",
		 st.malformed, st.malformed ? "; first: " : "", st.first_error);
	return sink.table.failed ? EX_OSERR : EX_OK;
}

/* The sysexits code of a feature_options error, logged. */
static int options_error(int rc, const char *err, int invalid)
{
	log_err("%s", rc == -ENOMEM ? "out of memory" : err);
	return rc == -ENOMEM ? EX_OSERR : rc == -EINVAL ? invalid : EX_NOINPUT;
}

/* The spec that counts the inputs: the model's (which decides window,
 * locations and filter), or the options' counting part. */
static int counting_spec(const struct cli_common *c, const struct model *m,
			 struct feature_spec *spec)
{
	const struct feature_options *o = &c->features;
	char err[512];
	int rc;

	if (m) {
		if ((rc = vectorize_model_spec(m, spec, err, sizeof err)) < 0) {
			log_err("%s", err);
			return rc == -ENOMEM ? EX_OSERR : EX_DATAERR;
		}
		if (feature_options_filter_given(o))
			log_warn("the model's filter applies; the filter options are for training");
		return EX_OK;
	}
	spec->window_seconds = o->window ? o->window : DEFAULT_WINDOW_SECONDS;
	spec->host_features = 1;
	if ((rc = feature_options_locations(o, &spec->loc, err, sizeof err)) < 0)
		return options_error(rc, err, EX_DATAERR);
	if ((rc = feature_options_filter(o, &spec->filter, err, sizeof err)) < 0)
		return options_error(rc, err, EX_USAGE);
	return EX_OK;
}

/* Reads the inputs into set through a window table counting by spec. */
static int count_inputs(const struct cli_common *c, char **paths, int n, enum input_format fmt,
			const struct feature_spec *spec, struct sample_set *set)
{
	struct decode_tally tally = { 0 };
	int rc = EX_OK;
	/* flow records come when flows expire, long after they started */
	struct window_table *t = window_table_new(spec->window_seconds,
						  fmt != INPUT_PCAP ? DEFAULT_FLOW_LATENESS : 0,
						  DEFAULT_MAX_SAMPLES, &spec->loc);
	if (!t)
		return EX_OSERR;
	window_table_set_filter(t, spec->filter);
	struct netflow_decoder *nf = fmt == INPUT_NETFLOW_PCAP ? netflow_new(0, 0) : NULL;
	rc = inputs_read_all(c, paths, n, fmt, t, sample_set_collect, set, &tally, nf);
	if (window_table_flush(t, sample_set_collect, set) < 0 && rc == EX_OK) {
		log_err("out of memory collecting samples");
		rc = EX_OSERR;
	}
	if (!inputs_is_records(fmt))
		capture_log_summary(&tally, window_table_stats(t));
	else
		capture_log_windows(window_table_stats(t));
	if (spec->filter)
		log_info("filter: %" PRIu64 " events not counted", window_table_stats(t)->filtered);
	if (nf)
		capture_log_netflow(nf);
	netflow_free(nf);
	window_table_free(t);
	return rc;
}

/* The tunnels to take off: the options', with the [decap] ports of the
 * configuration file if one was given (read again: the options keep only
 * what they override). */
static int decap_options(const struct cli_common *c, struct decode_options *o)
{
	struct config conf;
	int rc = c->config ? cli_load_config(c->config, &conf) : EX_OK;
	if (rc != EX_OK)
		return rc;
	rc = capture_decap_options("decapsulate", c->decapsulate, c->config ? &conf : NULL, o);
	if (c->config)
		config_free(&conf);
	return rc;
}

/* EX_DATAERR, said, when the captures (paths [n]) read as flow export gave
 * no record: the first problem counter the decoder raised (in its order),
 * or that no datagram was found. */
static int netflow_read_nothing(const struct netflow_decoder *nf, const struct decode_tally *tally,
				char *const *paths, int n)
{
	const uint64_t *c = netflow_counters(nf);
	char what[64] = "";
	if (c[NF_RECORDS] > 0)
		return EX_OK;
	if (n > 1)
		snprintf(what, sizeof what, " (and %d more)", n - 1);
	if (c[NF_DATAGRAMS] == 0) {
		log_err("%s%s: no NetFlow or IPFIX record: no UDP datagram in %" PRIu64 " frames",
			paths[0], what, tally->frames);
		return EX_DATAERR;
	}
	char counted[64] = "";
	for (int i = NF_N_COUNTERS - 1; i >= NF_NO_TEMPLATE; i--) /* the first one wins */
		if (c[i] > 0 && i != NF_SEQUENCE_GAPS && i != NF_EXPORTERS_EVICTED)
			snprintf(counted, sizeof counted, "; counted: %s %" PRIu64,
				 netflow_counter_name((enum netflow_counter)i), c[i]);
	log_err("%s%s: no NetFlow or IPFIX record in %" PRIu64 " datagrams%s", paths[0], what,
		c[NF_DATAGRAMS], counted);
	return EX_DATAERR;
}

int inputs_read_all(const struct cli_common *c, char *const *paths, int n, enum input_format fmt,
		    struct window_table *t, window_emit_fn emit, void *ctx,
		    struct decode_tally *tally, struct netflow_decoder *nf)
{
	struct capture_options o = { .bpf = c->filter };
	int rc = EX_OK;
	if (!inputs_is_records(fmt)) {
		if ((rc = decap_options(c, &o.decap)) == EX_OK)
			rc = capture_read((const char *const *)paths, n, &o, t, emit, ctx, tally,
					  nf);
		return rc == EX_OK && nf ? netflow_read_nothing(nf, tally, paths, n) : rc;
	}
	for (int i = 0; i < n && rc == EX_OK; i++)
		rc = inputs_read_records(paths[i], fmt, t, emit, ctx);
	return rc;
}

/* Capture files (of packets, or of flow export datagrams) or record CSVs
 * to samples to vectors. */
static int load_network(const struct cli_common *c, char **paths, int n, const struct model *m,
			char **fitted, struct dataset *ds, enum input_format fmt)
{
	struct feature_spec spec = { 0 };
	struct sample_set set = { 0 };
	int rc = counting_spec(c, m, &spec);

	if (rc == EX_OK)
		rc = count_inputs(c, paths, n, fmt, &spec, &set);
	if (rc == EX_OK && spec.host_features)
		rc = observe_hosts(&set);
	if (rc == EX_OK && !m) {
		if (feature_options_fit(&c->features, &spec, &set, fitted) < 0) {
			log_err("out of memory");
			rc = EX_OSERR;
		} else {
			log_info("vocabulary: %d service terms", spec.n_terms);
		}
	}
	if (rc == EX_OK && feature_spec_dataset(&spec, &set, ds) < 0) {
		log_err("out of memory");
		rc = EX_OSERR;
	}
	if (rc == EX_OK && ds->n == 0) {
		log_err("no samples: the input holds no IP packets%s",
			c->filter ? " that pass the filter" : "");
		dataset_free(ds);
		rc = EX_DATAERR;
	}
	sample_set_free(&set);
	feature_spec_free(&spec);
	return rc;
}

enum input_format inputs_format(const struct cli_common *c, const char *path)
{
	if (c->format != INPUT_AUTO)
		return c->format;
	FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "r");
	if (!f)
		return INPUT_AUTO;
	enum input_format fmt = sniff_format(f);
	fclose(f);
	if (fmt != INPUT_AUTO)
		log_info("%s: read as %s (detected; --input-format chooses another)", path,
			 cli_format_names[fmt]);
	return fmt;
}

static int apply_label_file(const char *path, int8_t value, struct dataset *ds)
{
	struct label_list l = { 0 };
	char err[512];
	int rc = labels_read_file(&l, path, err, sizeof err);

	if (rc < 0)
		log_err("%s", rc == -ENOMEM ? "out of memory" : err);
	if (rc == 0) {
		if (!ds->src_ip)
			log_warn("%s: the input has no src_ip column: no sample is labelled", path);
		size_t hits = labels_apply(&l, ds, value);
		log_info("%s: %zu entries label %zu sample(s) known %s", path, l.n, hits,
			 value > 0 ? "normal" : "anomaly");
	}
	labels_free(&l);
	return rc == 0 ? EX_OK : rc == -ENOMEM ? EX_OSERR : rc == -EINVAL ? EX_DATAERR : EX_NOINPUT;
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

static int load_inputs(const struct cli_common *c, char **paths, int n, const struct model *m,
		       char **fitted, struct dataset *ds)
{
	int rc;

	*fitted = NULL;
	if (n < 1) {
		log_err("no INPUT given");
		return EX_USAGE;
	}
	enum input_format fmt = inputs_format(c, paths[0]);
	if (fmt == INPUT_PCAP || fmt == INPUT_NETFLOW_PCAP || inputs_is_records(fmt))
		return load_network(c, paths, n, m, fitted, ds, fmt);
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

int inputs_load(const struct cli_common *c, char **paths, int n, const struct model *m,
		char **fitted, struct dataset *ds)
{
	int rc = load_inputs(c, paths, n, m, fitted, ds);
	return rc == EX_OK ? apply_labels(c, ds) : rc;
}

int inputs_score(const struct model *m, const struct dataset *ds, float **values, float **x,
		 float **raw, uint8_t **side)
{
	char err[512];
	int ignored = 0, rc = score_rows(m, ds, values, x, raw, side, &ignored, err, sizeof err);

	if (ignored > 0)
		log_warn("%d input column(s) are not features of model %s and are ignored",
			 ignored, m->id);
	if (rc < 0)
		log_err("%s", err);
	return rc == 0 ? EX_OK : rc == -EINVAL ? EX_DATAERR : EX_OSERR;
}

int inputs_load_model(const char *path, struct model **m)
{
	char err[512];
	/* model_load's message says why, but not whether the file was there */
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_err("%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	close(fd);
	if (!(*m = model_load(path, err, sizeof err))) {
		log_err("%s", err);
		return EX_DATAERR;
	}
	return EX_OK;
}
