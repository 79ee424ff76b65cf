/* SPDX-License-Identifier: MIT */
/* vufront: raw ring access for tests that feed a target hostile input. */
#include <errno.h>
#include <unistd.h>

#include "util/clock.h"
#include "vufront/vufront_int.h"

struct vring_desc *vufront_desc(struct vufront_queue *q)
{
	return q->desc;
}

uint16_t vufront_queue_size(const struct vufront_queue *q)
{
	return q->size;
}

unsigned int vufront_raw_first(const struct vufront_queue *q)
{
	return 3 * q->nslots;
}

void *vufront_scratch(struct vufront_queue *q, size_t *len)
{
	if (len)
		*len = VUF_PAGE;
	return q->scratch;
}

struct vring_used *vufront_used(struct vufront_queue *q)
{
	return q->used;
}

void *vufront_meta(struct vufront_queue *q)
{
	return q->meta;
}

void vufront_raw_avail(struct vufront_queue *q, uint16_t head)
{
	/* A head out of range is published as is (that is the test); only
	 * in-range heads can be matched to a completion. */
	if (head < q->size && q->raw_pending[head] < 255)
		q->raw_pending[head]++;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

void vufront_raw_set_avail_idx(struct vufront_queue *q, uint16_t idx)
{
	q->avail_idx = idx;
	__atomic_store_n(&q->avail->idx, idx, __ATOMIC_RELEASE);
}

int vufront_raw_reap(struct vufront_queue *q, struct vring_used_elem *out,
		     unsigned int max)
{
	uint16_t idx;
	unsigned int n = 0;

	if (q->packed)
		return -ENOTSUP;
	idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	/* Take raw completions off the used ring up to the first slot
	 * completion, which stays there for vufront_reap (which in turn
	 * stashes raw ones it meets). */
	while (!q->broken && q->used_seen != idx &&
	       (uint16_t)(idx - q->used_seen) <= q->size) {
		struct vring_used_elem e = q->used->ring[q->used_seen & (q->size - 1)];

		if (e.id >= q->size || !q->raw_pending[e.id])
			break;
		q->used_seen++;
		vuf_stash_raw(q, e);
	}
	while (q->raw_count && n < max) {
		out[n++] = q->raw_done[q->raw_head];
		q->raw_head = (q->raw_head + 1) % q->size;
		q->raw_count--;
	}
	__atomic_store_n(&q->avail->ring[q->size], q->used_seen, __ATOMIC_RELEASE);
	return q->broken && !n ? -EPROTO : (int)n;
}

int vufront_raw_wait(struct vufront_queue *q, struct vring_used_elem *out,
		     int timeout_ms)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	int n;

	/* Polled, not waited on the call fd: hostile tests swap the call fd
	 * or ask for no interrupts. */
	while ((n = vufront_raw_reap(q, out, 1)) == 0 &&
	       clock_now_ns() < deadline)
		usleep(200);
	return n;
}

int vufront_kick_fd(const struct vufront_queue *q)
{
	return q->kick;
}

int vufront_call_fd(const struct vufront_queue *q)
{
	return q->call;
}
