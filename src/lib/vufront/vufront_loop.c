/* SPDX-License-Identifier: MIT */
/* vufront: a closed loop of requests, for tests that measure a rate. */
#include <errno.h>

#include "util/clock.h"
#include "vufront/vufront_int.h"

/* Sectors wrap here: every test disk is at least this big. */
#define LOOP_WRAP_SECTORS (1u << 20)
/* No completion for this long: the target is stuck. */
#define LOOP_STALL_NS (2 * NSEC_PER_SEC)

struct loop {
	struct vufront_queue *q;
	uint32_t type, bs;
	uint64_t sector;
};

static void loop_submit(struct loop *l, unsigned int slot)
{
	vufront_submit(l->q, slot, l->type, l->sector % LOOP_WRAP_SECTORS, l->bs);
	l->sector += l->bs / 512;
}

/* Reaps what completed and submits a request in each freed slot;
 * returns how many completed OK, or -errno. */
static long loop_turn(struct loop *l)
{
	struct vufront_completion c[16];
	int n = vufront_reap(l->q, c, 16);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (c[i].status != VIRTIO_BLK_S_OK)
			return -EIO;
		loop_submit(l, c[i].slot);
	}
	if (n)
		vufront_kick(l->q);
	return n;
}

static bool loop_idle(const struct vufront_queue *q, unsigned int qd)
{
	for (unsigned int s = 0; s < qd; s++)
		if (vufront_slot_busy(q, s))
			return false;
	return true;
}

/* Lets the requests still in flight finish before the caller moves on. */
static void loop_drain(struct vufront_queue *q, unsigned int qd)
{
	uint64_t until = clock_now_ns() + LOOP_STALL_NS;
	struct vufront_completion c[16];

	while (!loop_idle(q, qd) && clock_now_ns() < until &&
	       vufront_reap(q, c, 16) >= 0)
		;
}

long vufront_closed_loop(struct vufront_queue *q, unsigned int qd,
			 uint32_t type, uint32_t bs, double seconds)
{
	struct loop l = { q, type, bs, 0 };
	uint64_t last, end;
	long done = 0, n;

	if (!qd || qd > q->nslots || bs > q->f->o.max_io)
		return -EINVAL;
	for (unsigned int s = 0; s < qd; s++)
		loop_submit(&l, s);
	vufront_kick(q);
	last = clock_now_ns();
	end = last + (uint64_t)(seconds * NSEC_PER_SEC);
	while (clock_now_ns() < end) {
		n = loop_turn(&l);
		if (n < 0)
			return n;
		if (n)
			last = clock_now_ns();
		else if (clock_now_ns() - last > LOOP_STALL_NS)
			return -ETIMEDOUT;
		done += n;
	}
	loop_drain(q, qd);
	return done;
}
