#include "ingest/matrix_csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/isotime.h"

enum column_role { COL_FEATURE, COL_WINDOW, COL_SRC, COL_LABEL };

struct reader {
	FILE *f;
	const char *name;
	char *line;
	size_t line_cap;
	long lineno;
	char **fields;
	int n_fields, cap_fields;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int off = snprintf(r->err, r->errlen, "%s:%ld: ", r->name, r->lineno);
	if (off < 0 || (size_t)off >= r->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(r->err + off, r->errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Strips spaces, a trailing CR and one pair of surrounding double quotes. */
static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/* Reads the next non-empty line and splits it on commas in place. Returns 1,
 * 0 at end of file, or a negative error. */
static int next_record(struct reader *r)
{
	ssize_t len;

	for (;;) {
		errno = 0;
		len = getline(&r->line, &r->line_cap, r->f);
		if (len < 0)
			return errno == ENOMEM ? -ENOMEM : 0;
		r->lineno++;
		if ((size_t)len > MATRIX_CSV_MAX_LINE)
			return fail(r, "line longer than %u bytes", MATRIX_CSV_MAX_LINE);
		if (*trim(r->line))
			break;
	}
	r->n_fields = 0;
	for (char *p = r->line;;) {
		char *comma = strchr(p, ',');
		if (r->n_fields == r->cap_fields) {
			int cap = r->cap_fields ? r->cap_fields * 2 : 64;
			char **q = realloc(r->fields, (size_t)cap * sizeof *q);
			if (!q)
				return -ENOMEM;
			r->fields = q;
			r->cap_fields = cap;
		}
		if (comma)
			*comma = '\0';
		r->fields[r->n_fields++] = trim(p);
		if (r->n_fields > MATRIX_CSV_MAX_COLUMNS)
			return fail(r, "more than %d columns", MATRIX_CSV_MAX_COLUMNS);
		if (!comma)
			return 1;
		p = comma + 1;
	}
}

static enum column_role role_of(const char *header)
{
	if (strcmp(header, "window_start") == 0)
		return COL_WINDOW;
	if (strcmp(header, "src_ip") == 0)
		return COL_SRC;
	if (strcmp(header, "label") == 0)
		return COL_LABEL;
	return COL_FEATURE;
}

static int parse_header(struct reader *r, struct dataset *ds, enum column_role **roles)
{
	int rc = next_record(r), dim = 0, has[4] = { 0 };
	char **names;

	if (rc <= 0)
		return rc < 0 ? rc : fail(r, "empty file: expected a header line");
	*roles = calloc((size_t)r->n_fields, sizeof **roles);
	names = calloc((size_t)r->n_fields, sizeof *names);
	if (!*roles || !names) {
		free(names);
		return -ENOMEM;
	}
	for (int i = 0; i < r->n_fields; i++) {
		enum column_role role = role_of(r->fields[i]);
		if (!*r->fields[i])
			rc = fail(r, "column %d has an empty name", i + 1);
		else if (role != COL_FEATURE && has[role]++)
			rc = fail(r, "column '%s' appears twice", r->fields[i]);
		(*roles)[i] = role;
		if (role == COL_FEATURE)
			names[dim++] = r->fields[i];
		if (rc < 0)
			break;
	}
	if (rc >= 0 && dim == 0)
		rc = fail(r, "no feature columns in the header");
	if (rc >= 0)
		rc = dataset_init(ds, dim, names, has[COL_WINDOW], has[COL_SRC]);
	free(names);
	return rc < 0 ? rc : 0;
}

static int parse_cell(struct reader *r, struct dataset *ds, size_t row, int col, int *feature,
		      enum column_role role)
{
	const char *text = r->fields[col];
	char *end;

	switch (role) {
	case COL_WINDOW:
		if (isotime_parse(text, &ds->window_start[row]) < 0)
			return fail(
				r, "window_start: expected ISO 8601 UTC or epoch seconds, got '%s'",
				text);
		return 0;
	case COL_SRC:
		if (strlen(text) >= DATASET_ID_LEN)
			return fail(r, "src_ip: longer than %d characters", DATASET_ID_LEN - 1);
		strcpy(ds->src_ip[row], text);
		return 0;
	case COL_LABEL:
		if (!*text || strcmp(text, "0") == 0)
			ds->y[row] = 0;
		else if (strcmp(text, "1") == 0)
			ds->y[row] = 1;
		else if (strcmp(text, "-1") == 0)
			ds->y[row] = -1;
		else
			return fail(r, "label: expected 1, -1, 0 or empty, got '%s'", text);
		return 0;
	case COL_FEATURE:
		break;
	}
	float v = strtof(text, &end);
	if (end == text || *end || !isfinite(v))
		return fail(r, "column '%s': expected a finite number, got '%s'",
			    ds->names[*feature], text);
	ds->x[row * (size_t)ds->dim + (size_t)(*feature)++] = v;
	return 0;
}

int matrix_csv_read(struct dataset *ds, FILE *f, const char *name, char *err, size_t errlen)
{
	struct reader r = { .f = f, .name = name, .err = err, .errlen = errlen };
	enum column_role *roles = NULL;
	int rc, n_columns;

	memset(ds, 0, sizeof *ds);
	rc = parse_header(&r, ds, &roles);
	n_columns = r.n_fields;
	while (rc == 0 && (rc = next_record(&r)) > 0) {
		if (r.n_fields != n_columns) {
			rc = fail(&r, "expected %d fields as in the header, got %d", n_columns,
				  r.n_fields);
			break;
		}
		long row = dataset_add_row(ds);
		int feature = 0;
		rc = row < 0 ? (int)row : 0;
		for (int c = 0; rc == 0 && c < n_columns; c++)
			rc = parse_cell(&r, ds, (size_t)row, c, &feature, roles[c]);
	}
	if (rc == 0 && ds->n == 0)
		rc = fail(&r, "no data rows after the header");
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	free(roles);
	free(r.line);
	free(r.fields);
	if (rc < 0) {
		dataset_free(ds);
		return rc;
	}
	return 0;
}

int matrix_csv_sniff(const char *first_line)
{
	/* headers of the other CSV inputs start with these columns */
	static const char *const others[] = { "date_year,", "ts,", "firstseen", "\"ts\"" };
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strncmp(first_line, others[i], strlen(others[i])) == 0)
			return 0;
	/* a header: printable text, at least one comma, a first field that is not a number */
	for (const char *p = first_line; *p && *p != '\n'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
			return 0;
	char *end;
	strtod(first_line, &end);
	return strchr(first_line, ',') != NULL && end == first_line;
}
