/* SPDX-License-Identifier: MIT */
/* Topology probes and the queue placement rule on fake 2- and 4-node
 * hosts that mknuma.sh generates for this run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "topo/topo.h"
#include "topo/topo_place.h"

static char tmp[64], two[128], four[128];
static struct topo t2, t4;

static int mktree(const char *out, int nodes, int per)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "'%s/tests/topo/mknuma.sh' '%s' %d %d",
		 getenv("VMIO_SRC"), out, nodes, per);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	if (!getenv("VMIO_SRC"))
		return -1;
	snprintf(tmp, sizeof(tmp), "/tmp/vmio-topo-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(two, sizeof(two), "%s/two", tmp);
	snprintf(four, sizeof(four), "%s/four", tmp);
	if (mktree(two, 2, 2) || mktree(four, 4, 2))
		return -1;
	if (topo_probe(two, &t2) || topo_probe(four, &t4))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_nodes(void **state)
{
	char buf[64];

	(void)state;
	assert_true(t2.known);
	assert_int_equal(t2.nnodes, 2);
	assert_int_equal(t2.ncpus, 4);
	assert_string_equal(cpuset_format(&t2.node_cpus[1], buf, sizeof(buf)),
			    "2-3");
	assert_int_equal(t4.nnodes, 4);
	assert_int_equal(t4.ncpus, 8);
	assert_string_equal(cpuset_format(&t4.nodes, buf, sizeof(buf)), "0-3");
	assert_int_equal(topo_cpu_node(&t4, 0), 0);
	assert_int_equal(topo_cpu_node(&t4, 5), 2);
	assert_int_equal(topo_cpu_node(&t4, 7), 3);
	assert_int_equal(topo_cpu_node(&t4, 8), -1);	/* no such CPU */
	assert_int_equal(topo_cpu_node(&t4, -1), -1);	/* not pinned */
}

static void test_memory_and_hugepages(void **state)
{
	(void)state;
	assert_int_equal(t4.node_mem_kib[0], 1048576);
	assert_int_equal(t4.node_mem_kib[3], 4 * 1048576);
	/* node 0: the 2M pool, then the 1G one (sorted by size) */
	assert_int_equal(t2.node_nhp[0], 2);
	assert_int_equal(t2.node_hp[0][0].size_kib, 2048);
	assert_int_equal(t2.node_hp[0][0].nr, 8);
	assert_int_equal(t2.node_hp[0][0].free, 7);
	assert_int_equal(t2.node_hp[0][1].size_kib, 1048576);
	assert_int_equal(t2.node_hp[0][1].free, 2);
	assert_int_equal(t2.node_nhp[1], 1);
	assert_int_equal(t2.node_hp[1][0].nr, 16);
	assert_int_equal(t4.node_hp[3][0].nr, 32);
}

static void test_unknown_host(void **state)
{
	struct topo t;

	(void)state;
	assert_int_equal(topo_probe("/nonexistent", &t), -ENOENT);
	assert_false(t.known);
	assert_int_equal(topo_cpu_node(&t, 0), -1);
}

static void test_path_node(void **state)
{
	char dev[128], why[256];

	(void)state;
	assert_int_equal(topo_path_node(two, "/srv/node1/vm.img", dev,
					sizeof(dev), why, sizeof(why)), 1);
	assert_string_equal(dev, "nvme1n1");
	assert_int_equal(topo_path_node(four, "/srv/node3/a/b.img", dev,
					sizeof(dev), why, sizeof(why)), 3);
	assert_int_equal(topo_path_node(four, "/dev/nvme2n1p1", dev,
					sizeof(dev), why, sizeof(why)), 2);
	/* md0 over node-0 and node-1 disks: no single node */
	assert_int_equal(topo_path_node(four, "/srv/span/x.img", dev,
					sizeof(dev), why, sizeof(why)), -1);
	assert_string_equal(dev, "nvme0n1,nvme1n1");
	assert_non_null(strstr(why, "nodes 0 and 1"));
	/* the kernel says -1 */
	assert_int_equal(topo_path_node(two, "/srv/nonode/x.img", dev,
					sizeof(dev), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "sdz"));
	/* tmpfs: not one block device */
	assert_int_equal(topo_path_node(two, "/tmp/x.img", dev, sizeof(dev),
					why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not one block device"));
}

static enum topo_place_rule place(const struct topo *t, const int *cpus,
				  unsigned int nr, int node, unsigned int nq,
				  unsigned int start, unsigned int *out)
{
	struct topo_place_in in = { t, cpus, nr, node, nq, start };

	return topo_place_queues(&in, out);
}

static void test_place_two_nodes(void **state)
{
	const int cpus[] = { 0, 2 };	/* reactor 0 on node 0, 1 on node 1 */
	unsigned int q[4];

	(void)state;
	assert_int_equal(place(&t2, cpus, 2, 1, 4, 0, q), TOPO_PLACE_LOCAL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(q[i], 1);
	assert_int_equal(place(&t2, cpus, 2, 0, 4, 1, q), TOPO_PLACE_LOCAL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(q[i], 0);
	/* device node unknown: every reactor, round robin from start */
	assert_int_equal(place(&t2, cpus, 2, -1, 3, 1, q),
			 TOPO_PLACE_DEV_UNKNOWN);
	assert_int_equal(q[0], 1);
	assert_int_equal(q[1], 0);
	assert_int_equal(q[2], 1);
}

static void test_place_four_nodes(void **state)
{
	const int cpus[] = { 0, 1, 2, 3 };	/* nodes 0, 0, 1, 1 */
	unsigned int q[3];

	(void)state;
	assert_int_equal(place(&t4, cpus, 4, 1, 3, 0, q), TOPO_PLACE_LOCAL);
	assert_int_equal(q[0], 2);
	assert_int_equal(q[1], 3);
	assert_int_equal(q[2], 2);
	assert_int_equal(place(&t4, cpus, 4, 1, 3, 1, q), TOPO_PLACE_LOCAL);
	assert_int_equal(q[0], 3);
	assert_int_equal(q[1], 2);
	/* node 3 has no reactor: fall back to all of them */
	assert_int_equal(place(&t4, cpus, 4, 3, 3, 2, q), TOPO_PLACE_NO_LOCAL);
	assert_int_equal(q[0], 2);
	assert_int_equal(q[1], 3);
	assert_int_equal(q[2], 0);
}

static void test_place_one_node(void **state)
{
	const int same[] = { 2, 3 }, unpinned[] = { -1, -1 };
	const int mixed[] = { -1, 2, 4 };	/* unknown, node 1, node 2 */
	struct topo none;
	unsigned int q[2];

	(void)state;
	/* both reactors on node 1: today's spreading, whatever the device */
	assert_int_equal(place(&t4, same, 2, 3, 2, 1, q), TOPO_PLACE_ONE_NODE);
	assert_int_equal(q[0], 1);
	assert_int_equal(q[1], 0);
	assert_int_equal(place(&t4, unpinned, 2, 0, 2, 0, q),
			 TOPO_PLACE_ONE_NODE);
	topo_probe("/nonexistent", &none);
	assert_int_equal(place(&none, same, 2, 0, 2, 0, q),
			 TOPO_PLACE_ONE_NODE);
	/* an unpinned reactor belongs to no node, the others still span */
	assert_int_equal(place(&t4, mixed, 3, 2, 2, 0, q), TOPO_PLACE_LOCAL);
	assert_int_equal(q[0], 2);
	assert_int_equal(q[1], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_memory_and_hugepages),
		cmocka_unit_test(test_unknown_host),
		cmocka_unit_test(test_path_node),
		cmocka_unit_test(test_place_two_nodes),
		cmocka_unit_test(test_place_four_nodes),
		cmocka_unit_test(test_place_one_node),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
