/* flowsad check-config: reads a configuration file as run would, then
 * checks what it points at (model, password file, lists) and says what
 * the daemon would do with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/cli.h"
#include "cmd/commands.h"
#include "base/hostport.h"
#include "common/log.h"
#include "detector/model.h"
#include "features/filter.h"
#include "redis/redis_address.h"

static int readable(const char *key, const char *path)
{
	if (!path || access(path, R_OK) == 0)
		return 0;
	log_err("%s = %s: %s", key, path, strerror(errno));
	return 1;
}

/* An address with a port (a unix socket where allow_unix), as flowsad reads it;
 * Redis's may list cluster seeds. */
static int address(const char *key, const char *text, int allow_unix, int max)
{
	struct hostport hp[REDIS_MAX_SEEDS];
	struct redis_address redis;
	char err[HOSTPORT_MAX + 64];
	int n = 1;
	if (text && max > 1) /* Redis: a server, cluster seeds or sentinels */
		n = redis_address_parse(&redis, text, err, sizeof err) < 0 ? -1 : 1;
	else if (text)
		n = hostport_parse_list(text, allow_unix, hp, max, err, sizeof err);
	if (n > 0)
		return 0;
	log_err("%s = %s", key, err);
	return 1;
}

/* A folder flowsad writes to (made when missing): it, or else the folder
 * it would be made in, must be writable. */
static int writable(const char *key, const char *dir)
{
	char parent[4096];
	if (!dir || access(dir, W_OK) == 0)
		return 0;
	if (errno == ENOENT) {
		snprintf(parent, sizeof parent, "%s", dir);
		char *slash = strrchr(parent, '/');
		if (slash)
			*(slash == parent ? slash + 1 : slash) = '\0';
		if (access(slash ? parent : ".", W_OK) == 0)
			return 0;
	}
	log_err("%s = %s: %s", key, dir, strerror(errno));
	return 1;
}

static int networks(const char *key, const char *text)
{
	struct filter_nets *n = text ? calloc(1, sizeof *n) : NULL;
	int bad = n && filter_add_nets(n, text) < 0;
	if (bad)
		log_err("%s: expected addresses or CIDRs, got '%s'", key, text);
	free(n);
	return bad;
}

static int check_references(const struct config *c)
{
	char err[512];
	int bad = address("[redis] address", c->redis, 1, REDIS_MAX_SEEDS) +
		  address("[metrics] listen", c->metrics_listen, 0, 1) +
		  readable("[redis] password_file", c->redis_password_file) +
		  readable("[features] locations", c->locations) +
		  readable("[retrain] known_normal", c->known_normal) +
		  readable("[retrain] known_anomaly", c->known_anomaly) +
		  writable("[retrain] history_dir", c->history_dir) +
		  writable("[spool] dir", c->redis ? c->spool_dir : NULL) +
		  networks("[netflow] exporters", c->exporters) +
		  networks("[role] home", c->role_home);
	for (int i = 0; i < c->n_listen; i++)
		bad += address("[netflow] listen", c->listen[i], 0, 1);
	if (c->role != CONFIG_ROLE_SINGLE && !c->redis) {
		log_err("[role] mode = %s: needs [redis] address (the streams between sensors "
			"and scorers)",
			config_role_names[c->role]);
		bad++;
	}
	if (cli_cold_start(c) && !c->window) {
		log_err("[window] length: a cold start (no model at %s yet, [retrain] history_dir "
			"set) needs it: there is no model to take it from",
			c->model ? c->model : "[model] path");
		bad++;
	} else if (c->model && !cli_cold_start(c)) { /* a cold start writes the model */
		struct model *m = model_load(c->model, err, sizeof err);
		if (!m) {
			log_err("[model] path: %s", err);
			bad++;
		} else if (!m->feature_spec) {
			log_err("[model] path: model %s was trained on a feature matrix; the "
				"daemon "
				"needs one trained on network input",
				m->id);
			bad++;
		}
		model_free(m);
	}
	return bad;
}

int cmd_check_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	struct config c;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		if (opt != 'c')
			return EX_USAGE;
		path = optarg;
	}
	if (!path && optind < argc)
		path = argv[optind];
	if (!path) {
		log_err("check-config: -c CONF is required");
		return EX_USAGE;
	}
	if (cli_load_config(path, &c) != EX_OK || cli_default_state(&c) != EX_OK)
		return EX_CONFIG;
	int bad = check_references(&c);
	printf("%s: %s: %d interface(s), %d NetFlow/IPFIX listener(s); alerts to %s%s%s; "
	       "lateness %u s",
	       path, bad ? "errors" : "ok", c.n_interfaces, c.n_listen, c.redis ? "redis " : "",
	       c.redis ? c.redis : "",
	       c.jsonl ? (c.redis ? " and JSON lines" : "JSON lines")
		       : (c.redis ? "" : "standard output"),
	       config_lateness(&c));
	if (cli_cold_start(&c))
		printf("; a cold start: no model yet, one is learnt from the history");
	if (c.role != CONFIG_ROLE_SINGLE)
		printf("; a %s of %u partitions (%s:*)", config_role_names[c.role], c.partitions,
		       c.parts_prefix);
	printf("\n");
	config_free(&c);
	return bad ? EX_CONFIG : EX_OK;
}
