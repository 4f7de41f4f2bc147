#include "base/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 256

char *csv_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *r = line, *w = line, *start = line;

	line[strcspn(line, "\r\n")] = '\0';
	for (int quoted = 0; *r && n < max - 1; r++) {
		if (*r == '"') {
			if (quoted && r[1] == '"')
				*w++ = *r++;
			else
				quoted = !quoted;
		} else if (*r == ',' && !quoted) {
			*w++ = '\0';
			fields[n++] = csv_trim(start);
			start = w;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	fields[n++] = csv_trim(start);
	return n;
}

int csv_find_columns(char **fields, int n, const char *const *names, int count, int *col)
{
	for (int c = 0; c < count; c++) {
		col[c] = -1;
		for (int i = 0; i < n; i++)
			if (strcmp(fields[i], names[c]) == 0)
				col[c] = i;
		if (col[c] < 0)
			return c;
	}
	return -1;
}

void csv_count_line(struct csv_stats *st, int rc, const char *name, long lineno,
		    const char *why)
{
	if (rc == CSV_FATAL || rc == CSV_MALFORMED) {
		st->malformed += rc == CSV_MALFORMED;
		if (!st->first_error[0] || rc == CSV_FATAL)
			snprintf(st->first_error, sizeof st->first_error, "%s:%ld: %s", name,
				 lineno, why);
	}
	st->rows += rc != CSV_SKIPPED && rc != CSV_FATAL;
	st->records += rc == CSV_RECORD;
}

int csv_read_lines(FILE *f, const char *name, csv_line_fn fn, void *ctx, struct csv_stats *st)
{
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	memset(st, 0, sizeof *st);
	while (getline(&line, &cap, f) >= 0) {
		const char *why = "malformed";
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *text = csv_trim(line);
		if (!*text)
			continue;
		if ((rc = fn(ctx, text, &why)) == CSV_STOP)
			break;
		csv_count_line(st, rc, name, lineno, why);
		if (rc == CSV_FATAL)
			break;
	}
	free(line);
	return rc == CSV_FATAL ? -EINVAL : 0;
}

/* The header then the rows of a CSV file with named columns. */
struct named_columns {
	const char *const *names;
	int count, have_header;
	int col[MAX_FIELDS];
	csv_row_fn row;
	void *ctx;
	char why[128];
};

static int named_line(void *ctx, char *line, const char **why)
{
	struct named_columns *nc = ctx;
	char *fld[MAX_FIELDS];
	int n = csv_split(line, fld, MAX_FIELDS);

	if (!nc->have_header) {
		int m = csv_find_columns(fld, n, nc->names, nc->count, nc->col);
		if (m >= 0) {
			snprintf(nc->why, sizeof nc->why, "the header has no column '%s'",
				 nc->names[m]);
			*why = nc->why;
			return CSV_FATAL;
		}
		nc->have_header = 1;
		return CSV_SKIPPED;
	}
	switch (nc->row(nc->ctx, fld, n, nc->col, why)) {
	case 0: return CSV_RECORD;
	case 1: return CSV_STOP;
	default: return CSV_MALFORMED;
	}
}

int csv_read_records(FILE *f, const char *name, const char *const *names, int count,
		     csv_row_fn row, void *ctx, struct csv_stats *st)
{
	struct named_columns nc = { names, count, 0, { 0 }, row, ctx, "" };
	if (count > MAX_FIELDS)
		return -EINVAL;
	int rc = csv_read_lines(f, name, named_line, &nc, st);
	if (rc == 0 && !nc.have_header) {
		snprintf(st->first_error, sizeof st->first_error, "%s:1: empty file", name);
		return -EINVAL;
	}
	return rc;
}

int csv_read_file(const char *path, csv_file_fn read, void *obj, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	int rc = read(obj, f, path, err, errlen);
	fclose(f);
	return rc;
}

int csv_is_header(const char *line)
{
	return *line && !strpbrk(line, "0123456789");
}
