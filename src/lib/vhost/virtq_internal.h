/* SPDX-License-Identifier: MIT */
/* Shared between the split (virtq.c) and packed (virtq_packed.c) rings. */
#ifndef VMIO_VHOST_VIRTQ_INTERNAL_H
#define VMIO_VHOST_VIRTQ_INTERNAL_H

#include "vhost/virtq.h"

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Appends one descriptor's buffer (guest-physical addr, len) to the
 * chain's iovecs: -EINVAL for a readable buffer after a writable one,
 * -EFAULT outside guest memory, -E2BIG past c->max_iov. */
int virtq_chain_add(struct virtq *vq, struct virtq_chain *c, uint64_t addr,
		    uint32_t len, bool writable);

#endif
