/* csv: what the record readers (flow_csv, ids_csv) share: splitting a line
 * into fields and finding named columns in a header. */
#ifndef FLOWSAD_CSV_H
#define FLOWSAD_CSV_H

/* Splits line in place at commas; double quotes group and "" is a quote;
 * a trailing newline is dropped, spaces around fields are trimmed. Returns
 * the field count (at most max). */
int csv_split(char *line, char **fields, int max);

/* For each of the count names, its index among the n header fields in
 * col[]. Returns -1 when all are found, else the index of a missing name. */
int csv_find_columns(char **fields, int n, const char *const *names, int count, int *col);

#endif
