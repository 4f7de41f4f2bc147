/* privileges: started as root with [daemon] user set, flowsad gives up
 * root once its captures and sockets are open: the state folders it made
 * (spool, history) are handed to the user, then the groups, gid and uid
 * change for good. Under systemd the unit runs as the user from the start
 * with CAP_NET_RAW alone, and nothing is done here. */
#ifndef FLOWSAD_PRIVILEGES_H
#define FLOWSAD_PRIVILEGES_H

#include "common/config.h"

/* Returns a sysexits code, logging why. */
int privileges_drop(const struct config *c);

#endif
