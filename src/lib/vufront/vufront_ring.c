/* SPDX-License-Identifier: MIT */
/* vufront: the data path (submit, kick, reap, wait); split rings here,
 * packed ones in vufront_packed.c. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "vufront/vufront_int.h"

unsigned int vufront_slots(const struct vufront_queue *q)
{
	return q->nslots;
}

bool vufront_slot_busy(const struct vufront_queue *q, unsigned int slot)
{
	return slot < q->nslots && q->busy[slot];
}

void *vufront_buf(struct vufront_queue *q, unsigned int slot)
{
	size_t stride = (q->f->o.max_io + VUF_PAGE - 1) / VUF_PAGE * VUF_PAGE;

	return q->data + (size_t)slot * stride;
}

/* Publishes head in the avail ring; the target may see it at once. */
static void make_avail(struct vufront_queue *q, uint16_t head)
{
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

void vuf_publish(struct vufront_queue *q, unsigned int slot,
		 const struct vring_desc *d, uint16_t n, uint32_t writable)
{
	struct vufront *f = q->f;
	uint16_t head = (uint16_t)(3 * slot);

	q->writable[slot] = writable;
	q->busy[slot] = true;
	if (q->packed) {
		vuf_packed_publish(q, slot, d, n);
		return;
	}
	if (vuf_has(f, VIRTIO_RING_F_INDIRECT_DESC)) {
		/* The chain lives in the slot's table; next is table-relative. */
		struct vring_desc *t =
			(struct vring_desc *)(vuf_meta(q, slot) + f->table_off);

		for (uint16_t i = 0; i < n; i++) {
			t[i] = d[i];
			t[i].next = (uint16_t)(i + 1);
		}
		q->desc[head] = (struct vring_desc){ vufront_gpa(f, t),
						     n * sizeof(*t),
						     VRING_DESC_F_INDIRECT, 0 };
	} else {
		for (uint16_t i = 0; i < n; i++) {
			q->desc[head + i] = d[i];
			q->desc[head + i].next = (uint16_t)(head + i + 1);
		}
	}
	make_avail(q, head);
}

void vufront_submit(struct vufront_queue *q, unsigned int slot, uint32_t type,
		    uint64_t sector, uint32_t len)
{
	struct vufront *f = q->f;
	uint8_t *meta = vuf_meta(q, slot);
	struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)meta;
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	uint16_t n = 0;
	struct vring_desc d[3];

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	meta[VUF_META_STATUS] = VUF_STATUS_UNSET;
	d[n++] = (struct vring_desc){ vufront_gpa(f, h), sizeof(*h),
				      VRING_DESC_F_NEXT, 0 };
	if (len)
		d[n++] = (struct vring_desc){ vufront_gpa(f, vufront_buf(q, slot)),
					      len, VRING_DESC_F_NEXT |
					      (in ? VRING_DESC_F_WRITE : 0), 0 };
	d[n++] = (struct vring_desc){ vufront_gpa(f, meta + VUF_META_STATUS), 1,
				      VRING_DESC_F_WRITE, 0 };
	vuf_publish(q, slot, d, n, (in ? len : 0) + 1);
}

void vufront_submit_range(struct vufront_queue *q, unsigned int slot,
			  uint32_t type, uint64_t sector, uint32_t nsectors,
			  uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes seg = {
		.sector = sector, .num_sectors = nsectors, .flags = flags };

	memcpy(vufront_buf(q, slot), &seg, sizeof(seg));
	vufront_submit(q, slot, type, 0, sizeof(seg));
}

static void write_kick(struct vufront_queue *q)
{
	uint64_t one = 1;

	if (write(q->kick, &one, sizeof(one)) < 0 && errno != EAGAIN)
		snprintf(q->err, sizeof(q->err), "kick: %s", strerror(errno));
}

void vufront_kick(struct vufront_queue *q)
{
	uint16_t old = q->kicked_idx, new = q->avail_idx;
	bool kick;

	if (old == new)
		return;
	/* The target must see avail->idx before we read whether it wants
	 * to hear, or both sides may decide the other will act. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->packed) {
		kick = vuf_packed_need_kick(q);
	} else if (vuf_has(q->f, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t ev = __atomic_load_n((uint16_t *)&q->used->ring[q->size],
					      __ATOMIC_RELAXED);

		kick = vring_need_event(ev, new, old);
	} else {
		kick = !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
			 VRING_USED_F_NO_NOTIFY);
	}
	q->kicked_idx = new;
	if (kick)
		write_kick(q);
}

void vufront_kick_force(struct vufront_queue *q)
{
	q->kicked_idx = q->avail_idx;
	write_kick(q);
}

int vuf_target_error(struct vufront_queue *q, const char *fmt, ...)
{
	va_list ap;
	int n;

	q->errors++;
	q->broken = true;
	n = snprintf(q->err, sizeof(q->err), "queue %u: ", q->index);
	va_start(ap, fmt);
	vsnprintf(q->err + n, sizeof(q->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/* Keeps a raw head's completion for vufront_raw_reap. */
void vuf_stash_raw(struct vufront_queue *q, struct vring_used_elem e)
{
	q->raw_pending[e.id]--;
	if (q->raw_count < q->size) {
		q->raw_done[(q->raw_head + q->raw_count) % q->size] = e;
		q->raw_count++;
	}
}

int vuf_complete(struct vufront_queue *q, unsigned int slot, uint32_t len,
		 struct vufront_completion *c)
{
	uint8_t status;

	q->busy[slot] = false;
	if (len > q->writable[slot])
		return vuf_target_error(q, "the target reported %u bytes written "
				    "into request %u, which has %u writable "
				    "bytes (bad used length)", len, slot,
				    q->writable[slot]);
	status = __atomic_load_n(vuf_meta(q, slot) + q->f->status_off,
				 __ATOMIC_RELAXED);
	if (status == VUF_STATUS_UNSET)
		return vuf_target_error(q, "the target completed request %u "
				    "without writing its %s", slot,
				    q->f->dev == VUF_DEV_SCSI ?
				    "response (virtio_scsi_cmd_resp.response)" :
				    "status byte");
	*c = (struct vufront_completion){ slot, status, len };
	return 1;
}

/* Checks one used entry; 1: a slot completed into *c, 0: raw, <0: wrong. */
static int check_used(struct vufront_queue *q, struct vring_used_elem e,
		      struct vufront_completion *c)
{
	unsigned int slot = e.id / 3;

	if (e.id < q->size && q->raw_pending[e.id]) {
		vuf_stash_raw(q, e);
		return 0;
	}
	if (e.id % 3 || slot >= q->nslots || !q->busy[slot])
		return vuf_target_error(q, "the target completed descriptor %u, "
				    "which is not the head of a request in "
				    "flight (unknown or duplicate id)", e.id);
	return vuf_complete(q, slot, e.len, c);
}

int vufront_reap(struct vufront_queue *q, struct vufront_completion *out,
		 unsigned int max)
{
	uint16_t idx;
	unsigned int n = 0;

	if (q->packed)
		return vuf_packed_reap(q, out, max);
	idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	if (q->broken)
		return -EPROTO;
	if ((uint16_t)(idx - q->used_seen) > q->size)
		return vuf_target_error(q, "the target moved used->idx by %u in a "
				    "ring of %u", (uint16_t)(idx - q->used_seen),
				    q->size);
	while (q->used_seen != idx && n < max) {
		struct vring_used_elem e = q->used->ring[q->used_seen & (q->size - 1)];
		int ret;

		q->used_seen++;
		ret = check_used(q, e, &out[n]);
		if (ret < 0)
			return n ? (int)n : ret;
		n += (unsigned int)ret;
	}
	/* Tell the target when to call next: after the next completion when
	 * we sleep on calls, half a ring away (never) when we poll. */
	__atomic_store_n(&q->avail->ring[q->size],
			 (uint16_t)(q->used_seen + (q->f->o.want_irq ? 0 : 0x8000)),
			 __ATOMIC_RELEASE);
	return (int)n;
}

int vufront_wait(struct vufront_queue *q, uint64_t timeout_ns)
{
	struct pollfd p = { q->call, POLLIN, 0 };
	struct timespec ts = { (time_t)(timeout_ns / NSEC_PER_SEC),
			       (long)(timeout_ns % NSEC_PER_SEC) };
	uint64_t v;
	int ret;

	/* used_event was stored by the last reap; make sure the target can
	 * see it before we look, so a completion after this look calls. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vufront_used_pending(q))
		return 1;
	ret = ppoll(&p, 1, &ts, NULL);
	if (ret > 0 && read(q->call, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	return ret < 0 ? -errno : ret;
}

int vufront_io(struct vufront_queue *q, unsigned int slot, uint32_t type,
	       uint64_t sector, uint32_t len, uint64_t timeout_ns)
{
	uint64_t deadline = clock_now_ns() + timeout_ns;
	struct vufront_completion c;
	int ret;

	vufront_submit(q, slot, type, sector, len);
	vufront_kick(q);
	for (;;) {
		uint64_t now;

		ret = vufront_reap(q, &c, 1);
		if (ret < 0)
			return ret;
		if (ret == 1 && c.slot == slot)
			return c.status;
		now = clock_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (ret == 0)
			vufront_wait(q, deadline - now < NSEC_PER_MSEC ?
					 deadline - now : NSEC_PER_MSEC);
	}
}

const char *vufront_last_error(const struct vufront_queue *q)
{
	return q->err;
}

uint64_t vufront_target_errors(const struct vufront_queue *q)
{
	return q->errors;
}
