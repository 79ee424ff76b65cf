/* SPDX-License-Identifier: MIT */
/* Histogram percentiles against known distributions, within 1%. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "util/hist.h"

static struct hist h;

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void check(uint64_t *v, size_t n)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };

	hist_init(&h);
	for (size_t i = 0; i < n; i++)
		hist_add(&h, v[i]);
	qsort(v, n, sizeof(v[0]), cmp);
	for (size_t k = 0; k < 4; k++) {
		double exact = (double)v[(size_t)(qs[k] * n)];
		double got = (double)hist_quantile(&h, qs[k]);

		assert_true(fabs(got - exact) <= 0.01 * exact + 1);
	}
	assert_int_equal(hist_quantile(&h, 1.0), v[n - 1]);
	assert_int_equal(h.min, v[0]);
}

static void test_uniform(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	srand(1);
	for (size_t i = 0; i < n; i++)
		v[i] = 10000 + (uint64_t)rand() % 90000;
	check(v, n);
	free(v);
}

static void test_exponential(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	srand(2);
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)(-50000.0 * log((rand() + 1.0) / (RAND_MAX + 2.0))) + 1;
	check(v, n);
	free(v);
}

static void test_lognormal_wide(void **state)
{
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));

	srand(3);
	for (size_t i = 0; i < n; i++) {
		double u1 = (rand() + 1.0) / (RAND_MAX + 2.0);
		double u2 = (rand() + 1.0) / (RAND_MAX + 2.0);
		double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

		v[i] = (uint64_t)exp(11 + 2 * z) + 1;
	}
	check(v, n);
	free(v);
}

static void test_index_is_monotonic_and_precise(void **state)
{
	for (uint64_t v = 1; v < (1ull << 62); v = v * 3 / 2 + 1) {
		unsigned int i = hist_index(v);
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_low(i + 1);

		assert_true(lo <= v && v < hi);
		assert_true(hi - lo <= lo / 100 + 1);
	}
	assert_true(hist_index(UINT64_MAX) < HIST_BUCKETS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_exponential),
		cmocka_unit_test(test_lognormal_wide),
		cmocka_unit_test(test_index_is_monotonic_and_precise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
