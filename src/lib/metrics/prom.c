/* SPDX-License-Identifier: MIT */
#include "metrics/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_init(struct prom_buf *b)
{
	b->cap = 16384;
	b->len = 0;
	b->s = malloc(b->cap);
	b->oom = !b->s;
	if (b->s)
		b->s[0] = '\0';
}

char *prom_finish(struct prom_buf *b)
{
	if (b->oom) {
		free(b->s);
		b->s = NULL;
	}
	return b->s;
}

static bool reserve(struct prom_buf *b, size_t more)
{
	char *p;
	size_t cap;

	if (b->oom)
		return false;
	if (b->len + more < b->cap)
		return true;
	cap = (b->len + more) * 2;
	p = realloc(b->s, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->s = p;
	b->cap = cap;
	return true;
}

static void put(struct prom_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	/* Usually fits: format once, straight into the buffer. */
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static void put_bytes(struct prom_buf *b, const char *p, size_t n)
{
	if (!reserve(b, n + 1))
		return;
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Label values escape \ " and newline; HELP text escapes \ and newline. */
static void put_escaped(struct prom_buf *b, const char *s, bool quote)
{
	while (*s) {
		size_t run = strcspn(s, quote ? "\\\n\"" : "\\\n");

		put_bytes(b, s, run);
		s += run;
		if (!*s)
			break;
		put_bytes(b, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"", 2);
		s++;
	}
}

static const char *const type_names[] = {
	[PROM_COUNTER] = "counter", [PROM_GAUGE] = "gauge",
	[PROM_HISTOGRAM] = "histogram", [PROM_UNTYPED] = "untyped",
};

void prom_family(struct prom_buf *b, const char *name, enum prom_type type,
		 const char *help)
{
	put(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	put(b, "\n# TYPE %s %s\n", name, type_names[type]);
}

/* name{a="x",b="y"[,le="…"]} with an optional extra label. */
static void put_name(struct prom_buf *b, const char *name,
		     const struct prom_label *labels, unsigned int n,
		     const char *le)
{
	put(b, "%s", name);
	if (!n && !le)
		return;
	put(b, "{");
	for (unsigned int i = 0; i < n; i++) {
		put(b, "%s%s=\"", i ? "," : "", labels[i].name);
		put_escaped(b, labels[i].value, true);
		put(b, "\"");
	}
	if (le)
		put(b, "%sle=\"%s\"", n ? "," : "", le);
	put(b, "}");
}

int prom_format_double(char *buf, size_t len, double v)
{
	int n = 0;

	if (isnan(v))
		return snprintf(buf, len, "NaN");
	if (isinf(v))
		return snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	/* %.17g always reads back the same double but spells 8e-06 as
	 * 7.9999999999999996e-06; the fewest digits that still read back
	 * exactly are what Prometheus' own clients write. */
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, len, "%.*g", prec, v);
		if (n < 0 || (size_t)n >= len || strtod(buf, NULL) == v)
			break;
	}
	return n;
}

static void put_value(struct prom_buf *b, double v)
{
	char s[PROM_DOUBLE_LEN];

	prom_format_double(s, sizeof(s), v);
	put(b, " %s\n", s);
}

void prom_u64(struct prom_buf *b, const char *name,
	      const struct prom_label *labels, unsigned int nlabels,
	      uint64_t value)
{
	put_name(b, name, labels, nlabels, NULL);
	put(b, " %" PRIu64 "\n", value);
}

void prom_double(struct prom_buf *b, const char *name,
		 const struct prom_label *labels, unsigned int nlabels,
		 double value)
{
	put_name(b, name, labels, nlabels, NULL);
	put_value(b, value);
}

void prom_histogram(struct prom_buf *b, const char *name,
		    const struct prom_label *labels, unsigned int nlabels,
		    const struct prom_hist *h)
{
	size_t len = strlen(name);
	char sample[256], le[64];
	uint64_t cum = 0;

	if (len + 8 >= sizeof(sample))
		return;
	snprintf(sample, sizeof(sample), "%s_bucket", name);
	for (unsigned int i = 0; i < h->n; i++) {
		cum += h->counts[i];
		prom_format_double(le, sizeof(le), h->le[i]);
		put_name(b, sample, labels, nlabels, le);
		put(b, " %" PRIu64 "\n", cum);
	}
	cum += h->counts[h->n];
	put_name(b, sample, labels, nlabels, "+Inf");
	put(b, " %" PRIu64 "\n", cum);
	snprintf(sample, sizeof(sample), "%s_sum", name);
	prom_double(b, sample, labels, nlabels, h->sum);
	snprintf(sample, sizeof(sample), "%s_count", name);
	prom_u64(b, sample, labels, nlabels, cum);
}

double prom_hist_quantile(const struct prom_hist *h, double q)
{
	uint64_t total = 0, cum = 0;
	double rank;

	for (unsigned int i = 0; i <= h->n; i++)
		total += h->counts[i];
	if (!total || !h->n)
		return 0;
	rank = q * (double)total;
	for (unsigned int i = 0; i < h->n; i++) {
		double lo = i ? h->le[i - 1] : 0;

		if (h->counts[i] && (double)(cum + h->counts[i]) >= rank)
			return lo + (h->le[i] - lo) * (rank - (double)cum) /
					    (double)h->counts[i];
		cum += h->counts[i];
	}
	return h->le[h->n - 1];
}
