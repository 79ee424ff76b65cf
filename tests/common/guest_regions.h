/* SPDX-License-Identifier: MIT */
/*
 * Guest memory for tests that play the front-end in-process (unit tests,
 * fuzz harnesses): memfd regions at the guest-physical addresses, front-end
 * addresses and mmap offsets of a layout, mapped into a real guest_mem
 * table as vmiod maps what QEMU shares. The memfds stay open, so a test
 * may also hand them to a vu_dev in SET_MEM_TABLE. (vufront has its own
 * memory: it shares it over a real socket.)
 */
#ifndef VMIO_TESTS_GUEST_REGIONS_H
#define VMIO_TESTS_GUEST_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost/guest_mem.h"

#define GUEST_REGIONS_MAX 8

struct guest_region {
	uint64_t gpa, size;
	uint64_t qva;           /* the front-end's address of its first byte */
	uint64_t mmap_offset;   /* where it starts in its memfd */
};

struct guest_regions {
	struct guest_mem mem;   /* the device's view */
	unsigned int n;
	struct guest_region layout[GUEST_REGIONS_MAX];
	int memfd[GUEST_REGIONS_MAX];
	uint8_t *hva[GUEST_REGIONS_MAX]; /* region i's first byte, ours */
};

/* Creates and maps the n regions of layout; aborts on failure (a test's
 * set-up has no better answer). */
void guest_regions_map(struct guest_regions *t,
		       const struct guest_region *layout, unsigned int n);
void guest_regions_unmap(struct guest_regions *t);
/* Our pointer to guest-physical address gpa, or NULL outside the regions. */
void *guest_regions_ptr(struct guest_regions *t, uint64_t gpa);
/* Do len bytes at p lie wholly inside one region? */
bool guest_regions_hold(const struct guest_regions *t, const void *p,
			size_t len);

#endif
