/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo.h"
#include "topo/sysfs.h"

/* "Node 0 MemTotal:       65535 kB" from node<N>/meminfo. */
static long node_mem_kib(const char *root, const char *node)
{
	char buf[4096], *p;

	if (topo_sysfs_read(root, buf, sizeof(buf),
			    "/sys/devices/system/node/%s/meminfo", node))
		return 0;
	p = strstr(buf, "MemTotal:");
	return p ? strtol(p + strlen("MemTotal:"), NULL, 10) : 0;
}

/* Every hugepages-<size>kB pool of one node, smallest size first. */
static void node_hugepages(const char *root, const char *node, int id,
			   struct topo *t)
{
	char names[TOPO_MAX_HP_SIZES][64], dir[128];
	int n;

	snprintf(dir, sizeof(dir), "/sys/devices/system/node/%s/hugepages",
		 node);
	n = topo_sysfs_list(root, dir, "hugepages-", names, TOPO_MAX_HP_SIZES);
	for (int i = 0; i < n; i++) {
		struct topo_hp_pool *p = &t->node_hp[id][t->node_nhp[id]];
		char *end;

		p->size_kib = strtol(names[i] + strlen("hugepages-"), &end, 10);
		if (p->size_kib <= 0 || strcmp(end, "kB"))
			continue;
		if (topo_hp_get(root, id, p->size_kib, "nr_hugepages", &p->nr))
			p->nr = 0;
		if (topo_hp_get(root, id, p->size_kib, "free_hugepages",
				&p->free))
			p->free = 0;
		t->node_nhp[id]++;
	}
}

/* Nodes from /sys/devices/system/node/node<N>/cpulist; a host without
 * that directory (containers, !CONFIG_NUMA) is left unknown. */
int topo_probe(const char *root, struct topo *t)
{
	char names[TOPO_MAX_NODES][64], buf[4096];
	int n;

	memset(t, 0, sizeof(*t));
	if (!topo_sysfs_read(root, buf, sizeof(buf),
			"/sys/devices/system/cpu/online"))
		cpuset_parse(&t->online, buf);
	t->ncpus = cpuset_count(&t->online);
	n = topo_sysfs_list(root, "/sys/devices/system/node", "node", names,
		       TOPO_MAX_NODES);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char *end;
		long id = strtol(names[i] + 4, &end, 10);

		if (*end || id < 0 || id >= TOPO_MAX_NODES)
			continue;
		if (topo_sysfs_read(root, buf, sizeof(buf),
			       "/sys/devices/system/node/%s/cpulist", names[i]))
			continue;
		if (cpuset_parse(&t->node_cpus[id], buf))
			continue;
		cpuset_add(&t->nodes, id);
		t->nnodes++;
		t->node_mem_kib[id] = node_mem_kib(root, names[i]);
		node_hugepages(root, names[i], (int)id, t);
	}
	t->known = t->nnodes > 0;
	if (!t->ncpus)
		for (int id = 0; id < TOPO_MAX_NODES; id++)
			cpuset_or(&t->online, &t->node_cpus[id]);
	t->ncpus = cpuset_count(&t->online);
	return t->known ? 0 : -ENOENT;
}

void topo_nodes_of(const struct topo *t, const struct cpuset *cpus,
		   struct cpuset *nodes)
{
	cpuset_zero(nodes);
	for (int id = 0; id < TOPO_MAX_NODES; id++)
		if (cpuset_has(&t->nodes, id) &&
		    cpuset_intersects(&t->node_cpus[id], cpus))
			cpuset_add(nodes, id);
}

int topo_cpu_node(const struct topo *t, int cpu)
{
	if (cpu < 0 || !t->known)
		return -1;
	for (int id = 0; id < TOPO_MAX_NODES; id++)
		if (cpuset_has(&t->nodes, id) &&
		    cpuset_has(&t->node_cpus[id], (unsigned int)cpu))
			return id;
	return -1;
}

/* One counter of one pool: node < 0 reads the global pool. */
int topo_hp_get(const char *root, int node, long size_kib, const char *what,
		long *val)
{
	if (node < 0)
		return topo_sysfs_read_long(root, val,
				       "/sys/kernel/mm/hugepages/hugepages-%ldkB/%s",
				       size_kib, what);
	return topo_sysfs_read_long(root, val,
			       "/sys/devices/system/node/node%d/hugepages/hugepages-%ldkB/%s",
			       node, size_kib, what);
}

long topo_hp_default_kib(const char *root)
{
	char buf[8192], *p;

	if (topo_sysfs_read(root, buf, sizeof(buf), "/proc/meminfo"))
		return 2048;
	p = strstr(buf, "Hugepagesize:");
	return p ? strtol(p + strlen("Hugepagesize:"), NULL, 10) : 2048;
}
