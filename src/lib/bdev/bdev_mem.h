/* SPDX-License-Identifier: MIT */
/* A queue's memory as backends see it (bdev.h's struct bdev_mem): for the
 * io_uring backend, the reactor ring's fixed buffers. */
#ifndef VMIO_BDEV_BDEV_MEM_H
#define VMIO_BDEV_BDEV_MEM_H

#include "bdev/bdev.h"
#include "engine/fixed_mem.h"

/* The memory as the reactor ring's fixed buffers, registered by the first
 * call (on the reactor thread); NULL when it is not and will not be: no
 * buffer table (--fixed-buffers off), pinning refused (logged once). */
const struct fixed_mem *bdev_mem_fixed(struct bdev_mem *m);

#endif
