/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/host.h"
#include "tune/sysfs.h"

/* Nodes from /sys/devices/system/node/node<N>/cpulist; a host without
 * that directory (containers, !CONFIG_NUMA) is left unknown. */
int host_topo_probe(const char *root, struct host_topo *t)
{
	char names[HOST_MAX_NODES][64], buf[4096];
	int n;

	memset(t, 0, sizeof(*t));
	if (!sysfs_read(root, buf, sizeof(buf),
			"/sys/devices/system/cpu/online"))
		cpuset_parse(&t->online, buf);
	t->ncpus = cpuset_count(&t->online);
	n = sysfs_list(root, "/sys/devices/system/node", "node", names,
		       HOST_MAX_NODES);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char *end;
		long id = strtol(names[i] + 4, &end, 10);

		if (*end || id < 0 || id >= HOST_MAX_NODES)
			continue;
		if (sysfs_read(root, buf, sizeof(buf),
			       "/sys/devices/system/node/%s/cpulist", names[i]))
			continue;
		if (cpuset_parse(&t->node_cpus[id], buf))
			continue;
		cpuset_add(&t->nodes, id);
		t->nnodes++;
	}
	t->known = t->nnodes > 0;
	if (!t->ncpus)
		for (int id = 0; id < HOST_MAX_NODES; id++)
			cpuset_or(&t->online, &t->node_cpus[id]);
	t->ncpus = cpuset_count(&t->online);
	return t->known ? 0 : -ENOENT;
}

void host_nodes_of(const struct host_topo *t, const struct cpuset *cpus,
		   struct cpuset *nodes)
{
	cpuset_zero(nodes);
	for (int id = 0; id < HOST_MAX_NODES; id++)
		if (cpuset_has(&t->nodes, id) &&
		    cpuset_intersects(&t->node_cpus[id], cpus))
			cpuset_add(nodes, id);
}

/* One counter of one pool: node < 0 reads the global pool. */
int host_hp_get(const char *root, int node, long size_kib, const char *what,
		long *val)
{
	if (node < 0)
		return sysfs_read_long(root, val,
				       "/sys/kernel/mm/hugepages/hugepages-%ldkB/%s",
				       size_kib, what);
	return sysfs_read_long(root, val,
			       "/sys/devices/system/node/node%d/hugepages/hugepages-%ldkB/%s",
			       node, size_kib, what);
}

long host_hp_default_kib(const char *root)
{
	char buf[8192], *p;

	if (sysfs_read(root, buf, sizeof(buf), "/proc/meminfo"))
		return 2048;
	p = strstr(buf, "Hugepagesize:");
	return p ? strtol(p + strlen("Hugepagesize:"), NULL, 10) : 2048;
}
