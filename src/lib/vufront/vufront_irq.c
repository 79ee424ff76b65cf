/* SPDX-License-Identifier: MIT */
/*
 * vufront as an interrupt-driven guest: completions are taken only after
 * a call, with calls turned off while the used ring is read and turned on
 * again before a last look, the order Linux's virtio_ring keeps
 * (virtqueue_disable_cb, get_buf until empty, virtqueue_enable_cb and
 * poll again), so a target that skips a call it owes stalls the guest
 * here as it would a real one. Also where the driver stands on its rings.
 */
#include <errno.h>
#include <unistd.h>

#include "vufront/vufront_int.h"

static void calls_off(struct vufront_queue *q)
{
	if (q->packed) {
		vuf_packed_calls(q, false);
		return;
	}
	/* With EVENT_IDX the flag means nothing to the target; used_event
	 * stays where the last reap put it, behind what we are about to
	 * read, which asks for no call before we set it again. */
	if (!vuf_has(q->f, VIRTIO_RING_F_EVENT_IDX))
		__atomic_store_n(&q->avail->flags, VRING_AVAIL_F_NO_INTERRUPT,
				 __ATOMIC_RELAXED);
}

/* Asks for a call at the next completion; then looks once more, for one
 * that came while calls were off. */
static bool calls_on_and_look(struct vufront_queue *q)
{
	if (q->packed) {
		vuf_packed_calls(q, true);
	} else {
		if (vuf_has(q->f, VIRTIO_RING_F_EVENT_IDX))
			__atomic_store_n(&q->avail->ring[q->size], q->used_seen,
					 __ATOMIC_RELAXED);
		else
			__atomic_store_n(&q->avail->flags, 0, __ATOMIC_RELAXED);
	}
	/* The target must see the wish before we read the ring, or a
	 * completion between our look and its check goes uncalled. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vufront_used_pending(q);
}

int vufront_reap_irq(struct vufront_queue *q, struct vufront_completion *out,
		     unsigned int max)
{
	unsigned int n = 0;
	uint64_t v;
	int got;

	if (q->broken)
		return -EPROTO;
	if (read(q->call, &v, sizeof(v)) != sizeof(v))
		return 0; /* not interrupted */
	do {
		calls_off(q);
		got = vufront_reap(q, out + n, max - n);
		if (got < 0)
			return n ? (int)n : got;
		n += (unsigned int)got;
	} while (calls_on_and_look(q) && n < max);
	return (int)n;
}

bool vufront_used_pending(const struct vufront_queue *q)
{
	if (q->packed)
		return vuf_packed_used_pending(q);
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->used_seen;
}

uint16_t vufront_used_idx(const struct vufront_queue *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
}

uint32_t vufront_ring_state(const struct vufront_queue *q)
{
	return q->packed ? vuf_packed_base(q) : q->avail_idx;
}
