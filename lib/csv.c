#include "csv.h"

#include <string.h>

static char *trim(char *s)
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
			fields[n++] = trim(start);
			start = w;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	fields[n++] = trim(start);
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
