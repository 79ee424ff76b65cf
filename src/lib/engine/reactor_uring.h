/* SPDX-License-Identifier: MIT */
/*
 * A reactor's io_uring, for the backends that submit through it (the
 * io_uring bdev, guest memory as fixed buffers). Device models never see
 * it: they reach backends through bdev/bdev.h only.
 *
 * One ring per reactor: SQEs prepared during a pass go out with one
 * io_uring_enter at the end of it, and each CQE's user_data is a struct
 * uring_op whose done() runs on the reactor thread.
 */
#ifndef VMIO_ENGINE_REACTOR_URING_H
#define VMIO_ENGINE_REACTOR_URING_H

#include <liburing.h>

#include "engine/reactor.h"

/* An io_uring operation: user_data points at it; done() runs on the
 * reactor thread with the CQE's result. */
struct uring_op {
	void (*done)(struct uring_op *op, int res);
};

/* On the reactor thread only. */
struct io_uring *reactor_uring(struct reactor *r);
/* An SQE, submitting queued ones first if the ring is full; NULL when
 * even that leaves no room. */
struct io_uring_sqe *reactor_get_sqe(struct reactor *r);

/* Fixed files (on the reactor thread, or before it starts): registers fd
 * in the ring's table and returns its slot (use it with IOSQE_FIXED_FILE),
 * or -errno (-ENOSPC: table full; -ENXIO: no table, turned off or an old
 * kernel): the caller then uses the plain fd. */
int reactor_fixed_file_add(struct reactor *r, int fd);
void reactor_fixed_file_remove(struct reactor *r, int slot);

/* Registered buffers (the table reactor_set_fixed_buffers made):
 * registers n buffers (each at most 1 GiB) in n slots in a row and
 * returns the first, or -errno: -ENXIO no table, -ENOSPC table full,
 * -ENOMEM over RLIMIT_MEMLOCK, -EFAULT memory the kernel will not pin.
 * Registration pins the pages until buffers_remove. On the reactor
 * thread, or before it starts. */
int reactor_buffers_add(struct reactor *r, const struct iovec *bufs,
			unsigned int n);
void reactor_buffers_remove(struct reactor *r, int first, unsigned int n);

#endif
