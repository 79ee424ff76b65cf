/* SPDX-License-Identifier: MIT */
/*
 * Inflight I/O tracking for split rings (VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD,
 * "Inflight I/O tracking" in QEMU's docs/interop/vhost-user.rst).
 *
 * The back-end keeps, in shared memory the front-end holds on to, one flag
 * per descriptor head: set when the head is popped, cleared after its
 * completion is visible in the used ring. If vmiod dies, QEMU hands the
 * same memory to the next vmiod, which resubmits every head still flagged,
 * in the order they were first popped, and so completes each exactly once.
 */
#ifndef VMIO_VHOST_INFLIGHT_H
#define VMIO_VHOST_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

struct inflight_desc {
	uint8_t inflight;   /* popped, completion not yet visible */
	uint8_t padding[5];
	uint16_t next;      /* previous head of the last completed batch */
	uint64_t counter;   /* pop order */
};

struct inflight_queue {
	uint64_t features;  /* 0 */
	uint16_t version;   /* 1 once initialised */
	uint16_t desc_num;  /* ring size */
	uint16_t last_batch_head;
	uint16_t used_idx;  /* used->idx once the batch's flags were cleared */
	struct inflight_desc desc[];
};

#define INFLIGHT_VERSION 1
#define INFLIGHT_ALIGN 64

/* Bytes of one queue's region for a ring of queue_size entries. */
static inline size_t inflight_queue_bytes(uint16_t queue_size)
{
	size_t n = sizeof(struct inflight_queue) +
		   (size_t)queue_size * sizeof(struct inflight_desc);

	return (n + INFLIGHT_ALIGN - 1) & ~(size_t)(INFLIGHT_ALIGN - 1);
}

#endif
