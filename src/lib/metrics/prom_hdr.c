/* SPDX-License-Identifier: MIT */
#include "metrics/prom_hdr.h"

#include <string.h>

void prom_hist_from_hdr(const struct hist *h, const double *le_s,
			unsigned int n, uint64_t *counts, double *sum_s)
{
	unsigned int k = 0;

	memset(counts, 0, (n + 1) * sizeof(*counts));
	/* Source buckets rise, so the target only moves forward. */
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		uint64_t top;

		if (!h->b[i])
			continue;
		top = i + 1 < HIST_BUCKETS ? hist_bucket_low(i + 1) - 1 : UINT64_MAX;
		while (k < n && (double)top > le_s[k] * 1e9)
			k++;
		counts[k] += h->b[i];
	}
	*sum_s = (double)h->sum / 1e9;
}
