/* flowsad aggregate: the raw counters of every sample, one CSV row each. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "common/cli.h"
#include "capture/inputs.h"
#include "cmd/commands.h"
#include "base/defaults.h"
#include "base/duration.h"
#include "base/isotime.h"
#include "common/log.h"
#include "capture/capture.h"
#include "sinks/sample_csv.h"
#include "features/window.h"

enum { OPT_LATENESS = OPT_FIRST_COMMAND_OPTION, OPT_MAX_SAMPLES };


int cmd_aggregate(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "lateness", required_argument, NULL, OPT_LATENESS },
		{ "max-samples", required_argument, NULL, OPT_MAX_SAMPLES },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { 0 };
	uint32_t lateness = 0;
	int lateness_given = 0;
	long max_samples = DEFAULT_MAX_SAMPLES;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if ((rc = cli_common_option(&common, opt, optarg)) == 1)
			continue;
		if (rc != 0 || opt == '?')
			return EX_USAGE;
		lateness_given |= opt == OPT_LATENESS;
		if (opt == OPT_LATENESS && duration_parse(optarg, &lateness) < 0) {
			log_err("--lateness: expected a duration such as 0, 30s or 2m, got '%s'",
				optarg);
			return EX_USAGE;
		}
		if (opt == OPT_MAX_SAMPLES &&
		    cli_parse_int("max-samples", optarg, 1, 1L << 32, &max_samples) < 0)
			return EX_USAGE;
	}
	if ((rc = cli_apply_common(&common)) != EX_OK)
		return rc;
	cli_blas_unused();
	if (optind >= argc) {
		log_err("aggregate: no INPUT given");
		return EX_USAGE;
	}
	enum input_format fmt = inputs_format(&common, argv[optind]);
	if (fmt == INPUT_AUTO) /* unreadable or unknown: libpcap says which */
		fmt = INPUT_PCAP;
	if (fmt == INPUT_MATRIX_CSV) {
		log_err("aggregate: a feature matrix has no traffic to count");
		return EX_USAGE;
	}
	struct netflow_decoder *nf = fmt == INPUT_NETFLOW_PCAP ? netflow_new(0, 0) : NULL;
	if (!lateness_given && fmt != INPUT_PCAP)
		lateness = DEFAULT_FLOW_LATENESS;
	struct window_table *t = window_table_new(common.features.window ? common.features.window
									 : DEFAULT_WINDOW_SECONDS,
						  lateness, (size_t)max_samples, NULL);
	struct decode_tally tally = { 0 };
	if (!t)
		return EX_OSERR;
	struct sample_csv rp = { .out = stdout };
	sample_csv_header(stdout);
	if (rc == EX_OK)
		rc = inputs_read_all(&common, argv + optind, argc - optind, fmt, t, sample_csv_row,
				     &rp, &tally, nf);
	if (window_table_flush(t, sample_csv_row, &rp) < 0 && rc == EX_OK)
		rc = EX_IOERR;
	if (fmt == INPUT_PCAP || fmt == INPUT_NETFLOW_PCAP)
		capture_log_summary(&tally, window_table_stats(t));
	else
		capture_log_windows(window_table_stats(t));
	if (nf)
		capture_log_netflow(nf);
	netflow_free(nf);
	window_table_free(t);
	if (fflush(stdout) != 0 || rc == EX_IOERR) {
		log_err("stdout: write error");
		rc = EX_IOERR;
	}
	return rc;
}
