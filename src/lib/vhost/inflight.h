/* SPDX-License-Identifier: MIT */
/*
 * Inflight I/O tracking (VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD, "Inflight
 * I/O tracking" in QEMU's docs/interop/vhost-user.rst), in the layouts
 * that document gives for split and for packed rings.
 *
 * Split rings:
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

/*
 * Packed rings: a completion overwrites ring descriptors of requests still
 * in flight (used entries go where the next used position is, whoever's
 * descriptor was there), so the region keeps a copy of every descriptor of
 * every chain in flight. Entries form a free list; a popped chain takes
 * as many entries as it has ring descriptors, its first entry (the head)
 * holding the pop order, the chain length and the last entry; a completed
 * chain goes back to the front of the free list, which always ends at
 * desc_num. The old_* fields are the state before the batch being
 * published: a restart commits the batch if the guest can see it (the
 * ring slot at old_used_idx is marked used) or rolls it back.
 */
struct inflight_packed_desc {
	uint8_t inflight;   /* head of a chain in flight */
	uint8_t padding;
	uint16_t next;      /* next free entry, or the chain's next entry */
	uint16_t last;      /* head: the chain's last entry */
	uint16_t num;       /* head: ring descriptors in the chain */
	uint64_t counter;   /* head: pop order */
	uint16_t id;        /* the descriptor as the guest wrote it */
	uint16_t flags;
	uint32_t len;
	uint64_t addr;
};

struct inflight_packed_queue {
	uint64_t features;  /* 0 */
	uint16_t version;   /* 1 once initialised */
	uint16_t desc_num;  /* ring size */
	uint16_t free_head;
	uint16_t old_free_head;
	uint16_t used_idx;  /* our used position (a ring slot) */
	uint16_t old_used_idx;
	uint8_t used_wrap_counter;
	uint8_t old_used_wrap_counter;
	uint8_t padding[7];
	struct inflight_packed_desc desc[];
};

_Static_assert(sizeof(struct inflight_packed_desc) == 32,
	       "vhost-user.rst's DescStatePacked is 32 bytes");
_Static_assert(offsetof(struct inflight_packed_queue, desc) == 32,
	       "vhost-user.rst's QueueRegionPacked header is 32 bytes");

#define INFLIGHT_VERSION 1
#define INFLIGHT_ALIGN 64

static inline size_t inflight_align(size_t n)
{
	return (n + INFLIGHT_ALIGN - 1) & ~(size_t)(INFLIGHT_ALIGN - 1);
}

/* Bytes of one queue's region for a ring of queue_size entries. */
static inline size_t inflight_queue_bytes(uint16_t queue_size)
{
	return inflight_align(sizeof(struct inflight_queue) +
			      (size_t)queue_size * sizeof(struct inflight_desc));
}

static inline size_t inflight_packed_queue_bytes(uint16_t queue_size)
{
	return inflight_align(sizeof(struct inflight_packed_queue) +
			      (size_t)queue_size *
				      sizeof(struct inflight_packed_desc));
}

#endif
