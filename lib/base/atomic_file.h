/* atomic_file: a file replaced whole or not at all, and read whole. The content goes to a
 * temporary file beside the target (mode 0644), is synced, and is renamed
 * over the target, whose folder is then synced: a crash leaves either the
 * old file or the new one, never a torn one. */
#ifndef FLOWSAD_ATOMIC_FILE_H
#define FLOWSAD_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Writes the content through write_fn (called once with the temporary
 * file's descriptor; returns 0 or -errno, and may use atomic_file_write_all).
 * Returns 0, or -errno with "PATH: what failed" in err. */
typedef int (*atomic_file_fn)(int fd, void *ctx);
int atomic_file_replace(const char *path, atomic_file_fn write_fn, void *ctx, char *err,
			size_t errlen) __attribute__((warn_unused_result));

/* Replaces path with the n bytes of buf, as atomic_file_replace does. */
int atomic_file_replace_bytes(const char *path, const void *buf, size_t n, char *err,
			      size_t errlen) __attribute__((warn_unused_result));

/* Reads the regular file at path whole: *buf (malloc'd, one byte more than
 * *len, which is 0) and *len. Returns 0, or -errno (-EINVAL: not a regular
 * file) with "PATH: why" in err. */
int atomic_file_read(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Writes n bytes (retrying short writes and EINTR). Returns 0 or -errno. */
int atomic_file_write_all(int fd, const void *buf, size_t n) __attribute__((warn_unused_result));

#endif
