/* SPDX-License-Identifier: MIT */
/* Command-line parsers: sizes, booleans, CPU lists, key=value options and
 * vmiod's --disk. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "args.h"
#include "util/parse.h"

static void test_sizes(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("1t", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size("12X", &v), -EINVAL);
	assert_int_equal(parse_size("4KX", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &v), -EINVAL);
	assert_int_equal(parse_size("16777216T", &v), -EINVAL); /* 2^64 */
}

static void test_bools_and_cpus(void **state)
{
	int cpus[8];
	unsigned int n;
	bool b;

	assert_int_equal(parse_bool("on", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("OFF", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
	assert_int_equal(parse_cpu_list("0,2-4", cpus, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(cpus[3], 4);
	assert_int_equal(parse_cpu_list("3-1", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("0-9", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("a", cpus, 8, &n), -EINVAL);
	assert_int_equal(parse_cpu_list("1,", cpus, 8, &n), 0);
	assert_int_equal(parse_cpu_list("", cpus, 8, &n), -EINVAL);
}

static void test_disk_option_string(void **state)
{
	struct disk_config d;
	const char *why = NULL;

	assert_int_equal(disk_config_parse("id=vm1,path=/x.img,socket=/s,queues=4,"
					   "ro=on,blk-size=4096,size=1G,direct=off",
					   &d, &why), 0);
	assert_string_equal(d.id, "vm1");
	assert_int_equal(d.queues, 4);
	assert_true(d.ro);
	assert_false(d.direct);
	assert_int_equal(d.blk_size, 4096);
	assert_int_equal(d.size, 1ull << 30);
	assert_null(d.qos);
	disk_config_free(&d);

	assert_int_equal(disk_config_parse("id=n,socket=/s,backend=null,size=1G,iops=500",
					   &d, &why), 0);
	assert_int_equal(d.backend, DISK_BACKEND_NULL);
	assert_string_equal(d.qos, "iops=500");
	disk_config_free(&d);
}

static void test_disk_option_errors_say_what_is_wrong(void **state)
{
	static const struct {
		const char *arg, *why;
	} bad[] = {
		{ "path=/x,socket=/s", "id=NAME is required" },
		{ "id=a,path=/x", "socket=PATH is required" },
		{ "id=a,socket=/s", "path=FILE is required" },
		{ "id=a,socket=/s,backend=null", "backend=null needs size=BYTES" },
		{ "id=a,path=/x,socket=/s,queues=0", "queues must be 1 to 64" },
		{ "id=a,path=/x,socket=/s,blk-size=1024", "blk-size must be 512 or 4096" },
		{ "id=a,path=/x,socket=/s,backend=rbd", "backend must be uring or null" },
		{ "id=a,path=/x,socket=/s,colour=red", "unknown disk option 'colour'" },
		{ "id=a,id=b,path=/x,socket=/s", "an option is given twice" },
		{ "id=a,path=/x,socket=/s,size=lots", "size must be a number" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct disk_config d;
		const char *why = NULL;

		assert_int_equal(disk_config_parse(bad[i].arg, &d, &why), -EINVAL);
		assert_non_null(why);
		assert_non_null(strstr(why, bad[i].why));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools_and_cpus),
		cmocka_unit_test(test_disk_option_string),
		cmocka_unit_test(test_disk_option_errors_say_what_is_wrong),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
