/* csv: what the record readers (flow_csv, ids_csv) share: splitting a line
 * into fields, finding named columns in a header, and the read loop that
 * counts malformed rows and keeps the first one's reason. */
#ifndef FLOWSAD_CSV_H
#define FLOWSAD_CSV_H

#include <stdint.h>
#include <stdio.h>

struct csv_stats {
	uint64_t rows, records, malformed;
	char first_error[256]; /* "file:line: reason" of the first bad row or header */
};

/* Parses one data row whose named columns are at col[]. Returns 0 for a
 * record, -1 for a malformed row (*why says why), 1 to stop reading. */
typedef int (*csv_row_fn)(void *ctx, char **fields, int n, const int *col, const char **why);

/* What a line reader makes of one line. */
enum csv_line_result {
	CSV_RECORD,    /* a record, counted */
	CSV_SKIPPED,   /* a line that holds none (a comment, a header, another kind of event) */
	CSV_MALFORMED, /* counted, the first one's reason kept; reading goes on */
	CSV_FATAL,     /* the file cannot be read on (its reason kept) */
	CSV_STOP,      /* the records end here */
};
/* Reads one line (its line end removed, not empty); sets *why for
 * CSV_MALFORMED and CSV_FATAL. */
typedef int (*csv_line_fn)(void *ctx, char *line, const char **why);

/* Counts one line's outcome in st (the first malformed or fatal one's
 * "name:line: why" kept): what csv_read_lines does for each line, for
 * readers that read lines themselves (a followed log). */
void csv_count_line(struct csv_stats *st, int rc, const char *name, long lineno,
		    const char *why);

/* Reads every non-blank line of f through fn, counting records and
 * malformed lines in st. Returns 0, or -EINVAL after a CSV_FATAL line (its
 * "file:line: reason" in st->first_error). */
int csv_read_lines(FILE *f, const char *name, csv_line_fn fn, void *ctx, struct csv_stats *st)
	__attribute__((warn_unused_result));

/* Reads a header holding the count names, then every non-blank row through
 * row. Returns 0, or -EINVAL for an empty file or a missing column (the
 * reason in st->first_error). */
int csv_read_records(FILE *f, const char *name, const char *const *names, int count, csv_row_fn row,
		     void *ctx, struct csv_stats *st) __attribute__((warn_unused_result));

/* Reads the file at path into obj through read (a list reader: it returns 0
 * or -errno with "name:line: reason" in err). Returns read's result, or
 * -errno with "path: reason" in err when the file cannot be opened. */
typedef int (*csv_file_fn)(void *obj, FILE *f, const char *name, char *err, size_t errlen);
int csv_read_file(const char *path, csv_file_fn read, void *obj, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Whether the first line of a list file is a header of column names (it
 * holds no digit: no address, port or time), as psykoda's files have. */
int csv_is_header(const char *line);

/* Strips spaces, tabs and line ends from both ends, in place. */
char *csv_trim(char *s);

/* Splits line in place at commas; double quotes group and "" is a quote;
 * a trailing newline is dropped, spaces around fields are trimmed. Returns
 * the field count (at most max). */
int csv_split(char *line, char **fields, int max);

/* For each of the count names, its index among the n header fields in
 * col[]. Returns -1 when all are found, else the index of a missing name. */
int csv_find_columns(char **fields, int n, const char *const *names, int count, int *col);

#endif
