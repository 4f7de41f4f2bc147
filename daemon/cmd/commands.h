/* commands: the subcommands of the flowsad binary.
 *
 * Each handler gets argv with argv[0] = the subcommand name, parses its own
 * options with getopt_long, and returns a sysexits code. "--help" never
 * reaches a handler: main prints the usage text from the command table. */
#ifndef FLOWSAD_COMMANDS_H
#define FLOWSAD_COMMANDS_H

struct command {
	const char *name;
	const char *usage;   /* option synopsis printed by --help */
	const char *summary; /* one line for "flowsad --help" */
	const char *options; /* the command's own options with their defaults, one a line */
	unsigned shared;     /* the option groups it shares with others: CMD_*_OPTIONS */
	int (*run)(int argc, char **argv); /* NULL while the command is not built */
};

enum {
	CMD_INPUT_OPTIONS = 1,   /* cli.h's common options: it reads traffic */
	CMD_FEATURE_OPTIONS = 2, /* the feature options: it fits features (training) */
};

/* The table, ended by an entry whose name is NULL. */
extern const struct command commands[];

int cmd_train(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_aggregate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check_config(int argc, char **argv);

#endif
