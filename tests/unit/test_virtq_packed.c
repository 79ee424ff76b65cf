/* SPDX-License-Identifier: MIT */
/*
 * Packed virtqueues (VIRTIO_F_RING_PACKED): the driver side is written here,
 * following virtio 2.8 (descriptors marked with its wrap counter, the first
 * one's flags written last; used descriptors read at its own used position,
 * which moves by the chain length of the id it finds there). Well-formed
 * rings round-trip across many wraps, out of order, in rings whose size is
 * not a power of two; hostile rings either fail one chain or break the
 * queue, never touch memory outside the guest's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_guest.h"

#define D(off) (FG_GPA + FG_DATA_OFF + (off))
#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1u << VRING_PACKED_DESC_F_USED)
#define WRAP_BIT (1u << VRING_PACKED_EVENT_F_WRAP_CTR)
#define MAX_RING 64

static struct iovec iov[64];

struct buf {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VRING_DESC_F_WRITE / INDIRECT */
};

/* The driver. */
struct drv {
	struct fake_guest g;
	struct vring_packed_desc *ring;
	struct vring_packed_desc_event *drv_ev; /* ours: interrupt wishes */
	struct vring_packed_desc_event *dev_ev; /* the device's kick wishes */
	uint16_t size;
	uint16_t next; /* next position we make available */
	bool wrap;
	uint16_t used_pos;
	bool used_wrap;
	uint16_t ndescs[MAX_RING]; /* by id: ring descriptors it took */
	uint16_t ndescs_done;      /* of the last id drv_get_used returned */
};

static void drv_map(struct drv *d, uint16_t size)
{
	d->size = size;
	d->ring = (struct vring_packed_desc *)(d->g.base + FG_DESC_OFF);
	d->drv_ev = (struct vring_packed_desc_event *)(d->g.base + FG_AVAIL_OFF);
	d->dev_ev = (struct vring_packed_desc_event *)(d->g.base + FG_USED_OFF);
	memset(d->ring, 0, (size_t)size * sizeof(*d->ring));
	d->next = d->used_pos = 0;
	d->wrap = d->used_wrap = true; /* both start at 1 (2.8.1) */
	assert_int_equal(virtq_map_packed(&d->g.vq, &d->g.tg.mem, size,
					  FG_QVA + FG_DESC_OFF,
					  FG_QVA + FG_AVAIL_OFF,
					  FG_QVA + FG_USED_OFF), 0);
	assert_int_equal(virtq_packed_set_base(&d->g.vq, 0x80008000u), 0);
}

static int setup(void **state)
{
	static struct drv d;

	memset(&d, 0, sizeof(d));
	fg_init(&d.g);
	drv_map(&d, FG_RING_SIZE);
	*state = &d;
	return 0;
}

static int teardown(void **state)
{
	struct drv *d = *state;

	virtq_inflight_detach(&d->g.vq);
	virtq_release(&d->g.vq);
	fg_destroy(&d->g);
	return 0;
}

static uint16_t avail_flags(bool wrap)
{
	return wrap ? F_AVAIL : F_USED;
}

/* Makes n buffers available as one chain of buffer id; the head's flags
 * go last, as a driver must. Returns the head's position. */
static uint16_t drv_add(struct drv *d, uint16_t id, const struct buf *b,
			unsigned int n)
{
	uint16_t head = d->next, head_flags = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct vring_packed_desc *x = &d->ring[d->next];
		uint16_t f = b[i].flags | avail_flags(d->wrap) |
			     (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		x->addr = b[i].addr;
		x->len = b[i].len;
		x->id = id;
		if (i == 0)
			head_flags = f;
		else
			x->flags = f;
		if (++d->next == d->size) {
			d->next = 0;
			d->wrap = !d->wrap;
		}
	}
	if (id < MAX_RING)
		d->ndescs[id] = (uint16_t)n;
	__atomic_store_n(&d->ring[head].flags, head_flags, __ATOMIC_RELEASE);
	return head;
}

/* Takes the next used buffer: 1 with id/len, or 0 if none is used yet. */
static int drv_get_used(struct drv *d, uint16_t *id, uint32_t *len)
{
	struct vring_packed_desc *x = &d->ring[d->used_pos];
	uint16_t f = __atomic_load_n(&x->flags, __ATOMIC_ACQUIRE);

	if (!!(f & F_AVAIL) != d->used_wrap || !!(f & F_USED) != d->used_wrap)
		return 0;
	*id = x->id;
	*len = x->len;
	assert_true(*id < MAX_RING && d->ndescs[*id]);
	d->used_pos += d->ndescs[*id];
	d->ndescs_done = d->ndescs[*id];
	d->ndescs[*id] = 0;
	if (d->used_pos >= d->size) {
		d->used_pos -= d->size;
		d->used_wrap = !d->used_wrap;
	}
	return 1;
}

static struct virtq_chain chain(void)
{
	struct virtq_chain c = { .iov = iov, .max_iov = 64 };

	return c;
}

static void test_empty_ring_pops_nothing(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();

	assert_false(virtq_has_work(&d->g.vq));
	assert_int_equal(virtq_pop(&d->g.vq, &c), 0);
	/* A descriptor marked with the other wrap counter is not ours. */
	d->ring[0].flags = avail_flags(false);
	assert_false(virtq_has_work(&d->g.vq));
	assert_int_equal(virtq_pop(&d->g.vq, &c), 0);
}

static void test_three_descriptor_request(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();
	const struct buf b[] = {
		{ D(0), 16, 0 },
		{ D(0x1000), 4096, VRING_DESC_F_WRITE },
		{ D(0x3000), 1, VRING_DESC_F_WRITE },
	};
	uint16_t id;
	uint32_t len;

	drv_add(d, 7, b, 3);
	assert_true(virtq_has_work(&d->g.vq));
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.head, 7);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.n_in, 2);
	assert_ptr_equal(iov[0].iov_base, fg_ptr(&d->g, D(0)));
	assert_int_equal(iov[0].iov_len, 16);
	assert_ptr_equal(iov[1].iov_base, fg_ptr(&d->g, D(0x1000)));
	assert_int_equal(iov[1].iov_len, 4096);
	assert_ptr_equal(iov[2].iov_base, fg_ptr(&d->g, D(0x3000)));
	assert_false(virtq_has_work(&d->g.vq));

	/* Invisible until published; then id and len come back at the
	 * chain's first slot, flagged used with the wrap counter. */
	virtq_push(&d->g.vq, 7, 4097);
	assert_int_equal(drv_get_used(d, &id, &len), 0);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 7);
	assert_int_equal(len, 4097);
	assert_int_equal(d->ring[0].flags & VRING_DESC_F_WRITE, VRING_DESC_F_WRITE);
	assert_int_equal(d->used_pos, 3);
	assert_int_equal(d->g.vq.used_idx, 3);
}

static void test_out_of_order_completions(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();
	const struct buf two[] = { { D(0), 16, 0 }, { D(0x100), 1, VRING_DESC_F_WRITE } };
	const struct buf one[] = { { D(0x200), 16, 0 } };
	uint16_t a, b, id;
	uint32_t len;

	drv_add(d, 3, two, 2);
	drv_add(d, 9, one, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	a = c.head;
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	b = c.head;
	assert_int_equal(a, 3);
	assert_int_equal(b, 9);
	/* The later buffer finishes first: it lands in the first slot. */
	virtq_push(&d->g.vq, b, 0);
	virtq_push(&d->g.vq, a, 1);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 9);
	assert_int_equal(len, 0);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 3);
	assert_int_equal(len, 1);
	assert_int_equal(drv_get_used(d, &id, &len), 0);
	assert_int_equal(d->used_pos, 3);
}

/* Many laps of chains of 1..4 descriptors, completed in a shuffled order,
 * in rings of several sizes (odd ones included): every id comes back once
 * with its length, and the two sides' positions and wrap counters agree. */
static void run_laps(struct drv *d, uint16_t size)
{
	uint16_t inflight[MAX_RING];
	unsigned int ninflight = 0, done = 0, added = 0, free_descs = size;
	uint32_t seed = 12345;
	bool busy[MAX_RING] = { false };

	unsigned int rounds = 0;

	drv_map(d, size);
	while (done < 40u * size) {
		/* A device that loses completions must fail, not hang. */
		assert_true(++rounds < 200u * size);
		/* Add while descriptors and ids are free. */
		for (;;) {
			struct buf b[4];
			unsigned int n = 1 + (seed >> 7) % 4;
			uint16_t id = (uint16_t)((seed >> 3) % size);

			seed = seed * 1103515245 + 12345;
			if (n > free_descs || busy[id])
				break;
			for (unsigned int i = 0; i < n; i++)
				b[i] = (struct buf){ D(0x100 * i), 8, i ? VRING_DESC_F_WRITE : 0 };
			drv_add(d, id, b, n);
			busy[id] = true;
			free_descs -= n;
			added++;
		}
		/* The device pops everything and completes some. */
		for (;;) {
			struct virtq_chain c = chain();
			int r = virtq_pop(&d->g.vq, &c);

			assert_int_not_equal(r, -EIO);
			if (r == 0)
				break;
			assert_int_equal(c.error, 0);
			inflight[ninflight++] = c.head;
		}
		for (unsigned int k = 0; k < 1 + seed % 3 && ninflight; k++) {
			unsigned int pick = (seed >> 5) % ninflight;
			uint16_t id = inflight[pick];

			inflight[pick] = inflight[--ninflight];
			virtq_push(&d->g.vq, id, id + 100u);
			seed = seed * 1103515245 + 12345;
		}
		virtq_publish(&d->g.vq);
		for (;;) {
			uint16_t id;
			uint32_t len;

			if (!drv_get_used(d, &id, &len))
				break;
			assert_true(busy[id]);
			assert_int_equal(len, id + 100u);
			busy[id] = false;
			done++;
		}
		/* Descriptors between our used position and next are in use. */
		free_descs = size - ((d->next + (d->wrap != d->used_wrap ? size : 0u)) -
				     d->used_pos);
	}
	assert_true(added >= done);
	assert_false(d->g.vq.broken);
	/* Both sides agree on where used goes next. */
	assert_int_equal(d->g.vq.used_idx, d->used_pos);
	assert_int_equal(d->g.vq.used_wrap, d->used_wrap);
}

static void test_many_laps(void **state)
{
	struct drv *d = *state;
	static const uint16_t sizes[] = { 16, 5, 7, 1, 2, 33, 64 };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run_laps(d, sizes[i]);
}

static void test_indirect_table(void **state)
{
	struct drv *d = *state;
	struct vring_packed_desc *t = fg_ptr(&d->g, D(0x8000));
	struct virtq_chain c = chain();
	const struct buf ind[] = { { D(0x8000), 3 * 16, VRING_DESC_F_INDIRECT } };
	uint16_t id;
	uint32_t len;

	d->g.vq.indirect = true;
	t[0] = (struct vring_packed_desc){ .addr = D(0), .len = 16 };
	/* NEXT and id inside a table mean nothing (2.8.19). */
	t[1] = (struct vring_packed_desc){ .addr = D(0x1000), .len = 512,
					   .flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
					   .id = 999 };
	t[2] = (struct vring_packed_desc){ .addr = D(0x2000), .len = 1,
					   .flags = VRING_DESC_F_WRITE };
	drv_add(d, 4, ind, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.head, 4);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.n_in, 2);
	assert_ptr_equal(iov[1].iov_base, fg_ptr(&d->g, D(0x1000)));
	/* An indirect chain takes one ring slot. */
	virtq_push(&d->g.vq, 4, 513);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(d->g.vq.used_idx, 1);
	assert_int_equal(d->used_pos, 1);
}

/* Makes one chain available, pops it, and checks it failed alone. */
static void expect_chain_error(struct drv *d, const struct buf *b,
			       unsigned int n, int err)
{
	struct virtq_chain c = chain();
	uint16_t id;
	uint32_t len;

	drv_add(d, 2, b, n);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 2);
	assert_int_equal(c.error, err);
	assert_false(d->g.vq.broken);
	/* The caller hands it back empty; the queue goes on. */
	virtq_push(&d->g.vq, 2, 0);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 2);
	assert_int_equal(len, 0);
}

static void test_bad_chains_fail_alone(void **state)
{
	struct drv *d = *state;
	struct vring_packed_desc *t = fg_ptr(&d->g, D(0x8000));
	const struct buf outside[] = { { 0x10, 16, 0 } };
	const struct buf past_end[] = { { FG_GPA + FG_MEM_SIZE - 8, 16, 0 } };
	const struct buf overflow[] = { { UINT64_MAX - 4, 16, 0 } };
	const struct buf rw_order[] = { { D(0), 1, VRING_DESC_F_WRITE }, { D(8), 1, 0 } };
	const struct buf ind[] = { { D(0x8000), 2 * 16, VRING_DESC_F_INDIRECT } };
	const struct buf ind_zero[] = { { D(0x8000), 0, VRING_DESC_F_INDIRECT } };
	const struct buf ind_odd[] = { { D(0x8000), 20, VRING_DESC_F_INDIRECT } };
	const struct buf ind_huge[] = { { D(0x8000), 16 * (VIRTQ_MAX_INDIRECT + 1),
					  VRING_DESC_F_INDIRECT } };
	const struct buf ind_outside[] = { { 0x1000, 32, VRING_DESC_F_INDIRECT } };
	const struct buf ind_not_last[] = { { D(0x8000), 32, VRING_DESC_F_INDIRECT },
					    { D(0), 16, 0 } };
	struct buf many[4];

	expect_chain_error(d, outside, 1, -EFAULT);
	expect_chain_error(d, past_end, 1, -EFAULT);
	expect_chain_error(d, overflow, 1, -EFAULT);
	expect_chain_error(d, rw_order, 2, -EINVAL);
	/* Indirect without the feature. */
	expect_chain_error(d, ind, 1, -EINVAL);
	d->g.vq.indirect = true;
	t[0] = (struct vring_packed_desc){ .addr = D(0), .len = 16 };
	t[1] = (struct vring_packed_desc){ .addr = D(0x9000), .len = 32,
					   .flags = VRING_DESC_F_INDIRECT };
	expect_chain_error(d, ind, 1, -EINVAL); /* indirect in indirect */
	expect_chain_error(d, ind_zero, 1, -EINVAL);
	expect_chain_error(d, ind_odd, 1, -EINVAL);
	expect_chain_error(d, ind_huge, 1, -EINVAL);
	expect_chain_error(d, ind_outside, 1, -EFAULT);
	expect_chain_error(d, ind_not_last, 2, -EINVAL);
	/* More buffers than the caller has iovecs for. */
	for (unsigned int i = 0; i < 4; i++)
		many[i] = (struct buf){ D(0x100 * i), 8, 0 };
	{
		struct virtq_chain c = { .iov = iov, .max_iov = 3 };

		drv_add(d, 5, many, 4);
		assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
		assert_int_equal(c.error, -E2BIG);
	}
	assert_false(d->g.vq.broken);
}

static void test_id_past_ring_breaks_queue(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();
	const struct buf b[] = { { D(0), 16, 0 } };

	drv_add(d, FG_RING_SIZE, b, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), -EIO);
	assert_true(d->g.vq.broken);
	/* Broken stays broken: nothing more is read. */
	drv_add(d, 1, b, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), -EIO);
}

static void test_id_in_flight_twice_breaks_queue(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();
	const struct buf b[] = { { D(0), 16, 0 } };

	drv_add(d, 3, b, 1);
	drv_add(d, 3, b, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), -EIO);
	assert_true(d->g.vq.broken);
}

static void test_id_reused_after_completion_is_fine(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();
	const struct buf b[] = { { D(0), 16, 0 } };
	uint16_t id;
	uint32_t len;

	for (int i = 0; i < 3 * FG_RING_SIZE; i++) {
		drv_add(d, 3, b, 1);
		assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
		virtq_push(&d->g.vq, 3, 16);
		virtq_publish(&d->g.vq);
		assert_int_equal(drv_get_used(d, &id, &len), 1);
		assert_int_equal(id, 3);
	}
	assert_false(d->g.vq.broken);
}

static void test_chain_longer_than_ring_breaks_queue(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();

	/* Every descriptor says NEXT, all around the ring and on. */
	for (unsigned int i = 0; i < FG_RING_SIZE; i++)
		d->ring[i] = (struct vring_packed_desc){
			.addr = D(0), .len = 8,
			.flags = F_AVAIL | VRING_DESC_F_NEXT };
	assert_int_equal(virtq_pop(&d->g.vq, &c), -EIO);
	assert_true(d->g.vq.broken);
}

static void test_chain_into_unavailable_breaks_queue(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();

	d->ring[1] = (struct vring_packed_desc){ .addr = D(0), .len = 8 };
	d->ring[0] = (struct vring_packed_desc){ .addr = D(0), .len = 8,
		.flags = F_AVAIL | VRING_DESC_F_NEXT };
	assert_int_equal(virtq_pop(&d->g.vq, &c), -EIO);
	assert_true(d->g.vq.broken);
}

static void test_rewritten_chain_fails_alone(void **state)
{
	struct drv *d = *state;
	struct virtq_chain c = chain();
	const struct buf b[] = { { D(0), 16, 0 }, { D(0x100), 1, VRING_DESC_F_WRITE } };
	uint16_t id;

	/* The guest moves the chain's end after we counted it. */
	drv_add(d, 1, b, 2);
	assert_int_equal(virtq_next_head(&d->g.vq, &id), 1);
	d->ring[1].flags |= VRING_DESC_F_NEXT;
	virtq_map_chain(&d->g.vq, id, &c);
	assert_int_equal(c.error, -EINVAL);
	assert_false(d->g.vq.broken);
}

static void test_push_of_unknown_id_is_dropped(void **state)
{
	struct drv *d = *state;
	uint16_t id;
	uint32_t len;

	virtq_push(&d->g.vq, 5, 1);
	virtq_push(&d->g.vq, 60000, 1);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 0);
	assert_int_equal(d->g.vq.used_idx, 0);
}

/* A driver recycling one id without waiting for used entries makes us
 * push more than a ring's worth between publishes: flushed, not overrun. */
static void test_pending_batch_never_overflows(void **state)
{
	struct drv *d = *state;
	const struct buf b[] = { { D(0), 16, 0 } };

	for (int i = 0; i < 5 * FG_RING_SIZE; i++) {
		struct virtq_chain c = chain();

		drv_add(d, 0, b, 1);
		assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
		virtq_push(&d->g.vq, 0, 1);
		assert_true(d->g.vq.npending < FG_RING_SIZE);
	}
	assert_false(d->g.vq.broken);
}

static void complete_one(struct drv *d)
{
	struct virtq_chain c = chain();
	const struct buf b[] = { { D(0), 16, 0 } };
	uint16_t id;
	uint32_t len;

	drv_add(d, 1, b, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	virtq_push(&d->g.vq, 1, 0);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
}

static void test_interrupt_suppression(void **state)
{
	struct drv *d = *state;

	d->drv_ev->flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	complete_one(d);
	assert_false(virtq_should_notify(&d->g.vq));
	d->drv_ev->flags = VRING_PACKED_EVENT_FLAG_ENABLE;
	complete_one(d);
	assert_true(virtq_should_notify(&d->g.vq));

	/* DESC: interrupt once used passes the driver's offset. */
	d->g.vq.event_idx = true;
	d->drv_ev->flags = VRING_PACKED_EVENT_FLAG_DESC;
	d->drv_ev->off_wrap = 5 | WRAP_BIT; /* used is at 2, lap 1 */
	complete_one(d);                    /* -> 3 */
	assert_false(virtq_should_notify(&d->g.vq));
	complete_one(d);                    /* -> 4 */
	assert_false(virtq_should_notify(&d->g.vq));
	complete_one(d);                    /* -> 5: crossed 5? no, 4 -> 5 */
	assert_false(virtq_should_notify(&d->g.vq));
	complete_one(d);                    /* 5 -> 6 passes the event at 5 */
	assert_true(virtq_should_notify(&d->g.vq));
	complete_one(d);
	assert_false(virtq_should_notify(&d->g.vq));

	/* An event in the next lap's numbering (other wrap counter) across
	 * the wrap: used goes 7 -> ... -> 15 -> 0 (lap 0) -> 1. */
	d->drv_ev->off_wrap = 0; /* position 0 with wrap 0 */
	while (d->g.vq.used_idx != FG_RING_SIZE - 1) {
		complete_one(d);
		assert_false(virtq_should_notify(&d->g.vq));
	}
	complete_one(d); /* 15 -> 0, lap 0: event 0 not passed yet */
	assert_false(virtq_should_notify(&d->g.vq));
	complete_one(d); /* 0 -> 1 passes it */
	assert_true(virtq_should_notify(&d->g.vq));
}

static void test_kick_suppression(void **state)
{
	struct drv *d = *state;

	virtq_kicks_disable(&d->g.vq);
	assert_int_equal(d->dev_ev->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	virtq_kicks_enable(&d->g.vq);
	assert_int_equal(d->dev_ev->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	d->g.vq.event_idx = true;
	complete_one(d);
	complete_one(d);
	virtq_kicks_enable(&d->g.vq);
	assert_int_equal(d->dev_ev->flags, VRING_PACKED_EVENT_FLAG_DESC);
	assert_int_equal(d->dev_ev->off_wrap, 2 | WRAP_BIT);
	virtq_kicks_disable(&d->g.vq);
	assert_int_equal(d->dev_ev->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void test_base_round_trip(void **state)
{
	struct drv *d = *state;
	struct virtq *vq = &d->g.vq;

	assert_int_equal(virtq_packed_get_base(vq), 0x80008000u);
	complete_one(d);
	complete_one(d);
	assert_int_equal(virtq_packed_get_base(vq), 0x80028002u);
	/* Only the avail half (an older front-end): used follows it. */
	assert_int_equal(virtq_packed_set_base(vq, 0x0003), 0);
	assert_int_equal(vq->last_avail_idx, 3);
	assert_false(vq->avail_wrap);
	assert_int_equal(vq->used_idx, 3);
	assert_false(vq->used_wrap);
	assert_int_equal(virtq_packed_set_base(vq, 0x8001000fu), 0);
	assert_int_equal(vq->last_avail_idx, 15);
	assert_int_equal(vq->used_idx, 1);
	assert_true(vq->used_wrap);
	/* Positions past the ring are refused, state unchanged. */
	assert_int_equal(virtq_packed_set_base(vq, 0x8000 | FG_RING_SIZE), -EINVAL);
	assert_int_equal(virtq_packed_set_base(vq, (FG_RING_SIZE + 0u) << 16 | 1), -EINVAL);
	assert_int_equal(vq->last_avail_idx, 15);
}

static void test_map_rejects_bad_rings(void **state)
{
	struct drv *d = *state;
	struct virtq vq = { 0 };

	assert_int_equal(virtq_map_packed(&vq, &d->g.tg.mem, 0, FG_QVA,
					  FG_QVA + 0x1000, FG_QVA + 0x2000), -EINVAL);
	assert_int_equal(virtq_map_packed(&vq, &d->g.tg.mem, 16, FG_QVA + 8,
					  FG_QVA + 0x1000, FG_QVA + 0x2000), -EINVAL);
	assert_int_equal(virtq_map_packed(&vq, &d->g.tg.mem, 16, FG_QVA,
					  FG_QVA + 0x1002, FG_QVA + 0x2000), -EINVAL);
	assert_int_equal(virtq_map_packed(&vq, &d->g.tg.mem, 16, FG_QVA,
					  FG_QVA + 0x1000, FG_QVA + FG_MEM_SIZE), -EFAULT);
	/* A ring running past the end of guest memory. */
	assert_int_equal(virtq_map_packed(&vq, &d->g.tg.mem, 32768,
					  FG_QVA + FG_MEM_SIZE - 0x1000,
					  FG_QVA + 0x1000, FG_QVA + 0x2000), -EFAULT);
	assert_false(vq.packed);
	virtq_release(&vq);
}


/* ---- Inflight tracking (vhost-user.rst's packed layout) ---- */

static struct inflight_packed_queue *new_region(uint16_t size)
{
	struct inflight_packed_queue *q = calloc(1, inflight_packed_queue_bytes(size));

	assert_non_null(q);
	return q;
}

/* A vmiod dies and another takes the ring over: a fresh virtq on the same
 * guest memory, with the front-end's stale base (where the ring started),
 * and the region the first one left. */
static void restart_with(struct drv *d, struct inflight_packed_queue *q)
{
	virtq_inflight_detach(&d->g.vq);
	virtq_release(&d->g.vq);
	memset(&d->g.vq, 0, sizeof(d->g.vq));
	assert_int_equal(virtq_map_packed(&d->g.vq, &d->g.tg.mem, d->size,
					  FG_QVA + FG_DESC_OFF, FG_QVA + FG_AVAIL_OFF,
					  FG_QVA + FG_USED_OFF), 0);
	assert_int_equal(virtq_packed_set_base(&d->g.vq, 0x80008000u), 0);
	assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
}

/* Pops three chains (id 5: 3 descriptors, id 2: 1, id 9: 2). */
static void pop_three(struct drv *d)
{
	const struct buf b5[] = { { D(0), 16, 0 }, { D(0x1000), 4096, VRING_DESC_F_WRITE },
				  { D(0x3000), 1, VRING_DESC_F_WRITE } };
	const struct buf b2[] = { { D(0x4000), 512, 0 } };
	const struct buf b9[] = { { D(0x5000), 16, 0 }, { D(0x6000), 1, VRING_DESC_F_WRITE } };
	struct virtq_chain c = chain();

	drv_add(d, 5, b5, 3);
	drv_add(d, 2, b2, 1);
	drv_add(d, 9, b9, 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
		assert_int_equal(c.error, 0);
	}
}

static void test_inflight_restart_resubmits_from_copies(void **state)
{
	struct drv *d = *state;
	struct inflight_packed_queue *q = new_region(d->size);
	struct virtq_chain c = chain();
	uint16_t id;
	uint32_t len;

	assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
	assert_int_equal(q->version, 1);
	pop_three(d);
	/* id 2 completes: its used entry lands on slot 0, over id 5's first
	 * descriptor; the ring alone could no longer say what id 5 was. */
	virtq_push(&d->g.vq, 2, 0);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 2);
	/* id 9 completes but dies before publishing: not seen by the guest. */
	virtq_push(&d->g.vq, 9, 1);

	restart_with(d, q);
	/* Positions from the region: used after id 2 (1 slot), avail past
	 * the 5 descriptors of ids 5 and 9. */
	assert_int_equal(d->g.vq.used_idx, 1);
	assert_int_equal(d->g.vq.last_avail_idx, 6);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 5);
	assert_int_equal(c.error, 0);
	assert_int_equal(c.n_out, 1);
	assert_int_equal(c.n_in, 2);
	assert_ptr_equal(iov[0].iov_base, fg_ptr(&d->g, D(0)));
	assert_ptr_equal(iov[1].iov_base, fg_ptr(&d->g, D(0x1000)));
	assert_int_equal(iov[1].iov_len, 4096);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 9);
	assert_ptr_equal(iov[0].iov_base, fg_ptr(&d->g, D(0x5000)));
	assert_int_equal(virtq_pop(&d->g.vq, &c), 0);
	/* Completed now, each exactly once, where the guest expects them. */
	virtq_push(&d->g.vq, 9, 1);
	virtq_push(&d->g.vq, 5, 4097);
	virtq_publish(&d->g.vq);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 9);
	assert_int_equal(drv_get_used(d, &id, &len), 1);
	assert_int_equal(id, 5);
	assert_int_equal(len, 4097);
	assert_int_equal(drv_get_used(d, &id, &len), 0);
	/* And the ring goes on: a new request after them. */
	{
		const struct buf b[] = { { D(0x7000), 16, 0 } };

		drv_add(d, 1, b, 1);
		assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
		assert_int_equal(c.head, 1);
		assert_ptr_equal(iov[0].iov_base, fg_ptr(&d->g, D(0x7000)));
	}
	/* A second restart with nothing left in flight resubmits nothing. */
	virtq_push(&d->g.vq, 1, 0);
	virtq_publish(&d->g.vq);
	restart_with(d, q);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 0);
	assert_int_equal(d->g.vq.used_idx, 7);
	assert_int_equal(d->g.vq.last_avail_idx, 7);
	free(q);
}

/* Died after the batch's flags were stored but before the region said
 * so: the guest has the completion, so it is not resubmitted. */
static void test_inflight_death_after_flags_commits(void **state)
{
	struct drv *d = *state;
	struct inflight_packed_queue *q = new_region(d->size);
	struct virtq_chain c = chain();
	uint16_t old_free, old_used, entry;
	uint8_t old_wrap;

	assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
	pop_three(d);
	old_free = q->old_free_head;
	old_used = q->old_used_idx;
	old_wrap = q->old_used_wrap_counter;
	entry = d->g.vq.ids[2].entry;
	virtq_push(&d->g.vq, 2, 0);
	virtq_publish(&d->g.vq);
	/* Undo what publish does after the flags: the crash point. */
	q->old_free_head = old_free;
	q->old_used_idx = old_used;
	q->old_used_wrap_counter = old_wrap;
	q->desc[entry].inflight = 1;

	restart_with(d, q);
	assert_int_equal(d->g.vq.used_idx, 1);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 5);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 9);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 0);
	free(q);
}

/* Died after the region took the batch but before any flag was stored:
 * the guest never saw it, so it is rolled back and resubmitted. */
static void test_inflight_death_before_flags_rolls_back(void **state)
{
	struct drv *d = *state;
	struct inflight_packed_queue *q = new_region(d->size);
	struct virtq_chain c = chain();

	assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
	pop_three(d);
	virtq_push(&d->g.vq, 2, 0);
	virtq_packed_inflight_publish_begin(&d->g.vq);
	assert_int_not_equal(q->used_idx, q->old_used_idx);

	restart_with(d, q);
	assert_int_equal(d->g.vq.used_idx, 0);
	assert_int_equal(d->g.vq.last_avail_idx, 6);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 5);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 2);
	assert_ptr_equal(iov[0].iov_base, fg_ptr(&d->g, D(0x4000)));
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 9);
	free(q);
}

/* A region that does not add up is started afresh, never followed:
 * a free list that loops, an entry claimed twice, an id past the ring. */
static void test_inflight_corrupt_region_starts_afresh(void **state)
{
	struct drv *d = *state;
	struct inflight_packed_queue *q = new_region(d->size);
	struct virtq_chain c = chain();

	for (int kind = 0; kind < 3; kind++) {
		drv_map(d, FG_RING_SIZE);
		memset(q, 0, inflight_packed_queue_bytes(d->size));
		assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
		pop_three(d);
		uint16_t head5 = d->g.vq.ids[5].entry, head9 = d->g.vq.ids[9].entry;

		if (kind == 0) {
			q->desc[q->free_head].next = q->free_head;
		} else if (kind == 1) {
			/* id 5's chain runs on into id 9's entries. */
			q->desc[q->desc[head5].last].next = head9;
			q->desc[head5].num = 5;
		} else {
			q->desc[q->desc[head9].last].id = 999;
		}
		restart_with(d, q);
		/* Nothing from the region: the front-end's base stands, and
		 * the ring still holds the three chains (none completed). */
		assert_int_equal(d->g.vq.nresubmit, 0);
		assert_int_equal(q->version, 1);
		assert_int_equal(q->free_head, 0);
		assert_int_equal(d->g.vq.last_avail_idx, 0);
		assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
		assert_int_equal(c.head, 5);
		assert_int_equal(c.error, 0);
	}
	free(q);
}

/* The front-end rewrites a copy after the region was checked: that chain
 * fails alone, nothing is read outside the region or guest memory. */
static void test_inflight_copy_rewritten_fails_one_chain(void **state)
{
	struct drv *d = *state;
	struct inflight_packed_queue *q = new_region(d->size);
	struct virtq_chain c = chain();

	assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
	pop_three(d);
	restart_with(d, q);
	q->desc[d->g.vq.ids[5].entry].next = 60000;
	q->desc[q->desc[d->g.vq.ids[9].entry].last].addr = 1ull << 50;
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 5);
	assert_int_not_equal(c.error, 0);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 2);
	assert_int_equal(c.error, 0);
	assert_int_equal(virtq_pop(&d->g.vq, &c), 1);
	assert_int_equal(c.head, 9);
	assert_int_equal(c.error, -EFAULT);
	free(q);
}

/* Many laps with the region attached, a restart every few completions
 * at a random point: every id still comes back exactly once. */
static void test_inflight_many_restarts(void **state)
{
	struct drv *d = *state;
	struct inflight_packed_queue *q = new_region(d->size);
	bool busy[MAX_RING] = { false };
	uint32_t seed = 777;
	unsigned int done = 0, rounds = 0, free_descs = d->size, resubmitted = 0;

	assert_int_equal(virtq_packed_inflight_attach(&d->g.vq, q), 0);
	while (done < 400) {
		struct virtq_chain c = chain();
		uint16_t popped[MAX_RING], id;
		unsigned int npopped = 0;
		uint32_t len;

		assert_true(++rounds < 5000);
		for (;;) {
			struct buf b[3];
			unsigned int n = 1 + (seed >> 7) % 3;

			id = (uint16_t)((seed >> 3) % d->size);
			seed = seed * 1103515245 + 12345;
			if (n > free_descs || busy[id])
				break;
			for (unsigned int i = 0; i < n; i++)
				b[i] = (struct buf){ D(0x100 * id + i), 8, i ? VRING_DESC_F_WRITE : 0 };
			drv_add(d, id, b, n);
			busy[id] = true;
			free_descs -= n;
		}
		while (virtq_pop(&d->g.vq, &c) == 1) {
			assert_int_equal(c.error, 0);
			assert_ptr_equal(iov[0].iov_base, fg_ptr(&d->g, D(0x100 * c.head)));
			popped[npopped++] = c.head;
		}
		/* Complete some, in reverse order; sometimes die before or
		 * after publishing, sometimes with requests still in flight. */
		for (unsigned int i = npopped; i-- > npopped / 2;)
			virtq_push(&d->g.vq, popped[i], 0);
		if (seed & 1)
			virtq_publish(&d->g.vq);
		if ((seed >> 9) % 3 == 0) {
			restart_with(d, q);
			resubmitted += d->g.vq.nresubmit;
		} else
			virtq_publish(&d->g.vq);
		while (drv_get_used(d, &id, &len) == 1) {
			assert_true(busy[id]);
			busy[id] = false;
			free_descs += d->ndescs_done;
			done++;
		}
		/* What is still in flight comes back after a restart (or
		 * is still held): finish everything now and then. */
		if (rounds % 7 == 0) {
			while (virtq_pop(&d->g.vq, &c) == 1)
				popped[npopped++] = c.head;
			for (unsigned int i = 0; i < d->size; i++)
				if (d->g.vq.ids[i].ndescs)
					virtq_push(&d->g.vq, (uint16_t)i, 0);
			virtq_publish(&d->g.vq);
			while (drv_get_used(d, &id, &len) == 1) {
				assert_true(busy[id]);
				busy[id] = false;
				free_descs += d->ndescs_done;
				done++;
			}
			for (unsigned int i = 0; i < d->size; i++)
				assert_false(busy[i]);
		}
	}
	/* The restarts did find requests in flight. */
	assert_true(resubmitted > 50);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_empty_ring_pops_nothing),
		T(test_three_descriptor_request),
		T(test_inflight_restart_resubmits_from_copies),
		T(test_inflight_death_after_flags_commits),
		T(test_inflight_death_before_flags_rolls_back),
		T(test_inflight_corrupt_region_starts_afresh),
		T(test_inflight_copy_rewritten_fails_one_chain),
		T(test_inflight_many_restarts),
		T(test_out_of_order_completions),
		T(test_many_laps),
		T(test_indirect_table),
		T(test_bad_chains_fail_alone),
		T(test_id_past_ring_breaks_queue),
		T(test_id_in_flight_twice_breaks_queue),
		T(test_id_reused_after_completion_is_fine),
		T(test_chain_longer_than_ring_breaks_queue),
		T(test_chain_into_unavailable_breaks_queue),
		T(test_rewritten_chain_fails_alone),
		T(test_push_of_unknown_id_is_dropped),
		T(test_pending_batch_never_overflows),
		T(test_interrupt_suppression),
		T(test_kick_suppression),
		T(test_base_round_trip),
		T(test_map_rejects_bad_rings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
