/* SPDX-License-Identifier: MIT */
/* cpuset lists as libvirt and sysfs write them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "topo/cpuset.h"

static void fmt_eq(const char *in, const char *want)
{
	struct cpuset s;
	char buf[256];

	assert_int_equal(cpuset_parse(&s, in), 0);
	assert_string_equal(cpuset_format(&s, buf, sizeof(buf)), want);
}

static void test_parse_forms(void **state)
{
	(void)state;
	fmt_eq("0", "0");
	fmt_eq("0-3", "0-3");
	fmt_eq("0-7,^3", "0-2,4-7");
	fmt_eq("^3,0-7", "0-2,4-7");
	fmt_eq("5,1,3,2", "1-3,5");
	fmt_eq("0-3,8-11\n", "0-3,8-11");
	fmt_eq("", "");
	fmt_eq("4095", "4095");
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = { "a", "1-", "3-1", "1,,2x", "-1",
					   "4096", "1 2", "0-99999999999" };
	struct cpuset s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(cpuset_parse(&s, bad[i]) < 0);
}

static void test_set_ops(void **state)
{
	struct cpuset a, b;

	(void)state;
	cpuset_parse(&a, "0-3");
	cpuset_parse(&b, "3-5");
	assert_true(cpuset_intersects(&a, &b));
	assert_int_equal(cpuset_count(&a), 4);
	cpuset_andnot(&a, &b);
	assert_false(cpuset_intersects(&a, &b));
	assert_int_equal(cpuset_first(&b), 3);
	cpuset_or(&a, &b);
	assert_int_equal(cpuset_count(&a), 6);
	cpuset_parse(&b, "0-5");
	assert_true(cpuset_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_set_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
