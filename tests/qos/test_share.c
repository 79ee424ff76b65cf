/* SPDX-License-Identifier: MIT */
/* Sharing a contended backend: minimums met, weights within 5%, idle
 * capacity lent and taken back, groups of disks within and across
 * reactors. The device: 8 slots of 100 us, 80000 IOPS; the scheduler keeps
 * at most 8 outstanding (its depth at the device's knee). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "simtest.h"

#define DEV_IOPS 80000.0

static void setup(struct sim *s, struct qos_sched *q)
{
	struct qos_sched_config cfg = { .depth_max = 8,
					.capacity_iops = 80000 };

	assert_int_equal(qos_sched_init(q, &cfg), 0);
	sim_init(s, 8, 100000);
	sim_add_sched(s, q);
}

static void run_minimums(bool with_min, double *a, double *b, double *c)
{
	struct sim_worker wa, wb, wc;
	struct qos_entity ea, eb, ec;
	struct qos_sched q;
	struct sim s;

	setup(&s, &q);
	st_attach(&ea, &q, "weight=800", NULL);
	st_attach(&eb, &q, with_min ? "iops-min=30000" : "", NULL);
	st_attach(&ec, &q, with_min ? "iops-min=10000" : "", NULL);
	st_worker(&wa, &ea, SIM_CLOSED, 32, 4096, QOS_WRITE);
	st_worker(&wb, &eb, SIM_CLOSED, 8, 4096, QOS_READ);
	st_worker(&wc, &ec, SIM_CLOSED, 8, 4096, QOS_READ);
	sim_add_worker(&s, &wa);
	sim_add_worker(&s, &wb);
	sim_add_worker(&s, &wc);
	sim_run(&s, 10 * SEC);
	*a = sim_rate(&wa, 0, 10 * SEC);
	*b = sim_rate(&wb, 0, 10 * SEC);
	*c = sim_rate(&wc, 0, 10 * SEC);
	sim_fini(&s);
}

static void test_minimums(void **state)
{
	double a, b, c;

	run_minimums(false, &a, &b, &c);
	printf("  without minimums: A (weight 800) %.0f, B %.0f, C %.0f IOPS\n",
	       a, b, c);
	assert_true(b < 30000 && c < 10000); /* the test means something */
	run_minimums(true, &a, &b, &c);
	printf("  with B iops-min=30000, C iops-min=10000: A %.0f, B %.0f, "
	       "C %.0f IOPS\n", a, b, c);
	assert_true(b >= 30000 * 0.99);
	assert_true(c >= 10000 * 0.99);
	/* what is left (40000) is shared 800:100:100 */
	assert_true(st_near("A's share of what is left", a, 32000, 0.05));
	assert_true(st_near("device total", a + b + c, DEV_IOPS, 0.01));
}

static void test_weights(void **state)
{
	static const char *const c[] = { "weight=100", "weight=200",
					  "weight=400" };
	struct sim_worker w[3];
	struct qos_entity e[3];
	struct qos_sched q;
	struct sim s;
	char what[64];

	setup(&s, &q);
	for (int i = 0; i < 3; i++) {
		st_attach(&e[i], &q, c[i], NULL);
		st_worker(&w[i], &e[i], SIM_CLOSED, 16, 4096, QOS_READ);
		sim_add_worker(&s, &w[i]);
	}
	sim_run(&s, 10 * SEC);
	for (int i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "%s (want %d/7 of the device)",
			 c[i], 1 << i);
		assert_true(st_near(what, sim_rate(&w[i], 0, 10 * SEC),
				    DEV_IOPS * (1 << i) / 7, 0.05));
	}
	sim_fini(&s);
}

/* The cost model in the weight phase: a write costing 2 gets half the ops,
 * a 16K request with iops-size=4K costs 4. */
static void test_weighted_costs(void **state)
{
	struct sim_worker wr, ww, wb;
	struct qos_entity er, ew, eb;
	struct qos_sched q;
	struct sim s;

	setup(&s, &q);
	st_attach(&er, &q, "", NULL);
	st_attach(&ew, &q, "write-cost=2", NULL);
	st_attach(&eb, &q, "iops-size=4K", NULL);
	st_worker(&wr, &er, SIM_CLOSED, 16, 4096, QOS_READ);
	st_worker(&ww, &ew, SIM_CLOSED, 16, 4096, QOS_WRITE);
	st_worker(&wb, &eb, SIM_CLOSED, 16, 16384, QOS_READ);
	sim_add_worker(&s, &wr);
	sim_add_worker(&s, &ww);
	sim_add_worker(&s, &wb);
	sim_run(&s, 10 * SEC);
	/* costs 1, 2, 4 at equal weight: ops in proportion 4:2:1 */
	assert_true(st_near("4K reads, cost 1", sim_rate(&wr, 0, 10 * SEC),
			    DEV_IOPS * 4 / 7, 0.05));
	assert_true(st_near("4K writes, write-cost=2",
			    sim_rate(&ww, 0, 10 * SEC), DEV_IOPS * 2 / 7,
			    0.05));
	assert_true(st_near("16K reads, iops-size=4K",
			    sim_rate(&wb, 0, 10 * SEC), DEV_IOPS * 1 / 7,
			    0.05));
	sim_fini(&s);
}

static void run_lending(const char *bc, double want_a, double want_b)
{
	struct sim_worker wa, wb;
	struct qos_entity ea, eb;
	struct qos_sched q;
	struct sim s;

	setup(&s, &q);
	st_attach(&ea, &q, "weight=100", NULL);
	st_attach(&eb, &q, bc, NULL);
	st_worker(&wa, &ea, SIM_CLOSED, 32, 4096, QOS_READ);
	st_worker(&wb, &eb, SIM_CLOSED, 32, 4096, QOS_READ);
	wb.start_ns = 3 * SEC;
	wb.stop_ns = 6 * SEC;
	sim_add_worker(&s, &wa);
	sim_add_worker(&s, &wb);
	sim_run(&s, 9 * SEC);
	printf(" B (%s) busy from 3 s to 6 s:\n", bc);
	assert_true(st_near("A alone, 0-3 s", sim_rate(&wa, 0, 3 * SEC),
			    DEV_IOPS, 0.02));
	assert_true(st_near("A beside B, 3-6 s",
			    sim_rate(&wa, 3 * SEC, 6 * SEC), want_a, 0.05));
	assert_true(st_near("B, 3-6 s", sim_rate(&wb, 3 * SEC, 6 * SEC),
			    want_b, 0.05));
	/* B takes its share back at once, not after A's backlog drains */
	assert_true(st_near("B in its first 50 ms",
			    sim_rate(&wb, 3 * SEC + 10 * MS, 3 * SEC + 60 * MS),
			    want_b, 0.10));
	assert_true(st_near("A alone again, 6.01-9 s",
			    sim_rate(&wa, 6 * SEC + 10 * MS, 9 * SEC),
			    DEV_IOPS, 0.02));
	sim_fini(&s);
}

static void test_lending(void **state)
{
	run_lending("weight=300", DEV_IOPS / 4, DEV_IOPS * 3 / 4);
	/* a cap says no to lending to B: what B may not use goes to A */
	run_lending("weight=300,iops=30000", DEV_IOPS - 30000, 30000);
}

/* A group of two disks (a VM) with weight 200 and a minimum beside a disk
 * of weight 100 on the same reactor: the VM gets its minimum and 2/3 of
 * the rest, split by its members' weights. */
static void test_group_weight(void **state)
{
	struct sim_worker w1, w2, wc;
	struct qos_entity e1, e2, ec;
	struct qos_limits gl;
	struct qos_group g;
	struct qos_sched q;
	struct sim s;
	char err[256];

	setup(&s, &q);
	assert_int_equal(qos_limits_parse("weight=200,iops-min=5000", &gl, err,
					  sizeof(err)), 0);
	assert_int_equal(qos_group_init(&g, "vm1", &gl, err, sizeof(err)), 0);
	st_attach(&e1, &q, "group=vm1,weight=300", &g);
	st_attach(&e2, &q, "group=vm1", &g);
	st_attach(&ec, &q, "", NULL);
	st_worker(&w1, &e1, SIM_CLOSED, 16, 4096, QOS_READ);
	st_worker(&w2, &e2, SIM_CLOSED, 16, 4096, QOS_READ);
	st_worker(&wc, &ec, SIM_CLOSED, 16, 4096, QOS_READ);
	sim_add_worker(&s, &w1);
	sim_add_worker(&s, &w2);
	sim_add_worker(&s, &wc);
	sim_run(&s, 10 * SEC);
	/* minimums first (the group's 5000), then weights share the rest */
	assert_true(st_near("vm1 (weight 200, iops-min=5000)",
			    sim_rate(&w1, 0, 10 * SEC) +
			    sim_rate(&w2, 0, 10 * SEC),
			    5000 + (DEV_IOPS - 5000) * 2 / 3, 0.05));
	assert_true(st_near("vm1 disk of weight 300",
			    sim_rate(&w1, 0, 10 * SEC),
			    (5000 + (DEV_IOPS - 5000) * 2 / 3) * 3 / 4, 0.05));
	assert_true(st_near("lone disk (weight 100)",
			    sim_rate(&wc, 0, 10 * SEC),
			    (DEV_IOPS - 5000) / 3, 0.05));
	sim_fini(&s);
}

/* A group spanning two reactors: one scheduler each, one shared backend.
 * The group's cap holds in sum, split by demand, and one member takes all
 * of it when the other stops. */
static void test_group_across_reactors(void **state)
{
	struct qos_sched_config cfg = { .depth_max = 64 };
	struct sim_worker w1, w2;
	struct qos_entity e1, e2;
	struct qos_sched q1, q2;
	struct qos_limits gl;
	struct qos_group g;
	struct sim s;
	char err[256];
	double r1, r2;

	assert_int_equal(qos_limits_parse("iops=20000,iops-max=40000,"
					  "iops-max-length=1", &gl, err,
					  sizeof(err)), 0);
	assert_int_equal(qos_group_init(&g, "vm2", &gl, err, sizeof(err)), 0);
	assert_int_equal(qos_sched_init(&q1, &cfg), 0);
	assert_int_equal(qos_sched_init(&q2, &cfg), 0);
	sim_init(&s, 64, 50000);
	sim_add_sched(&s, &q1);
	sim_add_sched(&s, &q2);
	st_attach(&e1, &q1, "group=vm2", &g);
	st_attach(&e2, &q2, "group=vm2,iops=6000", &g);
	st_worker(&w1, &e1, SIM_CLOSED, 32, 4096, QOS_READ);
	st_worker(&w2, &e2, SIM_CLOSED, 8, 4096, QOS_READ);
	w2.stop_ns = 6 * SEC;
	sim_add_worker(&s, &w1);
	sim_add_worker(&s, &w2);
	sim_run(&s, 11 * SEC);
	r1 = sim_rate(&w1, 0, 1 * SEC);
	r2 = sim_rate(&w2, 0, 1 * SEC);
	assert_true(st_near("group burst (40000 for 1 s), both reactors",
			    r1 + r2, 40000, 0.02));
	r1 = sim_rate(&w1, 1 * SEC + 10 * MS, 6 * SEC);
	r2 = sim_rate(&w2, 1 * SEC + 10 * MS, 6 * SEC);
	assert_true(st_near("group cap 20000, both reactors", r1 + r2, 20000,
			    0.02));
	assert_true(st_near("reactor 2's member (its own cap 6000)", r2, 6000,
			    0.02));
	r1 = sim_rate(&w1, 6 * SEC + 10 * MS, 11 * SEC);
	assert_true(st_near("reactor 1's member alone after 6 s", r1, 20000,
			    0.02));
	sim_fini(&s);
}

/* Two members on two reactors, both wanting more than the group allows:
 * the group's cap is split by their weights, whichever reactor polls
 * first. */
static void run_split(const char *c1, const char *c2, double want1)
{
	struct qos_sched_config cfg = { .depth_max = 64 };
	struct sim_worker w1, w2;
	struct qos_entity e1, e2;
	struct qos_sched q1, q2;
	struct qos_limits gl;
	struct qos_group g;
	struct sim s;
	char err[256], what[96];

	assert_int_equal(qos_limits_parse("iops=20000", &gl, err,
					  sizeof(err)), 0);
	assert_int_equal(qos_group_init(&g, "vm3", &gl, err, sizeof(err)), 0);
	assert_int_equal(qos_sched_init(&q1, &cfg), 0);
	assert_int_equal(qos_sched_init(&q2, &cfg), 0);
	sim_init(&s, 64, 50000);
	sim_add_sched(&s, &q1);
	sim_add_sched(&s, &q2);
	st_attach(&e1, &q1, c1, &g);
	st_attach(&e2, &q2, c2, &g);
	st_worker(&w1, &e1, SIM_CLOSED, 32, 4096, QOS_READ);
	st_worker(&w2, &e2, SIM_CLOSED, 32, 4096, QOS_READ);
	sim_add_worker(&s, &w1);
	sim_add_worker(&s, &w2);
	sim_run(&s, 10 * SEC);
	snprintf(what, sizeof(what), "reactor 1 (%s)", c1);
	assert_true(st_near(what, sim_rate(&w1, 0, 10 * SEC), want1, 0.05));
	snprintf(what, sizeof(what), "reactor 2 (%s)", c2);
	assert_true(st_near(what, sim_rate(&w2, 0, 10 * SEC), 20000 - want1,
			    0.05));
	sim_fini(&s);
}

static void test_group_split_across_reactors(void **state)
{
	run_split("group=vm3", "group=vm3", 10000);
	run_split("group=vm3,weight=100", "group=vm3,weight=300", 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimums),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_weighted_costs),
		cmocka_unit_test(test_lending),
		cmocka_unit_test(test_group_weight),
		cmocka_unit_test(test_group_across_reactors),
		cmocka_unit_test(test_group_split_across_reactors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
