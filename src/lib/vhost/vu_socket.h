/* SPDX-License-Identifier: MIT */
/* Unix-socket plumbing for vhost-user: listen, receive messages with their
 * fds without ever blocking, send replies. */
#ifndef VMIO_VHOST_VU_SOCKET_H
#define VMIO_VHOST_VU_SOCKET_H

#include "util/unix_listen.h"
#include "vhost/vu_dev.h"

/* Who the vhost-user sockets vmiod makes belong to (--socket-owner,
 * --socket-group; -1 keeps each). Set before any device is created. */
void vu_socket_set_owner(int uid, int gid);
/* Listens on path (mode 0660, the owner above) through util/unix_listen.h,
 * replacing a stale socket file but never a live one or a non-socket;
 * or takes the socket "fd:N" or "systemd" (the one named name) hands in. */
int vu_socket_listen(struct unix_listener *l, const char *path,
		     const char *name);

/* Receives more of the message in rx. Returns 1 when rx holds a whole
 * message, 0 when more bytes are needed later, -ECONNRESET on EOF, or
 * -EPROTO (with *why set) for a message no correct front-end sends. */
int vu_socket_recv(int fd, struct vu_rx *rx, const char **why);

/* Closes any fds rx still owns and readies it for the next message. */
void vu_rx_reset(struct vu_rx *rx);

/* Sends hdr+payload (and fds, if any) in one message. */
int vu_socket_send(int fd, const struct vhost_user_msg *msg, const int *fds,
		   unsigned int nfds);

#endif
