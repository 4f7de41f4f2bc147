#include "sinks/jsonl_sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct jsonl_sink {
	FILE *out;
	char *path;
	uint64_t written, failed;
};

struct jsonl_sink *jsonl_sink_open(const char *path)
{
	struct jsonl_sink *j = calloc(1, sizeof *j);
	if (!j || !(j->path = strdup(path))) {
		free(j);
		log_err("out of memory");
		return NULL;
	}
	j->out = strcmp(path, "-") == 0 ? stdout : fopen(path, "a");
	if (!j->out) {
		log_err("%s: %s", path, strerror(errno));
		free(j->path);
		free(j);
		return NULL;
	}
	return j;
}

void jsonl_sink_close(struct jsonl_sink *j)
{
	if (!j)
		return;
	if (j->out != stdout)
		fclose(j->out);
	else
		fflush(stdout);
	free(j->path);
	free(j);
}

int jsonl_sink_reopen(struct jsonl_sink *j)
{
	if (j->out == stdout)
		return 0;
	FILE *f = fopen(j->path, "a");
	if (!f) {
		log_err("%s: cannot open it again: %s (writing on to the old file)", j->path,
			strerror(errno));
		return -1;
	}
	fclose(j->out);
	j->out = f;
	return 0;
}

void jsonl_sink_push(void *sink, const struct alert_record *a)
{
	struct jsonl_sink *j = sink;
	if (fputs(a->json, j->out) < 0 || fputc('\n', j->out) < 0 || fflush(j->out) != 0) {
		if (j->failed++ == 0)
			log_err("%s: cannot write alerts: %s", j->path, strerror(errno));
		return;
	}
	j->written++;
}

uint64_t jsonl_sink_written(const struct jsonl_sink *j)
{
	return j->written;
}
