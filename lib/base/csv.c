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

int csv_read_records(FILE *f, const char *name, const char *const *names, int count,
		     csv_row_fn row, void *ctx, struct csv_stats *st)
{
	char *line = NULL, *fld[MAX_FIELDS];
	int col[MAX_FIELDS], n, missing = -1, rc = 0;
	size_t cap = 0;
	long lineno = 1;

	memset(st, 0, sizeof *st);
	if (count > MAX_FIELDS || getline(&line, &cap, f) < 0) {
		snprintf(st->first_error, sizeof st->first_error, "%s:1: empty file", name);
		free(line);
		return -EINVAL;
	}
	n = csv_split(line, fld, MAX_FIELDS);
	if ((missing = csv_find_columns(fld, n, names, count, col)) >= 0) {
		snprintf(st->first_error, sizeof st->first_error,
			 "%s:1: the header has no column '%s'", name, names[missing]);
		free(line);
		return -EINVAL;
	}
	while (rc <= 0 && getline(&line, &cap, f) >= 0) {
		const char *why = "malformed";
		lineno++;
		if (!*csv_trim(line))
			continue;
		n = csv_split(line, fld, MAX_FIELDS);
		if ((rc = row(ctx, fld, n, col, &why)) > 0)
			break;
		st->rows++;
		if (rc == 0) {
			st->records++;
			continue;
		}
		st->malformed++;
		if (!st->first_error[0])
			snprintf(st->first_error, sizeof st->first_error, "%s:%ld: %s", name,
				 lineno, why);
	}
	free(line);
	return 0;
}

FILE *csv_open(const char *path, int *rc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		*rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	return f;
}

int csv_is_header(const char *line)
{
	return *line && !strpbrk(line, "0123456789");
}
