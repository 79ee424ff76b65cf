/* SPDX-License-Identifier: MIT */
/*
 * A latency histogram with about 0.8% precision over the whole uint64
 * range (log-linear buckets: 128 linear steps per power of two), cheap
 * enough to record every completion. Merging is addition.
 */
#ifndef VMIO_UTIL_HIST_H
#define VMIO_UTIL_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (2 * HIST_SUB + (64 - HIST_SUB_BITS - 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min, max;
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *into, const struct hist *from);
/* The value below which a fraction q (0..1) of samples fall. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/* Bucket index of v, and the smallest value of a bucket (exported for
 * tests and for exporters that re-bucket). */
unsigned int hist_index(uint64_t v);
uint64_t hist_bucket_low(unsigned int i);

#endif
