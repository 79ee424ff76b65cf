/* SPDX-License-Identifier: MIT */
#include "placement.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo.h"
#include "util/log.h"

struct placement {
	char *root;
	struct topo topo;
	struct reactor **reactors;
	int *cpus;
	unsigned int nreactors;
};

static void log_topology(const struct placement *pl)
{
	const struct topo *t = &pl->topo;

	if (!t->known) {
		log_info("NUMA: no node information under %s; every reactor "
			 "counts as one node", pl->root);
		return;
	}
	for (int n = 0; n < TOPO_MAX_NODES; n++) {
		char cpus[256], hp[256] = "";
		size_t used = 0;

		if (!cpuset_has(&t->nodes, n))
			continue;
		for (int k = 0; k < t->node_nhp[n] && used < sizeof(hp); k++)
			used += snprintf(hp + used, sizeof(hp) - used,
					 " %ldkB:%ld/%ld", t->node_hp[n][k].size_kib,
					 t->node_hp[n][k].free, t->node_hp[n][k].nr);
		log_info("NUMA node %d: cpus %s, %ld MiB, hugepages free/total%s",
			 n, cpuset_format(&t->node_cpus[n], cpus, sizeof(cpus)),
			 t->node_mem_kib[n] / 1024, hp[0] ? hp : " none");
	}
}

int placement_create(const char *sysfs_root, struct reactor *const *reactors,
		     unsigned int nreactors, struct placement **out)
{
	struct placement *pl = calloc(1, sizeof(*pl));
	const char *root = sysfs_root ? sysfs_root : getenv("VMIO_SYSFS_ROOT");

	if (!pl)
		return -ENOMEM;
	pl->root = strdup(root && root[0] ? root : "/");
	pl->reactors = calloc(nreactors ? nreactors : 1, sizeof(*pl->reactors));
	pl->cpus = calloc(nreactors ? nreactors : 1, sizeof(*pl->cpus));
	if (!pl->root || !pl->reactors || !pl->cpus) {
		placement_destroy(pl);
		return -ENOMEM;
	}
	pl->nreactors = nreactors;
	for (unsigned int i = 0; i < nreactors; i++) {
		pl->reactors[i] = reactors[i];
		pl->cpus[i] = reactor_cpu(reactors[i]);
	}
	topo_probe(pl->root, &pl->topo);
	log_topology(pl);
	for (unsigned int i = 0; i < nreactors; i++)
		if (pl->cpus[i] >= 0)
			log_info("reactor %u: cpu %d, NUMA node %d", i, pl->cpus[i],
				 topo_cpu_node(&pl->topo, pl->cpus[i]));
	*out = pl;
	return 0;
}

void placement_destroy(struct placement *pl)
{
	if (!pl)
		return;
	free(pl->root);
	free(pl->reactors);
	free(pl->cpus);
	free(pl);
}

int placement_reactor_node(const struct placement *pl, const struct reactor *r)
{
	return topo_cpu_node(&pl->topo, reactor_cpu(r));
}

static void log_choice(const struct placement *pl, const char *id,
		       const struct disk_place *dp, const unsigned int *q)
{
	char list[512];
	size_t used = 0;

	list[0] = '\0';
	for (unsigned int i = 0; i < dp->nqueues && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s%u", i ? "," : "",
				 q[i]);
	switch (dp->rule) {
	case TOPO_PLACE_LOCAL:
		log_info("disk %s: %s on NUMA node %d: queues on reactors %s "
			 "(node %d)", id, dp->dev, dp->dev_node, list, dp->dev_node);
		break;
	case TOPO_PLACE_DEV_UNKNOWN:
		log_info("disk %s: NUMA node of its device unknown (%s); "
			 "queues on reactors %s of every node", id,
			 dp->why[0] ? dp->why : "no device", list);
		break;
	case TOPO_PLACE_NO_LOCAL:
		log_warn("disk %s: %s is on NUMA node %d but no reactor is; "
			 "queues on reactors %s of other nodes (give --cpus a "
			 "CPU of node %d)", id, dp->dev, dp->dev_node, list,
			 dp->dev_node);
		break;
	case TOPO_PLACE_ONE_NODE:
	default:
		log_debug("disk %s: device node %d, reactors on one node: "
			  "queues on reactors %s", id, dp->dev_node, list);
		break;
	}
}

int placement_disk(struct placement *pl, const char *id, const char *path,
		   unsigned int nqueues, unsigned int start,
		   struct disk_place *dp)
{
	struct topo_place_in in = {
		.topo = &pl->topo, .reactor_cpus = pl->cpus,
		.nreactors = pl->nreactors, .nqueues = nqueues, .start = start,
	};
	unsigned int *q;

	memset(dp, 0, sizeof(*dp));
	dp->dev_node = -1;
	if (path)
		dp->dev_node = topo_path_node(pl->root, path, dp->dev,
					      sizeof(dp->dev), dp->why,
					      sizeof(dp->why));
	else
		snprintf(dp->why, sizeof(dp->why), "null backend, no device");
	in.dev_node = dp->dev_node;
	q = calloc(nqueues, sizeof(*q));
	dp->queue_reactor = calloc(nqueues, sizeof(*dp->queue_reactor));
	if (!q || !dp->queue_reactor) {
		free(q);
		disk_place_free(dp);
		return -ENOMEM;
	}
	dp->nqueues = nqueues;
	dp->rule = topo_place_queues(&in, q);
	for (unsigned int i = 0; i < nqueues; i++)
		dp->queue_reactor[i] = pl->reactors[q[i]];
	log_choice(pl, id, dp, q);
	free(q);
	return 0;
}

void disk_place_free(struct disk_place *dp)
{
	free(dp->queue_reactor);
	dp->queue_reactor = NULL;
	dp->nqueues = 0;
}

static char *nodes_str(uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int n = 0; n < 64 && used < len; n++)
		if (mask & (1ull << n))
			used += snprintf(buf + used, len - used, "%s%d",
					 used ? "," : "", n);
	if (!used)
		snprintf(buf, len, "?");
	return buf;
}

void placement_check_guest(struct placement *pl, const char *id,
			   struct disk_place *dp, struct guest_mem *mem)
{
	char dev[16], re[256], gm[256], hp[96];
	struct guest_mem_summary s;
	uint64_t reactor_nodes = 0, all;

	if (!mem->nregions ||
	    (dp->mem_checked && dp->mem_gen == mem->gen && dp->mem_located))
		return;
	if (!dp->mem_checked || dp->mem_gen != mem->gen) {
		dp->mem_checked = true;
		dp->mem_gen = mem->gen;
		dp->mem_located = false;
		guest_mem_summary(mem, &s);
		if (s.huge_page_size)
			snprintf(hp, sizeof(hp), "on %llu kB hugepages%s",
				 (unsigned long long)(s.huge_page_size >> 10),
				 s.huge_aligned ? "" :
				 " (regions not hugepage-aligned)");
		else
			snprintf(hp, sizeof(hp), "not on hugepages");
		log_info("disk %s: guest memory %llu MiB in %u region%s, %s",
			 id, (unsigned long long)(s.bytes >> 20), s.nregions,
			 s.nregions == 1 ? "" : "s", hp);
	} else {
		/* Pages the guest (or its I/O) touched since have a node. */
		guest_mem_locate(mem);
	}
	guest_mem_summary(mem, &s);
	if (!s.nodes)
		return; /* nothing touched yet: asked again later */
	dp->mem_located = true;
	log_info("disk %s: guest memory on NUMA node%s %s", id,
		 __builtin_popcountll(s.nodes) == 1 ? "" : "s",
		 nodes_str(s.nodes, gm, sizeof(gm)));
	for (unsigned int i = 0; i < dp->nqueues; i++) {
		int n = placement_reactor_node(pl, dp->queue_reactor[i]);

		if (n >= 0 && n < 64)
			reactor_nodes |= 1ull << n;
	}
	all = s.nodes | reactor_nodes;
	if (dp->dev_node >= 0 && dp->dev_node < 64)
		all |= 1ull << dp->dev_node;
	if (__builtin_popcountll(all) <= 1)
		return;
	snprintf(dev, sizeof(dev), "%d", dp->dev_node);
	log_warn("disk %s: device on NUMA node %s, its reactors on %s, guest "
		 "memory on %s: I/O crosses nodes (bind the guest's memory and "
		 "vmiod's --cpus to the device's node)", id,
		 dp->dev_node >= 0 ? dev : "?",
		 nodes_str(reactor_nodes, re, sizeof(re)),
		 nodes_str(s.nodes, gm, sizeof(gm)));
}
