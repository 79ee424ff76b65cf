/* SPDX-License-Identifier: MIT */
/*
 * vufront: the data path over packed rings (VIRTIO_F_RING_PACKED, virtio
 * 1.1 section 2.8), driver side.
 *
 * One ring of 16-byte descriptors serves both ways. A chain is made
 * available at our avail position, each descriptor's AVAIL flag equal to
 * our wrap counter and USED to its inverse, the head's flags written last
 * so the target never sees half a chain. The buffer id is the slot. The
 * target writes one used descriptor per chain at its own used position
 * (AVAIL == USED == its wrap counter) and moves on by as many positions
 * as that buffer's chain took, so the id read there, not the position,
 * names the request; we follow with our own used position and counter.
 *
 * Slots never hold more descriptors than the ring (check_opts), so our
 * avail position never runs over a used descriptor not yet reaped.
 *
 * Notifications go through the two event areas: the driver area (ours,
 * in place of the avail ring) says when we want a call, the device area
 * (the target's, in place of the used ring) when it wants a kick; with
 * EVENT_IDX either may name the position to be told about.
 */
#include <errno.h>
#include <string.h>

#include "vufront/vufront_int.h"

#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1u << VRING_PACKED_DESC_F_USED)
#define WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

_Static_assert(sizeof(struct vring_packed_desc) == sizeof(struct vring_desc),
	       "both rings' descriptors take 16 bytes of the layout");

static struct vring_packed_desc *pdesc(const struct vufront_queue *q)
{
	return (struct vring_packed_desc *)q->desc;
}

static struct vring_packed_desc_event *
driver_event(const struct vufront_queue *q)
{
	return (struct vring_packed_desc_event *)q->avail;
}

static struct vring_packed_desc_event *
device_event(const struct vufront_queue *q)
{
	return (struct vring_packed_desc_event *)q->used;
}

static bool event_idx(const struct vufront_queue *q)
{
	return vuf_has(q->f, VIRTIO_RING_F_EVENT_IDX);
}

/* Asks for a call at the next used descriptor (EVENT_IDX). */
static void want_call_at_used(struct vufront_queue *q)
{
	__atomic_store_n(&driver_event(q)->off_wrap,
			 (uint16_t)(q->used_pos | (q->used_wrap ? WRAP : 0)),
			 __ATOMIC_RELEASE);
}

void vuf_packed_reset(struct vufront_queue *q)
{
	uint16_t flags = VRING_PACKED_EVENT_FLAG_ENABLE;

	q->avail_pos = q->used_pos = 0;
	/* Both wrap counters start at 1 (2.8.1). */
	q->avail_wrap = q->used_wrap = true;
	if (!q->f->o.want_irq)
		flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	else if (event_idx(q))
		flags = VRING_PACKED_EVENT_FLAG_DESC;
	want_call_at_used(q);
	__atomic_store_n(&driver_event(q)->flags, flags, __ATOMIC_RELEASE);
}

void vuf_packed_calls(struct vufront_queue *q, bool on)
{
	uint16_t flags = VRING_PACKED_EVENT_FLAG_DISABLE;

	if (on && event_idx(q)) {
		/* The position first: the target acts on the flags. */
		want_call_at_used(q);
		flags = VRING_PACKED_EVENT_FLAG_DESC;
	} else if (on) {
		flags = VRING_PACKED_EVENT_FLAG_ENABLE;
	}
	__atomic_store_n(&driver_event(q)->flags, flags, __ATOMIC_RELEASE);
}

static void put_desc(struct vufront_queue *q, const struct vring_desc *d,
		     uint16_t id, uint16_t *head_flags)
{
	struct vring_packed_desc *x = &pdesc(q)[q->avail_pos];
	uint16_t flags = (uint16_t)((d->flags & (VRING_DESC_F_NEXT |
						 VRING_DESC_F_WRITE |
						 VRING_DESC_F_INDIRECT)) |
				    (q->avail_wrap ? F_AVAIL : F_USED));

	x->addr = d->addr;
	x->len = d->len;
	x->id = id;
	if (head_flags)
		*head_flags = flags;
	else
		__atomic_store_n(&x->flags, flags, __ATOMIC_RELAXED);
	if (++q->avail_pos == q->size) {
		q->avail_pos = 0;
		q->avail_wrap = !q->avail_wrap;
	}
}

void vuf_packed_publish(struct vufront_queue *q, unsigned int slot,
			const struct vring_desc *d, uint16_t n)
{
	struct vufront *f = q->f;
	struct vring_packed_desc *head = &pdesc(q)[q->avail_pos];
	uint16_t head_flags = 0;

	if (vuf_has(f, VIRTIO_RING_F_INDIRECT_DESC)) {
		/* The table's descriptors follow one another; their NEXT
		 * flags and ids mean nothing (2.8.19). */
		struct vring_packed_desc *t =
			(struct vring_packed_desc *)(vuf_meta(q, slot) +
						     f->table_off);
		struct vring_desc ind = { vufront_gpa(f, t), n * sizeof(*t),
					  VRING_DESC_F_INDIRECT, 0 };

		for (uint16_t i = 0; i < n; i++)
			t[i] = (struct vring_packed_desc){
				d[i].addr, d[i].len, 0,
				(uint16_t)(d[i].flags & VRING_DESC_F_WRITE) };
		put_desc(q, &ind, (uint16_t)slot, &head_flags);
		n = 1;
	} else {
		for (uint16_t i = 0; i < n; i++)
			put_desc(q, &d[i], (uint16_t)slot,
				 i ? NULL : &head_flags);
	}
	q->ndescs[slot] = n;
	q->avail_idx = (uint16_t)(q->avail_idx + n);
	/* Releases the whole chain written before it. */
	__atomic_store_n(&head->flags, head_flags, __ATOMIC_RELEASE);
}

bool vuf_packed_need_kick(struct vufront_queue *q)
{
	struct vring_packed_desc_event *e = device_event(q);
	uint16_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & 3;
	uint16_t added = (uint16_t)(q->avail_idx - q->kicked_idx);
	uint16_t now = q->avail_pos, before, off_wrap, event;

	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_FLAG_DESC || !event_idx(q))
		return true;
	/* Place the target's event position on the line of our positions:
	 * this lap from 0, the previous one below 0; then it is passed
	 * when it lies in [before, now). */
	off_wrap = __atomic_load_n(&e->off_wrap, __ATOMIC_RELAXED);
	event = off_wrap & ~WRAP;
	if (!!(off_wrap & WRAP) != q->avail_wrap)
		event = (uint16_t)(event - q->size);
	before = (uint16_t)(now - added);
	return vring_need_event(event, now, before);
}

static bool is_used(const struct vufront_queue *q, uint16_t flags)
{
	return !!(flags & F_AVAIL) == q->used_wrap &&
	       !!(flags & F_USED) == q->used_wrap;
}

bool vuf_packed_used_pending(const struct vufront_queue *q)
{
	return is_used(q, __atomic_load_n(&pdesc(q)[q->used_pos].flags,
					  __ATOMIC_ACQUIRE));
}

int vuf_packed_reap(struct vufront_queue *q, struct vufront_completion *out,
		    unsigned int max)
{
	unsigned int n = 0;

	if (q->broken)
		return -EPROTO;
	while (n < max) {
		struct vring_packed_desc *x = &pdesc(q)[q->used_pos];
		uint16_t flags = __atomic_load_n(&x->flags, __ATOMIC_ACQUIRE);
		uint16_t id;
		uint32_t len;
		int ret;

		if (!is_used(q, flags))
			break;
		id = x->id;
		len = x->len;
		if (id >= q->nslots || !q->busy[id]) {
			ret = vuf_target_error(q, "the target used buffer id "
					       "%u at position %u, which is not "
					       "a request in flight (unknown "
					       "or duplicate id)", id,
					       q->used_pos);
			return n ? (int)n : ret;
		}
		/* The target moves on by the chain this buffer took. */
		q->used_pos = (uint16_t)(q->used_pos + q->ndescs[id]);
		if (q->used_pos >= q->size) {
			q->used_pos = (uint16_t)(q->used_pos - q->size);
			q->used_wrap = !q->used_wrap;
		}
		q->used_seen = (uint16_t)(q->used_seen + q->ndescs[id]);
		ret = vuf_complete(q, id, len, &out[n]);
		if (ret < 0)
			return n ? (int)n : ret;
		n++;
	}
	/* Polling keeps calls disabled; with EVENT_IDX a guest that sleeps
	 * on calls asks for the next used descriptor. */
	if (q->f->o.want_irq && event_idx(q))
		want_call_at_used(q);
	return (int)n;
}

uint32_t vuf_packed_base(const struct vufront_queue *q)
{
	uint32_t avail = q->avail_pos | (q->avail_wrap ? WRAP : 0);
	uint32_t used = q->used_pos | (q->used_wrap ? WRAP : 0);

	return avail | used << 16;
}
