/* SPDX-License-Identifier: MIT */
/*
 * Packed virtqueue, device side (VIRTIO_F_RING_PACKED, virtio 1.1+ 2.8).
 *
 * One ring of 16-byte descriptors serves both directions. The driver makes
 * a chain available by writing its descriptors with AVAIL == its wrap
 * counter and USED != it, the first descriptor's flags last; the buffer id
 * is in the chain's last descriptor. We complete a chain by writing one
 * used descriptor (id, len, then flags with AVAIL == USED == our used wrap
 * counter) at our used position, which then moves on by as many ring
 * descriptors as the chain took: completions may come out of order, so the
 * id, not the position, tells the driver which buffer came back.
 *
 * Hostile guests: every id is checked against the ring size and may be in
 * flight only once; a chain is walked with the descriptor count found when
 * it was popped as its budget, so it cannot loop nor run past the ring; a
 * chain that would be longer than the ring, an id out of range or reused
 * while in flight, or a chain whose later descriptors are not marked
 * available, is a corrupt ring (we could not find where the next chain
 * starts) and the queue is marked broken. A chain whose buffers are bad
 * (outside guest memory, indirect in indirect, a zero-length or oversized
 * indirect table) is failed alone, as on split rings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include "util/log.h"
#include "vhost/virtq_internal.h"

#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1u << VRING_PACKED_DESC_F_USED)
#define WRAP_BIT (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

/* Largest packed ring: positions and event offsets are 15 bits. */
#define PACKED_MAX_SIZE 32768

static inline bool desc_avail(uint16_t flags, bool wrap)
{
	return !!(flags & F_AVAIL) == wrap && !!(flags & F_USED) != wrap;
}

static inline uint16_t load_flags(const struct vring_packed_desc *d)
{
	/* Acquire: the rest of the descriptor is read after its flags said
	 * it is ours (the driver writes flags last). */
	return __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
}

int virtq_map_packed(struct virtq *vq, const struct guest_mem *mem,
		     uint16_t size, uint64_t desc_qva, uint64_t driver_qva,
		     uint64_t device_qva)
{
	uint64_t desc_len = (uint64_t)size * sizeof(struct vring_packed_desc);
	uint64_t ev_len = sizeof(struct vring_packed_desc_event);
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *drv, *dev;

	/* Any size up to 2^15 (2.8.10.1: no power of two needed). */
	if (size == 0 || size > PACKED_MAX_SIZE)
		return -EINVAL;
	if ((desc_qva & 15) || (driver_qva & 3) || (device_qva & 3))
		return -EINVAL;
	desc = guest_mem_qva_to_hva(mem, desc_qva, desc_len);
	drv = guest_mem_qva_to_hva(mem, driver_qva, ev_len);
	dev = guest_mem_qva_to_hva(mem, device_qva, ev_len);
	if (!desc || !drv || !dev)
		return -EFAULT;
	if (((uintptr_t)desc & 15) || ((uintptr_t)drv & 3) ||
	    ((uintptr_t)dev & 3))
		return -EINVAL;
	if (vq->ids_cap != size) {
		struct virtq_packed_id *ids = calloc(size, sizeof(*ids));
		struct virtq_packed_pending *p = calloc(size, sizeof(*p));

		if (!ids || !p) {
			free(ids);
			free(p);
			return -ENOMEM;
		}
		free(vq->ids);
		free(vq->pending);
		vq->ids = ids;
		vq->pending = p;
		vq->ids_cap = size;
	} else {
		/* A queue restarts only once its requests completed. */
		memset(vq->ids, 0, size * sizeof(*vq->ids));
	}
	vq->npending = 0;
	vq->packed = true;
	vq->pdesc = desc;
	vq->driver_event = drv;
	vq->device_event = dev;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->mem = mem;
	vq->size = size;
	vq->broken = false;
	vq->broken_reason = NULL;
	vq->signalled_used_valid = false;
	return 0;
}

void virtq_release(struct virtq *vq)
{
	free(vq->ids);
	free(vq->pending);
	vq->ids = NULL;
	vq->pending = NULL;
	vq->ids_cap = 0;
	vq->npending = 0;
	vq->packed = false;
	vq->pdesc = NULL;
	vq->size = 0;
}

uint32_t virtq_packed_get_base(const struct virtq *vq)
{
	uint32_t avail = vq->last_avail_idx | (vq->avail_wrap ? WRAP_BIT : 0);
	uint32_t used = vq->used_idx | (vq->used_wrap ? WRAP_BIT : 0);

	return avail | used << 16;
}

int virtq_packed_set_base(struct virtq *vq, uint32_t base)
{
	uint16_t avail = (uint16_t)base, used = (uint16_t)(base >> 16);

	if (used == 0)
		used = avail;
	if ((avail & ~WRAP_BIT) >= vq->size || (used & ~WRAP_BIT) >= vq->size)
		return -EINVAL;
	vq->last_avail_idx = avail & ~WRAP_BIT;
	vq->avail_wrap = avail & WRAP_BIT;
	vq->used_idx = used & ~WRAP_BIT;
	vq->used_wrap = used & WRAP_BIT;
	vq->npending = 0;
	vq->signalled_used_valid = false;
	return 0;
}

bool virtq_packed_has_work(const struct virtq *vq)
{
	return desc_avail(load_flags(&vq->pdesc[vq->last_avail_idx]),
			  vq->avail_wrap);
}

int virtq_packed_next_head(struct virtq *vq, uint16_t *head)
{
	uint16_t pos = vq->last_avail_idx, flags, id;
	bool wrap = vq->avail_wrap;
	uint32_t n = 0;

	if (vq->broken)
		return -EIO;
	if (vq->resubmit_pos < vq->nresubmit) {
		/* Left in flight by a previous back-end: already marked. */
		*head = vq->resubmit[vq->resubmit_pos++];
		return 1;
	}
	flags = load_flags(&vq->pdesc[pos]);
	if (!desc_avail(flags, wrap))
		return 0;
	/* Find the chain's end: its length moves our avail position, its
	 * last descriptor names the buffer. */
	for (;;) {
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (n == vq->size) {
			virtq_mark_broken(vq, "packed ring: a descriptor chain "
					      "is longer than the ring");
			return -EIO;
		}
		if (++pos == vq->size) {
			pos = 0;
			wrap = !wrap;
		}
		flags = load_flags(&vq->pdesc[pos]);
		if (!desc_avail(flags, wrap)) {
			virtq_mark_broken(vq, "packed ring: a chain continues "
					      "into a descriptor that is not "
					      "available");
			return -EIO;
		}
	}
	id = READ_ONCE(vq->pdesc[pos].id);
	if (id >= vq->size) {
		virtq_mark_broken(vq, "packed ring: buffer id past the ring size");
		return -EIO;
	}
	if (vq->ids[id].ndescs) {
		virtq_mark_broken(vq, "packed ring: a buffer id in flight was "
				      "made available again");
		return -EIO;
	}
	vq->ids[id].start = vq->last_avail_idx;
	vq->ids[id].ndescs = (uint16_t)n;
	vq->ids[id].from_copy = false;
	if (vq->pinflight)
		virtq_packed_inflight_pop(vq, vq->last_avail_idx, (uint16_t)n, id);
	if (++pos == vq->size) {
		pos = 0;
		wrap = !wrap;
	}
	vq->last_avail_idx = pos;
	vq->avail_wrap = wrap;
	*head = id;
	return 1;
}

/* Reads descriptor i of a table once (memcpy: indirect tables may sit at
 * any address the guest chose). */
static inline void pdesc_read(const uint8_t *table, uint32_t i,
			      struct vring_packed_desc *d)
{
	memcpy(d, table + (size_t)i * sizeof(*d), sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static int walk_indirect(struct virtq *vq, struct virtq_chain *c,
			 const struct vring_packed_desc *ind)
{
	const uint8_t *table;
	uint32_t n;

	if (!vq->indirect || (ind->flags & VRING_DESC_F_NEXT))
		return -EINVAL;
	if (ind->len == 0 || ind->len % sizeof(struct vring_packed_desc))
		return -EINVAL;
	n = ind->len / sizeof(struct vring_packed_desc);
	if (n > VIRTQ_MAX_INDIRECT)
		return -EINVAL;
	table = guest_mem_gpa_to_hva(vq->mem, ind->addr, ind->len);
	if (!table)
		return -EFAULT;
	/* The whole table is the chain, in order (2.8.19); NEXT and the id
	 * are meaningless here. A nested table is refused. */
	for (uint32_t i = 0; i < n; i++) {
		struct vring_packed_desc d;
		int ret;

		pdesc_read(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		ret = virtq_chain_add(vq, c, d.addr, d.len,
				      d.flags & VRING_DESC_F_WRITE);
		if (ret)
			return ret;
	}
	return 0;
}

/* One ring descriptor of a chain whose length was fixed when it was
 * popped (last: it must end there), read once into d: its buffer goes
 * into c, or, last and indirect, its table does. */
static int add_ring_desc(struct virtq *vq, struct virtq_chain *c,
			 const struct vring_packed_desc *d, bool last)
{
	/* The guest may have rewritten flags since we counted: the count
	 * stays the budget, the chain must end where it did. */
	if (!!(d->flags & VRING_DESC_F_NEXT) == last)
		return -EINVAL;
	if (d->flags & VRING_DESC_F_INDIRECT)
		return last ? walk_indirect(vq, c, d) : -EINVAL;
	return virtq_chain_add(vq, c, d->addr, d->len,
			       d->flags & VRING_DESC_F_WRITE);
}

static int walk_chain(struct virtq *vq, struct virtq_chain *c, uint16_t pos,
		      uint16_t ndescs)
{
	const uint8_t *ring = (const uint8_t *)vq->pdesc;

	for (uint16_t i = 0; i < ndescs; i++) {
		struct vring_packed_desc d;
		int ret;

		pdesc_read(ring, pos, &d);
		ret = add_ring_desc(vq, c, &d, i + 1 == ndescs);
		if (ret || (d.flags & VRING_DESC_F_INDIRECT))
			return ret;
		if (++pos == vq->size)
			pos = 0;
	}
	return 0;
}

/* A resubmitted chain, from the inflight region's copies of its ring
 * descriptors (the ring itself may hold used entries there by now). The
 * entries were checked when the region was attached; the front-end that
 * holds the region could still rewrite it, so every index is checked
 * again as it is read. */
static int walk_copies(struct virtq *vq, struct virtq_chain *c, uint16_t entry,
		       uint16_t ndescs)
{
	const struct inflight_packed_desc *copies = vq->pinflight->desc;

	for (uint16_t i = 0; i < ndescs; i++) {
		struct vring_packed_desc d;
		int ret;

		if (entry >= vq->size)
			return -EINVAL;
		d.addr = READ_ONCE(copies[entry].addr);
		d.len = READ_ONCE(copies[entry].len);
		d.flags = READ_ONCE(copies[entry].flags);
		entry = READ_ONCE(copies[entry].next);
		ret = add_ring_desc(vq, c, &d, i + 1 == ndescs);
		if (ret || (d.flags & VRING_DESC_F_INDIRECT))
			return ret;
	}
	return 0;
}

void virtq_packed_map_chain(struct virtq *vq, uint16_t id, struct virtq_chain *c)
{
	c->head = id;
	c->n_out = 0;
	c->n_in = 0;
	if (id >= vq->size || !vq->ids[id].ndescs) {
		/* Not an id we popped: a caller bug, never the guest's. */
		c->error = -EINVAL;
		return;
	}
	if (unlikely(vq->ids[id].from_copy) && vq->pinflight)
		c->error = walk_copies(vq, c, vq->ids[id].entry,
				       vq->ids[id].ndescs);
	else
		c->error = walk_chain(vq, c, vq->ids[id].start,
				      vq->ids[id].ndescs);
}

void virtq_packed_push(struct virtq *vq, uint16_t id, uint32_t len)
{
	struct vring_packed_desc *d;
	struct virtq_packed_pending *p;
	uint16_t n;

	if (id >= vq->size || !vq->ids[id].ndescs) {
		/* Never popped (or already pushed): writing it would tell the
		 * driver a buffer came back twice. */
		log_error("packed virtqueue: completion for buffer id %u, which "
			  "is not in flight, dropped (a device model bug)", id);
		return;
	}
	n = vq->ids[id].ndescs;
	vq->ids[id].ndescs = 0;
	vq->ids[id].from_copy = false;
	d = &vq->pdesc[vq->used_idx];
	/* The slot is one we popped from already (used never passes avail:
	 * each push moves it by what one pop moved avail), so the guest
	 * gets its own descriptor back overwritten, nothing else. */
	SHM_STORE(&d->id, id);
	SHM_STORE(&d->len, len);
	p = &vq->pending[vq->npending++];
	p->pos = vq->used_idx;
	p->flags = (vq->used_wrap ? F_AVAIL | F_USED : 0) |
		   (len ? VRING_DESC_F_WRITE : 0);
	p->entry = vq->ids[id].entry;
	vq->used_idx += n;
	if (vq->used_idx >= vq->size) {
		vq->used_idx -= vq->size;
		vq->used_wrap = !vq->used_wrap;
	}
	/* A driver reusing ids before seeing them used could make us push
	 * more than a ring's worth between publishes. */
	if (vq->npending == vq->size)
		virtq_packed_publish(vq);
}

void virtq_packed_publish(struct virtq *vq)
{
	unsigned int n = vq->npending;

	if (!n)
		return;
	if (vq->pinflight)
		virtq_packed_inflight_publish_begin(vq);
	/* The batch becomes visible at once: the driver stops at the first
	 * slot that is not used yet, so the first slot's flags go last,
	 * each flags store releasing the id and len written before it. */
	for (unsigned int i = 1; i < n; i++)
		SHM_PUBLISH(&vq->pdesc[vq->pending[i].pos].flags,
			    vq->pending[i].flags);
	SHM_PUBLISH(&vq->pdesc[vq->pending[0].pos].flags, vq->pending[0].flags);
	if (vq->pinflight)
		virtq_packed_inflight_publish_end(vq);
	vq->npending = 0;
	if (guest_mem_logging(vq->mem))
		virtq_log_rings(vq);
}

/* Is the driver's event offset (off_wrap) passed by moving our used
 * position from old to new? Positions are mapped onto one line: the
 * current lap (used_wrap) from 0, the previous one below 0. */
static bool packed_need_event(const struct virtq *vq, uint16_t off_wrap,
			      uint16_t old)
{
	int32_t event = off_wrap & ~WRAP_BIT;
	int32_t now = vq->used_idx, before = old;

	if (!!(off_wrap & WRAP_BIT) != vq->used_wrap)
		event -= vq->size;
	if (before >= now)
		before -= vq->size; /* published a whole lap, or wrapped */
	return (uint16_t)(now - event - 1) < (uint16_t)(now - before);
}

bool virtq_packed_should_notify(struct virtq *vq)
{
	uint16_t flags, off_wrap, old = vq->signalled_used;
	bool valid = vq->signalled_used_valid;

	/* Order our flags stores before reading the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(&vq->driver_event->flags, __ATOMIC_ACQUIRE);
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	switch (flags & 3) {
	case VRING_PACKED_EVENT_FLAG_DISABLE:
		return false;
	case VRING_PACKED_EVENT_FLAG_DESC:
		/* Only meaningful with EVENT_IDX; else notify, to be safe. */
		if (!vq->event_idx || !valid)
			return true;
		off_wrap = READ_ONCE(vq->driver_event->off_wrap);
		return packed_need_event(vq, off_wrap, old);
	default: /* ENABLE, or the reserved value 3: never lose one */
		return true;
	}
}

void virtq_packed_kicks_enable(struct virtq *vq)
{
	struct vring_packed_desc_event *e = vq->device_event;

	if (vq->event_idx) {
		/* Kick us when the next descriptor we will read becomes
		 * available, not again for those after it until we ask. */
		uint16_t off = vq->last_avail_idx | (vq->avail_wrap ? WRAP_BIT : 0);

		SHM_STORE(&e->off_wrap, off);
		SHM_PUBLISH(&e->flags, (uint16_t)VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		SHM_STORE(&e->flags, (uint16_t)VRING_PACKED_EVENT_FLAG_ENABLE);
	}
	if (guest_mem_logging(vq->mem))
		virtq_log_rings(vq);
	/* Publish the wish before the caller re-reads the ring. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void virtq_packed_kicks_disable(struct virtq *vq)
{
	SHM_STORE(&vq->device_event->flags,
		  (uint16_t)VRING_PACKED_EVENT_FLAG_DISABLE);
	if (guest_mem_logging(vq->mem))
		virtq_log_rings(vq);
}
