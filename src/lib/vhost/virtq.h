/* SPDX-License-Identifier: MIT */
/*
 * Virtqueue, device side: pop descriptor chains from the avail ring
 * as host iovecs (translated in place, zero copy), push completions to the
 * used ring, and decide when the driver wants an interrupt (EVENT_IDX).
 *
 * Split rings (virtio 1.x, 2.7) are here; packed rings (VIRTIO_F_RING_PACKED,
 * 2.8) are in virtq_packed.c. One struct virtq serves both, told apart by
 * vq->packed: callers keep a single API, and the split fast path pays one
 * well-predicted branch on a flag that never changes while a queue runs
 * (an ops table would cost an indirect call per push for both kinds).
 *
 * Everything here reads memory a guest writes concurrently, so each guest
 * field is read once into a local before it is checked and used, every
 * index is bounded, and chains are walked with a step budget (no loops).
 */
#ifndef VMIO_VHOST_VIRTQ_H
#define VMIO_VHOST_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "util/compiler.h"
#include "vhost/dirty_log.h"
#include "vhost/guest_mem.h"
#include "vhost/inflight.h"
#include "vhost/shm.h"

/* Largest split ring the virtio spec allows. */
#define VIRTQ_MAX_SIZE 32768
/* Longest indirect table we accept (Linux uses at most seg_max + 2). */
#define VIRTQ_MAX_INDIRECT 4096

/* Packed rings: what we remember of each buffer id while it is in flight. */
struct virtq_packed_id {
	uint16_t start;  /* ring position of the chain's first descriptor */
	uint16_t ndescs; /* ring descriptors it used; 0: id not in flight */
	uint16_t entry;  /* its head entry in the inflight region */
	bool from_copy;  /* resubmitted: map it from the region's copies */
};

/* Packed rings: a used descriptor written but not yet visible (its flags
 * are stored at publish time, the batch's first one last). */
struct virtq_packed_pending {
	uint16_t pos;
	uint16_t flags;
	uint16_t entry; /* the chain's head entry in the inflight region */
};

struct virtq {
	bool packed;             /* VIRTIO_F_RING_PACKED layout (see above) */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	const struct guest_mem *mem;
	uint16_t size;           /* entries; 0 while unconfigured */
	uint16_t last_avail_idx; /* next avail entry we will pop */
	uint16_t used_idx;       /* our copy of used->idx, incl. unpublished */
	uint16_t signalled_used; /* used_idx when we last notified */
	bool signalled_used_valid;
	bool event_idx;          /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;           /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool broken;             /* ring corrupt: stop serving it */
	const char *broken_reason;

	/* Inflight tracking (NULL region: off); packed rings use pinflight. */
	struct inflight_queue *inflight;
	struct inflight_packed_queue *pinflight;
	uint64_t inflight_counter;
	uint16_t *resubmit;      /* heads to serve again, oldest first */
	unsigned int nresubmit, resubmit_pos;
	uint16_t *batch;         /* heads pushed since the last publish */
	unsigned int nbatch;

	/* Packed rings only. last_avail_idx and used_idx then hold ring
	 * positions (0..size-1), each with its wrap counter. */
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *driver_event; /* interrupt wishes */
	struct vring_packed_desc_event *device_event; /* our kick wishes */
	bool avail_wrap;
	bool used_wrap;
	struct virtq_packed_id *ids;          /* size entries, by buffer id */
	struct virtq_packed_pending *pending; /* size entries */
	unsigned int npending;
	uint16_t ids_cap;                     /* entries allocated */
};

/* A popped chain: iov[0..n_out) are device-readable, iov[n_out..n_out+n_in)
 * are device-writable. */
struct virtq_chain {
	struct iovec *iov;
	unsigned int max_iov;
	unsigned int n_out;
	unsigned int n_in;
	uint16_t head;
	int error; /* 0, or why the chain is unusable (-EFAULT, -ELOOP, ...) */
};

/* Points vq at rings given by front-end virtual addresses (as
 * SET_VRING_ADDR sends them). -EFAULT if a ring is not wholly inside guest
 * memory, -EINVAL for a misaligned ring or a bad size. */
int virtq_map(struct virtq *vq, const struct guest_mem *mem, uint16_t size,
	      uint64_t desc_qva, uint64_t avail_qva, uint64_t used_qva);

/*
 * Pops the next chain. Returns 1 with *c filled (c->error set when the chain
 * itself is malformed: complete it with virtq_push(len 0) and move on),
 * 0 when the ring is empty, or -EIO when the ring is corrupt (vq->broken is
 * then set and the queue must stop).
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);

/* virtq_pop in two steps, for callers whose iovec storage depends on the
 * head (one request slot per descriptor head): take the next head (1, 0 or
 * -EIO as above), then map its chain into c->iov. */
int virtq_next_head(struct virtq *vq, uint16_t *head);
void virtq_map_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c);

static inline void virtq_publish(struct virtq *vq);

/* Packed-ring halves of the calls below (virtq_packed.c). */
void virtq_packed_push(struct virtq *vq, uint16_t id, uint32_t len);
void virtq_packed_publish(struct virtq *vq);
bool virtq_packed_has_work(const struct virtq *vq);
int virtq_packed_next_head(struct virtq *vq, uint16_t *id);
void virtq_packed_map_chain(struct virtq *vq, uint16_t id,
			    struct virtq_chain *c);
bool virtq_packed_should_notify(struct virtq *vq);
void virtq_packed_kicks_enable(struct virtq *vq);
void virtq_packed_kicks_disable(struct virtq *vq);

/* Records a completion; invisible to the driver until virtq_publish(). */
static inline void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (unlikely(vq->packed)) {
		virtq_packed_push(vq, head, len);
		return;
	}
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	SHM_STORE(&e->id, (uint32_t)head);
	SHM_STORE(&e->len, len);
	vq->used_idx++;
	if (vq->inflight) {
		vq->batch[vq->nbatch++] = head;
		/* A full batch is published at once: its flags can only be
		 * cleared after that (found by fuzzing: more pushes than
		 * ring entries between two publishes overflowed it). */
		if (vq->nbatch == vq->size)
			virtq_publish(vq);
	}
}

void virtq_inflight_batch_done(struct virtq *vq);

/* Live migration: marks the ring memory we write (the used ring, or the
 * packed ring and its device event area) in the dirty log. Whole rings:
 * a few pages, and only while a migration runs. */
void virtq_log_rings(const struct virtq *vq);

/* Makes pushed completions visible to the driver. */
static inline void virtq_publish(struct virtq *vq)
{
	if (unlikely(vq->packed)) {
		virtq_packed_publish(vq);
		return;
	}
	SHM_PUBLISH(&vq->used->idx, vq->used_idx);
	if (guest_mem_logging(vq->mem))
		virtq_log_rings(vq);
	if (vq->inflight)
		virtq_inflight_batch_done(vq);
}

/*
 * Starts tracking in-flight heads in region (shared memory from
 * SET_INFLIGHT_FD). A region left by an earlier back-end is recovered:
 * heads whose completion reached the used ring are cleared, the rest are
 * queued for resubmission (virtq_next_head returns them first, in their
 * original order) and last_avail_idx is set past them. Call after
 * virtq_map with used_idx read from the ring. Returns 0 or -ENOMEM.
 */
int virtq_inflight_attach(struct virtq *vq, struct inflight_queue *region);
void virtq_inflight_detach(struct virtq *vq);

/* After virtq_publish(): does the driver want an interrupt now? */
bool virtq_should_notify(struct virtq *vq);

/* True when the driver has made buffers available that we have not popped. */
static inline bool virtq_has_work(const struct virtq *vq)
{
	if (unlikely(vq->packed))
		return virtq_packed_has_work(vq);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) !=
	       vq->last_avail_idx;
}

/* Ask for (or stop asking for) kicks. After enabling, re-check
 * virtq_has_work(): buffers added before the driver saw the change would
 * otherwise wait for the next kick. */
void virtq_kicks_enable(struct virtq *vq);
void virtq_kicks_disable(struct virtq *vq);

void virtq_mark_broken(struct virtq *vq, const char *reason);

/*
 * Packed rings. virtq_map_packed points vq at a descriptor ring and the
 * driver and device event areas (SET_VRING_ADDR's desc, avail and used
 * addresses); size need not be a power of two. The other calls above then
 * work on it; "head" is the buffer id (below size, in flight at most once).
 * -EFAULT / -EINVAL as virtq_map, -ENOMEM.
 */
int virtq_map_packed(struct virtq *vq, const struct guest_mem *mem,
		     uint16_t size, uint64_t desc_qva, uint64_t driver_qva,
		     uint64_t device_qva);
/* Ring state in vhost-user's packed form: last_avail_idx | avail wrap << 15
 * | (used_idx | used wrap << 15) << 16. set_base takes the used half as
 * given, or equal to the avail half when it is 0 (a front-end that sends
 * only the avail half: after a clean stop both are the same). -EINVAL
 * when a position is past the ring. */
uint32_t virtq_packed_get_base(const struct virtq *vq);
int virtq_packed_set_base(struct virtq *vq, uint32_t base);

/* Inflight tracking for a packed ring (region in vhost-user.rst's packed
 * layout). Like virtq_inflight_attach: a fresh region is initialised from
 * the ring's base; one left by an earlier back-end is recovered (the last
 * batch committed or rolled back), its chains in flight are queued for
 * resubmission from the region's copies of their descriptors, and the
 * ring positions are taken from it. A region that does not add up (entries
 * out of range, lost or shared) is logged and started afresh. 0 or
 * -ENOMEM. */
int virtq_packed_inflight_attach(struct virtq *vq,
				 struct inflight_packed_queue *region);
/* Packed-ring tracking hooks (virtq_packed_inflight.c). */
void virtq_packed_inflight_pop(struct virtq *vq, uint16_t start, uint16_t n,
			       uint16_t id);
void virtq_packed_inflight_publish_begin(struct virtq *vq);
void virtq_packed_inflight_publish_end(struct virtq *vq);

/* Frees what virtq_map_packed allocated; vq is unmapped after. */
void virtq_release(struct virtq *vq);

#endif
