/* SPDX-License-Identifier: MIT */
#include "topo/topo_place.h"

/* The distinct known nodes of the reactors (what "spans" means). */
static int reactor_nodes(const struct topo *t, const int *cpus,
			 unsigned int n, struct cpuset *nodes)
{
	cpuset_zero(nodes);
	for (unsigned int i = 0; i < n; i++) {
		int node = topo_cpu_node(t, cpus[i]);

		if (node >= 0)
			cpuset_add(nodes, (unsigned int)node);
	}
	return cpuset_count(nodes);
}

static void round_robin(const struct topo_place_in *in, unsigned int *out)
{
	for (unsigned int q = 0; q < in->nqueues; q++)
		out[q] = (in->start + q) % in->nreactors;
}

enum topo_place_rule topo_place_queues(const struct topo_place_in *in,
				       unsigned int *out)
{
	unsigned int local[256], nlocal = 0;
	struct cpuset nodes;

	if (!in->nreactors)
		return TOPO_PLACE_ONE_NODE;
	round_robin(in, out);
	/* With every reactor on one node there is nothing to choose; a
	 * reactor whose node is unknown (not pinned) counts for no node. */
	if (reactor_nodes(in->topo, in->reactor_cpus, in->nreactors,
			  &nodes) < 2)
		return TOPO_PLACE_ONE_NODE;
	if (in->dev_node < 0)
		return TOPO_PLACE_DEV_UNKNOWN;
	for (unsigned int i = 0; i < in->nreactors && nlocal < 256; i++)
		if (topo_cpu_node(in->topo, in->reactor_cpus[i]) == in->dev_node)
			local[nlocal++] = i;
	if (!nlocal)
		return TOPO_PLACE_NO_LOCAL;
	for (unsigned int q = 0; q < in->nqueues; q++)
		out[q] = local[(in->start + q) % nlocal];
	return TOPO_PLACE_LOCAL;
}

const char *topo_place_rule_name(enum topo_place_rule r)
{
	switch (r) {
	case TOPO_PLACE_LOCAL:
		return "device-local reactors";
	case TOPO_PLACE_DEV_UNKNOWN:
		return "all reactors (device node unknown)";
	case TOPO_PLACE_NO_LOCAL:
		return "all reactors (none on the device's node)";
	case TOPO_PLACE_ONE_NODE:
	default:
		return "all reactors (one node)";
	}
}
