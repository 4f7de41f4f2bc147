#include "capture/follow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "base/atomic_file.h"
#include "ingest/eve.h"
#include "ingest/zeek_conn.h"
#include "common/log.h"

#define POSITIONS_MAGIC "flowsad-follow 1"

enum log_format { LOG_UNKNOWN, LOG_ZEEK, LOG_EVE };

struct followed {
	const char *path;
	FILE *f;
	dev_t dev;
	ino_t ino;
	off_t offset;               /* where the next whole line starts */
	enum log_format format;
	struct zeek_conn zeek;      /* Zeek's header, learnt from the file */
	struct eve_reader eve;
	struct csv_stats st;        /* records and malformed lines, in all */
	long lineno;                /* lines read of the current file (since the resume point) */
	uint64_t rotations;
};

struct follower {
	char *positions;
	int n;
	int changed;                /* positions moved since they were saved */
	time_t saved_at;
	struct window_flow_sink sink;
	struct followed log[];
};

/* A saved position for path: its file's identity and offset. */
static int saved_position(const char *positions, const char *path, struct stat *id, off_t *at)
{
	FILE *f = fopen(positions, "r");
	char line[4096 + 64], magic[32];
	int found = 0;

	if (!f)
		return 0;
	if (!fgets(magic, sizeof magic, f) || strncmp(magic, POSITIONS_MAGIC, 16) != 0) {
		fclose(f);
		return 0;
	}
	while (!found && fgets(line, sizeof line, f)) {
		unsigned long long dev, ino;
		long long off;
		int n = 0;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llu %llu %lld %n", &dev, &ino, &off, &n) == 3 && n &&
		    strcmp(line + n, path) == 0 && off >= 0) {
			id->st_dev = (dev_t)dev;
			id->st_ino = (ino_t)ino;
			*at = (off_t)off;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static enum log_format sniff(FILE *f)
{
	char head[512] = "";
	size_t n = fread(head, 1, sizeof head - 1, f);
	head[n] = '\0';
	rewind(f);
	return zeek_conn_sniff(head) ? LOG_ZEEK : eve_sniff(head) ? LOG_EVE : LOG_UNKNOWN;
}

static int read_line(struct followed *l, char *line, const char **why)
{
	return l->format == LOG_ZEEK ? zeek_conn_line(&l->zeek, line, why)
				     : eve_line(&l->eve, line, why);
}

/* Counts one line's outcome; the first malformed one is said at once. */
static void count_line(struct followed *l, int rc, const char *why)
{
	int first = !l->st.first_error[0];
	csv_count_line(&l->st, rc, l->path, l->lineno, why);
	if (first && l->st.first_error[0])
		log_warn("%s: a malformed record; counted, skipped", l->st.first_error);
}

/* Reads the whole lines from l->offset on; with to_end, a last line
 * without its end too (the file is rotated away: nothing will finish it). */
static uint64_t read_lines(struct followed *l, int to_end)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t before = l->st.records;

	if (fseeko(l->f, l->offset, SEEK_SET) != 0)
		return 0;
	while ((len = getline(&line, &cap, l->f)) > 0) {
		if (line[len - 1] != '\n' && !to_end)
			break; /* being written: wait for its end */
		l->offset += len;
		l->lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *text = csv_trim(line);
		const char *why = "malformed";
		if (*text) {
			int rc = read_line(l, text, &why);
			count_line(l, rc, why);
		}
	}
	clearerr(l->f);
	free(line);
	return l->st.records - before;
}

/* A Zeek TSV log followed from its middle: its header is at the start. */
static void learn_header(struct followed *l)
{
	char *line = NULL;
	size_t cap = 0;
	const char *why;

	rewind(l->f);
	while (getline(&line, &cap, l->f) > 0 && line[0] == '#') {
		line[strcspn(line, "\r\n")] = '\0';
		(void)zeek_conn_line(&l->zeek, line, &why);
	}
	free(line);
}

/* Opens the file now at l->path (from offset, or from its end). */
static void open_log(struct followed *l, const struct stat *st, off_t offset)
{
	if (!(l->f = fopen(l->path, "r")))
		return;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->offset = offset;
	l->lineno = 0;
	l->format = sniff(l->f);
	zeek_conn_init(&l->zeek, l->zeek.emit, l->zeek.ctx);
	if (l->format == LOG_ZEEK && offset > 0)
		learn_header(l);
}

struct follower *follow_open(char *const *paths, int n, const char *positions_path, int *rc)
{
	struct follower *f = calloc(1, sizeof *f + (size_t)n * sizeof f->log[0]);

	*rc = EX_OSERR;
	if (!f || !(f->positions = strdup(positions_path))) {
		free(f);
		log_err("out of memory");
		return NULL;
	}
	f->n = n;
	f->saved_at = time(NULL);
	for (int i = 0; i < n; i++) {
		struct followed *l = &f->log[i];
		struct stat st, id;
		off_t at;
		l->path = paths[i];
		zeek_conn_init(&l->zeek, window_flow_sink_add, &f->sink);
		l->eve = (struct eve_reader){ window_flow_sink_add, &f->sink, NULL };
		if (stat(l->path, &st) < 0) {
			log_info("%s: following it once it exists", l->path);
			continue;
		}
		int resume = saved_position(f->positions, l->path, &id, &at) &&
			     id.st_dev == st.st_dev && id.st_ino == st.st_ino && at <= st.st_size;
		open_log(l, &st, resume ? at : st.st_size);
		if (!l->f)
			log_warn("%s: %s; tried again each second", l->path, strerror(errno));
		else
			log_info("%s: following it from %s (byte %lld)", l->path,
				 resume ? "where the last run stopped" : "its end",
				 (long long)l->offset);
	}
	*rc = EX_OK;
	return f;
}

/* A new file at the path (rotation), or the file cut short: the rest of
 * the old one is read, then the new one from its start. */
static void notice_rotation(struct followed *l)
{
	struct stat st;
	if (stat(l->path, &st) < 0)
		return; /* moved away, its successor not there yet */
	if (l->f && st.st_dev == l->dev && st.st_ino == l->ino) {
		if (st.st_size < l->offset) { /* truncated */
			l->offset = l->lineno = 0;
			l->rotations++;
			zeek_conn_init(&l->zeek, l->zeek.emit, l->zeek.ctx);
		}
		return;
	}
	if (l->f) {
		read_lines(l, 1);
		fclose(l->f);
		l->f = NULL;
		l->rotations++;
	}
	open_log(l, &st, 0);
}

static int write_positions(int fd, void *ctx)
{
	const struct follower *f = ctx;
	char line[4096 + 64];
	int rc = atomic_file_write_all(fd, POSITIONS_MAGIC "\n", sizeof POSITIONS_MAGIC);
	for (int i = 0; rc == 0 && i < f->n; i++) {
		const struct followed *l = &f->log[i];
		if (!l->f)
			continue;
		int len = snprintf(line, sizeof line, "%llu %llu %lld %s\n",
				   (unsigned long long)l->dev, (unsigned long long)l->ino,
				   (long long)l->offset, l->path);
		if (len > 0 && (size_t)len < sizeof line)
			rc = atomic_file_write_all(fd, line, (size_t)len);
	}
	return rc;
}

static void save_positions(struct follower *f, time_t now)
{
	char err[512];
	f->saved_at = now;
	if (!f->changed)
		return;
	if (atomic_file_replace(f->positions, write_positions, f, err, sizeof err) < 0)
		log_err("follow positions: %s", err);
	else
		f->changed = 0;
}

uint64_t follow_poll(struct follower *f, time_t now, struct window_table *t, window_emit_fn emit,
		     void *ctx)
{
	uint64_t records = 0;
	f->sink = (struct window_flow_sink){ t, emit, ctx, 0 };
	for (int i = 0; i < f->n; i++) {
		struct followed *l = &f->log[i];
		off_t before = l->offset;
		notice_rotation(l);
		if (l->f && l->format == LOG_UNKNOWN)
			l->format = sniff(l->f);
		if (l->f && l->format != LOG_UNKNOWN)
			records += read_lines(l, 0);
		f->changed |= l->offset != before;
	}
	if (f->sink.failed)
		log_err("followed logs: out of memory; records were lost");
	if (now >= f->saved_at + FOLLOW_SAVE_SECONDS)
		save_positions(f, now);
	return records;
}

void follow_log(const struct follower *f)
{
	for (int i = 0; f && i < f->n; i++) {
		const struct followed *l = &f->log[i];
		log_info("%s: %" PRIu64 " connections, %" PRIu64 " malformed lines, %" PRIu64
			 " rotations; at byte %lld",
			 l->path, l->st.records, l->st.malformed, l->rotations,
			 (long long)l->offset);
	}
}

void follow_close(struct follower *f)
{
	if (!f)
		return;
	f->changed = 1;
	save_positions(f, time(NULL));
	for (int i = 0; i < f->n; i++)
		if (f->log[i].f)
			fclose(f->log[i].f);
	free(f->positions);
	free(f);
}
