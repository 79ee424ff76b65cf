/* SPDX-License-Identifier: MIT */
/*
 * Guest memory registered with a reactor's io_uring as fixed buffers, and
 * the lookup the data path uses to find which registered buffer holds a
 * request's data. With one, a read or write goes out as READ_FIXED /
 * WRITE_FIXED: the kernel uses the pages it pinned at registration instead
 * of looking up and pinning the guest's pages on every request.
 *
 * A queue registers the memory table it sees when it starts and releases
 * it when it stops; vhost-user memory-table changes stop and restart every
 * queue, so registrations always match the table.
 */
#ifndef VMIO_ENGINE_FIXED_MEM_H
#define VMIO_ENGINE_FIXED_MEM_H

#include <stdint.h>
#include <sys/uio.h>

#include "engine/reactor_uring.h"

/* The kernel refuses registered buffers over 1 GiB. */
#define FIXED_MEM_CHUNK_SHIFT 30

struct fixed_mem_range {
	uintptr_t base;      /* our address of the region's first byte */
	uint64_t len;
	unsigned int first;  /* buffer slot of its first 1 GiB chunk */
};

struct fixed_mem {
	struct fixed_mem_range *ranges; /* sorted by base */
	unsigned int nranges;
	int first_slot;      /* -1: nothing registered */
	unsigned int nslots;
};

/* Registers regions (our addresses) with r's ring: 0, or -errno from
 * reactor_buffers_add (the data path then uses plain reads and writes).
 * On the reactor thread. */
int fixed_mem_register(struct fixed_mem *fm, struct reactor *r,
		       const struct iovec *regions, unsigned int n);
void fixed_mem_unregister(struct fixed_mem *fm, struct reactor *r);
/* fixed_mem_register, logged as `WHO: ...`: what was pinned, or why
 * nothing was and what to do. Quiet when the ring has no buffer table
 * (--fixed-buffers off). */
int fixed_mem_register_logged(struct fixed_mem *fm, struct reactor *r,
			      const struct iovec *regions, unsigned int n,
			      const char *who);

/* 1 + the buffer slot holding all of [p, p + len), or 0 when none does
 * (not registered, outside every region, or across a 1 GiB chunk edge).
 * Inline: once per request. */
static inline unsigned int fixed_mem_lookup(const struct fixed_mem *fm,
					    const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p;
	unsigned int lo = 0, hi = fm->nranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct fixed_mem_range *r = &fm->ranges[mid];

		if (a < r->base) {
			hi = mid;
		} else if (a - r->base >= r->len) {
			lo = mid + 1;
		} else {
			uint64_t off = a - r->base;

			if (len == 0 || len > r->len - off ||
			    off >> FIXED_MEM_CHUNK_SHIFT !=
				    (off + len - 1) >> FIXED_MEM_CHUNK_SHIFT)
				return 0;
			return r->first + (unsigned int)(off >> FIXED_MEM_CHUNK_SHIFT) + 1;
		}
	}
	return 0;
}

#endif
