/* SPDX-License-Identifier: MIT */
/*
 * The running daemon: its reactors, its disks, and the control loop that
 * serves every disk's vhost-user socket (and any other control-plane fd,
 * such as the RPC server's, registered with daemon_watch).
 *
 * Threads: everything here runs on the control thread (the one in
 * daemon_run), except what is marked otherwise. Other threads that read the
 * disk list (the metrics server) hold daemon_lock while they do.
 */
#ifndef VMIOD_DAEMON_H
#define VMIOD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "args.h"
#include "blk/blk_dev.h"
#include "engine/reactor.h"
#include "placement.h"

struct daemon;
struct disk;

int daemon_create(const struct vmiod_config *cfg, struct daemon **out);
/* Serves until SIGINT/SIGTERM or daemon_request_stop, then stops
 * accepting, lets in-flight I/O finish and returns 0. */
int daemon_run(struct daemon *d);
void daemon_request_stop(struct daemon *d);
void daemon_destroy(struct daemon *d);

/* Adds a disk at runtime. On failure returns -errno and puts a message
 * for a person in err. */
int daemon_disk_add(struct daemon *d, const struct disk_config *c, char *err,
		    unsigned long errlen);
/* Disconnects its front-end (in-flight I/O completes first), closes its
 * socket and image. -ENOENT if no such disk. */
int daemon_disk_remove(struct daemon *d, const char *id);

/* Grows a disk (and its image) to bytes, telling a connected guest. */
int daemon_disk_resize(struct daemon *d, const char *id, uint64_t bytes,
		       char *err, unsigned long errlen);

/* Replaces a disk's QoS contract (the --disk QoS keys, e.g.
 * "iops=5000,weight=200"; "" clears it). -ENOTSUP when QoS is off. */
int daemon_disk_qos_set(struct daemon *d, const char *id, const char *spec,
			char *err, unsigned long errlen);
/* The contract in force, formatted like the keys above. */
int daemon_disk_qos_get(struct daemon *d, const char *id, char *buf,
			unsigned long len);

/* Disk list access: hold the lock from another thread. */
void daemon_lock(struct daemon *d);
void daemon_unlock(struct daemon *d);
unsigned int daemon_ndisks(const struct daemon *d);
struct disk *daemon_disk_at(struct daemon *d, unsigned int i);
struct disk *daemon_disk_find(struct daemon *d, const char *id);

struct disk_info {
	const char *id;
	const char *path;    /* NULL for null */
	const char *socket;
	const char *backend; /* "uring" or "null" */
	uint64_t size;       /* bytes */
	uint32_t blk_size;
	unsigned int queues;
	bool ro;
	bool direct;
	bool connected;
	uint64_t features;          /* negotiated, 0 when not connected */
	uint64_t protocol_features;
	const char *qos;     /* the QoS option string, or NULL */
	struct queue_place *place;   /* queues' reactors, device node */
	struct guest_mem *guest_mem; /* the connected guest's memory table */
};
void disk_get_info(struct disk *k, struct disk_info *out);
struct blk_dev *disk_blk(struct disk *k);
/* The configuration to recreate this disk (config save). */
const struct disk_config *disk_config(const struct disk *k);

/* virtio-scsi targets (--scsi), for the control plane. */
struct scsi_target_info {
	const char *id;
	const char *socket;
	unsigned int queues;         /* request queues */
	bool connected;
	uint64_t features;           /* negotiated, 0 when not connected */
	struct scsi_dev *dev;
	struct queue_place *place;   /* request queues' reactors, device node */
	struct guest_mem *guest_mem; /* the connected guest's memory table */
};
unsigned int daemon_nscsi(const struct daemon *d);
/* The i-th target, or the one named id; false if there is none. Looks
 * again where a connected guest's memory is first. Control thread. */
bool daemon_scsi_at(struct daemon *d, unsigned int i,
		    struct scsi_target_info *out);
bool daemon_scsi_find(struct daemon *d, const char *id,
		      struct scsi_target_info *out);

/* Hot-plugs a LUN into scsi target id (the guest is told to rescan): a
 * file at path (opened with O_DIRECT), or a null backend of null_size
 * bytes when path is NULL. 0, or -errno with a sentence in err:
 * -ENOENT no such target, -EEXIST the LUN exists, -EINVAL bad number. */
int daemon_scsi_lun_add(struct daemon *d, const char *id, unsigned int lun,
			const char *path, uint64_t null_size, bool ro,
			char *err, unsigned long errlen);
/* Unplugs it: new commands are refused, in-flight ones finish first. */
int daemon_scsi_lun_remove(struct daemon *d, const char *id, unsigned int lun,
			   char *err, unsigned long errlen);

unsigned int daemon_nreactors(const struct daemon *d);
struct reactor *daemon_reactor(struct daemon *d, unsigned int i);
/* A reactor's NUMA node in the topology vmiod read; -1 when unknown. */
int daemon_reactor_node(const struct daemon *d, const struct reactor *r);
/* Looks again where a connected guest's memory is (placement.h); control
 * thread only. */
void daemon_disk_check_guest(struct daemon *d, struct disk *k);

/* Control-loop hooks for other control-plane servers. */
typedef void (*daemon_watch_fn)(void *arg, uint32_t events);
int daemon_watch(struct daemon *d, int fd, daemon_watch_fn fn, void *arg);
void daemon_unwatch(struct daemon *d, int fd);

#endif
