/* SPDX-License-Identifier: MIT */
/* Copying small driver-written structures (headers, segment tables) out of
 * and into guest buffers of any layout: virtio 1.x forbids assuming how a
 * driver splits them, so they are gathered and scattered, never cast in
 * place. Bulk data is never copied. */
#ifndef VMIO_UTIL_IOV_H
#define VMIO_UTIL_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copies up to len bytes out of iov[0..n); returns how many. */
size_t iov_gather(const struct iovec *iov, unsigned int n, void *dst, size_t len);
/* Copies up to len bytes into iov[0..n); returns how many. */
size_t iov_scatter(const struct iovec *iov, unsigned int n, const void *src,
		   size_t len);
uint64_t iov_total(const struct iovec *iov, unsigned int n);

#endif
