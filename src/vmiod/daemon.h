/* SPDX-License-Identifier: MIT */
/*
 * The running daemon: its reactors, its devices (disks and virtio-scsi
 * targets, devices.h) and the control loop (loop.h) that serves their
 * vhost-user sockets and every other control-plane fd.
 *
 * Threads: everything here runs on the control thread (the one in
 * daemon_run), except what is marked otherwise. Other threads that read
 * the device list (the metrics server) hold daemon_lock while they do.
 */
#ifndef VMIOD_DAEMON_H
#define VMIOD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "args.h"
#include "disk.h"
#include "loop.h"
#include "scsi_target.h"

struct daemon;

int daemon_create(const struct vmiod_config *cfg, struct daemon **out);
/* Serves until SIGINT/SIGTERM or daemon_request_stop, then stops
 * accepting, lets in-flight I/O finish and returns 0. */
int daemon_run(struct daemon *d);
void daemon_request_stop(struct daemon *d);
void daemon_destroy(struct daemon *d);

struct loop *daemon_loop(struct daemon *d);
struct device_registry *daemon_devices(struct daemon *d);

/* Adds a disk or a scsi target at runtime. On failure returns -errno and
 * puts a message for a person in err. */
int daemon_disk_add(struct daemon *d, const struct disk_config *c, char *err,
		    size_t errlen);
int daemon_scsi_add(struct daemon *d, const struct scsi_config *c, char *err,
		    size_t errlen);
/* Removes a device: its front-end goes at once, the device once its
 * requests in flight are done. 0 when gone, -EINPROGRESS while they
 * drain, -ENOENT if no such device of that kind. */
int daemon_disk_remove(struct daemon *d, const char *id);
int daemon_scsi_remove(struct daemon *d, const char *id);

/* Device list access: hold the lock from another thread. */
void daemon_lock(struct daemon *d);
void daemon_unlock(struct daemon *d);
unsigned int daemon_ndisks(const struct daemon *d);
struct disk *daemon_disk_at(struct daemon *d, unsigned int i);
struct disk *daemon_disk_find(struct daemon *d, const char *id);
unsigned int daemon_nscsi(const struct daemon *d);
struct scsi_target *daemon_scsi_at(struct daemon *d, unsigned int i);
struct scsi_target *daemon_scsi_find(struct daemon *d, const char *id);

unsigned int daemon_nreactors(const struct daemon *d);
struct reactor *daemon_reactor(struct daemon *d, unsigned int i);
/* A reactor's NUMA node in the topology vmiod read; -1 when unknown. */
int daemon_reactor_node(const struct daemon *d, const struct reactor *r);
/* Looks again where a connected guest's memory is (placement.h). */
void daemon_check_guest(struct daemon *d, struct device *dev);

/* Control-loop hooks for other control-plane servers. */
typedef loop_fn daemon_watch_fn;
int daemon_watch(struct daemon *d, int fd, daemon_watch_fn fn, void *arg);
void daemon_unwatch(struct daemon *d, int fd);

#endif
