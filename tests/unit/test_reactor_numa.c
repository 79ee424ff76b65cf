/* SPDX-License-Identifier: MIT */
/*
 * A pinned reactor's io_uring rings live on its CPU's NUMA node, whatever
 * CPU created the reactor. On a one-node machine every answer is node 0,
 * so the test then only shows the query works; on a NUMA host it checks
 * the placement of a reactor on every node.
 */
#include <numa.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "engine/numa_alloc.h"
#include "engine/reactor.h"

static void test_ring_on_the_reactor_cpu_node(void **state)
{
	cpu_set_t allowed, before, after;
	int checked = 0;

	if (numa_available() < 0)
		skip();
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	before = allowed;
	/* The last allowed CPU of each node (the creating thread runs
	 * anywhere, usually the first). */
	for (int node = 0; node <= numa_max_node(); node++) {
		int cpu = -1;

		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &allowed) && numa_node_of_cpu(c) == node)
				cpu = c;
		if (cpu < 0)
			continue;
		struct reactor *r;

		assert_int_equal(reactor_create(0, cpu, 0, &r), 0);
		assert_int_equal(numa_node_of_reactor(r), node);
		assert_int_equal(numa_node_of_reactor_ring(r), node);
		reactor_destroy(r);
		checked++;
	}
	assert_true(checked > 0);
	/* Creating it did not leave the caller pinned. */
	assert_int_equal(sched_getaffinity(0, sizeof(after), &after), 0);
	assert_true(CPU_EQUAL(&before, &after));
	/* Unpinned: no node asked for, the query still answers. */
	{
		struct reactor *r;

		assert_int_equal(reactor_create(0, -1, 0, &r), 0);
		assert_int_equal(numa_node_of_reactor(r), -1);
		assert_true(numa_node_of_reactor_ring(r) >= 0);
		reactor_destroy(r);
	}
	printf("checked %d node(s)\n", checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_on_the_reactor_cpu_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
