/* SPDX-License-Identifier: MIT */
/* Shared between the split (virtq.c) and packed (virtq_packed.c) rings. */
#ifndef VMIO_VHOST_VIRTQ_INTERNAL_H
#define VMIO_VHOST_VIRTQ_INTERNAL_H

#include <errno.h>

#include "vhost/virtq.h"

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Appends one descriptor's buffer (guest-physical addr, len) to the
 * chain's iovecs: -EINVAL for a readable buffer after a writable one,
 * -EFAULT outside guest memory, -E2BIG past c->max_iov. */
static inline int virtq_chain_add(struct virtq *vq, struct virtq_chain *c,
				  uint64_t addr, uint32_t len, bool writable)
{
	unsigned int n = c->n_out + c->n_in;
	int ret;

	/* Device-readable buffers come first (virtio 1.x, 2.7.4.2). */
	if (!writable && c->n_in)
		return -EINVAL;
	ret = guest_mem_gpa_to_iov(vq->mem, addr, len, c->iov, &n, c->max_iov);
	if (ret)
		return ret;
	if (writable)
		c->n_in = n - c->n_out;
	else
		c->n_out = n;
	return 0;
}

#endif
