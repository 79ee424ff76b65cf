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

static void log_choice(const struct queue_place *dp, const unsigned int *q)
{
	char list[512];
	size_t used = 0;

	list[0] = '\0';
	for (unsigned int i = 0; i < dp->nqueues && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s%u", i ? "," : "",
				 q[i]);
	switch (dp->rule) {
	case TOPO_PLACE_LOCAL:
		log_info("%s: %s on NUMA node %d: queues on reactors %s "
			 "(node %d)", dp->who, dp->dev, dp->dev_node, list,
			 dp->dev_node);
		break;
	case TOPO_PLACE_DEV_UNKNOWN:
		log_info("%s: NUMA node of its device unknown (%s); "
			 "queues on reactors %s of every node", dp->who,
			 dp->why[0] ? dp->why : "no device", list);
		break;
	case TOPO_PLACE_NO_LOCAL:
		log_warn("%s: %s is on NUMA node %d but no reactor is; "
			 "queues on reactors %s of other nodes (give --cpus a "
			 "CPU of node %d)", dp->who, dp->dev, dp->dev_node, list,
			 dp->dev_node);
		break;
	case TOPO_PLACE_ONE_NODE:
	default:
		log_debug("%s: device node %d, reactors on one node: "
			  "queues on reactors %s", dp->who, dp->dev_node, list);
		break;
	}
}

/* Adds each comma-separated name of devs to list unless it is there. */
static void add_devs(char *list, size_t len, const char *devs)
{
	char copy[128], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", devs);
	for (char *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		size_t used = strlen(list), n = strlen(d);
		bool have = false;

		for (const char *p = list; (p = strstr(p, d)); p += n)
			if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
				have = true;
		if (!have && used < len)
			snprintf(list + used, len - used, "%s%s", used ? "," : "", d);
	}
}

/* The node of the stores' devices (the rule in placement.h). */
static void stores_node(const struct placement *pl,
			const struct place_store *st, unsigned int n,
			struct queue_place *dp)
{
	const struct place_store *first = NULL;
	char first_dev[128] = "";
	int node = -1;

	dp->dev_node = -1;
	for (unsigned int i = 0; i < n; i++) {
		char dev[128], why[200];
		int nd;

		if (!st[i].path)
			continue;
		nd = topo_path_node(pl->root, st[i].path, dev, sizeof(dev), why,
				    sizeof(why));
		add_devs(dp->dev, sizeof(dp->dev), dev);
		if (dp->why[0])
			continue; /* unknown already; the first reason stays */
		if (nd < 0) {
			if (st[i].name)
				snprintf(dp->why, sizeof(dp->why), "%s: %s",
					 st[i].name, why);
			else
				snprintf(dp->why, sizeof(dp->why), "%s", why);
		} else if (!first) {
			first = &st[i];
			node = nd;
			snprintf(first_dev, sizeof(first_dev), "%s", dev);
		} else if (nd != node) {
			snprintf(dp->why, sizeof(dp->why), "%s is on node %d (%s), "
				 "%s on node %d (%s)",
				 first->name ? first->name : first->path, node,
				 first_dev, st[i].name ? st[i].name : st[i].path,
				 nd, dev);
		}
	}
	if (!first && !dp->why[0])
		snprintf(dp->why, sizeof(dp->why), "null backend, no device");
	else if (!dp->why[0])
		dp->dev_node = node;
}

int placement_queues(struct placement *pl, const char *who,
		     const struct place_store *stores, unsigned int nstores,
		     unsigned int nqueues, unsigned int start,
		     struct queue_place *dp)
{
	struct topo_place_in in = {
		.topo = &pl->topo, .reactor_cpus = pl->cpus,
		.nreactors = pl->nreactors, .nqueues = nqueues, .start = start,
	};
	unsigned int *q;

	memset(dp, 0, sizeof(*dp));
	snprintf(dp->who, sizeof(dp->who), "%s", who);
	stores_node(pl, stores, nstores, dp);
	in.dev_node = dp->dev_node;
	q = calloc(nqueues ? nqueues : 1, sizeof(*q));
	dp->queue_reactor = calloc(nqueues ? nqueues : 1,
				   sizeof(*dp->queue_reactor));
	if (!q || !dp->queue_reactor) {
		free(q);
		queue_place_free(dp);
		return -ENOMEM;
	}
	dp->nqueues = nqueues;
	dp->rule = topo_place_queues(&in, q);
	for (unsigned int i = 0; i < nqueues; i++)
		dp->queue_reactor[i] = pl->reactors[q[i]];
	log_choice(dp, q);
	free(q);
	return 0;
}

void queue_place_free(struct queue_place *dp)
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

void placement_check_guest(struct placement *pl, struct queue_place *dp,
			   struct guest_mem *mem)
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
		/* A small front-end (vmio bench) maps less than a MiB. */
		log_info("%s: guest memory %llu %s in %u region%s, %s",
			 dp->who, (unsigned long long)(s.bytes >= (1 << 20) ?
						       s.bytes >> 20 : s.bytes >> 10),
			 s.bytes >= (1 << 20) ? "MiB" : "KiB", s.nregions,
			 s.nregions == 1 ? "" : "s", hp);
	} else {
		/* Pages the guest (or its I/O) touched since have a node. */
		guest_mem_locate(mem);
	}
	guest_mem_summary(mem, &s);
	if (!s.nodes)
		return; /* nothing touched yet: asked again later */
	dp->mem_located = true;
	log_info("%s: guest memory on NUMA node%s %s", dp->who,
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
	log_warn("%s: device on NUMA node %s, its reactors on %s, guest "
		 "memory on %s: I/O crosses nodes (bind the guest's memory and "
		 "vmiod's --cpus to the device's node)", dp->who,
		 dp->dev_node >= 0 ? dev : "?",
		 nodes_str(reactor_nodes, re, sizeof(re)),
		 nodes_str(s.nodes, gm, sizeof(gm)));
}
