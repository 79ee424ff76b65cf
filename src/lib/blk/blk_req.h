/* SPDX-License-Identifier: MIT */
/*
 * Decoding a virtio-blk request from a popped descriptor chain, in place:
 * the 16-byte header is gathered from the first device-readable bytes and
 * the status byte is the last device-writable byte, whatever the driver's
 * descriptor layout (virtio 1.x: the device must not assume one). The data
 * iovecs are the chain's own iovecs, trimmed: no byte of data is copied.
 */
#ifndef VMIO_BLK_BLK_REQ_H
#define VMIO_BLK_BLK_REQ_H

#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_blk.h>

#include "util/iov.h"
#include "vhost/virtq.h"

struct blk_req_info {
	uint32_t type;
	uint64_t sector;
	struct iovec *data;    /* readable (OUT, DISCARD…) or writable (IN, GET_ID) */
	unsigned int ndata;
	uint64_t data_len;
	uint8_t *status;       /* NULL: the chain has no writable byte */
};

/*
 * Fills info from chain c (whose iovecs it trims in place). Returns 0, or
 * -EINVAL when the chain is too short for a header or has no status byte
 * (info->status tells whether an error status can still be reported).
 */
int blk_req_decode(struct virtq_chain *c, struct blk_req_info *info);

#endif
