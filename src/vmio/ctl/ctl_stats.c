/* SPDX-License-Identifier: MIT */
/*
 * vmio stats [--watch]: per disk, IOPS, MB/s, mean and p99 latency,
 * errors, in-flight and QoS throttling. Rates and latencies of a watch
 * refresh are those of the last interval (differences of two samples,
 * p99 from the difference of the latency histograms); a single sample
 * shows totals since the disk was added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_common.h"
#include "ctl/ctl_table.h"
#include "metrics/prom.h"

#define MAX_BUCKETS 64

struct rates {
	bool have_rate;
	double iops, mbps, mean_us, p99_us;
	long long ops, throttled, errors, inflight;
};

static json_t *find_disk(json_t *arr, const char *id)
{
	json_t *d;
	size_t i;

	json_array_foreach(arr, i, d)
		if (!strcmp(ctl_str(d, "id"), id))
			return d;
	return NULL;
}

static long long throttled(json_t *d)
{
	return ctl_int(json_object_get(d, "qos"), "throttled_total");
}

static long long errors(json_t *d)
{
	return ctl_int(d, "errors") + ctl_int(d, "unsupported") +
	       ctl_int(d, "bad_chains");
}

/* Mean and p99 of the latency histogram in d, minus the one in p. */
static void latency(json_t *d, json_t *p, struct rates *r)
{
	json_t *ld = json_object_get(d, "latency"), *lp = json_object_get(p, "latency");
	json_t *le = json_object_get(ld, "buckets_le_us");
	json_t *cd = json_object_get(ld, "counts"), *cp = json_object_get(lp, "counts");
	uint64_t counts[MAX_BUCKETS + 1] = { 0 }, n = 0;
	double bounds[MAX_BUCKETS];
	size_t nb = json_array_size(le);
	struct prom_hist h = { (unsigned int)nb, bounds, counts, 0 };

	if (!nb || nb > MAX_BUCKETS || json_array_size(cd) != nb + 1)
		return;
	for (size_t k = 0; k <= nb; k++) {
		json_int_t a = json_integer_value(json_array_get(cd, k));
		json_int_t b = json_integer_value(json_array_get(cp, k));

		counts[k] = a > b ? (uint64_t)(a - b) : 0;
		n += counts[k];
		if (k < nb)
			bounds[k] = (double)json_integer_value(json_array_get(le, k));
	}
	r->p99_us = prom_hist_quantile(&h, 0.99);
	if (n)
		r->mean_us = (json_number_value(json_object_get(ld, "sum_us")) -
			      json_number_value(json_object_get(lp, "sum_us"))) /
			     (double)n;
}

static void rates_of(json_t *d, json_t *p, double dt, struct rates *r)
{
	double bytes = (double)(ctl_int(d, "bytes_read") + ctl_int(d, "bytes_written"));

	memset(r, 0, sizeof(*r));
	r->ops = ctl_int(d, "ops");
	r->errors = errors(d);
	r->inflight = ctl_int(d, "inflight");
	r->throttled = throttled(d);
	if (p && dt > 0) {
		r->have_rate = true;
		r->iops = (double)(r->ops - ctl_int(p, "ops")) / dt;
		r->mbps = (bytes - (double)(ctl_int(p, "bytes_read") +
					    ctl_int(p, "bytes_written"))) / dt / 1e6;
		r->errors -= errors(p);
		r->throttled -= throttled(p);
	}
	latency(d, p, r);
}

static void print_table(json_t *now, json_t *prev, double dt)
{
	static const char *const head[] = { "DISK", "OPS", "IOPS", "MB/s",
		"MEAN_US", "P99_US", "ERRORS", "INFLIGHT", "THROTTLED" };
	struct table t;
	json_t *d;
	size_t i;

	table_init(&t, 9, head, "lrrrrrrrr");
	json_array_foreach(now, i, d) {
		struct rates r;

		rates_of(d, prev ? find_disk(prev, ctl_str(d, "id")) : NULL, dt, &r);
		table_cell(&t, "%s", ctl_str(d, "id"));
		table_cell(&t, "%lld", r.ops);
		if (r.have_rate) {
			table_cell(&t, "%.0f", r.iops);
			table_cell(&t, "%.1f", r.mbps);
		} else {
			table_cell(&t, "-");
			table_cell(&t, "-");
		}
		table_cell(&t, "%.1f", r.mean_us);
		table_cell(&t, "%.0f", r.p99_us);
		table_cell(&t, "%lld", r.errors);
		table_cell(&t, "%lld", r.inflight);
		table_cell(&t, json_is_object(json_object_get(d, "qos")) ? "%lld" : "-",
			   r.throttled);
	}
	table_print(&t, stdout);
	table_free(&t);
}

/* One JSON line per refresh, for scripts that follow a watch. */
static void print_json_line(json_t *now, json_t *prev, double dt, double t)
{
	json_t *out = json_array(), *d;
	json_t *line;
	size_t i;

	json_array_foreach(now, i, d) {
		struct rates r;

		rates_of(d, prev ? find_disk(prev, ctl_str(d, "id")) : NULL, dt, &r);
		json_array_append_new(out, json_pack(
			"{s:s,s:I,s:f,s:f,s:f,s:f,s:I,s:I,s:I}", "id", ctl_str(d, "id"),
			"ops", (json_int_t)r.ops, "iops", r.iops, "mbps", r.mbps,
			"mean_us", r.mean_us, "p99_us", r.p99_us,
			"errors", (json_int_t)r.errors, "inflight", (json_int_t)r.inflight,
			"throttled", (json_int_t)r.throttled));
	}
	line = json_pack("{s:f,s:f,s:o}", "time", t, "interval", dt, "disks", out);
	ctl_print_json_line(line);
}

int ctl_stats_main(int argc, char **argv)
{
	static const struct ctl_listing l = {
		.method = "stats",
		.usage = "usage: vmio stats [--watch [--interval S] [--count N]] "
			 "[--json] [--rpc PATH]",
		.table = print_table, .json_line = print_json_line,
	};

	return ctl_listing_main(&l, argc, argv);
}
