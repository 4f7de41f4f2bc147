/* config: the daemon's INI file (conf/flowsad.conf documents every key).
 *
 * Parsing is strict: an unknown section or key, a malformed value or one out
 * of range is an error reported as "FILE:LINE: what was expected", and every
 * error of the file is reported, not just the first. Keys that may repeat
 * (interface, listen) add to a list; any other key given twice keeps the
 * last value. */
#ifndef FLOWSAD_CONFIG_H
#define FLOWSAD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_LIST 16   /* interfaces, listeners */
#define CONFIG_MAX_WORKERS 64 /* capture threads */
#define CONFIG_MAX_UNITS 64  /* [unit NAME] sections */
#define CONFIG_UNIT_NAME_MAX 64
#define CONFIG_MAX_ERRORS 20 /* reported per file */

/* A detection unit ([unit NAME]): the part of the traffic one model learns
 * (psykoda's subnets x services), in the filter keys of [features]. */
struct config_unit {
	char *name;                 /* letters, digits, '-', '_' and '.': it names files */
	char *monitor, *include_ports, *exclude_ports, *exclude_src, *exclude_dst, *exclude_sids;
};

struct config {
	/* [capture] */
	char *interfaces[CONFIG_MAX_LIST];
	int n_interfaces;
	char *bpf;                  /* BPF filter for captures (NULL: none) */
	char *decapsulate;          /* tunnels to take off (NULL: the default ones) */
	uint64_t pcap_buffer;       /* kernel capture buffer, bytes */
	uint32_t snaplen;
	uint32_t capture_workers;   /* threads capturing the interfaces; 0: one a core */
	/* [decap] */
	char *vxlan_ports, *geneve_ports; /* UDP ports of the tunnels (NULL: 4789, 6081) */
	/* [netflow] */
	char *listen[CONFIG_MAX_LIST]; /* "HOST:PORT" UDP listeners */
	int n_listen;
	char *follow[CONFIG_MAX_LIST]; /* connection logs followed as they grow */
	int n_follow;
	char *follow_positions;     /* where they were left (NULL: beside the spool) */
	char *exporters;            /* allowlist: comma-separated addresses / CIDRs (NULL: any) */
	uint64_t udp_rcvbuf;        /* SO_RCVBUF, bytes */
	uint32_t nf_max_exporters;  /* exporters remembered (netflow_new) */
	uint32_t nf_max_templates;  /* templates an exporter */
	/* [window] */
	uint32_t window;            /* seconds; 0: the model's */
	int64_t lateness;           /* seconds; -1: automatic (see config_lateness) */
	uint64_t max_samples;       /* per window */
	/* [features]: for training (flowsad train -c, and retraining) */
	char *locations, *monitor, *include_ports, *exclude_ports, *exclude_src, *exclude_dst,
		*exclude_sids;
	uint32_t vocabulary, min_df;
	/* [unit NAME]: flowsad train and detect make and use a model of each */
	struct config_unit units[CONFIG_MAX_UNITS];
	int n_units;
	/* [model] */
	char *model;
	/* [alerts] */
	uint32_t top_n;
	double min_score;
	uint32_t suppress;          /* seconds a src_ip is not re-alerted; 0: never suppress */
	uint32_t explain_k, explain_nsamples;
	char *observer;             /* observer.name; NULL: the host name */
	/* [redis] */
	char *redis;                /* "HOST:PORT" or a unix socket path; NULL: no Redis */
	char *redis_password_file;
	char *stream;
	uint64_t maxlen;
	uint32_t connect_timeout_ms, command_timeout_ms;
	/* [jsonl] */
	char *jsonl;                /* file, or "-" for stdout; NULL: none */
	/* [spool] */
	char *spool_dir;
	uint64_t spool_max_bytes;
	/* [retrain] */
	char *history_dir;          /* NULL: no history, no retraining */
	uint32_t retrain_interval, history_retention, min_windows;
	uint64_t train_samples;     /* bound of the training set */
	uint32_t train_epochs;
	double train_lr, train_eta;
	double train_alert_quantile;/* of the training scores: the model's alert threshold */
	double train_trim;          /* the robust pass: the most anomalous share left out */
	char *known_normal, *known_anomaly, *feedback_stream;
	/* [baseline] */
	char *baseline_state;       /* the sources' memory; NULL: beside the history, if any */
	uint64_t baseline_max_hosts;
	uint32_t baseline_horizon;  /* seconds peers and services are remembered */
	/* [metrics] */
	char *metrics_listen;
	/* [daemon] */
	int log_level;              /* syslog priority */
	char *user;
	/* [role]: one host alone, or sensors and scorers over Redis (docs/deployment.md) */
	int role;		 /* enum config_role */
	char *role_name;	 /* this sensor's or scorer's name; NULL: the host name */
	char *role_home;	 /* a sensor's hosts: addresses / CIDRs (NULL: every host) */
	char *role_sensors;	 /* a scorer's: its sensors by name (NULL: those heard) */
	uint32_t partitions;	 /* of each window's sources, by address hash */
	char *parts_prefix;	 /* the partitions' streams: PREFIX:K */
	uint32_t merge_deadline; /* seconds a window waits for sensors' parts */
};

enum config_role { CONFIG_ROLE_SINGLE, CONFIG_ROLE_SENSOR, CONFIG_ROLE_SCORER };
extern const char *const config_role_names[3];

/* Defaults of every key. */
void config_init(struct config *c);
void config_free(struct config *c);

/* Reads the INI text of stream f (name is used in messages) into c, which
 * config_init prepared. Errors are written to err (one line each, at most
 * CONFIG_MAX_ERRORS). Returns the number of errors: 0 when c is usable. */
int config_read(struct config *c, FILE *f, const char *name, FILE *err);

/* The allowed lateness: the configured one, else 1 h when flow records are
 * collected (exporters send a flow when it expires) and 5 s for packets
 * alone (capture buffers hold them that long at most). */
uint32_t config_lateness(const struct config *c);

/* Sets a string field (a copy; NULL clears it). Returns 0 or -ENOMEM. */
int config_set_string(char **field, const char *value);

#endif
