/* SPDX-License-Identifier: MIT */
/*
 * Listening unix sockets that cannot be turned against vmiod, which runs
 * as root and creates them in directories its clients may own:
 *
 * - The socket is bound in a private directory vmiod makes next to the
 *   final path (mode 0700), given its mode, owner and group there, where
 *   nobody else can swap it for a symlink, and only then renamed into
 *   place: no chmod or chown ever goes through a path someone else
 *   controls.
 * - The directory is held open from the start: every later operation
 *   (the rename, the final unlink) works inside that directory, whatever
 *   its path comes to point at.
 * - The file is unlinked at the end only if it is still the one bound
 *   (same device and inode): never a file vmiod did not create.
 *
 * Or the socket is handed in (util/listen_fds.h): "fd:N" or "systemd"
 * instead of a path. It must already listen, as an AF_UNIX SOCK_STREAM
 * socket; vmiod makes it non-blocking and close-on-exec, and never
 * touches its file: whoever bound it owns it, its mode and its removal.
 */
#ifndef VMIO_UTIL_UNIX_LISTEN_H
#define VMIO_UTIL_UNIX_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>

struct unix_listener {
	int fd;       /* the listening socket, non-blocking; -1: none */
	int dirfd;    /* the directory it lives in (O_PATH) */
	char *name;   /* its name there */
	dev_t dev;    /* the file bound, for the unlink check */
	ino_t ino;
	int handed;   /* handed in: the inherited descriptor fd duplicates */
	char *bound;  /* handed in: the path it is bound to ("@name" for
		       * an abstract one), or NULL */
};

struct unix_listen_opts {
	unsigned int mode; /* 0: 0660 */
	int uid, gid;      /* -1 keeps each (root's, vmiod's own) */
	int backlog;       /* 0: 16 */
	/* For "systemd": the name the socket is handed in under (a device's
	 * id, "rpc"); NULL refuses "systemd". */
	const char *sd_name;
	const char *who;   /* "disk vm1": its user, for messages; NULL: path */
};

/* Listens on path, replacing a stale socket (one nobody listens on).
 * -errno, with a sentence for a person in the log: -EEXIST for a file
 * that is not a socket, -EADDRINUSE for a live socket. path "fd:N" or
 * "systemd" takes a socket handed in: -EBADF, -ENOENT, -EBUSY (another
 * device has it), -ENOTSOCK or -EPROTOTYPE (not a unix stream socket),
 * -EINVAL (not listening). */
int unix_listen(struct unix_listener *l, const char *path,
		const struct unix_listen_opts *o);
/* Closes the socket and removes its file if it is still ours; a socket
 * handed in becomes free for the next device that asks for it. */
void unix_listener_close(struct unix_listener *l);

#endif
