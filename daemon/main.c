/* flowsad: one binary with subcommands (flowsad(8)): a table of them. */
#include "commands.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define COMMON_USAGE \
	"common options:\n" \
	"  -c, --config FILE         configuration file (INI)\n" \
	"      --window DURATION     window length: 90s, 5m, 1h (default 1h)\n" \
	"      --known-normal FILE   samples known normal (window_start,src_ip | src_ip | CIDR)\n" \
	"      --known-anomaly FILE  samples labelled anomalous (same forms)\n" \
	"      --seed N              random seed\n" \
	"      --input-format F      auto|pcap|ids-csv|flow-csv|netflow-pcap|matrix-csv\n" \
	"      --threads N           BLAS threads\n" \
	"      --locations FILE      CIDR,name location table (training)\n" \
	"      --filter BPF          capture filter for capture input\n" \
	"      --vocabulary N, --min-df N   service terms kept (30) and their samples (3)\n" \
	"      --monitor NETS, --include-ports P, --exclude-ports P, --exclude-src NETS,\n" \
	"      --exclude-dst NETS, --exclude-sids SIDS   the detection unit (training)\n" \
	"      --decapsulate LIST    tunnels taken off (ipip,gre,erspan,vxlan,geneve,all,none)\n" \
	"  -h, --help                this text\n" \
	"      --version             print the version\n"

#define TRAIN_OPTIONS \
	"  -o, --output MODEL        the model file to write\n" \
	"      --hidden W,W,...      encoder widths (128,128,64,64,32)\n" \
	"      --epochs-pretrain N, --epochs N   autoencoder and Deep SAD epochs (10, 20)\n" \
	"      --lr X, --lr-milestone N   learning rate (1e-4), epoch of its drop x0.1 (none)\n" \
	"      --batch-size N, --eta X, --lam X   mini-batch (64), label weight (1), L2 (1e-6)\n" \
	"      --scaling zscore|minmax|maxabs|none   per-feature scaling (zscore)\n" \
	"      --batchnorm, --init he-normal|uniform   the Deep SAD authors' network options\n" \
	"      --background N        rows kept for explanations (100)\n" \
	"      --alert-quantile Q    the model's alert threshold: this quantile of its training\n" \
	"                            scores (0.999)\n" \
	"      --trim F              robust pass: leave out rows far more anomalous, at most F\n" \
	"                            and train again (0.01 for traffic, 0 for a matrix)\n" \
	"      --quiet               no line per epoch\n"

const struct command commands[] = {
	{ "run", "[-c CONF] [-i IFACE]... [-r FILE]... [-m MODEL] [--redis HOST:PORT|SOCKET]\n"
		 "            [--stream KEY] [--jsonl FILE|-] [--spool DIR] [--samples FILE|-]\n"
		 "            [--replay-pps N]",
	  "capture, score closed windows, send alerts (daemon)", NULL, cmd_run },
	{ "train", "[-c CONF] -o MODEL [options] INPUT...",
	  "fit features and the Deep SAD detector, write a model file", TRAIN_OPTIONS, cmd_train },
	{ "score", "[-c CONF] -m MODEL [--format csv|jsonl] INPUT...",
	  "one row per sample: window_start,src_ip,score,raw_score", NULL, cmd_score },
	{ "detect", "[-c CONF] -m MODEL [-n TOP] [-k K] [-o DIR] [--min-score S]\n"
		    "            [--nsamples N] [--no-zero-correction] [--no-shift] INPUT...",
	  "top anomalies with Shapley explanations (report.csv, stats.json, plots)", NULL,
	  cmd_detect },
	{ "aggregate", "[--window D] [--lateness D] [--max-samples N] [--filter BPF] INPUT...",
	  "raw per-sample counters, one CSV row per sample", NULL, cmd_aggregate },
	{ "model", "[--json] MODEL", "print a model file's metadata", NULL, cmd_model },
	{ "check-config", "-c CONF", "validate a configuration file", NULL, cmd_check_config },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void print_usage(FILE *out)
{
	fprintf(out, "usage: flowsad COMMAND [OPTIONS] [INPUT...]\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-13s %s%s\n", c->name, c->summary,
			c->run ? "" : " [not built yet]");
	fprintf(out, "\n%s\n'flowsad COMMAND --help' shows a command's options.\n",
		COMMON_USAGE);
}

static void print_command_usage(const struct command *c)
{
	printf("usage: flowsad %s %s\n\n%s\n", c->name, c->usage, c->summary);
	if (!c->run)
		printf("(this command is not built yet)\n");
	if (c->options)
		printf("\n%s options:\n%s", c->name, c->options);
	printf("\n%s", COMMON_USAGE);
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
