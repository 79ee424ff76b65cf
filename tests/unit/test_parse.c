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

#include "devcfg.h"
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
	char why[256];

	assert_int_equal(disk_config_from_opts("id=vm1,path=/x.img,socket=/s,"
					       "queues=4,ro=on,blk-size=4096,"
					       "size=1G,direct=off", &d, why,
					       sizeof(why)), 0);
	assert_string_equal(d.id, "vm1");
	assert_int_equal(d.queues, 4);
	assert_true(d.ro);
	assert_false(d.direct);
	assert_int_equal(d.blk_size, 4096);
	assert_int_equal(d.size, 1ull << 30);
	assert_false(d.has_qos);
	disk_config_free(&d);

	assert_int_equal(disk_config_from_opts("id=n,socket=/s,backend=null,"
					       "size=1G,iops=500", &d, why,
					       sizeof(why)), 0);
	assert_int_equal(d.backend, DISK_BACKEND_NULL);
	assert_true(d.has_qos);
	assert_int_equal(d.qos.cap[QOS_CAP_IOPS].avg, 500);
	disk_config_free(&d);

	/* A comma in a value, written as "\,". */
	assert_int_equal(disk_config_from_opts("id=c,path=/img/a\\,b.img,"
					       "socket=/s", &d, why, sizeof(why)),
			 0);
	assert_string_equal(d.path, "/img/a,b.img");
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
		{ "id=a,path=/x,socket=/s,queues=0", "must be 1 to 64" },
		{ "id=a,path=/x,socket=/s,blk-size=1024", "blk-size must be 512 or 4096" },
		{ "id=a,path=/x,socket=/s,discard-segs=0", "discard-segs" },
		{ "id=a,path=/x,socket=/s,discard-segs=33", "must be 1 to 32" },
		{ "id=a,path=/x,socket=/s,discard-segs=1x", "discard-segs" },
		{ "id=a,path=/x,socket=/s,backend=nbd", "must be one of uring, null, rbd" },
		{ "id=a,path=/x,socket=/s,colour=red", "unknown option 'colour'" },
		{ "id=a,id=b,path=/x,socket=/s", "an option is given twice" },
		{ "id=a,path=/x,socket=/s,size=lots", "must be a whole number" },
		/* What cannot be served is refused, not saved to fail later. */
		{ "id=a,path=/x,socket=/s,size=18446744073709551615", "size must be" },
		{ "id=a\x1b[31m,path=/x,socket=/s", "must be 1 to 64 letters" },
		{ "id=a,path=/x\n,socket=/s", "without control characters" },
		{ "id=a,path=/x,socket=/s,iops=-1", "iops" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct disk_config d;
		char why[256] = "";

		assert_int_equal(disk_config_from_opts(bad[i].arg, &d, why,
						       sizeof(why)), -EINVAL);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: said '%s', want '%s'", bad[i].arg, why,
				 bad[i].why);
	}
}

/* What config_get writes, disk_add and --config read back the same. */
static void test_disk_json_round_trip(void **state)
{
	struct disk_config d, again;
	char why[256];
	json_t *j;

	assert_int_equal(disk_config_from_opts("id=rt,path=/img/a\\,b,socket=/s,"
					       "queues=3,size=8G,blk-size=4096,"
					       "discard-segs=4,iops=5000,bps=100M,weight=200,"
					       "group=g1", &d, why, sizeof(why)), 0);
	j = disk_config_to_json(&d);
	assert_non_null(j);
	assert_true(json_is_integer(json_object_get(j, "queues")));
	assert_string_equal(json_string_value(json_object_get(j, "path")),
			    "/img/a,b");
	assert_int_equal(disk_config_from_json(j, &again, why, sizeof(why)), 0);
	assert_string_equal(again.path, d.path);
	assert_int_equal(again.queues, 3);
	assert_int_equal(again.size, 8ull << 30);
	assert_int_equal(again.discard_segs, 4);
	assert_true(again.has_qos);
	assert_memory_equal(&again.qos, &d.qos, sizeof(d.qos));
	json_decref(j);
	disk_config_free(&again);
	disk_config_free(&d);
}

/* A target with every LUN virtio-scsi allows, from a string and back
 * through JSON. */
static void test_scsi_all_luns(void **state)
{
	static char spec[256 * 24 + 64];
	struct scsi_config c, again;
	size_t used;
	char why[256];
	json_t *j;

	used = (size_t)snprintf(spec, sizeof(spec), "id=s0,socket=/s,queues=2");
	for (unsigned int i = 0; i < 256; i++)
		used += (size_t)snprintf(spec + used, sizeof(spec) - used,
					 i % 2 ? ",lun%u=null:1M" : ",lun%u=/img/%u",
					 i, i);
	assert_int_equal(scsi_config_from_opts(spec, &c, why, sizeof(why)), 0);
	assert_int_equal(c.nluns, 256);
	assert_int_equal(c.luns[255].lun, 255);
	assert_int_equal(c.luns[255].null_size, 1u << 20);
	assert_string_equal(c.luns[254].path, "/img/254");
	j = scsi_config_to_json(&c);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "luns")), 256);
	assert_int_equal(scsi_config_from_json(j, &again, why, sizeof(why)), 0);
	assert_int_equal(again.nluns, 256);
	assert_int_equal(again.queues, 2);
	json_decref(j);
	scsi_config_free(&again);
	scsi_config_free(&c);
	assert_int_equal(scsi_config_from_opts("id=s,socket=/s,lun256=/x", &c, why,
					       sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "lun0 to lun255"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools_and_cpus),
		cmocka_unit_test(test_disk_option_string),
		cmocka_unit_test(test_disk_option_errors_say_what_is_wrong),
		cmocka_unit_test(test_disk_json_round_trip),
		cmocka_unit_test(test_scsi_all_luns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
