/* SPDX-License-Identifier: MIT */
/* Monotonic time in nanoseconds: the one clock every latency, rate and
 * deadline in vmio is measured on. */
#ifndef VMIO_UTIL_CLOCK_H
#define VMIO_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

#endif
