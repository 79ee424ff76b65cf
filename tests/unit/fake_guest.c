/* SPDX-License-Identifier: MIT */
#include "fake_guest.h"

#include <assert.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void fg_init(struct fake_guest *g)
{
	int fd;

	memset(g, 0, sizeof(*g));
	guest_mem_init(&g->mem);
	g->memfd = memfd_create("fake-guest", MFD_CLOEXEC);
	assert(g->memfd >= 0);
	assert(ftruncate(g->memfd, FG_MEM_SIZE) == 0);
	fd = dup(g->memfd);
	assert(guest_mem_add(&g->mem, FG_GPA, FG_MEM_SIZE, FG_QVA, 0, fd) == 0);
	g->base = g->mem.regions[0].hva;
	assert(virtq_map(&g->vq, &g->mem, FG_RING_SIZE, FG_QVA + FG_DESC_OFF,
			 FG_QVA + FG_AVAIL_OFF, FG_QVA + FG_USED_OFF) == 0);
}

void fg_destroy(struct fake_guest *g)
{
	guest_mem_clear(&g->mem);
	close(g->memfd);
}

void *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
	return g->base + (gpa - FG_GPA);
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
