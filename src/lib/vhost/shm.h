/* SPDX-License-Identifier: MIT */
/*
 * Stores to memory that outlives this process: guest memory (ring entries,
 * status bytes, responses) and the inflight region. When vmiod is killed,
 * the guest and the next vmiod see exactly the stores it had made, in
 * program order: a process dies at an instruction boundary and every store
 * before it lands, whatever the architecture. Recovery relies on that
 * order (a used entry before used->idx, used->idx before the in-flight
 * flags are cleared), so every such store goes through here, as a volatile
 * access the compiler keeps in order with the others. The stores that hand
 * something to the guest while it runs (used->idx, packed flags) stay
 * release stores at their call sites: that ordering is for a live reader.
 *
 * Built with VMIO_CRASH_POINTS (the crash-point test only), each store and
 * each notification first calls crash_point(), which ends the process at
 * the store the test chose: the test enumerates every state a crash can
 * leave behind, one run per store.
 */
#ifndef VMIO_VHOST_SHM_H
#define VMIO_VHOST_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "util/iov.h"

#ifdef VMIO_CRASH_POINTS
void crash_point(void);
#else
static inline void crash_point(void)
{
}
#endif

#define SHM_STORE(p, v)                                                       \
	do {                                                                  \
		crash_point();                                                \
		*(volatile __typeof__(*(p)) *)(p) = (v);                      \
	} while (0)

/* A release store: what the guest reads first (an index, a flags word)
 * after the stores it publishes. */
#define SHM_PUBLISH(p, v)                                                     \
	do {                                                                  \
		crash_point();                                                \
		__atomic_store_n((p), (v), __ATOMIC_RELEASE);                 \
	} while (0)

/* memcpy/memset/iov_scatter into shared memory, kept in order with the
 * stores around them. */
static inline void shm_copy(void *dst, const void *src, size_t n)
{
	crash_point();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	memcpy(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void shm_zero(void *dst, size_t n)
{
	crash_point();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	memset(dst, 0, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline size_t shm_scatter(const struct iovec *iov, unsigned int n,
				 const void *src, size_t len)
{
	size_t done;

	crash_point();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	done = iov_scatter(iov, n, src, len);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return done;
}

#endif
