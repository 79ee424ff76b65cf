/* SPDX-License-Identifier: MIT */
/*
 * Inflight tracking for packed rings, in the region layout and with the
 * steps of QEMU's docs/interop/vhost-user.rst ("For packed virtqueue"):
 * see inflight.h for the layout.
 *
 * Every store here is to shared memory that outlives this process; the
 * order of the stores is what a restarted back-end relies on, so each one
 * goes through vhost/shm.h (one thread writes the region, and only a crash
 * of that thread can interrupt it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vhost/virtq_internal.h"

#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1u << VRING_PACKED_DESC_F_USED)

/* Copies the chain just popped (n ring descriptors from start, buffer id
 * id) into free entries; its head entry is marked in flight. */
void virtq_packed_inflight_pop(struct virtq *vq, uint16_t start, uint16_t n,
			       uint16_t id)
{
	struct inflight_packed_queue *q = vq->pinflight;
	uint16_t head = q->old_free_head, pos = start;

	if (head >= vq->size) {
		log_error("virtqueue: packed inflight region corrupt (free head "
			  "%u of %u); in-flight requests are no longer tracked",
			  head, vq->size);
		vq->pinflight = NULL;
		return;
	}
	SHM_STORE(&q->desc[head].num, 0);
	SHM_STORE(&q->desc[head].counter, ++vq->inflight_counter);
	SHM_STORE(&q->desc[head].inflight, 1);
	for (uint16_t i = 0; i < n; i++) {
		struct vring_packed_desc d;
		uint16_t e = q->free_head;

		if (e >= vq->size) {
			/* Only a front-end rewriting the region under us
			 * gets here: stop tracking rather than write past it. */
			log_error("virtqueue: packed inflight region corrupt (free "
				  "entry %u of %u); in-flight requests are no longer "
				  "tracked", e, vq->size);
			vq->pinflight = NULL;
			return;
		}
		memcpy(&d, &vq->pdesc[pos], sizeof(d));
		if (i + 1 == n) {
			SHM_STORE(&q->desc[head].last, e);
			d.id = id; /* the id we checked, whatever the guest wrote since */
		}
		SHM_STORE(&q->desc[head].num, (uint16_t)(q->desc[head].num + 1));
		SHM_STORE(&q->desc[e].addr, d.addr);
		SHM_STORE(&q->desc[e].len, d.len);
		SHM_STORE(&q->desc[e].flags, d.flags);
		SHM_STORE(&q->desc[e].id, d.id);
		SHM_STORE(&q->free_head, q->desc[e].next);
		if (++pos == vq->size)
			pos = 0;
	}
	SHM_STORE(&q->old_free_head, q->free_head);
	vq->ids[id].entry = head;
}

/* Before the batch's flags are stored: its chains go back to the free
 * list and the region's used position moves to ours. */
void virtq_packed_inflight_publish_begin(struct virtq *vq)
{
	struct inflight_packed_queue *q = vq->pinflight;

	for (unsigned int i = 0; i < vq->npending; i++) {
		uint16_t e = vq->pending[i].entry;
		uint16_t last = q->desc[e].last;

		if (e >= vq->size || last >= vq->size)
			continue; /* checked at attach; rewritten since */
		SHM_STORE(&q->desc[last].next, q->free_head);
		SHM_STORE(&q->free_head, e);
	}
	SHM_STORE(&q->used_idx, vq->used_idx);
	SHM_STORE(&q->used_wrap_counter, vq->used_wrap);
}

/*
 * The batch's commit point: old_used_idx and old_used_wrap_counter take
 * the new position in one store. Apart, a crash between the two would
 * leave an old position with a new wrap counter (or the reverse), which
 * settle_last_batch would take for a settled state with the wrong lap:
 * the next back-end then reads the ring a lap off (found by the
 * crash-point test: a ring that wrapped in the batch). The store covers
 * old_used_idx, used_wrap_counter (already the new value) and
 * old_used_wrap_counter, adjacent in the layout.
 */
static void commit_used(struct inflight_packed_queue *q)
{
	uint8_t word[4];
	uint32_t v;

	_Static_assert(offsetof(struct inflight_packed_queue, used_wrap_counter) ==
			       offsetof(struct inflight_packed_queue, old_used_idx) + 2 &&
		       offsetof(struct inflight_packed_queue, old_used_wrap_counter) ==
			       offsetof(struct inflight_packed_queue, old_used_idx) + 3,
		       "the commit word is contiguous");
	memcpy(word, &q->used_idx, 2);
	word[2] = q->used_wrap_counter;
	word[3] = q->used_wrap_counter;
	memcpy(&v, word, 4);
	/* One 4-byte store (unaligned is fine: a crash cannot split an
	 * instruction). */
	crash_point();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__builtin_memcpy((uint8_t *)q + offsetof(struct inflight_packed_queue,
						  old_used_idx),
			 &v, 4);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* After: the guest can see the batch, so its heads are done. */
void virtq_packed_inflight_publish_end(struct virtq *vq)
{
	struct inflight_packed_queue *q = vq->pinflight;

	for (unsigned int i = 0; i < vq->npending; i++)
		if (vq->pending[i].entry < vq->size)
			SHM_STORE(&q->desc[vq->pending[i].entry].inflight, 0);
	SHM_STORE(&q->old_free_head, q->free_head);
	commit_used(q);
}

static void init_region(struct virtq *vq, struct inflight_packed_queue *q)
{
	shm_zero(q->desc, (size_t)vq->size * sizeof(q->desc[0]));
	/* One free list through every entry, ending at desc_num. */
	for (uint16_t j = 0; j < vq->size; j++)
		SHM_STORE(&q->desc[j].next, (uint16_t)(j + 1));
	SHM_STORE(&q->features, 0);
	SHM_STORE(&q->desc_num, vq->size);
	SHM_STORE(&q->free_head, 0);
	SHM_STORE(&q->old_free_head, 0);
	SHM_STORE(&q->used_idx, vq->used_idx);
	SHM_STORE(&q->old_used_idx, vq->used_idx);
	SHM_STORE(&q->used_wrap_counter, vq->used_wrap);
	SHM_STORE(&q->old_used_wrap_counter, vq->used_wrap);
	SHM_STORE(&q->version, INFLIGHT_VERSION);
}

/* Died in the middle of publishing a batch: keep it if the guest can see
 * it (its first slot, at old_used_idx, is marked used), else undo it. */
static void settle_last_batch(struct virtq *vq, struct inflight_packed_queue *q)
{
	/* The wrap counter too: a batch of a whole lap ends where it began. */
	if ((q->used_idx != q->old_used_idx ||
	     q->used_wrap_counter != q->old_used_wrap_counter) &&
	    q->old_used_idx < vq->size) {
		uint16_t flags = __atomic_load_n(&vq->pdesc[q->old_used_idx].flags,
						 __ATOMIC_ACQUIRE);
		bool w = q->old_used_wrap_counter;
		uint16_t still_avail = (w ? F_AVAIL : 0) | (w ? 0 : F_USED);

		if ((flags & (F_AVAIL | F_USED)) != still_avail) {
			SHM_STORE(&q->old_free_head, q->free_head);
			SHM_STORE(&q->old_used_idx, q->used_idx);
			SHM_STORE(&q->old_used_wrap_counter, q->used_wrap_counter);
		}
	}
	SHM_STORE(&q->free_head, q->old_free_head);
	SHM_STORE(&q->used_idx, q->old_used_idx);
	SHM_STORE(&q->used_wrap_counter, q->old_used_wrap_counter);
}

/*
 * Checks that the entries add up: the free list from free_head ends at
 * desc_num, every chain in flight has num entries ending at its last, ids
 * are in range and distinct, and no entry is in two places. Entries on the
 * free list lose their in-flight mark (a chain half popped when we died,
 * put back by the roll-back). Fills heads[] with the in-flight head
 * entries; returns their count, or -1.
 */
static int check_region(struct virtq *vq, struct inflight_packed_queue *q,
			uint16_t *heads, uint8_t *seen, uint8_t *id_seen)
{
	uint16_t size = vq->size, e = q->free_head;
	int nheads = 0;

	if (q->used_idx >= size)
		return -1;
	for (uint32_t steps = 0; e != size; steps++) {
		if (e > size || steps >= size || seen[e])
			return -1;
		seen[e] = 1;
		SHM_STORE(&q->desc[e].inflight, 0);
		e = q->desc[e].next;
	}
	for (uint16_t h = 0; h < size; h++) {
		uint16_t num, id;

		if (seen[h] || !q->desc[h].inflight)
			continue;
		num = q->desc[h].num;
		if (num == 0 || num > size)
			return -1;
		e = h;
		for (uint16_t i = 0; i < num; i++) {
			if (e >= size || seen[e])
				return -1;
			seen[e] = 1;
			if (i + 1 < num)
				e = q->desc[e].next;
		}
		id = q->desc[e].id;
		if (e != q->desc[h].last || id >= size || id_seen[id])
			return -1;
		id_seen[id] = 1;
		heads[nheads++] = h;
	}
	return nheads;
}

static int by_counter(const void *a, const void *b, void *arg)
{
	const struct inflight_packed_queue *q = arg;
	uint64_t ca = q->desc[*(const uint16_t *)a].counter;
	uint64_t cb = q->desc[*(const uint16_t *)b].counter;

	return ca < cb ? -1 : ca > cb;
}

int virtq_packed_inflight_attach(struct virtq *vq,
				 struct inflight_packed_queue *q)
{
	uint16_t *heads = calloc(vq->size, sizeof(*heads));
	uint8_t *seen = calloc(vq->size, 1), *id_seen = calloc(vq->size, 1);
	bool recovered = false;
	uint32_t avail;
	int n = 0;

	free(vq->resubmit); /* attached again without a detach */
	vq->resubmit = calloc(vq->size, sizeof(*vq->resubmit));
	if (!heads || !seen || !id_seen || !vq->resubmit) {
		free(heads);
		free(seen);
		free(id_seen);
		virtq_inflight_detach(vq);
		return -ENOMEM;
	}
	if (q->version != INFLIGHT_VERSION || q->desc_num != vq->size) {
		init_region(vq, q); /* fresh, or a ring of another size */
	} else {
		settle_last_batch(vq, q);
		n = check_region(vq, q, heads, seen, id_seen);
		recovered = n >= 0;
		if (n < 0) {
			log_error("virtqueue: the packed inflight region does not "
				  "add up (entries lost, shared or out of range); "
				  "requests left in flight by the previous back-end "
				  "cannot be resubmitted");
			init_region(vq, q);
			n = 0;
		}
	}
	qsort_r(heads, (size_t)n, sizeof(heads[0]), by_counter, q);
	vq->inflight_counter = 0;
	vq->nresubmit = vq->resubmit_pos = 0;
	vq->npending = 0;
	vq->pinflight = q;
	free(seen);
	free(id_seen);
	if (!recovered) {
		/* Fresh: the front-end's base stands; nothing is in flight. */
		free(heads);
		return 0;
	}
	/* Positions from the region: after a crash the front-end's base is
	 * stale, after a clean stop the two agree. */
	vq->used_idx = q->used_idx;
	vq->used_wrap = q->used_wrap_counter;
	avail = vq->used_idx;
	vq->avail_wrap = vq->used_wrap;
	for (int i = 0; i < n; i++) {
		const struct inflight_packed_desc *h = &q->desc[heads[i]];
		uint16_t id = q->desc[h->last].id;

		/* Every entry off the free list is in flight: unmarked
		 * leftovers of a half-popped chain were put back by
		 * settle_last_batch (free_head rolled back to them). */
		vq->ids[id] = (struct virtq_packed_id){
			.ndescs = h->num, .entry = heads[i], .from_copy = true };
		vq->resubmit[i] = id;
		if (h->counter > vq->inflight_counter)
			vq->inflight_counter = h->counter;
		/* The avail position is past every descriptor popped so far:
		 * the used position plus what is still in flight. */
		avail += h->num;
		while (avail >= vq->size) {
			avail -= vq->size;
			vq->avail_wrap = !vq->avail_wrap;
		}
	}
	vq->last_avail_idx = (uint16_t)avail;
	vq->nresubmit = (unsigned int)n;
	free(heads);
	log_debug("virtqueue: packed inflight region attached: used %u, %d in "
		  "flight", vq->used_idx, n);
	if (n)
		log_info("virtqueue: resubmitting %d request%s left in flight by "
			 "the previous back-end", n, n == 1 ? "" : "s");
	return 0;
}
