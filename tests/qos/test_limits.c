/* SPDX-License-Identifier: MIT */
/* Contracts: what the parser accepts, what it refuses and why. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "qos/qos.h"

static char err[256];

static int parse(const char *s, struct qos_limits *l)
{
	int ret = qos_limits_parse(s, l, err, sizeof(err));

	if (ret)
		printf("  '%s' -> %s\n", s, err);
	return ret;
}

static void test_full_contract(void **state)
{
	struct qos_limits l;

	assert_int_equal(parse("iops=5000,bps=100M,iops-max=8000,"
			       "iops-max-length=10,iops-rd=3000,bps-wr-max=200M,"
			       "bps-wr=50M,iops-min=1000,bps-min=1M,weight=300,"
			       "lat-target-us=2000,iops-size=4K,write-cost=1.5,"
			       "group=vm1", &l), 0);
	assert_int_equal(l.cap[QOS_CAP_IOPS].avg, 5000);
	assert_int_equal(l.cap[QOS_CAP_IOPS].max, 8000);
	assert_int_equal(l.cap[QOS_CAP_IOPS].max_len, 10);
	assert_int_equal(l.cap[QOS_CAP_BPS].avg, 100 << 20);
	assert_int_equal(l.cap[QOS_CAP_IOPS_RD].avg, 3000);
	assert_int_equal(l.cap[QOS_CAP_BPS_WR].max, 200 << 20);
	assert_int_equal(l.cap[QOS_CAP_BPS_WR].max_len, 1); /* default */
	assert_int_equal(l.iops_min, 1000);
	assert_int_equal(l.bps_min, 1 << 20);
	assert_int_equal(l.weight, 300);
	assert_int_equal(l.lat_target_us, 2000);
	assert_int_equal(l.iops_size, 4096);
	assert_int_equal(l.write_cost_pct, 150);
	assert_string_equal(l.group, "vm1");
}

static void test_empty_and_roundtrip(void **state)
{
	struct qos_limits l, back;
	char buf[512];

	assert_int_equal(parse("", &l), 0);
	assert_int_equal(l.cap[QOS_CAP_IOPS].avg, 0);
	assert_int_equal(parse("iops=100,iops-max=200,iops-max-length=3,"
			       "weight=7,write-cost=2,group=t-1", &l), 0);
	assert_true(qos_limits_format(&l, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "iops=100,iops-max=200,iops-max-length=3,"
			    "weight=7,write-cost=2.00,group=t-1");
	assert_int_equal(parse(buf, &back), 0);
	assert_memory_equal(&l, &back, sizeof(l));
	assert_int_equal(qos_limits_format(&l, buf, 10), -ENOSPC);
}

static void expect_refused(const char *s, const char *needle)
{
	struct qos_limits l;

	assert_int_not_equal(parse(s, &l), 0);
	if (!strstr(err, needle))
		fail_msg("'%s': message '%s' lacks '%s'", s, err, needle);
}

static void test_bad_numbers(void **state)
{
	expect_refused("iops=-5", "non-negative");
	expect_refused("iops=99999999999999999999999", "fits in 64 bits");
	expect_refused("bps=1E", "non-negative");
	expect_refused("iops=5000000000", "beyond any device");
	expect_refused("bps=2000T", "beyond any device");
	expect_refused("weight=0", "1 to 10000");
	expect_refused("weight=10001", "1 to 10000");
	expect_refused("lat-target-us=20000000", "at most 10 s");
	expect_refused("write-cost=1.555", "factor");
	expect_refused("write-cost=0.01", "factor");
	expect_refused("iops-size=100", "512");
	expect_refused("iops-min=-1", "non-negative");
}

static void test_impossible_contracts(void **state)
{
	expect_refused("iops=1000,iops-max=500", "lower than iops=1000");
	expect_refused("bps-rd=10M,bps-rd-max=1M", "lower than bps-rd");
	expect_refused("iops-max=500", "needs iops");
	expect_refused("iops=10,iops-max-length=5", "needs iops-max");
	expect_refused("iops=10,iops-max=20,iops-max-length=0", "at least 1");
	expect_refused("iops=10,iops-max=20,iops-max-length=100000",
		       "at most");
	expect_refused("iops=1000,iops-min=2000", "can never be met");
	expect_refused("iops-rd=100,iops-wr=100,iops-min=300",
		       "can never be met");
	expect_refused("bps=1M,bps-min=2M", "can never be met");
}

static void test_syntax(void **state)
{
	expect_refused("iops=1,iops=2", "twice");
	expect_refused("ipos=100", "unknown QoS option 'ipos'");
	expect_refused("group=a/b", "group name");
	expect_refused("group=", "group name");
}

static void test_capacity(void **state)
{
	struct qos_sched_config cfg = { .capacity_iops = 10000 };
	struct qos_limits a, b, g;
	struct qos_entity e1, e2, e3;
	struct qos_group grp;
	struct qos_sched s;

	assert_int_equal(qos_sched_init(&s, &cfg), 0);
	assert_int_equal(parse("iops-min=6000", &a), 0);
	assert_int_equal(parse("iops-min=3000,group=vm", &b), 0);
	assert_int_equal(parse("iops-min=2000", &g), 0);
	assert_int_equal(qos_group_init(&grp, "vm", &g, err, sizeof(err)), 0);
	assert_int_equal(qos_entity_init(&e1, &s, &a, NULL, err, sizeof(err)),
			 0);
	/* 6000 + 3000 + the group's 2000 > 10000 */
	assert_int_equal(qos_entity_init(&e2, &s, &b, &grp, err, sizeof(err)),
			 -ENOSPC);
	printf("  capacity -> %s\n", err);
	assert_non_null(strstr(err, "11000 IOPS"));
	b.iops_min = 1000;
	assert_int_equal(qos_entity_init(&e2, &s, &b, &grp, err, sizeof(err)),
			 0);
	/* a second member of the same group counts the group once */
	assert_int_equal(qos_entity_init(&e3, &s, &b, &grp, err, sizeof(err)),
			 0);
	/* raising a minimum at runtime is checked the same way */
	a.iops_min = 7000;
	assert_int_equal(qos_entity_set(&e1, &a, err, sizeof(err)), -ENOSPC);
	a.iops_min = 5000;
	assert_int_equal(qos_entity_set(&e1, &a, err, sizeof(err)), 0);
	qos_entity_get(&e1, &a);
	assert_int_equal(a.iops_min, 5000);
	/* a disk naming a group must be attached to it */
	assert_int_equal(qos_entity_init(&e3, &s, &b, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "group 'vm'"));
}

static void test_group_refuses_latency(void **state)
{
	struct qos_limits l;
	struct qos_group g;

	assert_int_equal(parse("lat-target-us=500", &l), 0);
	assert_int_equal(qos_group_init(&g, "vm", &l, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "disk's own target"));
}

/* Random mixes of key fragments and values: every string is either
 * accepted (and then formats back to a string that parses the same) or
 * refused with a message; nothing else. */
static void test_garbage(void **state)
{
	static const char *const parts[] = {
		"iops", "bps", "-rd", "-wr", "-max", "-max-length", "-min",
		"weight", "group", "=", "=", ",", ",", "1", "0", "99", "-", "K",
		"M", "18446744073709551615", "1.5", "x", "write-cost",
		"lat-target-us", "iops-size", "4K", "",
	};
	uint64_t rng = 88172645463325252ull;
	struct qos_limits l, back;
	char s[128], buf[1024];

	for (int n = 0; n < 20000; n++) {
		size_t len = 0;

		s[0] = '\0';
		for (int k = 0; k < 8; k++) {
			const char *p;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			p = parts[rng % (sizeof(parts) / sizeof(parts[0]))];
			if (len + strlen(p) + 1 >= sizeof(s))
				break;
			strcpy(s + len, p);
			len += strlen(p);
		}
		err[0] = '\0';
		if (qos_limits_parse(s, &l, err, sizeof(err))) {
			if (!err[0])
				fail_msg("'%s' refused without a message", s);
			continue;
		}
		assert_true(qos_limits_format(&l, buf, sizeof(buf)) >= 0);
		if (qos_limits_parse(buf, &back, err, sizeof(err)))
			fail_msg("'%s' -> '%s' does not parse: %s", s, buf, err);
		assert_memory_equal(&l, &back, sizeof(l));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_contract),
		cmocka_unit_test(test_empty_and_roundtrip),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_impossible_contracts),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_group_refuses_latency),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
