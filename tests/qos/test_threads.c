/* SPDX-License-Identifier: MIT */
/*
 * A group spanning reactors, on real threads: two schedulers, one per
 * thread, each with one member of a group capped at 50000 IOPS, both
 * submitting as fast as they can for 300 ms on the real clock (each
 * request completes at once). The group's cap must hold in sum (no charge
 * lost to a race), and both threads must get a fair part of it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "qos/qos.h"
#include "qos/qos_internal.h"
#include "util/clock.h"

#define CAP 50000
#define RUN_NS (300 * NSEC_PER_MSEC)

static struct qos_group group;
static uint64_t start_ns;

struct member {
	struct qos_sched sched;
	struct qos_entity e;
	struct qos_req req;
	uint64_t done;
	bool released;
};

static void on_dispatch(struct qos_entity *e, struct qos_req *r, void *arg)
{
	((struct member *)arg)->released = true;
}

static void *drive(void *arg)
{
	struct member *m = arg;
	uint64_t now;

	while ((now = clock_now_ns()) < start_ns + RUN_NS) {
		m->req.op = QOS_READ;
		m->req.bytes = 4096;
		m->released = false;
		if (qos_submit(&m->e, &m->req, now) == QOS_DISPATCH)
			m->released = true;
		while (!m->released) {
			now = clock_now_ns();
			if (qos_poll_due(&m->sched, now))
				qos_poll(&m->sched, now, on_dispatch, m);
		}
		qos_complete(&m->e, &m->req, clock_now_ns());
		if (m->req.submit_ns < start_ns + RUN_NS)
			m->done++;
	}
	/* a request still parked at the end is taken back, not counted */
	return NULL;
}

static void test_group_on_threads(void **state)
{
	struct member m[2] = { 0 };
	struct qos_limits l;
	pthread_t t[2];
	char err[256];
	double total, cap;

	assert_int_equal(qos_limits_parse("iops=50000", &l, err, sizeof(err)),
			 0);
	assert_int_equal(qos_group_init(&group, "vm", &l, err, sizeof(err)),
			 0);
	assert_int_equal(qos_limits_parse("group=vm", &l, err, sizeof(err)),
			 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(qos_sched_init(&m[i].sched, NULL), 0);
		assert_int_equal(qos_entity_init(&m[i].e, &m[i].sched, &l,
						 &group, err, sizeof(err)), 0);
	}
	start_ns = clock_now_ns();
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, drive, &m[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	total = (double)(m[0].done + m[1].done);
	/* the cap, its tolerance, and one request per thread */
	cap = CAP * (double)RUN_NS / 1e9 + CAP * (QOS_TOLERANCE_NS / 1e9) + 2;
	printf("  two threads: %llu + %llu requests in 300 ms (cap allows "
	       "%.0f)\n", (unsigned long long)m[0].done,
	       (unsigned long long)m[1].done, cap);
	assert_true(total <= cap);
	/* a loaded 2-core machine may deschedule a thread: loose floors */
	assert_true(total >= 0.5 * CAP * 0.3);
	assert_true(m[0].done > total / 5 && m[1].done > total / 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_on_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
