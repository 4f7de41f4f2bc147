/* jsonl_sink: alerts as JSON lines, to a file (appended) or standard
 * output, for setups without Redis; each line is flushed as written, and
 * the file is opened anew at SIGHUP, as log rotation expects. */
#ifndef FLOWSAD_JSONL_SINK_H
#define FLOWSAD_JSONL_SINK_H

#include <stdint.h>

#include "alerting/alert_record.h"

struct jsonl_sink;

/* path: a file, or "-" for standard output. Returns NULL after logging. */
struct jsonl_sink *jsonl_sink_open(const char *path);
void jsonl_sink_close(struct jsonl_sink *j);
/* Opens the file again (after logrotate moved it: SIGHUP). Returns 0, or -1
 * after logging (the old file stays in use). */
int jsonl_sink_reopen(struct jsonl_sink *j);
/* An alert_sink_fn. */
void jsonl_sink_push(void *sink, const struct alert_record *a);
uint64_t jsonl_sink_written(const struct jsonl_sink *j);

#endif
