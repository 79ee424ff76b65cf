/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets handed to vmiod instead of bound by it, so that the
 * socket can exist before vmiod runs and outlive a restart of it:
 *
 * - "fd:N": any descriptor N (3 or above) open when vmiod started, left
 *   to it by whoever exec'ed it (a supervisor, a test).
 * - systemd socket activation: LISTEN_PID (must be our pid), LISTEN_FDS
 *   (how many, from fd 3) and LISTEN_FDNAMES (their names, ':'
 *   separated), read the way sd_listen_fds(3) reads them, without
 *   libsystemd. A device takes the descriptor named after its id with
 *   socket=systemd; the RPC server the one named "rpc".
 *
 * Only descriptors open at startup can be taken: a request over the RPC
 * cannot name one of vmiod's own (an image, another disk's socket). Each
 * is in use by at most one device at a time, through a duplicate: when
 * the device goes, the descriptor can serve a device again, so a disk
 * removed and added back keeps its socket and its waiting clients.
 *
 * All of it runs on the control thread (or before any other starts).
 */
#ifndef VMIO_UTIL_LISTEN_FDS_H
#define VMIO_UTIL_LISTEN_FDS_H

#include <stdbool.h>

/* The name an RPC socket is handed in under. */
#define LISTEN_FDS_RPC_NAME "rpc"

/* Notes the descriptors open now and reads (then unsets, so children do
 * not inherit them) the LISTEN_* variables. Call first thing in main,
 * before anything opens a file. Problems are logged, never fatal: a
 * socket that is missing is reported by whoever asks for it. */
void listen_fds_init(void);

/* "fd:N": 1 with *fd = N, 0 for anything else (a path, "systemd"), or
 * -EINVAL for "fd:" followed by something that is not a number. */
int listen_fds_parse(const char *spec, int *fd);
/* Whether spec asks for a socket from systemd. */
bool listen_fds_is_systemd(const char *spec);
/* Whether two devices' socket values name one socket. "systemd" never
 * does: each device takes the one named after its own id. */
bool listen_fds_same_socket(const char *a, const char *b);

/* A duplicate of inherited descriptor fd, marked in use; -errno with a
 * sentence for a person in the log ("what" names the user: "disk vm1").
 * The caller checks what kind of descriptor it is. */
int listen_fds_take(int fd, const char *what);
/* The same for the descriptor systemd handed in under name. *orig is
 * the inherited number. */
int listen_fds_take_named(const char *name, const char *what, int *orig);
/* Inherited descriptor fd is free to be taken again. */
void listen_fds_release(int fd);

/* The name systemd gave inherited descriptor fd, or NULL. */
const char *listen_fds_name(int fd);

/* Logs a warning for each socket systemd handed in that nothing uses. */
void listen_fds_warn_unused(void);

#endif
