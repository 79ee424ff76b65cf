/* SPDX-License-Identifier: MIT */
/*
 * NUMA placement of vmiod's devices (docs/numa.md), virtio-blk disks and
 * virtio-scsi targets alike: the host topology is read once at start
 * (below --sysfs-root or $VMIO_SYSFS_ROOT, "/" by default); each device's
 * queues go to reactors of its storage's node when the reactors span
 * nodes; each new guest memory table is checked once against the
 * device's storage and reactors, with a warning when they sit on
 * different nodes. Control thread only.
 */
#ifndef VMIOD_PLACEMENT_H
#define VMIOD_PLACEMENT_H

#include <stdbool.h>

#include "engine/reactor.h"
#include "topo/topo_place.h"
#include "vhost/guest_mem.h"

struct placement;

/* Where one device's (a disk's, a scsi target's) queues went, and what
 * it knows of its guest. */
struct queue_place {
	char who[96];          /* "disk vm1", "scsi target t0": its log lines */
	int dev_node;          /* -1: unknown */
	char dev[128];         /* the disks behind the storage ("" for null) */
	char why[256];         /* why dev_node is unknown */
	enum topo_place_rule rule;
	unsigned int nqueues;
	/* Per queue (request queue for scsi): blk_dev_opts.reactors,
	 * scsi_dev_opts.reactors. */
	struct reactor **queue_reactor;
	unsigned int mem_gen;  /* guest memory table last checked */
	bool mem_checked;
	bool mem_located;      /* ... and its node known (and judged) */
};

int placement_create(const char *sysfs_root, struct reactor *const *reactors,
		     unsigned int nreactors, struct placement **out);
void placement_destroy(struct placement *pl);
/* A reactor's node in the topology vmiod reads; -1 when unknown. */
int placement_reactor_node(const struct placement *pl, const struct reactor *r);

/* One backing store of a device: a disk's image, a scsi target's LUN. */
struct place_store {
	const char *name; /* "LUN 1" in reasons; NULL for a disk's one image */
	const char *path; /* image file or /dev path; NULL: null backend */
};

/* The device's node is its stores' node when every store with a device
 * is on one known node; null backends have no device and do not count
 * (only null backends: unknown, "null backend, no device"); stores on
 * different nodes, or one whose node is unknown: unknown, with why.
 * Then picks the reactor of each of nqueues queues (topo_place_queues)
 * and logs the choice under who ("disk vm1", "scsi target t0"); start
 * rotates successive devices. Free dp with queue_place_free. */
int placement_queues(struct placement *pl, const char *who,
		     const struct place_store *stores, unsigned int nstores,
		     unsigned int nqueues, unsigned int start,
		     struct queue_place *dp);
void queue_place_free(struct queue_place *dp);

/* After the front-end's messages, and before the RPC reports placement:
 * logs a new memory table, and once its node is known (pages the guest
 * touched) warns when device, reactors and guest memory are not all on
 * one node. Re-samples only while the node is still unknown; a no-op
 * otherwise. Control thread only (it touches guest memory mappings). */
void placement_check_guest(struct placement *pl, struct queue_place *dp,
			   struct guest_mem *mem);

#endif
