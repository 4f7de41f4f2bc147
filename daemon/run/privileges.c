#include "run/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "store/spool.h"

/* The folders the daemon writes to after the change (and, for the spool,
 * its file, which root created). */
static int hand_over(const struct config *c, uid_t uid, gid_t gid)
{
	char path[4096];
	const char *dirs[] = { c->redis ? c->spool_dir : NULL, c->history_dir };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (!dirs[i])
			continue;
		if (chown(dirs[i], uid, gid) < 0) {
			log_err("%s: cannot hand it to the user: %s", dirs[i], strerror(errno));
			return -1;
		}
	}
	if (c->redis) {
		snprintf(path, sizeof path, "%s/%s", c->spool_dir, SPOOL_FILE);
		if (chown(path, uid, gid) < 0 && errno != ENOENT) {
			log_err("%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int privileges_drop(const struct config *c)
{
	if (!c->user)
		return EX_OK;
	if (geteuid() != 0) {
		log_warn("[daemon] user = %s: not started as root, running as uid %u", c->user,
			 (unsigned)geteuid());
		return EX_OK;
	}
	errno = 0;
	struct passwd *pw = getpwnam(c->user);
	if (!pw) {
		log_err("[daemon] user = %s: %s", c->user,
			errno ? strerror(errno) : "no such user");
		return EX_NOUSER;
	}
	if (hand_over(c, pw->pw_uid, pw->pw_gid) < 0)
		return EX_NOPERM;
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_err("cannot become %s: %s", c->user, strerror(errno));
		return EX_NOPERM;
	}
	if (setuid(0) == 0) { /* must be gone for good */
		log_err("still able to become root after dropping to %s", c->user);
		return EX_SOFTWARE;
	}
	log_info("running as %s (uid %u, gid %u)", c->user, (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	return EX_OK;
}
