/* SPDX-License-Identifier: MIT */
/*
 * A queue's guest memory as its reactor ring's fixed buffers: what blk and
 * scsi queues call when they start (and fixed_mem_unregister when they
 * stop). Header-only so the vhost library itself stays free of io_uring.
 */
#ifndef VMIO_VHOST_GUEST_MEM_FIXED_H
#define VMIO_VHOST_GUEST_MEM_FIXED_H

#include <stdlib.h>

#include "engine/fixed_mem.h"
#include "vhost/guest_mem.h"

/* Registers every region of mem with r (when --fixed-buffers gave r a
 * table); logs as `who`. On failure fm is left empty and the queue uses
 * plain reads and writes. On the reactor thread. */
static inline void guest_mem_register_fixed(const struct guest_mem *mem,
					    struct fixed_mem *fm,
					    struct reactor *r, const char *who)
{
	struct iovec *ranges = calloc(GUEST_MEM_MAX_REGIONS, sizeof(*ranges));
	unsigned int n;

	*fm = (struct fixed_mem){ .first_slot = -1 };
	if (!ranges)
		return;
	n = guest_mem_host_ranges(mem, ranges);
	if (n)
		fixed_mem_register_logged(fm, r, ranges, n, who);
	free(ranges);
}

#endif
