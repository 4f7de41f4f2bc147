/* flowsad: one binary with subcommands (flowsad(8)): a table of them. */
#include "cmd/commands.h"
#include "common/cli.h"
#include "common/log.h"
#include "base/defaults.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* A default from base/defaults.h as text, for the help. */
#define TEXT(x) TEXT_(x)
#define TEXT_(x) #x

/* The options of every command that reads traffic; --input-format's list
 * is printed from cli_format_names, so that no format is left out. */
#define INPUT_USAGE_HEAD \
	"  -c, --config FILE         configuration file (flowsad.conf(5)); options win\n" \
	"      --window DURATION     window length: 90s, 5m, 1h (1h; scoring: the model's)\n"
#define INPUT_USAGE_TAIL \
	"      --filter BPF          capture filter for capture input (none)\n" \
	"      --decapsulate LIST    tunnels taken off: ipip, gre, erspan, vxlan, vxlan-gpe,\n" \
	"                            geneve, teredo, all or none (ipip,gre,erspan,vxlan,geneve)\n" \
	"      --known-normal FILE   samples known normal (window_start,src_ip | src_ip | CIDR)\n" \
	"      --known-anomaly FILE  samples labelled anomalous (same forms)\n" \
	"      --seed N              random seed (1; detect: the model's)\n" \
	"      --threads N           BLAS threads (OpenBLAS's choice)\n"
#define HELP_USAGE \
	"  -h, --help                this text\n" \
	"      --version             print the version\n"

/* What training fits and keeps in the model (the daemon's cold start too). */
#define FEATURE_USAGE \
	"      --locations FILE      CIDR,name location table (none)\n" \
	"      --vocabulary N        service terms kept (" TEXT(DEFAULT_VOCABULARY) ")\n" \
	"      --min-df N            samples a service term must appear in (" \
	TEXT(DEFAULT_MIN_DF) ")\n" \
	"      --monitor NETS, --include-ports P, --exclude-ports P, --exclude-src NETS,\n" \
	"      --exclude-dst NETS, --exclude-sids SIDS   the detection unit (all traffic)\n"

#define TRAIN_OPTIONS \
	"  -o, --output MODEL        the model file to write (required)\n" \
	"      --hidden W,W,...      encoder widths (128,128,64,64,32)\n" \
	"      --epochs-pretrain N, --epochs N   autoencoder and Deep SAD epochs (10, 20)\n" \
	"      --lr X, --lr-milestone N   learning rate (1e-4), epoch of its drop x0.1 (none)\n" \
	"      --batch-size N, --eta X, --lam X   mini-batch (64), label weight (1), L2 (1e-6)\n" \
	"      --scaling zscore|minmax|maxabs|none   per-feature scaling (zscore)\n" \
	"      --batchnorm, --init he-normal|uniform   the Deep SAD authors' network options\n" \
	"      --background N        rows kept for explanations (" TEXT(DEFAULT_BACKGROUND) ")\n" \
	"      --alert-quantile Q    the model's alert threshold: this quantile of its training\n" \
	"                            scores (" TEXT(DEFAULT_ALERT_QUANTILE) ")\n" \
	"      --trim F              robust pass: leave out rows far more anomalous, at most\n" \
	"                            F (" TEXT(DEFAULT_TRIM) " for traffic, 0 for a matrix);\n" \
	"                            train again\n" \
	"      --quiet               no line per epoch\n"

#define RUN_OPTIONS \
	"  -i, --interface IFACE     capture live on IFACE; repeatable ([capture] interface)\n" \
	"  -r, --read FILE           replay FILE (a capture or a log), then exit; repeatable,\n" \
	"                            captures merged by time\n" \
	"  -m, --model MODEL         the model file ([model] path)\n" \
	"      --redis ADDRESS       alerts to Redis: HOST[:PORT] (port 6379), [IPV6][:PORT] or\n" \
	"                            a unix socket's path ([redis] address; none)\n" \
	"      --stream KEY          the Redis stream ([redis] stream; flowsad:alerts)\n" \
	"      --jsonl FILE|-        alerts as JSON lines ([jsonl] path; none)\n" \
	"      --spool DIR           alerts Redis has not taken yet ([spool] dir; the state\n" \
	"                            folder's spool/)\n" \
	"      --samples FILE|-      each closed window's samples, as aggregate prints (none)\n" \
	"      --replay-pps N        replay at most N packets a second (as fast as it reads)\n"

#define SCORE_OPTIONS \
	"  -m, --model MODEL         the model file (required)\n" \
	"      --format csv|jsonl    the rows' format (csv)\n"

#define DETECT_OPTIONS \
	"  -m, --model MODEL         the model file; with [unit] sections, their folder\n" \
	"                            (required)\n" \
	"  -n, --top N               anomalies a window at most (" TEXT(DEFAULT_TOP_N) ")\n" \
	"  -k, --shap-top-k K        features named an anomaly (" TEXT(DEFAULT_EXPLAIN_K) ")\n" \
	"  -o, --output-dir DIR      report.html, report.csv, stats.json, pictures (.)\n" \
	"      --min-score S         report scores above S (run's alert threshold: the\n" \
	"                            largest of [alerts] min_score and the model's\n" \
	"                            calibration)\n" \
	"      --nsamples N          expected-gradients draws for each anomaly (" \
	TEXT(DEFAULT_EXPLAIN_NSAMPLES) ")\n" \
	"      --no-zero-correction  keep the Shapley values of features that are 0\n" \
	"      --no-shift            keep raw Shapley values (no shift making the least one 1)\n"

#define AGGREGATE_OPTIONS \
	"      --lateness D          keep windows open D past their end; 0 is none (0 for\n" \
	"                            captures, 1h for flow records)\n" \
	"      --max-samples N       sources counted in a window (" TEXT(DEFAULT_MAX_SAMPLES) ")\n"

#define MODEL_OPTIONS "      --json                the metadata as JSON (human text)\n"
#define CHECK_CONFIG_OPTIONS "  -c, --config FILE         the file to check (required)\n"

const struct command commands[] = {
	{ "run", "[-c CONF] [-i IFACE]... [-r FILE]... [-m MODEL] [--redis HOST:PORT|SOCKET]\n"
		 "            [--stream KEY] [--jsonl FILE|-] [--spool DIR] [--samples FILE|-]\n"
		 "            [--replay-pps N]",
	  "capture, score closed windows, send alerts (daemon)", RUN_OPTIONS,
	  CMD_INPUT_OPTIONS | CMD_FEATURE_OPTIONS, cmd_run },
	{ "train", "[-c CONF] -o MODEL [options] INPUT...",
	  "fit features and the Deep SAD detector, write a model file", TRAIN_OPTIONS,
	  CMD_INPUT_OPTIONS | CMD_FEATURE_OPTIONS, cmd_train },
	{ "score", "[-c CONF] -m MODEL [--format csv|jsonl] INPUT...",
	  "one row per sample: window_start,src_ip,score,raw_score", SCORE_OPTIONS,
	  CMD_INPUT_OPTIONS, cmd_score },
	{ "detect", "[-c CONF] -m MODEL [-n TOP] [-k K] [-o DIR] [--min-score S]\n"
		    "            [--nsamples N] [--no-zero-correction] [--no-shift] INPUT...",
	  "top anomalies with Shapley explanations (report.html, .csv, stats.json, plots)",
	  DETECT_OPTIONS, CMD_INPUT_OPTIONS, cmd_detect },
	{ "aggregate", "[--window D] [--lateness D] [--max-samples N] [--filter BPF] INPUT...",
	  "raw per-sample counters, one CSV row per sample", AGGREGATE_OPTIONS, CMD_INPUT_OPTIONS,
	  cmd_aggregate },
	{ "model", "[--json] MODEL", "print a model file's metadata", MODEL_OPTIONS, 0, cmd_model },
	{ "check-config", "-c CONF", "validate a configuration file", CHECK_CONFIG_OPTIONS, 0,
	  cmd_check_config },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

/* The options of commands that read traffic, every input format named. */
static void print_input_usage(FILE *out)
{
	fprintf(out, "%s      --input-format F      how INPUT is read: auto (told by its first "
		"bytes),\n                            ", INPUT_USAGE_HEAD);
	for (int i = INPUT_AUTO + 1; i <= INPUT_EVE_ALERTS; i++)
		fprintf(out, "%s%s", cli_format_names[i], i < INPUT_EVE_ALERTS ? ", " : "\n");
	fprintf(out, "%s", INPUT_USAGE_TAIL);
}

static void print_usage(FILE *out)
{
	fprintf(out, "usage: flowsad COMMAND [OPTIONS] [INPUT...]\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-13s %s%s\n", c->name, c->summary,
			c->run ? "" : " [not built yet]");
	fprintf(out, "\noptions of the commands that read traffic:\n");
	print_input_usage(out);
	fprintf(out, "%s\n'flowsad COMMAND --help' shows a command's own options.\n", HELP_USAGE);
}

static void print_command_usage(const struct command *c)
{
	printf("usage: flowsad %s %s\n\n%s\n", c->name, c->usage, c->summary);
	if (!c->run)
		printf("(this command is not built yet)\n");
	printf("\n%s options (defaults in parentheses):\n%s", c->name, c->options);
	if (c->shared & CMD_FEATURE_OPTIONS)
		printf("\nfeature options (fitted by training and kept in the model):\n%s",
		       FEATURE_USAGE);
	if (c->shared & CMD_INPUT_OPTIONS) {
		printf("\ncommon options:\n");
		print_input_usage(stdout);
	}
	printf("%s", HELP_USAGE);
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	log_init(LOG_INFO);
	if (argc < 2) {
		print_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("flowsad %s\n", FLOWSAD_VERSION);
		return EX_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_usage(stdout);
		return EX_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		log_err("unknown command '%s' (try 'flowsad --help')", argv[1]);
		return EX_USAGE;
	}
	if (wants_help(argc - 1, argv + 1)) {
		print_command_usage(cmd);
		return EX_OK;
	}
	if (argc > 2 && strcmp(argv[2], "--version") == 0) {
		printf("flowsad %s\n", FLOWSAD_VERSION);
		return EX_OK;
	}
	if (!cmd->run) {
		log_err("'%s' is not built yet in this version", cmd->name);
		return EX_UNAVAILABLE;
	}
	return cmd->run(argc - 1, argv + 1);
}
