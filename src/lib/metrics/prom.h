/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (format 0.0.4) into a growing buffer:
 * families with HELP and TYPE, samples with escaped labels, exact integer
 * counters and histograms (_bucket{le}, _sum, _count) from per-bucket
 * counts. A family's samples must be written together, after it.
 */
#ifndef VMIO_METRICS_PROM_H
#define VMIO_METRICS_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM, PROM_UNTYPED };

struct prom_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

struct prom_label {
	const char *name;
	const char *value; /* any bytes: escaped as the format asks */
};

/*
 * A histogram as per-bucket (not cumulative) counts: counts[i] samples
 * fell in (le[i-1], le[i]] for i < n, counts[n] above le[n-1]. le must
 * increase. sum is in the same unit as le.
 */
struct prom_hist {
	unsigned int n;
	const double *le;
	const uint64_t *counts;
	double sum;
};

/* Room for any double prom_format_double writes, with its NUL. */
#define PROM_DOUBLE_LEN 32

/* v as the exposition format spells it: the shortest decimal that reads
 * back as exactly v (8e-06, 0.25, 1e+100), or +Inf, -Inf, NaN. Returns
 * what snprintf returns. */
int prom_format_double(char *buf, size_t len, double v);

void prom_init(struct prom_buf *b);
/* The text (caller frees), or NULL if memory ran out on the way. */
char *prom_finish(struct prom_buf *b);

void prom_family(struct prom_buf *b, const char *name, enum prom_type type,
		 const char *help);
void prom_u64(struct prom_buf *b, const char *name,
	      const struct prom_label *labels, unsigned int nlabels,
	      uint64_t value);
void prom_double(struct prom_buf *b, const char *name,
		 const struct prom_label *labels, unsigned int nlabels,
		 double value);
void prom_histogram(struct prom_buf *b, const char *name,
		    const struct prom_label *labels, unsigned int nlabels,
		    const struct prom_hist *h);

/* The value below which a fraction q of a histogram's samples fall,
 * interpolated linearly inside the bucket (0 when it is empty; the last
 * bound when q lands in the overflow bucket). */
double prom_hist_quantile(const struct prom_hist *h, double q);

#endif
