/* defaults: what flowsad uses when neither the command line nor the
 * configuration file says otherwise, in one place for every subcommand and
 * the daemon (conf/flowsad.conf and the man pages state the same values). */
#ifndef FLOWSAD_DEFAULTS_H
#define FLOWSAD_DEFAULTS_H

/* windows */
#define DEFAULT_WINDOW_SECONDS 3600
#define DEFAULT_MAX_SAMPLES 1000000     /* sources a window holds; more are evicted */
#define DEFAULT_FLOW_LATENESS 3600      /* flow records come when their flows expire */
#define DEFAULT_LIVE_LATENESS 5         /* a live interface's packets come in order */

/* features */
#define DEFAULT_VOCABULARY 30           /* service terms kept */
#define DEFAULT_MIN_DF 3                /* samples a term must appear in */
#define DEFAULT_BASELINE_MAX_HOSTS 100000
#define DEFAULT_BASELINE_HORIZON (7 * 86400) /* peers and services remembered a week */

/* training */
#define DEFAULT_BACKGROUND 100          /* rows kept for the explanations */
#define DEFAULT_ALERT_QUANTILE 0.999    /* of the kept training scores: the alert threshold */
#define DEFAULT_TRIM 0.05               /* most of the highest scores left out of the refit */

/* alerts */
#define DEFAULT_TOP_N 5                 /* alerts a window at most */
#define DEFAULT_MIN_SCORE 3.0           /* the alert threshold's floor ([alerts] min_score) */
#define DEFAULT_EXPLAIN_K 5             /* features named in an explanation */
#define DEFAULT_EXPLAIN_NSAMPLES 200    /* expected-gradients draws */
#define DEFAULT_SUPPRESS_SECONDS 3600

/* NetFlow/IPFIX state bounds ([netflow] max_exporters, max_templates) */
#define DEFAULT_NETFLOW_EXPORTERS 256
#define DEFAULT_NETFLOW_TEMPLATES 256 /* per exporter */
#define NETFLOW_BOUND_MAX 65536       /* the largest either may be set to */

#endif
