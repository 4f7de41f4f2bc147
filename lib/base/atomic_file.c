#include "base/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_file_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void fsync_parent(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int atomic_file_replace(const char *path, atomic_file_fn write_fn, void *ctx, char *err,
			size_t errlen)
{
	size_t plen = strlen(path) + 16;
	char *tmp = malloc(plen);
	int rc;

	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(tmp, plen, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", path,
			 strerror(-rc));
		free(tmp);
		return rc;
	}
	rc = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (rc == 0)
		rc = write_fn(fd, ctx);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
		unlink(tmp);
	} else {
		fsync_parent(path);
	}
	free(tmp);
	return rc;
}

struct bytes {
	const void *p;
	size_t n;
};

static int write_bytes(int fd, void *ctx)
{
	const struct bytes *b = ctx;
	return atomic_file_write_all(fd, b->p, b->n);
}

int atomic_file_replace_bytes(const char *path, const void *buf, size_t n, char *err,
			      size_t errlen)
{
	struct bytes b = { buf, n };
	return atomic_file_replace(path, write_bytes, &b, err, errlen);
}

int atomic_file_read(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *p = NULL;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if (!(p = malloc((size_t)st.st_size + 1)))
		rc = -ENOMEM;
	else if (read(fd, p, (size_t)st.st_size) != st.st_size)
		rc = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -EINVAL ? "not a regular file" : strerror(-rc));
		free(p);
		return rc;
	}
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}
