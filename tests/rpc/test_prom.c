/* SPDX-License-Identifier: MIT */
/* The Prometheus writer: escaping, histograms, quantiles, the shortest
 * exact spelling of doubles; and promtool (when installed) accepts what
 * it writes, hostile label values too. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/prom.h"
#include "metrics/prom_hdr.h"

static const double le[] = { 1, 2, 4 };
static const uint64_t counts[] = { 1, 0, 3, 2 }; /* last: above 4 */

static char *render_sample(void)
{
	struct prom_buf b;
	struct prom_hist h = { 3, le, counts, 17.5 };
	struct prom_label odd[] = { { "disk", "we\"ird\\name\nx" } };

	prom_init(&b);
	prom_family(&b, "t_requests_total", PROM_COUNTER, "Help with a \\ and\na newline.");
	prom_u64(&b, "t_requests_total", odd, 1, 18446744073709551615ull);
	prom_u64(&b, "t_requests_total", (struct prom_label[]){ { "disk", "a" } },
		 1, 0);
	prom_family(&b, "t_up", PROM_GAUGE, "No labels.");
	prom_double(&b, "t_up", NULL, 0, 0.25);
	prom_family(&b, "t_lat_seconds", PROM_HISTOGRAM, "A histogram.");
	prom_histogram(&b, "t_lat_seconds", odd, 1, &h);
	return prom_finish(&b);
}

static void test_escaping_and_exact_counters(void **state)
{
	char *s = render_sample();

	assert_non_null(strstr(s, "# HELP t_requests_total Help with a \\\\ and\\na newline.\n"));
	assert_non_null(strstr(s, "# TYPE t_requests_total counter\n"));
	assert_non_null(strstr(s, "t_requests_total{disk=\"we\\\"ird\\\\name\\nx\"} "
			       "18446744073709551615\n"));
	assert_non_null(strstr(s, "t_up 0.25\n"));
	free(s);
}

static void test_histogram_is_cumulative(void **state)
{
	char *s = render_sample();

	assert_non_null(strstr(s, "t_lat_seconds_bucket{disk=\"we\\\"ird\\\\name\\nx\",le=\"1\"} 1\n"));
	assert_non_null(strstr(s, ",le=\"2\"} 1\n"));
	assert_non_null(strstr(s, ",le=\"4\"} 4\n"));
	assert_non_null(strstr(s, ",le=\"+Inf\"} 6\n"));
	assert_non_null(strstr(s, "t_lat_seconds_sum{disk=\"we\\\"ird\\\\name\\nx\"} 17.5\n"));
	assert_non_null(strstr(s, "t_lat_seconds_count{disk=\"we\\\"ird\\\\name\\nx\"} 6\n"));
	free(s);
}

static void test_quantile(void **state)
{
	struct prom_hist h = { 3, le, counts, 0 };
	static const uint64_t none[] = { 0, 0, 0, 0 };
	static const uint64_t flat[] = { 0, 0, 10, 0 };
	struct prom_hist e = { 3, le, none, 0 }, f = { 3, le, flat, 0 };

	assert_true(prom_hist_quantile(&e, 0.99) == 0);
	/* 10 samples in (2, 4]: the median interpolates to 3. */
	assert_true(prom_hist_quantile(&f, 0.5) > 2.99 && prom_hist_quantile(&f, 0.5) < 3.01);
	/* Rank 1 of 6 is the first bucket's top; the p99 is past the last
	 * bound, so the last bound is the answer. */
	assert_true(prom_hist_quantile(&h, 1.0 / 6) <= 1.0);
	assert_true(prom_hist_quantile(&h, 0.99) == 4.0);
}

static void expect_double(double v, const char *want)
{
	char buf[PROM_DOUBLE_LEN];

	prom_format_double(buf, sizeof(buf), v);
	assert_string_equal(buf, want);
}

/* The fewest digits that read back exactly, as Prometheus' clients write
 * them: %.17g alone wrote 8e-06 as 7.9999999999999996e-06. */
static void test_shortest_doubles(void **state)
{
	static const char *const buckets[] = { "8e-06", "1.6e-05", "3.2e-05",
		"6.4e-05", "0.000128", "0.000256", "0.000512", "0.001024",
		"0.002048", "0.004096", "0.008192", "0.016384", "0.032768",
		"0.065536", "0.131072", "0.262144", "0.524288", "1.048576" };
	char buf[PROM_DOUBLE_LEN];

	/* vmiod's latency bounds: 2^(k+3) µs. */
	for (int k = 0; k < (int)(sizeof(buckets) / sizeof(buckets[0])); k++)
		expect_double((double)(1ull << (k + 3)) / 1e6, buckets[k]);
	expect_double(0.1, "0.1");
	expect_double(0.25, "0.25");
	expect_double(17.5, "17.5");
	expect_double(0, "0");
	expect_double(-2.5e-9, "-2.5e-09");
	expect_double(1e100, "1e+100");
	expect_double(123456789012345678.0, "1.2345678901234568e+17");
	/* Digits are dropped only when the double survives it. */
	expect_double(0.1 + 0.2, "0.30000000000000004");
	expect_double(1.0 / 3, "0.3333333333333333");
	expect_double(1.0 / 0.0, "+Inf");
	expect_double(-1.0 / 0.0, "-Inf");
	expect_double(0.0 / 0.0, "NaN");
	/* Whatever the value, it reads back exactly. */
	srand(7);
	for (int i = 0; i < 100000; i++) {
		double v = ((double)rand() / RAND_MAX - 0.5) *
			   pow(10, rand() % 40 - 20);

		prom_format_double(buf, sizeof(buf), v);
		assert_true(strtod(buf, NULL) == v);
	}
}

/* Bucket bounds and sample values go through the same formatting. */
static void test_histogram_bounds_are_short(void **state)
{
	static const double bounds[] = { 8e-6, 1.6e-5, 0.1 };
	static const uint64_t c[] = { 1, 1, 1, 1 };
	struct prom_hist h = { 3, bounds, c, 0.1 };
	struct prom_buf b;
	char *s;

	prom_init(&b);
	prom_family(&b, "t_seconds", PROM_HISTOGRAM, "Short bounds.");
	prom_histogram(&b, "t_seconds", NULL, 0, &h);
	prom_family(&b, "t_gauge", PROM_GAUGE, "Eight microseconds.");
	prom_double(&b, "t_gauge", NULL, 0, (double)(1u << 3) / 1e6);
	s = prom_finish(&b);
	assert_non_null(strstr(s, "t_seconds_bucket{le=\"8e-06\"} 1\n"));
	assert_non_null(strstr(s, "t_seconds_bucket{le=\"1.6e-05\"} 2\n"));
	assert_non_null(strstr(s, "t_seconds_bucket{le=\"0.1\"} 3\n"));
	assert_non_null(strstr(s, "t_seconds_sum 0.1\n"));
	assert_non_null(strstr(s, "t_gauge 8e-06\n"));
	assert_null(strstr(s, "99999"));
	free(s);
}

/* HDR buckets fold into Prometheus ones on the slow side of a bound. */
static void test_from_hdr(void **state)
{
	static const double le_s[] = { 1e-6, 2e-6, 4e-6 };
	uint64_t c[4];
	struct hist h;
	double sum;

	hist_init(&h);
	hist_add(&h, 100);     /* 0.1 µs */
	hist_add(&h, 1000);    /* its bucket [1000, 1004) ns passes 1 µs: slow side */
	hist_add(&h, 1500);
	hist_add(&h, 1999);    /* [1992, 2000) ns fits under 2 µs */
	hist_add(&h, 3000);
	hist_add(&h, 3000);
	hist_add(&h, 4100);    /* above 4 µs */
	hist_add(&h, 1000000000);
	prom_hist_from_hdr(&h, le_s, 3, c, &sum);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 3);
	assert_int_equal(c[2], 2);
	assert_int_equal(c[3], 2);
	assert_true(sum > 1.0000146 && sum < 1.0000148); /* 1000014699 ns */
}

static void test_promtool_accepts(void **state)
{
	char *s = render_sample();
	FILE *p;

	if (system("command -v promtool >/dev/null 2>&1")) {
		free(s);
		skip();
	}
	p = popen("promtool check metrics", "w");
	assert_non_null(p);
	fputs(s, p);
	free(s);
	assert_int_equal(pclose(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping_and_exact_counters),
		cmocka_unit_test(test_histogram_is_cumulative),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_shortest_doubles),
		cmocka_unit_test(test_histogram_bounds_are_short),
		cmocka_unit_test(test_from_hdr),
		cmocka_unit_test(test_promtool_accepts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
