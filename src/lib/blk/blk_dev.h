/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk device model over vhost-user: feature and config space,
 * one request queue per vring (owned by one reactor), requests decoded in
 * place and executed on a bdev.
 */
#ifndef VMIO_BLK_BLK_DEV_H
#define VMIO_BLK_BLK_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "bdev/bdev.h"
#include "vdev/vdev_qos.h"
#include "engine/reactor.h"
#include "vdev/vdev_queue.h"
#include "vhost/vu_dev.h"

/* Most data iovecs a request may carry (config seg_max), and the iovecs a
 * request slot holds: header and status, plus room for buffers that
 * straddle guest memory regions. */
#define BLK_SEG_MAX 254
#define BLK_MAX_IOV (BLK_SEG_MAX + 10)
/* Segments in one DISCARD / WRITE_ZEROES request. */
#define BLK_MAX_DISCARD_SEG 32
/* Largest single DISCARD / WRITE_ZEROES segment, in 512-byte sectors. */
#define BLK_MAX_DISCARD_SECTORS (1u << 22)
/* Largest segment the guest may build (config size_max). */
#define BLK_SIZE_MAX (1u << 20)

struct blk_dev_opts {
	const char *id;
	const char *socket;
	unsigned int num_queues;
	uint32_t blk_size;   /* 512 or 4096 */
	/* Segments a DISCARD or WRITE_ZEROES may carry (config
	 * max_discard_seg, max_write_zeroes_seg): 1 to BLK_MAX_DISCARD_SEG;
	 * 0: BLK_MAX_DISCARD_SEG. */
	uint32_t discard_segs;
	bool ro;
	struct bdev *bdev;   /* the device owns it from now on */
	struct reactor *const *reactors; /* queues are spread over these */
	unsigned int nreactors;
	unsigned int first_reactor;      /* queue 0 goes here */
	struct vdev_qos_domain *qos;      /* NULL: no QoS scheduling */
	const struct qos_limits *qos_limits; /* the disk's contract, or NULL */
};

enum blk_stat_op { BLK_STAT_READ, BLK_STAT_WRITE, BLK_STAT_FLUSH,
		   BLK_STAT_DISCARD, BLK_STAT_WRITE_ZEROES, BLK_STAT_OTHER,
		   BLK_STAT_NR };

/* Latency histogram buckets: upper bounds 2^(k+3) µs, k = 0..BLK_LAT_BUCKETS-1
 * (8 µs .. 262 ms), then everything slower. */
#define BLK_LAT_BUCKETS VDEV_LAT_BUCKETS

struct blk_queue_stats {
	uint64_t ops[BLK_STAT_NR];
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t errors;     /* IOERR answered */
	uint64_t unsupported;/* UNSUPP answered */
	uint64_t bad_chains; /* chains we could not even decode */
	uint64_t fixed_buffer_ios; /* reads/writes on registered memory */
	uint64_t lat_ns_sum; /* of completed requests */
	uint64_t lat_hist[BLK_LAT_BUCKETS + 1];
	uint64_t inflight;
};

struct blk_dev;

/* On failure returns -errno; err (may be NULL) says why for a person. */
int blk_dev_create(const struct blk_dev_opts *opts, struct blk_dev **out,
		   char *err, size_t errlen);
/* Disconnects the front-end (waiting for in-flight I/O), frees it all. */
void blk_dev_destroy(struct blk_dev *d);

struct vu_dev *blk_dev_vu(struct blk_dev *d);
struct bdev *blk_dev_bdev(struct blk_dev *d);
const char *blk_dev_id(const struct blk_dev *d);
uint64_t blk_dev_capacity_sectors(const struct blk_dev *d);
uint32_t blk_dev_blk_size(const struct blk_dev *d);
/* Grows the disk to bytes (whole blocks) and tells a connected guest to
 * re-read its config space (BACKEND_REQ CONFIG_CHANGE_MSG). */
int blk_dev_resize(struct blk_dev *d, uint64_t bytes, char *err, size_t errlen);

/* Changes the disk's QoS contract at runtime; -ENOTSUP without QoS. */
int blk_dev_qos_set(struct blk_dev *d, const struct qos_limits *lim,
		    char *err, size_t errlen);
/* The contract in force; false when the disk is not under QoS. */
bool blk_dev_qos_get(const struct blk_dev *d, struct qos_limits *out);
/* Sums the QoS counters of every started queue. */
void blk_dev_qos_stats(const struct blk_dev *d, struct qos_stats *out);

/* Sums every queue's counters (read racily from another thread). */
void blk_dev_get_stats(const struct blk_dev *d, struct blk_queue_stats *out);

#endif
