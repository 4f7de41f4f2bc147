#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "base/defaults.h"
#include "base/duration.h"

enum key_type {
	KEY_STRING,
	KEY_LIST,      /* a repeatable string: char *[CONFIG_MAX_LIST] then an int count */
	KEY_UINT,      /* uint32_t in [lo, hi] */
	KEY_SIZE,      /* uint64_t bytes: a number with an optional K, M or G (powers of 1024) */
	KEY_DOUBLE,    /* double in [lo, hi] */
	KEY_DURATION,  /* uint32_t seconds ("90s", "5m", "1h", "0"), at least lo */
	KEY_MILLIS,    /* uint32_t milliseconds: a duration, or "250ms" */
	KEY_LATENESS,  /* int64_t: "auto" (-1) or a duration */
	KEY_LOG_LEVEL, /* int: a syslog priority by name */
	KEY_ROLE,      /* int: single, sensor or scorer (enum config_role) */
};

struct key {
	const char *section, *name;
	enum key_type type;
	size_t offset, count_offset; /* count_offset: KEY_LIST only */
	double lo, hi;
};

#define F(field) offsetof(struct config, field)
#define STR(s, n, field) { s, n, KEY_STRING, F(field), 0, 0, 0 }
#define NUM(s, n, type, field, lo, hi) { s, n, type, F(field), 0, lo, hi }

static const struct key keys[] = {
	{ "capture", "interface", KEY_LIST, F(interfaces), F(n_interfaces), 0, 0 },
	STR("capture", "filter", bpf),
	STR("capture", "decapsulate", decapsulate),
	NUM("capture", "buffer", KEY_SIZE, pcap_buffer, 1 << 16, 1ull << 32),
	NUM("capture", "snaplen", KEY_UINT, snaplen, 64, 262144),
	NUM("capture", "workers", KEY_UINT, capture_workers, 0, CONFIG_MAX_WORKERS),
	STR("decap", "vxlan_ports", vxlan_ports),
	STR("decap", "geneve_ports", geneve_ports),
	{ "netflow", "listen", KEY_LIST, F(listen), F(n_listen), 0, 0 },
	{ "files", "follow", KEY_LIST, F(follow), F(n_follow), 0, 0 },
	STR("files", "positions", follow_positions),
	STR("netflow", "exporters", exporters),
	NUM("netflow", "rcvbuf", KEY_SIZE, udp_rcvbuf, 1 << 16, 1ull << 31),
	NUM("netflow", "max_exporters", KEY_UINT, nf_max_exporters, 1, NETFLOW_BOUND_MAX),
	NUM("netflow", "max_templates", KEY_UINT, nf_max_templates, 1, NETFLOW_BOUND_MAX),
	NUM("window", "length", KEY_DURATION, window, 0, DURATION_MAX_SECONDS),
	NUM("window", "lateness", KEY_LATENESS, lateness, 0, DURATION_MAX_SECONDS),
	NUM("window", "max_samples", KEY_SIZE, max_samples, 1, 1ull << 32),
	STR("features", "locations", locations),
	NUM("features", "vocabulary", KEY_UINT, vocabulary, 0, 100000),
	NUM("features", "min_df", KEY_UINT, min_df, 1, 1000000),
	STR("features", "monitor", monitor),
	STR("features", "include_ports", include_ports),
	STR("features", "exclude_ports", exclude_ports),
	STR("features", "exclude_src", exclude_src),
	STR("features", "exclude_dst", exclude_dst),
	STR("features", "exclude_sids", exclude_sids),
	STR("model", "path", model),
	NUM("alerts", "top_n", KEY_UINT, top_n, 1, 1000000),
	NUM("alerts", "min_score", KEY_DOUBLE, min_score, -1e9, 1e9),
	NUM("alerts", "suppress", KEY_DURATION, suppress, 0, DURATION_MAX_SECONDS),
	NUM("alerts", "explain_k", KEY_UINT, explain_k, 0, 1000),
	NUM("alerts", "explain_nsamples", KEY_UINT, explain_nsamples, 1, 100000),
	STR("alerts", "observer", observer),
	STR("redis", "address", redis),
	STR("redis", "password_file", redis_password_file),
	STR("redis", "stream", stream),
	NUM("redis", "maxlen", KEY_SIZE, maxlen, 0, 1ull << 40),
	NUM("redis", "connect_timeout", KEY_MILLIS, connect_timeout_ms, 1, 600000),
	NUM("redis", "command_timeout", KEY_MILLIS, command_timeout_ms, 1, 600000),
	STR("jsonl", "path", jsonl),
	STR("spool", "dir", spool_dir),
	NUM("spool", "max_bytes", KEY_SIZE, spool_max_bytes, 4096, 1ull << 40),
	STR("retrain", "history_dir", history_dir),
	NUM("retrain", "interval", KEY_DURATION, retrain_interval, 0, DURATION_MAX_SECONDS),
	NUM("retrain", "history_retention", KEY_DURATION, history_retention, 1,
	    DURATION_MAX_SECONDS),
	NUM("retrain", "min_windows", KEY_UINT, min_windows, 1, 1000000),
	NUM("retrain", "samples", KEY_SIZE, train_samples, 100, 100000000),
	NUM("retrain", "epochs", KEY_UINT, train_epochs, 1, 100000),
	NUM("retrain", "lr", KEY_DOUBLE, train_lr, 1e-9, 1e30),
	NUM("retrain", "eta", KEY_DOUBLE, train_eta, 1e-3, 1e6),
	NUM("retrain", "alert_quantile", KEY_DOUBLE, train_alert_quantile, 0.5, 1),
	NUM("retrain", "trim", KEY_DOUBLE, train_trim, 0, 0.5),
	STR("retrain", "known_normal", known_normal),
	STR("retrain", "known_anomaly", known_anomaly),
	STR("retrain", "feedback_stream", feedback_stream),
	STR("baseline", "state", baseline_state),
	NUM("baseline", "max_hosts", KEY_SIZE, baseline_max_hosts, 1, 100000000),
	NUM("baseline", "horizon", KEY_DURATION, baseline_horizon, 2, DURATION_MAX_SECONDS),
	STR("metrics", "listen", metrics_listen),
	NUM("daemon", "log_level", KEY_LOG_LEVEL, log_level, 0, 0),
	STR("daemon", "user", user),
	NUM("role", "mode", KEY_ROLE, role, 0, 0),
	STR("role", "name", role_name),
	STR("role", "home", role_home),
	STR("role", "sensors", role_sensors),
	NUM("role", "partitions", KEY_UINT, partitions, 1, 4096),
	STR("role", "prefix", parts_prefix),
	NUM("role", "deadline", KEY_DURATION, merge_deadline, 1, DURATION_MAX_SECONDS),
};

const char *const config_role_names[3] = { "single", "sensor", "scorer" };

void config_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->pcap_buffer = 64u << 20;
	c->snaplen = 256;
	c->udp_rcvbuf = 8u << 20;
	c->nf_max_exporters = DEFAULT_NETFLOW_EXPORTERS;
	c->nf_max_templates = DEFAULT_NETFLOW_TEMPLATES;
	c->lateness = -1;
	c->max_samples = DEFAULT_MAX_SAMPLES;
	c->vocabulary = DEFAULT_VOCABULARY;
	c->min_df = DEFAULT_MIN_DF;
	c->top_n = DEFAULT_TOP_N;
	c->min_score = DEFAULT_MIN_SCORE;
	c->suppress = DEFAULT_SUPPRESS_SECONDS;
	c->explain_k = DEFAULT_EXPLAIN_K;
	c->explain_nsamples = DEFAULT_EXPLAIN_NSAMPLES;
	c->maxlen = 100000;
	c->connect_timeout_ms = 2000;
	c->command_timeout_ms = 5000;
	c->spool_max_bytes = 64u << 20;
	c->retrain_interval = 86400;
	c->history_retention = 30 * 86400;
	c->min_windows = 24;
	c->train_samples = 200000;
	c->train_epochs = 50;
	c->train_lr = 1e-4;
	c->train_eta = 10;
	c->train_alert_quantile = DEFAULT_ALERT_QUANTILE;
	c->train_trim = DEFAULT_TRIM;
	c->baseline_max_hosts = DEFAULT_BASELINE_MAX_HOSTS;
	c->baseline_horizon = DEFAULT_BASELINE_HORIZON;
	c->log_level = LOG_INFO;
	config_set_string(&c->stream, "flowsad:alerts");
	config_set_string(&c->feedback_stream, "flowsad:feedback");
	config_set_string(&c->parts_prefix, "flowsad:parts");
	c->partitions = 16;
	c->merge_deadline = 30;
}

int config_set_string(char **field, const char *value)
{
	char *copy = value ? strdup(value) : NULL;
	if (value && !copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* The keys of a [unit NAME] section: the filter keys of [features]. */
static const struct {
	const char *name;
	size_t offset;
} unit_keys[] = {
	{ "monitor", offsetof(struct config_unit, monitor) },
	{ "include_ports", offsetof(struct config_unit, include_ports) },
	{ "exclude_ports", offsetof(struct config_unit, exclude_ports) },
	{ "exclude_src", offsetof(struct config_unit, exclude_src) },
	{ "exclude_dst", offsetof(struct config_unit, exclude_dst) },
	{ "exclude_sids", offsetof(struct config_unit, exclude_sids) },
};

static void free_unit(struct config_unit *u)
{
	free(u->name);
	for (size_t i = 0; i < sizeof unit_keys / sizeof unit_keys[0]; i++)
		free(*(char **)((char *)u + unit_keys[i].offset));
}

void config_free(struct config *c)
{
	for (int i = 0; i < c->n_units; i++)
		free_unit(&c->units[i]);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *base = (char *)c + keys[i].offset;
		if (keys[i].type == KEY_STRING) {
			free(*(char **)base);
		} else if (keys[i].type == KEY_LIST) {
			int n = *(int *)((char *)c + keys[i].count_offset);
			for (int j = 0; j < n; j++)
				free(((char **)base)[j]);
		}
	}
	memset(c, 0, sizeof *c);
}

uint32_t config_lateness(const struct config *c)
{
	if (c->lateness >= 0)
		return (uint32_t)c->lateness;
	return c->n_listen || c->n_follow ? DEFAULT_FLOW_LATENESS : DEFAULT_LIVE_LATENESS;
}

/* Bytes with an optional binary suffix: "65536", "64K", "8M", "1G". */
static int parse_size(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	int shift = 0;
	if (end == v || errno || *v == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end != '\0' || n > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

static int parse_log_level(const char *v, int *out)
{
	static const struct { const char *name; int level; } levels[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcasecmp(v, levels[i].name) == 0)
			return *out = levels[i].level, 0;
	return -1;
}

/* A size the way the file may write it: "64K", "4G", "4096". */
static void format_size(uint64_t n, char *buf, size_t len)
{
	static const char units[] = "GMK";
	for (int i = 0; i < 3; i++) {
		uint64_t unit = 1ull << (10 * (3 - i));
		if (n >= unit && n % unit == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(n / unit), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)n);
}

/* Milliseconds the way the file may write them: "250ms", "10m". */
static void format_millis(uint32_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		duration_format(ms / 1000, buf, len);
	else
		snprintf(buf, len, "%ums", ms);
}

/* What a value of numeric key k must be, with its range, into buf. */
static const char *expected_range(const struct key *k, char *buf, size_t len)
{
	char lo[32], hi[32];

	switch (k->type) {
	case KEY_UINT:
		snprintf(buf, len, "a whole number from %.0f to %.0f", k->lo, k->hi);
		break;
	case KEY_SIZE:
		format_size((uint64_t)k->lo, lo, sizeof lo);
		format_size((uint64_t)k->hi, hi, sizeof hi);
		snprintf(buf, len, "a size from %s to %s (bytes, or with K, M or G)", lo, hi);
		break;
	case KEY_DOUBLE:
		snprintf(buf, len, "a number from %g to %g", k->lo, k->hi);
		break;
	case KEY_DURATION:
		duration_format((uint32_t)k->lo, lo, sizeof lo);
		duration_format((uint32_t)k->hi, hi, sizeof hi);
		snprintf(buf, len, "a duration from %s to %s, such as 90s, 5m, 1h or 1d", lo, hi);
		break;
	case KEY_MILLIS:
		format_millis((uint32_t)k->lo, lo, sizeof lo);
		format_millis((uint32_t)k->hi, hi, sizeof hi);
		snprintf(buf, len, "a duration from %s to %s, such as 500ms or 2s", lo, hi);
		break;
	default:
		snprintf(buf, len, "a value of its kind");
	}
	return buf;
}

/* A value of key k into its field; NULL when good, else what was expected
 * (a constant, or msg filled in). */
static const char *set_value(struct config *c, const struct key *k, const char *v, char *msg,
			     size_t msg_len)
{
	void *field = (char *)c + k->offset;
	uint32_t secs;
	uint64_t size;
	char *end;

	switch (k->type) {
	case KEY_STRING:
		if (!*v)
			return "a value";
		return config_set_string(field, v) < 0 ? "memory" : NULL;
	case KEY_LIST: {
		int *n = (int *)((char *)c + k->count_offset);
		if (!*v)
			return "a value";
		if (*n == CONFIG_MAX_LIST)
			return "at most 16 of these";
		((char **)field)[*n] = NULL;
		if (config_set_string(&((char **)field)[*n], v) < 0)
			return "memory";
		++*n;
		return NULL;
	}
	case KEY_UINT: {
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (end == v || *end || errno || *v == '-' || n < k->lo || n > k->hi)
			return expected_range(k, msg, msg_len);
		*(uint32_t *)field = (uint32_t)n;
		return NULL;
	}
	case KEY_SIZE:
		if (parse_size(v, &size) < 0 || size < k->lo || size > k->hi)
			return expected_range(k, msg, msg_len);
		*(uint64_t *)field = size;
		return NULL;
	case KEY_DOUBLE: {
		double d = strtod(v, &end);
		if (end == v || *end || !isfinite(d) || d < k->lo || d > k->hi)
			return expected_range(k, msg, msg_len);
		*(double *)field = d;
		return NULL;
	}
	case KEY_DURATION:
		if (duration_parse(v, &secs) != 0 || secs < k->lo)
			return expected_range(k, msg, msg_len);
		*(uint32_t *)field = secs;
		return NULL;
	case KEY_MILLIS: {
		size_t len = strlen(v);
		unsigned long ms;
		if (len > 2 && strcmp(v + len - 2, "ms") == 0) {
			errno = 0;
			ms = strtoul(v, &end, 10);
			if (end != v + len - 2 || errno || *v == '-')
				return expected_range(k, msg, msg_len);
		} else if (duration_parse(v, &secs) == 0) {
			ms = secs * 1000ul;
		} else {
			return expected_range(k, msg, msg_len);
		}
		if (ms < k->lo || ms > k->hi)
			return expected_range(k, msg, msg_len);
		*(uint32_t *)field = (uint32_t)ms;
		return NULL;
	}
	case KEY_LATENESS:
		if (strcmp(v, "auto") == 0) {
			*(int64_t *)field = -1;
			return NULL;
		}
		if (duration_parse(v, &secs) != 0)
			return "auto or a duration such as 0, 5s or 1h";
		*(int64_t *)field = secs;
		return NULL;
	case KEY_LOG_LEVEL:
		return parse_log_level(v, field) < 0 ? "one of err, warning, notice, info, debug"
						      : NULL;
	case KEY_ROLE:
		for (int i = 0; i < 3; i++)
			if (strcmp(v, config_role_names[i]) == 0) {
				*(int *)field = i;
				return NULL;
			}
		return "one of single, sensor, scorer";
	}
	return "a known type";
}

/* inih reports no line numbers to handlers: this reader counts them. */
struct reading {
	struct config *c;
	FILE *in, *err;
	const char *name;
	int line, errors;
};

static struct config_unit *unit_of(struct reading *r, const char *section, int quiet);

/* A "[unit NAME]" header: the unit exists even without keys (inih calls no
 * handler for a section header). */
static void note_unit_header(struct reading *r, const char *line)
{
	char section[256];
	const char *end;
	while (isspace((unsigned char)*line))
		line++;
	if (strncmp(line, "[unit ", 6) != 0 || !(end = strchr(line, ']')) ||
	    (size_t)(end - line - 1) >= sizeof section)
		return;
	memcpy(section, line + 1, (size_t)(end - line - 1));
	section[end - line - 1] = '\0';
	unit_of(r, section, 0);
}

static char *read_line(char *buf, int size, void *stream)
{
	struct reading *r = stream;
	char *s = fgets(buf, size, r->in);
	r->line += s != NULL;
	if (s)
		note_unit_header(r, s);
	return s;
}

__attribute__((format(printf, 2, 3))) static void report(struct reading *r, const char *fmt,
							  ...)
{
	va_list ap;
	if (r->errors++ < CONFIG_MAX_ERRORS && r->err) {
		fprintf(r->err, "%s:%d: ", r->name, r->line);
		va_start(ap, fmt);
		vfprintf(r->err, fmt, ap);
		va_end(ap);
		fputc('\n', r->err);
	}
}

static int unit_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= CONFIG_UNIT_NAME_MAX || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return 0;
	return 1;
}

/* The unit of section "unit NAME", made at its first mention; NULL when
 * there is none (why is reported unless quiet: once, at the header). */
static struct config_unit *unit_of(struct reading *r, const char *section, int quiet)
{
	const char *name = section + 5;
	struct config *c = r->c;
	for (int i = 0; i < c->n_units; i++)
		if (strcmp(c->units[i].name, name) == 0)
			return &c->units[i];
	if (!unit_name_valid(name)) {
		if (!quiet)
			report(r,
			       "[unit %s]: expected a name of letters, digits, '-', '_' and '.'%s",
			       name, "");
		return NULL;
	}
	if (c->n_units == CONFIG_MAX_UNITS) {
		if (!quiet)
			report(r, "[unit %s]: at most 64 units%s", name, "");
		return NULL;
	}
	struct config_unit *u = &c->units[c->n_units];
	memset(u, 0, sizeof *u);
	if (!(u->name = strdup(name)))
		return NULL;
	c->n_units++;
	return u;
}

static void on_unit_key(struct reading *r, const char *section, const char *name,
			const char *value)
{
	struct config_unit *u = unit_of(r, section, 1);
	if (!u || !name)
		return;
	for (size_t i = 0; i < sizeof unit_keys / sizeof unit_keys[0]; i++) {
		if (strcmp(unit_keys[i].name, name) != 0)
			continue;
		if (!*value)
			report(r, "%s: expected %s", name, "a value");
		else if (config_set_string((char **)((char *)u + unit_keys[i].offset), value) < 0)
			report(r, "%s: expected %s", name, "memory");
		return;
	}
	report(r, "unknown key '%s' in [%s] (a unit takes the filter keys of [features])", name,
	       section);
}

#define NAME_MAX_EDIT 32 /* longer names are never suggested */

/* Levenshtein distance of two names; SIZE_MAX when one is too long. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[NAME_MAX_EDIT + 1];

	if (la > NAME_MAX_EDIT || lb > NAME_MAX_EDIT)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Near enough to be a misspelling: two edits, fewer than the name's length. */
static int is_near(const char *typed, const char *known)
{
	size_t d = edit_distance(typed, known);
	return d <= 2 && d < strlen(typed);
}

/* A hint for an unknown key of a known section: the nearest key of that
 * section, else the section that has a key of that name; "" when none. */
static void suggest_key(const char *section, const char *name, char *buf, size_t len)
{
	size_t best = SIZE_MAX;

	*buf = '\0';
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t d = edit_distance(name, keys[i].name);
		int same_section = strcmp(keys[i].section, section) == 0;
		if (same_section && d < best && is_near(name, keys[i].name)) {
			best = d;
			snprintf(buf, len, " (did you mean '%s'?)", keys[i].name);
		}
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && best == SIZE_MAX; i++)
		if (strcmp(keys[i].name, name) == 0) {
			snprintf(buf, len, " (did you mean [%s] %s?)", keys[i].section, name);
			best = 0;
		}
}

/* A hint for an unknown section: the nearest known one; "" when none. */
static void suggest_section(const char *section, char *buf, size_t len)
{
	size_t best = SIZE_MAX;

	*buf = '\0';
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t d = edit_distance(section, keys[i].section);
		if (d < best && is_near(section, keys[i].section)) {
			best = d;
			snprintf(buf, len, "; did you mean [%s]?", keys[i].section);
		}
	}
}

/* One key = value of a fixed section. */
static void on_setting(struct reading *r, const char *section, const char *name,
		       const char *value)
{
	int section_known = 0;
	char msg[160];

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		section_known = 1;
		if (strcmp(keys[i].name, name) != 0)
			continue;
		const char *expected = set_value(r->c, &keys[i], value, msg, sizeof msg);
		if (expected)
			report(r, "%s: expected %s", name, expected);
		return;
	}
	if (!*section) {
		report(r, "%s: a key outside any section (expected a [section] first)", name);
	} else if (section_known) {
		suggest_key(section, name, msg, sizeof msg);
		report(r, "unknown key '%s' in [%s]%s", name, section, msg);
	} else {
		suggest_section(section, msg, sizeof msg);
		report(r, "unknown section [%s] (key '%s'%s)", section, name, msg);
	}
}

/* The value without a comment: a '#' at its start or after a space or tab
 * starts one (inih itself takes ';' there, '#' only at a line's start).
 * A copy, NULL when out of memory. */
static char *without_comment(const char *value)
{
	char *v = strdup(value), *end;

	if (!v)
		return NULL;
	for (char *p = v; *p; p++)
		if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
		end[-1] = '\0';
	return v;
}

static int on_key(void *user, const char *section, const char *name, const char *raw)
{
	struct reading *r = user;

	if (!name) { /* a section header alone */
		if (strncmp(section, "unit ", 5) == 0)
			unit_of(r, section, 1);
		return 1;
	}
	char *value = without_comment(raw);
	if (!value)
		report(r, "%s: expected %s", name, "memory");
	else if (strncmp(section, "unit ", 5) == 0)
		on_unit_key(r, section, name, value);
	else
		on_setting(r, section, name, value);
	free(value);
	return 1; /* keep going: every error is reported */
}

int config_read(struct config *c, FILE *f, const char *name, FILE *err)
{
	struct reading r = { c, f, err, name, 0, 0 };
	int rc = ini_parse_stream(read_line, &r, on_key, &r);

	if (rc > 0 && r.errors == 0) { /* a syntax error inih found itself */
		r.line = rc;
		report(&r, "expected 'key = value' or a [section]%s%s", "", "");
	} else if (rc < 0) {
		report(&r, "cannot read the file%s%s", "", "");
	}
	if (r.errors > CONFIG_MAX_ERRORS && err)
		fprintf(err, "%s: %d more errors\n", name, r.errors - CONFIG_MAX_ERRORS);
	return r.errors;
}
