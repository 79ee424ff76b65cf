/* SPDX-License-Identifier: MIT */
#include "vhost/virtq.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vhost/virtq_internal.h"

int virtq_map(struct virtq *vq, const struct guest_mem *mem, uint16_t size,
	      uint64_t desc_qva, uint64_t avail_qva, uint64_t used_qva)
{
	/* avail and used carry a trailing event index (EVENT_IDX). */
	uint64_t desc_len = (uint64_t)size * sizeof(struct vring_desc);
	uint64_t avail_len = 4 + 2 * (uint64_t)size + 2;
	uint64_t used_len = 4 + 8 * (uint64_t)size + 2;

	/* Split rings are a power of two in size (virtio 1.x, 2.7). */
	if (size == 0 || (size & (size - 1)))
		return -EINVAL;
	if ((desc_qva & 15) || (avail_qva & 1) || (used_qva & 3))
		return -EINVAL;
	vq->desc = guest_mem_qva_to_hva(mem, desc_qva, desc_len);
	vq->avail = guest_mem_qva_to_hva(mem, avail_qva, avail_len);
	vq->used = guest_mem_qva_to_hva(mem, used_qva, used_len);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	/* A region may start at any offset of its file: aligned front-end
	 * addresses can still land on misaligned host ones (found by
	 * fuzzing). Ring fields are accessed in place, so insist. */
	if (((uintptr_t)vq->desc & 15) || ((uintptr_t)vq->avail & 1) ||
	    ((uintptr_t)vq->used & 3))
		return -EINVAL;
	vq->packed = false;
	vq->mem = mem;
	vq->size = size;
	vq->broken = false;
	vq->broken_reason = NULL;
	vq->signalled_used_valid = false;
	return 0;
}

void virtq_mark_broken(struct virtq *vq, const char *reason)
{
	if (!vq->broken)
		log_error("virtqueue marked broken and stopped: %s "
			  "(the guest driver wrote an impossible ring state; "
			  "reset the device to recover)",
			  reason);
	vq->broken = true;
	vq->broken_reason = reason;
}

/* Reads descriptor idx of a table once, into a local copy. memcpy: an
 * indirect table may sit at any address the guest chose (found by
 * fuzzing: an odd-aligned table made the field loads undefined). */
static inline void desc_read(const uint8_t *table, uint32_t idx,
			     struct vring_desc *d)
{
	memcpy(d, table + (size_t)idx * sizeof(*d), sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static int walk_chain(struct virtq *vq, struct virtq_chain *c)
{
	const uint8_t *table = (const uint8_t *)vq->desc;
	uint32_t table_size = vq->size;
	uint32_t steps = 0;
	uint16_t idx = c->head;
	bool in_indirect = false;

	for (;;) {
		struct vring_desc d;
		int ret;

		if (idx >= table_size)
			return -EINVAL;
		/* A chain can visit each descriptor at most once. */
		if (++steps > table_size)
			return -ELOOP;
		desc_read(table, idx, &d);

		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect || in_indirect ||
			    (d.flags & VRING_DESC_F_NEXT))
				return -EINVAL;
			if (d.len == 0 || d.len % sizeof(struct vring_desc) ||
			    d.len / sizeof(struct vring_desc) > VIRTQ_MAX_INDIRECT)
				return -EINVAL;
			table = guest_mem_gpa_to_hva(vq->mem, d.addr, d.len);
			if (!table)
				return -EFAULT;
			table_size = d.len / sizeof(struct vring_desc);
			in_indirect = true;
			steps = 0;
			idx = 0;
			continue;
		}
		ret = virtq_chain_add(vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

/* Marks head as popped in the inflight region. */
static inline void inflight_get(struct virtq *vq, uint16_t head)
{
	struct inflight_desc *d = &vq->inflight->desc[head];

	SHM_STORE(&d->counter, ++vq->inflight_counter);
	SHM_STORE(&d->inflight, 1);
}

int virtq_next_head(struct virtq *vq, uint16_t *head)
{
	uint16_t avail_idx, h;

	if (unlikely(vq->packed))
		return virtq_packed_next_head(vq, head);
	if (vq->broken)
		return -EIO;
	if (vq->resubmit_pos < vq->nresubmit) {
		/* Left in flight by a previous back-end: already marked. */
		*head = vq->resubmit[vq->resubmit_pos++];
		return 1;
	}
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail_idx)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->size) {
		virtq_mark_broken(vq, "avail index moved by more than the ring size");
		return -EIO;
	}
	h = READ_ONCE(vq->avail->ring[vq->last_avail_idx & (vq->size - 1)]);
	if (h >= vq->size) {
		virtq_mark_broken(vq, "avail ring names a descriptor past the table");
		return -EIO;
	}
	vq->last_avail_idx++;
	if (vq->inflight)
		inflight_get(vq, h);
	*head = h;
	return 1;
}

void virtq_map_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	if (unlikely(vq->packed)) {
		virtq_packed_map_chain(vq, head, c);
		return;
	}
	c->head = head;
	c->n_out = 0;
	c->n_in = 0;
	c->error = walk_chain(vq, c);
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t head;
	int ret = virtq_next_head(vq, &head);

	if (ret == 1)
		virtq_map_chain(vq, head, c);
	return ret;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, event;
	bool valid;

	if (unlikely(vq->packed))
		return virtq_packed_should_notify(vq);
	/* Order our used->idx store before reading the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(READ_ONCE(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);

	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	/* used_event lives just past the avail ring. */
	event = READ_ONCE(vq->avail->ring[vq->size]);
	return vring_need_event(event, vq->used_idx, old);
}

void virtq_kicks_enable(struct virtq *vq)
{
	if (unlikely(vq->packed)) {
		virtq_packed_kicks_enable(vq);
		return;
	}
	if (vq->event_idx) {
		/* avail_event lives just past the used ring. */
		uint16_t *avail_event = (uint16_t *)&vq->used->ring[vq->size];

		SHM_STORE(avail_event, vq->last_avail_idx);
	} else {
		SHM_STORE(&vq->used->flags, (uint16_t)(READ_ONCE(vq->used->flags) &
						       ~VRING_USED_F_NO_NOTIFY));
	}
	if (guest_mem_logging(vq->mem))
		virtq_log_rings(vq);
	/* Publish the wish before the caller re-reads avail->idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void virtq_kicks_disable(struct virtq *vq)
{
	if (unlikely(vq->packed)) {
		virtq_packed_kicks_disable(vq);
		return;
	}
	/* With EVENT_IDX a stale avail_event already keeps the driver quiet. */
	if (!vq->event_idx) {
		SHM_STORE(&vq->used->flags, (uint16_t)(READ_ONCE(vq->used->flags) |
						       VRING_USED_F_NO_NOTIFY));
		if (guest_mem_logging(vq->mem))
			virtq_log_rings(vq);
	}
}

void virtq_log_rings(const struct virtq *vq)
{
	if (vq->packed) {
		dirty_log_write(vq->mem, vq->pdesc,
				sizeof(*vq->pdesc) * (size_t)vq->size);
		dirty_log_write(vq->mem, vq->device_event,
				sizeof(*vq->device_event));
		return;
	}
	/* flags, idx, the entries, and avail_event just past them. */
	dirty_log_write(vq->mem, vq->used,
			sizeof(*vq->used) +
			sizeof(vq->used->ring[0]) * (size_t)vq->size +
			sizeof(uint16_t));
}

void virtq_inflight_batch_done(struct virtq *vq)
{
	struct inflight_queue *q = vq->inflight;

	/* used->idx is already visible: only now may the flags go. */
	for (unsigned int i = 0; i < vq->nbatch; i++) {
		uint16_t head = vq->batch[i];

		SHM_STORE(&q->desc[head].next, q->last_batch_head);
		SHM_STORE(&q->last_batch_head, head);
		SHM_STORE(&q->desc[head].inflight, 0);
	}
	SHM_STORE(&q->used_idx, vq->used_idx);
	vq->nbatch = 0;
}

static int by_counter(const void *a, const void *b, void *arg)
{
	const struct inflight_queue *q = arg;
	uint64_t ca = q->desc[*(const uint16_t *)a].counter;
	uint64_t cb = q->desc[*(const uint16_t *)b].counter;

	return ca < cb ? -1 : ca > cb;
}

int virtq_inflight_attach(struct virtq *vq, struct inflight_queue *q)
{
	uint16_t used = vq->used_idx;
	unsigned int n = 0;

	/* The region's layout is the split ring's: QEMU describes another
	 * for packed rings, which we do not implement (vu_msg.c offers no
	 * region for them). Never read one as the other. */
	if (vq->packed)
		return -EOPNOTSUPP;
	vq->resubmit = calloc(vq->size, sizeof(*vq->resubmit));
	vq->batch = calloc(vq->size, sizeof(*vq->batch));
	if (!vq->resubmit || !vq->batch) {
		virtq_inflight_detach(vq);
		return -ENOMEM;
	}
	if (q->version != INFLIGHT_VERSION || q->desc_num != vq->size) {
		/* Fresh (or from a ring of another size): nothing to recover. */
		shm_zero(q->desc, vq->size * sizeof(q->desc[0]));
		SHM_STORE(&q->features, 0);
		SHM_STORE(&q->desc_num, vq->size);
		SHM_STORE(&q->last_batch_head, 0);
		SHM_STORE(&q->used_idx, used);
		SHM_STORE(&q->version, INFLIGHT_VERSION);
	}
	/* Died after publishing a batch but before clearing its flags: the
	 * used ring says which heads completed. */
	for (uint16_t i = q->used_idx; i != used; i++) {
		uint32_t id = READ_ONCE(vq->used->ring[i & (vq->size - 1)].id);

		if (id < vq->size)
			SHM_STORE(&q->desc[id].inflight, 0);
	}
	SHM_STORE(&q->used_idx, used);
	vq->inflight_counter = 0;
	for (unsigned int h = 0; h < vq->size; h++) {
		if (!q->desc[h].inflight)
			continue;
		vq->resubmit[n++] = (uint16_t)h;
		if (q->desc[h].counter > vq->inflight_counter)
			vq->inflight_counter = q->desc[h].counter;
	}
	qsort_r(vq->resubmit, n, sizeof(vq->resubmit[0]), by_counter, q);
	vq->nresubmit = n;
	vq->resubmit_pos = 0;
	vq->nbatch = 0;
	/* Every head popped so far either completed or is still in flight. */
	vq->last_avail_idx = (uint16_t)(used + n);
	vq->inflight = q;
	log_debug("virtqueue: inflight region attached: used %u, %u in flight",
		  used, n);
	if (n)
		log_info("virtqueue: resubmitting %u request%s left in flight by "
			 "the previous back-end", n, n == 1 ? "" : "s");
	return 0;
}

void virtq_inflight_detach(struct virtq *vq)
{
	free(vq->resubmit);
	free(vq->batch);
	vq->resubmit = vq->batch = NULL;
	vq->nresubmit = vq->resubmit_pos = vq->nbatch = 0;
	vq->inflight = NULL;
	vq->pinflight = NULL;
}
