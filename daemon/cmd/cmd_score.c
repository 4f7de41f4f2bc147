/* flowsad score: one row per sample with its scaled and raw anomaly score. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/cli.h"
#include "capture/inputs.h"
#include "cmd/commands.h"
#include "base/isotime.h"
#include "common/log.h"
#include "detector/model.h"

enum { OPT_FORMAT = OPT_FIRST_COMMAND_OPTION };

static void print_ids(const struct dataset *ds, size_t i)
{
	char when[ISOTIME_LEN];
	if (ds->window_start || ds->src_ip)
		printf("%s,%s,", ds->window_start ? isotime_format(ds->window_start[i], when) : "",
		       ds->src_ip ? ds->src_ip[i] : "");
	else
		printf("%zu,", i + 1);
}

static void print_csv(const struct dataset *ds, const struct model *m, const float *raw)
{
	puts(ds->window_start || ds->src_ip ? "window_start,src_ip,score,raw_score"
					    : "row,score,raw_score");
	for (size_t i = 0; i < ds->n; i++) {
		print_ids(ds, i);
		printf("%.6f,%.9g\n", deepsad_scaled(&m->det, raw[i]), raw[i]);
	}
}

static void print_jsonl(const struct dataset *ds, const struct model *m, const float *raw)
{
	char when[ISOTIME_LEN];
	for (size_t i = 0; i < ds->n; i++) {
		json_t *o = json_pack("{s:f, s:f}", "score", deepsad_scaled(&m->det, raw[i]),
				      "raw_score", (double)raw[i]);
		if (ds->window_start)
			json_object_set_new(o, "window_start",
					    json_string(isotime_format(ds->window_start[i], when)));
		if (ds->src_ip)
			json_object_set_new(o, "src_ip", json_string(ds->src_ip[i]));
		if (!ds->window_start && !ds->src_ip)
			json_object_set_new(o, "row", json_integer((json_int_t)i + 1));
		char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
		if (line)
			puts(line);
		free(line);
		json_decref(o);
	}
}

int cmd_score(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "model", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { 0 };
	const char *model_path = NULL;
	int jsonl = 0, opt, rc;

	while ((opt = getopt_long(argc, argv, "c:m:", longopts, NULL)) != -1) {
		if ((rc = cli_common_option(&common, opt, optarg)) == 1)
			continue;
		if (rc != 0 || opt == '?')
			return EX_USAGE;
		if (opt == 'm') {
			model_path = optarg;
		} else if (strcmp(optarg, "csv") == 0 || strcmp(optarg, "jsonl") == 0) {
			jsonl = optarg[0] == 'j';
		} else {
			log_err("--format: expected csv or jsonl, got '%s'", optarg);
			return EX_USAGE;
		}
	}
	if (!model_path) {
		log_err("score: -m MODEL is required");
		return EX_USAGE;
	}
	if ((rc = cli_apply_common(&common)) != EX_OK)
		return rc;
	struct model *m;
	if ((rc = inputs_load_model(model_path, &m)) != EX_OK)
		return rc;
	struct dataset ds;
	float *values = NULL, *x = NULL, *raw = NULL;
	char *unused = NULL; /* a matrix model given capture input: no spec to fit */
	rc = inputs_load(&common, argv + optind, argc - optind, m, &unused, &ds);
	free(unused);
	if (rc != EX_OK) {
		model_free(m);
		return rc;
	}
	rc = inputs_score(m, &ds, &values, &x, &raw, NULL);
	if (rc == EX_OK) {
		if (jsonl)
			print_jsonl(&ds, m, raw);
		else
			print_csv(&ds, m, raw);
		if (fflush(stdout) != 0) {
			log_err("stdout: write error");
			rc = EX_IOERR;
		}
	}
	free(values);
	free(x);
	free(raw);
	dataset_free(&ds);
	model_free(m);
	return rc;
}
