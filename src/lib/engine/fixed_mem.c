/* SPDX-License-Identifier: MIT */
#include "engine/fixed_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static uint64_t chunks_of(uint64_t len)
{
	const uint64_t chunk = 1ull << FIXED_MEM_CHUNK_SHIFT;

	return (len + chunk - 1) / chunk;
}

static int by_base(const void *a, const void *b)
{
	const struct fixed_mem_range *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

int fixed_mem_register(struct fixed_mem *fm, struct reactor *r,
		       const struct iovec *regions, unsigned int n)
{
	const uint64_t chunk = 1ull << FIXED_MEM_CHUNK_SHIFT;
	struct iovec *bufs = NULL;
	uint64_t nslots = 0;
	unsigned int k = 0;
	int first;

	*fm = (struct fixed_mem){ .first_slot = -1 };
	for (unsigned int i = 0; i < n; i++)
		nslots += chunks_of(regions[i].iov_len);
	if (n == 0 || nslots > 65536)
		return -EINVAL;
	fm->ranges = calloc(n, sizeof(*fm->ranges));
	bufs = calloc(nslots, sizeof(*bufs));
	if (!fm->ranges || !bufs) {
		free(bufs);
		fixed_mem_unregister(fm, r);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *base = regions[i].iov_base;
		uint64_t len = regions[i].iov_len;

		fm->ranges[i] = (struct fixed_mem_range){
			.base = (uintptr_t)base, .len = len, .first = k };
		for (uint64_t off = 0; off < len; off += chunk, k++)
			bufs[k] = (struct iovec){
				.iov_base = base + off,
				.iov_len = len - off < chunk ? len - off : chunk };
	}
	first = reactor_buffers_add(r, bufs, k);
	free(bufs);
	if (first < 0) {
		fixed_mem_unregister(fm, r);
		return first;
	}
	for (unsigned int i = 0; i < n; i++)
		fm->ranges[i].first += (unsigned int)first;
	qsort(fm->ranges, n, sizeof(*fm->ranges), by_base);
	fm->nranges = n;
	fm->first_slot = first;
	fm->nslots = k;
	return 0;
}

void fixed_mem_unregister(struct fixed_mem *fm, struct reactor *r)
{
	if (fm->first_slot >= 0)
		reactor_buffers_remove(r, fm->first_slot, fm->nslots);
	free(fm->ranges);
	*fm = (struct fixed_mem){ .first_slot = -1 };
}

int fixed_mem_register_logged(struct fixed_mem *fm, struct reactor *r,
			      const struct iovec *regions, unsigned int n,
			      const char *who)
{
	int ret = fixed_mem_register(fm, r, regions, n);
	uint64_t bytes = 0;

	for (unsigned int i = 0; i < n; i++)
		bytes += regions[i].iov_len;
	switch (ret) {
	case 0:
		log_info("%s: guest memory registered with reactor %u's io_uring "
			 "(%u buffers, %.1f MiB pinned)", who, reactor_id(r),
			 fm->nslots, (double)bytes / (1 << 20));
		break;
	case -ENXIO:
		break; /* --fixed-buffers off */
	case -ENOMEM:
		log_warn("%s: cannot pin %.1f MiB of guest memory as io_uring "
			 "buffers (over RLIMIT_MEMLOCK?): plain reads and writes "
			 "instead; raise the limit (ulimit -l, LimitMEMLOCK= in "
			 "the unit) or run with --fixed-buffers off",
			 who, (double)bytes / (1 << 20));
		break;
	default:
		log_warn("%s: cannot register guest memory as io_uring buffers: "
			 "%s; plain reads and writes instead", who, strerror(-ret));
	}
	return ret;
}
