/* SPDX-License-Identifier: MIT */
/* Caps and bursts in the simulator: held within 2% over 10 s at several
 * request sizes, and bursts last exactly their length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim.h"

static char err[256];

/* A backend far faster than any cap here: 64 slots of 50 us (1.28M IOPS). */
static void setup(struct sim *s, struct qos_sched *q)
{
	struct qos_sched_config cfg = { .depth_max = 64 };

	assert_int_equal(qos_sched_init(q, &cfg), 0);
	sim_init(s, 64, 50000);
	sim_add_sched(s, q);
}

static void attach(struct qos_entity *e, struct qos_sched *q, const char *c)
{
	struct qos_limits l;

	if (qos_limits_parse(c, &l, err, sizeof(err)))
		fail_msg("%s: %s", c, err);
	assert_int_equal(qos_entity_init(e, q, &l, NULL, err, sizeof(err)), 0);
}

static void closed(struct sim_worker *w, struct qos_entity *e, uint64_t bytes,
		   uint8_t op)
{
	memset(w, 0, sizeof(*w));
	w->e = e;
	w->kind = SIM_CLOSED;
	w->qd = 32;
	w->bytes = bytes;
	w->op = op;
}

static void near(const char *what, double got, double want, double tol)
{
	double dev = (got - want) / want;

	printf("  %-44s %12.1f /s (want %.1f, %+.2f%%)\n", what, got, want,
	       dev * 100);
	if (dev > tol || dev < -tol)
		fail_msg("%s: %.1f is not within %.0f%% of %.1f", what, got,
			 tol * 100, want);
}

/* One disk, one contract, one request size: measure 10 s. */
static void one(const char *contract, uint64_t bytes, uint8_t op, bool bps,
		double want)
{
	struct sim_worker w;
	struct qos_entity e;
	struct qos_sched q;
	struct sim s;
	char what[96];
	double got;

	setup(&s, &q);
	attach(&e, &q, contract);
	closed(&w, &e, bytes, op);
	sim_add_worker(&s, &w);
	sim_run(&s, 10 * SEC);
	got = sim_rate(&w, 0, 10 * SEC) * (bps ? (double)bytes : 1);
	snprintf(what, sizeof(what), "%s, %lluB %s", contract,
		 (unsigned long long)bytes, op == QOS_READ ? "reads" : "writes");
	near(what, got, want, 0.02);
	sim_fini(&s);
}

static void test_iops_caps(void **state)
{
	one("iops=5000", 512, QOS_READ, false, 5000);
	one("iops=5000", 4096, QOS_READ, false, 5000);
	one("iops=5000", 65536, QOS_WRITE, false, 5000);
	one("iops=5000", 1 << 20, QOS_READ, false, 5000);
	one("iops=123", 4096, QOS_READ, false, 123);
	one("iops=200000", 4096, QOS_READ, false, 200000);
	/* iops-size: a 16K request is 4 ops of 4K */
	one("iops=5000,iops-size=4K", 16384, QOS_READ, false, 1250);
	one("iops=5000,iops-size=4K", 1024, QOS_READ, false, 5000);
	/* write-cost: a write is 2 ops in the total cap, a read 1 */
	one("iops=4000,write-cost=2", 4096, QOS_WRITE, false, 2000);
	one("iops=4000,write-cost=2", 4096, QOS_READ, false, 4000);
}

static void test_bps_caps(void **state)
{
	one("bps=50M", 4096, QOS_READ, true, 50 << 20);
	one("bps=50M", 65536, QOS_WRITE, true, 50 << 20);
	one("bps=50M", 1 << 20, QOS_READ, true, 50 << 20);
	one("bps=1M", 4096, QOS_WRITE, true, 1 << 20);
	/* both caps: whichever binds */
	one("iops=1000,bps=50M", 4096, QOS_READ, false, 1000);
	one("iops=1000,bps=50M", 1 << 20, QOS_READ, true, 50 << 20);
}

static void test_read_write_apart(void **state)
{
	struct sim_worker r, w;
	struct qos_entity e;
	struct qos_sched q;
	struct sim s;

	setup(&s, &q);
	attach(&e, &q, "iops-rd=3000,iops-wr=1000,bps-wr=2M");
	closed(&r, &e, 4096, QOS_READ);
	closed(&w, &e, 4096, QOS_WRITE);
	sim_add_worker(&s, &r);
	sim_add_worker(&s, &w);
	sim_run(&s, 10 * SEC);
	near("iops-rd=3000 beside writes", sim_rate(&r, 0, 10 * SEC), 3000,
	     0.02);
	/* 1000 x 4K = 4000K/s > bps-wr 2M: the byte cap binds, 512 op/s */
	near("iops-wr=1000,bps-wr=2M beside reads", sim_rate(&w, 0, 10 * SEC),
	     512, 0.02);
	sim_fini(&s);
}

/* The first 10 ms bin whose rate is below the midpoint of the two rates. */
static double burst_end(const struct sim_worker *w, uint64_t from,
			double hi, double lo)
{
	for (uint64_t t = from; t < from + 30 * SEC; t += SIM_BIN_NS)
		if (sim_rate(w, t, t + SIM_BIN_NS) < (hi + lo) / 2)
			return (double)(t - from) / 1e9;
	return -1;
}

static void test_burst_length(void **state)
{
	struct sim_worker w;
	struct qos_entity e;
	struct qos_sched q;
	struct sim s;
	double len;

	setup(&s, &q);
	attach(&e, &q, "iops=1000,iops-max=5000,iops-max-length=2");
	closed(&w, &e, 4096, QOS_READ);
	w.stop_ns = 6 * SEC;
	sim_add_worker(&s, &w);
	sim_run(&s, 6 * SEC);
	len = burst_end(&w, 0, 5000, 1000);
	printf("  burst of 5000 IOPS for 2 s lasted %.2f s\n", len);
	assert_true(len >= 1.99 && len <= 2.01);
	near("rate during the burst", sim_rate(&w, 100 * MS, 1900 * MS), 5000,
	     0.02);
	near("rate after the burst", sim_rate(&w, 2100 * MS, 6 * SEC), 1000,
	     0.02);
	sim_fini(&s);

	/* Idle for 4 s after a spent burst earns back half of it: the
	 * bucket drains at 1000/s and held (5000 - 1000) x 2 = 8000. */
	setup(&s, &q);
	attach(&e, &q, "iops=1000,iops-max=5000,iops-max-length=2");
	closed(&w, &e, 4096, QOS_READ);
	w.stop_ns = 6 * SEC;
	sim_add_worker(&s, &w);
	sim_run(&s, 10 * SEC);
	w.start_ns = 10 * SEC;
	w.stop_ns = 0;
	w.started = false;
	sim_run(&s, 14 * SEC);
	len = burst_end(&w, 10 * SEC, 5000, 1000);
	printf("  after 4 s idle, the next burst lasted %.2f s (want 1.00)\n",
	       len);
	assert_true(len >= 0.98 && len <= 1.02);
	sim_fini(&s);
}

static void test_bps_burst(void **state)
{
	struct sim_worker w;
	struct qos_entity e;
	struct qos_sched q;
	struct sim s;
	double len;

	setup(&s, &q);
	attach(&e, &q, "bps=10M,bps-max=40M,bps-max-length=3");
	closed(&w, &e, 65536, QOS_WRITE);
	sim_add_worker(&s, &w);
	sim_run(&s, 8 * SEC);
	len = burst_end(&w, 0, 640, 160);
	printf("  burst of 40 MiB/s for 3 s lasted %.2f s\n", len);
	assert_true(len >= 2.99 && len <= 3.01);
	near("bytes/s after the burst", sim_rate(&w, 3100 * MS, 8 * SEC) *
	     65536, 10 << 20, 0.02);
	sim_fini(&s);
}

static void test_runtime_change(void **state)
{
	struct qos_limits l;
	struct sim_worker w;
	struct qos_entity e;
	struct qos_sched q;
	struct sim s;

	setup(&s, &q);
	attach(&e, &q, "iops=2000");
	closed(&w, &e, 4096, QOS_READ);
	sim_add_worker(&s, &w);
	sim_run(&s, 3 * SEC);
	assert_int_equal(qos_limits_parse("iops=8000", &l, err, sizeof(err)),
			 0);
	assert_int_equal(qos_entity_set(&e, &l, err, sizeof(err)), 0);
	sim_run(&s, 6 * SEC);
	near("iops=2000 before the change", sim_rate(&w, 0, 3 * SEC), 2000,
	     0.02);
	near("iops=8000 after qos_entity_set", sim_rate(&w, 3 * SEC + 10 * MS,
	     6 * SEC), 8000, 0.02);
	qos_entity_get(&e, &l);
	assert_int_equal(l.cap[QOS_CAP_IOPS].avg, 8000);
	sim_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iops_caps),
		cmocka_unit_test(test_bps_caps),
		cmocka_unit_test(test_read_write_apart),
		cmocka_unit_test(test_burst_length),
		cmocka_unit_test(test_bps_burst),
		cmocka_unit_test(test_runtime_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
