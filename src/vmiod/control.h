/* SPDX-License-Identifier: MIT */
/* vmiod's control plane: --config, --rpc, --metrics, --socket-group and
 * systemd readiness, started around the daemon's run. */
#ifndef VMIOD_CONTROL_H
#define VMIOD_CONTROL_H

#include "args.h"
#include "daemon.h"

struct control;

/* --socket-owner and --socket-group, by name; -1 where not given. Logs
 * and returns -ENOENT for a name that does not exist. */
int control_socket_owner(const struct vmiod_config *cfg, int *uid, int *gid);

/* After daemon_create: restores --config, listens on --rpc and --metrics.
 * Returns -errno after logging what went wrong. */
int control_start(struct daemon *d, const struct vmiod_config *cfg,
		  struct control **out);
/* Tells systemd the daemon is ready (call right before daemon_run). */
void control_ready(struct control *c);
void control_stop(struct control *c);

#endif
