/* SPDX-License-Identifier: MIT */
#include "bdev/bdev_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bdev_mem {
	struct reactor *reactor;
	struct iovec *regions;
	unsigned int n;
	bool tried;              /* registration attempted */
	struct fixed_mem fixed;
	char who[64];
};

struct bdev_mem *bdev_mem_create(struct reactor *r, const struct iovec *regions,
				 unsigned int n, const char *who)
{
	struct bdev_mem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->regions = calloc(n ? n : 1, sizeof(*regions));
	if (!m->regions) {
		free(m);
		return NULL;
	}
	memcpy(m->regions, regions, n * sizeof(*regions));
	m->n = n;
	m->reactor = r;
	m->fixed = (struct fixed_mem){ .first_slot = -1 };
	snprintf(m->who, sizeof(m->who), "%s", who);
	return m;
}

const struct fixed_mem *bdev_mem_fixed(struct bdev_mem *m)
{
	if (!m)
		return NULL;
	if (!m->tried) {
		/* Once per queue start: pinning is costly, and one failure
		 * is enough to log. */
		m->tried = true;
		if (m->n)
			fixed_mem_register_logged(&m->fixed, m->reactor,
						  m->regions, m->n, m->who);
	}
	return m->fixed.nranges ? &m->fixed : NULL;
}

void bdev_mem_destroy(struct bdev_mem *m)
{
	if (!m)
		return;
	/* No channel is open: no request uses the registered buffers. */
	fixed_mem_unregister(&m->fixed, m->reactor);
	free(m->regions);
	free(m);
}
