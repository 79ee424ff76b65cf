/* SPDX-License-Identifier: MIT */
/* An HDR-style latency histogram (util/hist.h, nanoseconds) as the fixed
 * buckets of a Prometheus histogram. */
#ifndef VMIO_METRICS_PROM_HDR_H
#define VMIO_METRICS_PROM_HDR_H

#include <stdint.h>

#include "metrics/prom.h"
#include "util/hist.h"

/*
 * Fills counts[0..n] (per bucket, the last above le_s[n-1]) and *sum_s
 * from h, for bounds le_s in seconds. Each source bucket goes to the first
 * bound that holds its highest value, so no sample is reported faster
 * than it was (one a bound cuts through counts as the slower side: the
 * source buckets are 0.8% wide).
 */
void prom_hist_from_hdr(const struct hist *h, const double *le_s,
			unsigned int n, uint64_t *counts, double *sum_s);

#endif
