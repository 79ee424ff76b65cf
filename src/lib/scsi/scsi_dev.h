/* SPDX-License-Identifier: MIT */
/*
 * The virtio-scsi device model over vhost-user: one target with several
 * logical units, each on its own backend. Vring 0 is the control queue
 * (task management), vring 1 the event queue (hotplug notices), vrings 2
 * and up are request queues, each owned by one reactor, with the same data
 * path as virtio-blk: chains decoded in place, I/O straight on guest
 * memory, completions published once per reactor pass.
 */
#ifndef VMIO_SCSI_SCSI_DEV_H
#define VMIO_SCSI_SCSI_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "bdev/bdev.h"
#include "engine/reactor.h"
#include "scsi/scsi_cmd.h"
#include "vdev/vdev_queue.h"
#include "vhost/vu_dev.h"

/* Request queues a device may have (two vrings go to control and events). */
#define SCSI_MAX_REQ_QUEUES (VU_MAX_QUEUES - 2)

struct scsi_lun_opts {
	uint16_t lun;           /* its number, < SCSI_MAX_LUNS */
	struct bdev *bdev;      /* the device owns it once created */
	bool ro;
	uint32_t block_size;    /* 512 or 4096; 0: 4096 if O_DIRECT needs it */
};

struct scsi_dev_opts {
	const char *id;
	const char *socket;
	unsigned int num_queues;          /* request queues */
	const struct scsi_lun_opts *luns;
	unsigned int nluns;
	struct reactor *const *reactors;  /* queues are spread over these */
	unsigned int nreactors;
	unsigned int first_reactor;       /* control, events, request 0 */
	/* QoS (NULL domain: off): the target's contract over all its LUNs,
	 * its request queues scheduled with LUN 0's device (or the first
	 * LUN's). */
	struct vdev_qos_domain *qos;
	const struct qos_limits *qos_limits;
	/* Optional, on the control thread: a removed LUN is gone (closed,
	 * freed, the guest told), at once or once its commands finished. */
	void (*lun_gone)(void *arg, uint16_t lun);
	void *lun_gone_arg;
};

struct scsi_dev_stats {
	uint64_t cmds;          /* SCSI commands answered */
	uint64_t reads, writes, flushes, unmaps;
	uint64_t bytes_read, bytes_written;
	uint64_t check_conditions;
	uint64_t bad_requests;  /* chains or headers we could not serve */
	uint64_t tmfs;
	uint64_t events;        /* posted on the event queue */
	uint64_t events_dropped;
	uint64_t inflight;
	uint64_t lat_ns_sum;    /* commands answered, as vdev times them */
	uint64_t lat_hist[VDEV_LAT_BUCKETS + 1];
};

struct scsi_dev;

/* Creates the device and its listening socket. On success the device owns
 * every LUN's bdev; on failure the caller still does. */
int scsi_dev_create(const struct scsi_dev_opts *opts, struct scsi_dev **out);
/* Disconnects the front-end (waiting for in-flight I/O), frees it all. */
void scsi_dev_destroy(struct scsi_dev *d);

struct vu_dev *scsi_dev_vu(struct scsi_dev *d);
const char *scsi_dev_id(const struct scsi_dev *d);
unsigned int scsi_dev_nluns(const struct scsi_dev *d);
void scsi_dev_get_stats(const struct scsi_dev *d, struct scsi_dev_stats *out);

/* One logical unit as the control plane shows it. */
struct scsi_lun_info {
	uint16_t lun;
	const char *backend; /* its bdev's: "uring", "rbd", "null" */
	const char *path;    /* what the backend calls it; NULL for null */
	uint64_t size;       /* bytes */
	uint32_t block_size;
	bool ro;
	bool thin;           /* UNMAP reaches the backend */
};
/* The units served now (removed ones left out), by number, into out
 * (room for SCSI_MAX_LUNS); returns how many. Control thread. */
unsigned int scsi_dev_luns(const struct scsi_dev *d, struct scsi_lun_info *out);

/* QoS at run time, as for disks (blk_dev_qos_set and friends). */
int scsi_dev_qos_set(struct scsi_dev *d, const struct qos_limits *lim,
		     char *err, size_t errlen);
bool scsi_dev_qos_get(const struct scsi_dev *d, struct qos_limits *out);
void scsi_dev_qos_stats(const struct scsi_dev *d, struct qos_stats *out);

/*
 * Runtime hotplug (control thread). Adding opens the LUN on every running
 * queue, then tells the guest to rescan (a TRANSPORT_RESET/RESCAN event);
 * 0 or -errno (-EEXIST, -EBUSY while the number is still being removed,
 * -EINVAL) with a logged reason. Removing refuses new commands to the LUN
 * at once; once its commands in flight are done it is closed, freed,
 * TRANSPORT_RESET/REMOVED is posted and opts->lun_gone called: 0 when
 * that happened now, -EINPROGRESS when it happens later on the control
 * thread (a slow backend may take seconds; nobody waits), -ENOENT.
 */
int scsi_dev_lun_add(struct scsi_dev *d, const struct scsi_lun_opts *lo);
int scsi_dev_lun_remove(struct scsi_dev *d, uint16_t lun);
/* True while a removed LUN's commands finish. */
bool scsi_dev_lun_removing(const struct scsi_dev *d, uint16_t lun);
/* Finishes removals whose commands are done (the device's vu_dev woken
 * hook runs it; callers need not). */
void scsi_dev_reap(struct scsi_dev *d);

#endif
