/* SPDX-License-Identifier: MIT */
/*
 * Where a disk's queues run: on reactors of the node its storage hangs
 * off, when the reactors span nodes. A pure function of the topology, the
 * reactors' CPUs and the device's node, so the rule is tested on fake
 * trees and the daemon only applies its answer.
 */
#ifndef VMIO_TOPO_TOPO_PLACE_H
#define VMIO_TOPO_TOPO_PLACE_H

#include "topo/topo.h"

enum topo_place_rule {
	TOPO_PLACE_ONE_NODE,    /* reactors on one node (or unknown): all */
	TOPO_PLACE_LOCAL,       /* reactors of the device's node only */
	TOPO_PLACE_DEV_UNKNOWN, /* reactors span nodes, device node unknown */
	TOPO_PLACE_NO_LOCAL,    /* reactors span nodes, none on the device's */
};

struct topo_place_in {
	const struct topo *topo;
	const int *reactor_cpus; /* -1: reactor not pinned */
	unsigned int nreactors;
	int dev_node;            /* -1: unknown */
	unsigned int nqueues;
	unsigned int start;      /* rotates successive disks over reactors */
};

/* Fills out[q] with the reactor index of queue q (nqueues entries) and
 * says which rule chose them. With no usable reactor on the device's node
 * every reactor is a candidate, so a disk always gets queues served. */
enum topo_place_rule topo_place_queues(const struct topo_place_in *in,
				       unsigned int *out);
const char *topo_place_rule_name(enum topo_place_rule r);

#endif
