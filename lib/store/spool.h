/* spool: an on-disk queue of alerts that wait for their sink, kept in order
 * across restarts and crashes.
 *
 * One file, DIR/alerts.spool: a 16-byte header (magic, then the offset of
 * the oldest record not yet delivered) and records appended after it, each
 * a 4-byte length, a CRC-32 of the payload and the payload. Opening checks
 * every pending record and cuts a torn or corrupt tail (a crash mid-write),
 * counting what it cut. The file is bounded: when an append would pass
 * max_bytes, delivered records are compacted away, and if that is not
 * enough the oldest pending ones are dropped and counted. Every append and
 * delivery is written through (fdatasync) before it returns. */
#ifndef FLOWSAD_SPOOL_H
#define FLOWSAD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_FILE "alerts.spool"
#define SPOOL_HEADER 16
#define SPOOL_RECORD_HEADER 8

struct spool_stats {
	uint64_t pending;      /* records waiting */
	uint64_t pending_bytes;
	uint64_t dropped;      /* oldest records pushed out by the bound */
	uint64_t cut_bytes;    /* torn or corrupt tail removed at open */
	uint64_t file_bytes;
};

struct spool;

/* Opens (creating dir and file as needed) the spool in dir. Returns NULL
 * with the reason in err. When the disk is full (ENOSPC, EDQUOT) it returns
 * a spool not made yet, the reason in err: its appends fail as a full
 * disk's do until the file can be made, and then it works as any. */
struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen);
/* Whether the spool's file is made (see spool_open). */
int spool_is_open(const struct spool *s);
void spool_close(struct spool *s);

/* Appends one record. Returns 0, or -1 with errno (a record larger than the
 * bound is refused with EMSGSIZE). */
int spool_append(struct spool *s, const void *data, uint32_t len);
/* Appends n records with one write and one sync (a window's alerts): a crash
 * leaves a whole prefix of them. Returns as spool_append (on an error some
 * of them may be in). */
struct spool_item {
	const void *data;
	uint32_t len;
};
int spool_append_batch(struct spool *s, const struct spool_item *items, size_t n);
/* The oldest pending record into *data (malloc'd, NUL-terminated, caller
 * frees) and *len. Returns 1, 0 when nothing is pending, -1 on I/O error. */
int spool_peek(struct spool *s, char **data, uint32_t *len);
/* Marks the oldest pending record delivered. Returns 0 or -1. */
int spool_pop(struct spool *s);

const struct spool_stats *spool_stats(const struct spool *s);

#endif
