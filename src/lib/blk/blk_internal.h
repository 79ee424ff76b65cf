/* SPDX-License-Identifier: MIT */
/* Shared by blk_dev.c (device, config, lifecycle) and blk_queue.c (the
 * per-vring data path). */
#ifndef VMIO_BLK_BLK_INTERNAL_H
#define VMIO_BLK_BLK_INTERNAL_H

#include "blk/blk_dev.h"
#include "blk/blk_req.h"
#include "vdev/vdev_queue.h"

struct blk_queue;

struct blk_req {
	struct vdev_req vr;    /* first: the slot vdev hands us */
	struct blk_queue *q;
	uint8_t *status;
	uint32_t used_len;     /* bytes written into guest buffers */
	uint32_t type;
	enum blk_stat_op stat;
	/* DISCARD / WRITE_ZEROES: segments run one after another. */
	struct virtio_blk_discard_write_zeroes segs[BLK_MAX_DISCARD_SEG];
	unsigned int nsegs, next_seg;
	struct iovec iov[BLK_MAX_IOV];
	/* Last: the backend's context follows it in the slot. */
	struct bdev_io io;
};

/* A virtio-blk request queue: the vring machinery is vdev's; this is
 * what a block device adds to it. */
struct blk_queue {
	struct vdev_queue vdev;      /* first */
	struct blk_dev *dev;
	struct bdev_channel *ch;
	unsigned int idx;
	struct blk_queue_stats stats;
};

struct blk_dev {
	struct vu_dev *vu;
	struct bdev *bdev;
	char *id;
	uint32_t blk_size;
	uint32_t discard_segs;   /* per DISCARD / WRITE_ZEROES request */
	bool ro;
	bool writeback;          /* config wce: FLUSH needed for durability */
	uint64_t capacity;       /* 512-byte sectors */
	struct blk_queue *queues; /* one per vring */
	struct reactor **reactors;
	unsigned int nreactors;
	unsigned int first_reactor;
	/* QoS: the disk's contract and how its queues share it. */
	bool has_qos;
	struct vdev_qos_contract qos;
};

int blk_queue_start(struct blk_dev *d, unsigned int idx);
/* vu_dev_ops.queue_stop and queue_stopped. */
int blk_queue_stop(struct blk_dev *d, unsigned int idx);
void blk_queue_stopped(struct blk_dev *d, unsigned int idx);

#endif
