/* SPDX-License-Identifier: MIT */
/*
 * NUMA placement of vmiod's disks (docs/numa.md): the host topology is
 * read once at start (below --sysfs-root or $VMIO_SYSFS_ROOT, "/" by
 * default); each disk's queues go to reactors of its device's node when
 * the reactors span nodes; each new guest memory table is checked once
 * against the disk's device and reactors, with a warning when they sit
 * on different nodes. Control thread only.
 */
#ifndef VMIOD_PLACEMENT_H
#define VMIOD_PLACEMENT_H

#include <stdbool.h>

#include "engine/reactor.h"
#include "topo/topo_place.h"
#include "vhost/guest_mem.h"

struct placement;

/* Where one disk's queues went, and what it knows of its guest. */
struct disk_place {
	int dev_node;          /* -1: unknown */
	char dev[128];         /* the disks behind the image ("" for null) */
	char why[256];         /* why dev_node is unknown */
	enum topo_place_rule rule;
	unsigned int nqueues;
	struct reactor **queue_reactor; /* per queue: blk_dev_opts.reactors */
	unsigned int mem_gen;  /* guest memory table last checked */
	bool mem_checked;
	bool mem_located;      /* ... and its node known (and judged) */
};

int placement_create(const char *sysfs_root, struct reactor *const *reactors,
		     unsigned int nreactors, struct placement **out);
void placement_destroy(struct placement *pl);
/* A reactor's node in the topology vmiod reads; -1 when unknown. */
int placement_reactor_node(const struct placement *pl, const struct reactor *r);

/* Picks the reactor of each queue for a disk on path (NULL: no device,
 * the null backend) and logs the choice; start rotates successive disks.
 * Free dp with disk_place_free. */
int placement_disk(struct placement *pl, const char *id, const char *path,
		   unsigned int nqueues, unsigned int start,
		   struct disk_place *dp);
void disk_place_free(struct disk_place *dp);

/* After the front-end's messages, and before the RPC reports placement:
 * logs a new memory table, and once its node is known (pages the guest
 * touched) warns when device, reactors and guest memory are not all on
 * one node. Re-samples only while the node is still unknown; a no-op
 * otherwise. Control thread only (it touches guest memory mappings). */
void placement_check_guest(struct placement *pl, const char *id,
			   struct disk_place *dp, struct guest_mem *mem);

#endif
