/* SPDX-License-Identifier: MIT */
/* Shared by blk_dev.c (device, config, lifecycle) and blk_queue.c (the
 * per-vring data path). */
#ifndef VMIO_BLK_BLK_INTERNAL_H
#define VMIO_BLK_BLK_INTERNAL_H

#include "blk/blk_dev.h"
#include "blk/blk_req.h"
#include "engine/fixed_mem.h"

struct blk_queue;

struct blk_req {
	struct bdev_io io;
	struct blk_queue *q;
	uint8_t *status;
	uint32_t used_len;     /* bytes written into guest buffers */
	uint32_t type;
	uint16_t head;
	bool busy;
	bool via_qos;          /* admitted through the QoS scheduler */
	enum blk_stat_op stat;
	uint64_t start_ns;
	struct qos_req qos;
	/* DISCARD / WRITE_ZEROES: segments run one after another. */
	struct virtio_blk_discard_write_zeroes segs[BLK_MAX_DISCARD_SEG];
	unsigned int nsegs, next_seg;
	struct iovec iov[BLK_MAX_IOV];
};

struct blk_queue {
	struct reactor_poller poller;
	struct blk_dev *dev;
	struct vu_vring *vring;
	struct virtq *vq;
	struct reactor *reactor;
	struct bdev_channel *ch;
	struct blk_req *reqs;    /* one slot per descriptor head */
	unsigned int nreqs;
	unsigned int inflight;
	unsigned int idx;
	int call_fd;
	bool dirty;              /* used ring has unpublished entries */
	bool stopping;
	struct completion *stopped;
	struct blk_queue_stats stats;
	struct blk_qos_sched *sched; /* NULL: not under QoS */
	struct qos_entity qos;
	int qos_error;               /* set if the entity could not attach */
	struct fixed_mem fixed;      /* guest memory as registered buffers */
};

struct blk_dev {
	struct vu_dev *vu;
	struct bdev *bdev;
	char *id;
	uint32_t blk_size;
	bool ro;
	bool writeback;          /* config wce: FLUSH needed for durability */
	uint64_t capacity;       /* 512-byte sectors */
	struct blk_queue *queues; /* one per vring */
	struct reactor **reactors;
	unsigned int nreactors;
	unsigned int first_reactor;
	/* QoS: the domain, the disk's contract, and the group its queues'
	 * entities join (a named one, or an implicit one per multi-queue
	 * disk that holds the disk's contract). */
	struct blk_qos_domain *qos;
	struct qos_limits qos_lim;
	struct qos_limits entity_lim;
	struct qos_group *qos_group;
	bool qos_implicit_group;
};

int blk_queue_start(struct blk_dev *d, unsigned int idx);
/* On the owning reactor, once a stopping queue has nothing in flight. */
void blk_queue_stop_finish(struct blk_queue *q);
void blk_queue_stop(struct blk_dev *d, unsigned int idx);

#endif
