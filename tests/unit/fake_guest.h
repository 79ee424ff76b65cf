/* SPDX-License-Identifier: MIT */
/* A fake guest for unit tests: one region of test guest memory
 * (tests/common/guest_regions.h) with helpers to lay out a split ring and
 * descriptor chains in it. */
#ifndef VMIO_TEST_FAKE_GUEST_H
#define VMIO_TEST_FAKE_GUEST_H

#include <stdint.h>
#include <linux/virtio_ring.h>

#include "guest_regions.h"
#include "vhost/virtq.h"

#define FG_MEM_SIZE (1u << 20)
#define FG_GPA 0x100000ull         /* guest-physical base */
#define FG_QVA 0x7f0000000000ull   /* front-end virtual base */
#define FG_RING_SIZE 16
#define FG_DESC_OFF 0x0
#define FG_AVAIL_OFF 0x1000
#define FG_USED_OFF 0x2000
#define FG_DATA_OFF 0x10000        /* buffers from here on */

struct fake_guest {
	struct guest_regions tg;   /* tg.mem: the device's view */
	uint8_t *base;  /* our view of the guest's first byte (at FG_GPA) */
	struct virtq vq;
	uint16_t avail_idx;
};

void fg_init(struct fake_guest *g);
void fg_destroy(struct fake_guest *g);
/* Host pointer of guest-physical address gpa (test side). */
void *fg_ptr(struct fake_guest *g, uint64_t gpa);
void fg_set_desc(struct fake_guest *g, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next);
/* Makes head available and bumps avail->idx. */
void fg_make_avail(struct fake_guest *g, uint16_t head);

#endif
