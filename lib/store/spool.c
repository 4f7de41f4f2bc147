#include "store/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crc32.h"

static const char magic[8] = { 'F', 'S', 'A', 'D', 'S', 'P', 'L', '1' };

struct spool {
	int fd;         /* -1: not made yet (its disk was full at the open) */
	char *dir, *path;
	uint64_t max_bytes;
	uint64_t head;  /* offset of the oldest pending record */
	uint64_t end;   /* end of the last whole record */
	struct spool_stats st;
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* All of len bytes at off, read or written (partial transfers resumed). */
static int transfer(int fd, void *buf, size_t len, uint64_t off, int write)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n, off += (uint64_t)n;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	return transfer(fd, buf, len, off, 0);
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	return transfer(fd, (void *)buf, len, off, 1);
}

static int write_head(struct spool *s)
{
	uint8_t h[SPOOL_HEADER];
	memcpy(h, magic, 8);
	put_le(h + 8, s->head, 8);
	return pwrite_all(s->fd, h, sizeof h, 0) < 0 || fdatasync(s->fd) < 0 ? -1 : 0;
}

/* The payload length of the whole, intact record at off, or -1. */
static int64_t record_at(const struct spool *s, uint64_t off, uint64_t file_size, char **payload)
{
	uint8_t h[SPOOL_RECORD_HEADER];
	if (off + sizeof h > file_size || pread_all(s->fd, h, sizeof h, off) < 0)
		return -1;
	uint64_t len = get_le(h, 4);
	if (len > s->max_bytes || off + sizeof h + len > file_size)
		return -1;
	char *buf = malloc(len + 1);
	if (!buf || pread_all(s->fd, buf, len, off + sizeof h) < 0 ||
	    crc32_ieee(buf, len) != (uint32_t)get_le(h + 4, 4)) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	if (payload)
		*payload = buf;
	else
		free(buf);
	return (int64_t)len;
}

static int header_unwritten(const struct spool *s)
{
	uint8_t h[SPOOL_HEADER];
	static const uint8_t zero[SPOOL_HEADER];
	return pread_all(s->fd, h, sizeof h, 0) == 0 && memcmp(h, zero, sizeof h) == 0;
}

/* Reads the header and checks every pending record; a bad tail is cut.
 * Returns 0, or -1 with errno set (EINVAL: the file is not a spool). */
static int recover(struct spool *s, char *err, size_t errlen)
{
	struct stat st;
	uint8_t h[SPOOL_HEADER];

	if (fstat(s->fd, &st) < 0)
		return snprintf(err, errlen, "%s: %s", s->path, strerror(errno)), -1;
	uint64_t size = (uint64_t)st.st_size;
	/* new, or torn before its header was whole: shorter than one, or one of
	 * zeros (extended, then its write refused by a full disk) */
	if (size < SPOOL_HEADER || header_unwritten(s)) {
		s->head = s->end = SPOOL_HEADER;
		s->st.cut_bytes = size;
		if (ftruncate(s->fd, SPOOL_HEADER) < 0 || write_head(s) < 0)
			return snprintf(err, errlen, "%s: %s", s->path, strerror(errno)), -1;
		s->st.file_bytes = SPOOL_HEADER;
		return 0;
	}
	errno = EINVAL;
	if (pread_all(s->fd, h, sizeof h, 0) < 0 || memcmp(h, magic, 8) != 0)
		return snprintf(err, errlen, "%s: not a flowsad spool file (bad magic)", s->path),
		       -1;
	s->head = get_le(h + 8, 8);
	if (s->head < SPOOL_HEADER || s->head > size)
		return snprintf(err, errlen, "%s: corrupt header (head offset %llu of %llu bytes)",
				s->path, (unsigned long long)s->head, (unsigned long long)size), -1;
	uint64_t off = s->head;
	int64_t len;
	while ((len = record_at(s, off, size, NULL)) >= 0) {
		off += SPOOL_RECORD_HEADER + (uint64_t)len;
		s->st.pending++;
		s->st.pending_bytes += (uint64_t)len;
	}
	s->end = off;
	if (off < size) {
		s->st.cut_bytes = size - off;
		if (ftruncate(s->fd, (off_t)off) < 0 || fdatasync(s->fd) < 0)
			return snprintf(err, errlen, "%s: %s", s->path, strerror(errno)), -1;
	}
	s->st.file_bytes = s->end;
	return 0;
}

/* Makes the folder and the file as needed and reads what the file holds.
 * Returns 0, or -1 with the reason in err and errno set. */
static int attach(struct spool *s, char *err, size_t errlen)
{
	if (mkdir(s->dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
		return -1;
	}
	if ((s->fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (recover(s, err, errlen) == 0)
		return 0;
	int saved = errno;
	close(s->fd);
	s->fd = -1;
	errno = saved;
	return -1;
}

/* Whether an error at the open is the disk's state now (it may pass), not
 * the configuration's (a path that cannot be, a folder not ours). */
static int passing(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* The next append or peek makes the file when it was not made at the open. */
static int ensure_attached(struct spool *s)
{
	char err[64];
	return s->fd >= 0 ? 0 : attach(s, err, sizeof err);
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spool *s = calloc(1, sizeof *s);
	size_t n = strlen(dir) + sizeof SPOOL_FILE + 1;

	if (!s || !(s->path = malloc(n)) || !(s->dir = strdup(dir))) {
		if (s)
			free(s->path);
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, n, "%s/%s", dir, SPOOL_FILE);
	s->max_bytes = max_bytes;
	s->fd = -1;
	err[0] = '\0';
	if (attach(s, err, errlen) == 0 || passing(errno))
		return s;
	free(s->dir);
	free(s->path);
	free(s);
	return NULL;
}

int spool_is_open(const struct spool *s)
{
	return s->fd >= 0;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s->path);
	free(s);
}

const struct spool_stats *spool_stats(const struct spool *s)
{
	return &s->st;
}

/* Rewrites the file with the pending records alone: a new file renamed
 * over the old one, so that a crash leaves one or the other whole. */
static int compact(struct spool *s)
{
	uint64_t len = s->end - s->head;
	size_t n = strlen(s->path) + 5;
	char *tmp = malloc(n), *buf = malloc(SPOOL_HEADER + len);
	int fd = -1, rc = -1;

	if (!tmp || !buf || pread_all(s->fd, buf + SPOOL_HEADER, len, s->head) < 0)
		goto out;
	snprintf(tmp, n, "%s.new", s->path);
	memcpy(buf, magic, 8);
	put_le((uint8_t *)buf + 8, SPOOL_HEADER, 8);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
	    pwrite_all(fd, buf, SPOOL_HEADER + len, 0) < 0 || fdatasync(fd) < 0 ||
	    rename(tmp, s->path) < 0)
		goto out;
	close(s->fd);
	s->fd = fd;
	fd = -1;
	s->head = SPOOL_HEADER;
	s->end = s->st.file_bytes = SPOOL_HEADER + len;
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(buf);
	return rc;
}

static int drop_oldest(struct spool *s)
{
	int64_t len = record_at(s, s->head, s->end, NULL);
	if (len < 0)
		return -1;
	s->head += SPOOL_RECORD_HEADER + (uint64_t)len;
	s->st.pending--;
	s->st.pending_bytes -= (uint64_t)len;
	s->st.dropped++;
	return 0;
}

/* Makes room for need more bytes within the bound, oldest records first. */
static int make_room(struct spool *s, uint64_t need)
{
	if (s->end + need <= s->max_bytes)
		return 0;
	while (s->st.pending && SPOOL_HEADER + (s->end - s->head) + need > s->max_bytes)
		if (drop_oldest(s) < 0)
			return -1;
	return compact(s);
}

int spool_append_batch(struct spool *s, const struct spool_item *items, size_t n)
{
	uint64_t need = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t one = SPOOL_RECORD_HEADER + (uint64_t)items[i].len;
		if (SPOOL_HEADER + one > s->max_bytes) {
			errno = EMSGSIZE;
			return -1;
		}
		need += one;
	}
	if (n == 0)
		return 0;
	if (ensure_attached(s) < 0)
		return -1;
	if (SPOOL_HEADER + need > s->max_bytes) { /* more than the bound at once: one by one */
		for (size_t i = 0; i < n; i++)
			if (spool_append_batch(s, &items[i], 1) < 0)
				return -1;
		return 0;
	}
	if (make_room(s, need) < 0)
		return -1;
	uint8_t *buf = malloc(need), *p = buf;
	if (!buf)
		return -1;
	for (size_t i = 0; i < n; i++) {
		put_le(p, items[i].len, 4);
		put_le(p + 4, crc32_ieee(items[i].data, items[i].len), 4);
		memcpy(p + SPOOL_RECORD_HEADER, items[i].data, items[i].len);
		p += SPOOL_RECORD_HEADER + items[i].len;
	}
	/* one write and one sync for the batch: a crash keeps a prefix of it */
	int rc = pwrite_all(s->fd, buf, need, s->end) < 0 || fdatasync(s->fd) < 0 ? -1 : 0;
	free(buf);
	if (rc < 0) { /* a partial write (the disk full) must not be read back later */
		int saved = errno, cut = ftruncate(s->fd, (off_t)s->end);
		(void)cut; /* if it fails too, the next append overwrites it */
		errno = saved;
		return -1;
	}
	s->end += need;
	s->st.pending += n;
	for (size_t i = 0; i < n; i++)
		s->st.pending_bytes += items[i].len;
	s->st.file_bytes = s->end;
	return 0;
}

int spool_append(struct spool *s, const void *data, uint32_t len)
{
	struct spool_item one = { data, len };
	return spool_append_batch(s, &one, 1);
}

int spool_peek(struct spool *s, char **data, uint32_t *len)
{
	if (!s->st.pending) /* nothing was ever appended to a spool not made */
		return 0;
	int64_t n = record_at(s, s->head, s->end, data);
	if (n < 0)
		return -1;
	*len = (uint32_t)n;
	return 1;
}

int spool_pop(struct spool *s)
{
	int64_t len = record_at(s, s->head, s->end, NULL);
	if (!s->st.pending || len < 0)
		return -1;
	s->head += SPOOL_RECORD_HEADER + (uint64_t)len;
	s->st.pending--;
	s->st.pending_bytes -= (uint64_t)len;
	if (s->st.pending == 0) { /* all delivered: start the file afresh */
		s->head = s->end = SPOOL_HEADER;
		if (write_head(s) < 0 || ftruncate(s->fd, SPOOL_HEADER) < 0)
			return -1;
		s->st.file_bytes = SPOOL_HEADER;
		return 0;
	}
	return write_head(s);
}
