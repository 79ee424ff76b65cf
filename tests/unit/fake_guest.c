/* SPDX-License-Identifier: MIT */
#include "fake_guest.h"

#include <assert.h>
#include <string.h>

void fg_init(struct fake_guest *g)
{
	static const struct guest_region region = { FG_GPA, FG_MEM_SIZE, FG_QVA, 0 };

	memset(g, 0, sizeof(*g));
	guest_regions_map(&g->tg, &region, 1);
	g->base = g->tg.hva[0];
	assert(virtq_map(&g->vq, &g->tg.mem, FG_RING_SIZE, FG_QVA + FG_DESC_OFF,
			 FG_QVA + FG_AVAIL_OFF, FG_QVA + FG_USED_OFF) == 0);
}

void fg_destroy(struct fake_guest *g)
{
	guest_regions_unmap(&g->tg);
}

void *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
	return guest_regions_ptr(&g->tg, gpa);
}

void fg_set_desc(struct fake_guest *g, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	struct vring_desc *d = (struct vring_desc *)(g->base + FG_DESC_OFF);

	d[i].addr = addr;
	d[i].len = len;
	d[i].flags = flags;
	d[i].next = next;
}

void fg_make_avail(struct fake_guest *g, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(g->base + FG_AVAIL_OFF);

	a->ring[g->avail_idx % FG_RING_SIZE] = head;
	g->avail_idx++;
	a->idx = g->avail_idx;
}
