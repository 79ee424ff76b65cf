/* SPDX-License-Identifier: MIT */
/*
 * The host's NUMA topology as sysfs shows it: nodes, their CPUs, memory
 * and hugepage pools, and which node a block device (or the disks behind
 * an image file) hangs off. Everything is read below a root directory
 * (see sysfs.h), so the daemon, the tune advisor and the tests share one
 * set of probes and the tests can run them on fake 2- and 4-node trees.
 */
#ifndef VMIO_TOPO_TOPO_H
#define VMIO_TOPO_TOPO_H

#include <stdbool.h>
#include <stddef.h>

#include "topo/cpuset.h"

#define TOPO_MAX_NODES 64
#define TOPO_MAX_DEVS 256
#define TOPO_MAX_HP_SIZES 4

/* One hugepage pool of one node (or of the whole host). */
struct topo_hp_pool {
	long size_kib; /* 2048, 1048576, ... */
	long nr;       /* nr_hugepages */
	long free;     /* free_hugepages */
};

struct topo {
	bool known;    /* false: no node directory (container, !CONFIG_NUMA) */
	int nnodes;
	struct cpuset nodes;
	struct cpuset node_cpus[TOPO_MAX_NODES];
	long node_mem_kib[TOPO_MAX_NODES];  /* MemTotal; 0 when unreadable */
	struct topo_hp_pool node_hp[TOPO_MAX_NODES][TOPO_MAX_HP_SIZES];
	int node_nhp[TOPO_MAX_NODES];
	struct cpuset online;
	int ncpus;
};

/* 0, or -ENOENT when the host shows no NUMA nodes (t->known false; the
 * online CPUs are still filled in). */
int topo_probe(const char *root, struct topo *t);
/* The nodes holding any CPU of cpus. */
void topo_nodes_of(const struct topo *t, const struct cpuset *cpus,
		   struct cpuset *nodes);
/* The node of one CPU; -1 when unknown (or cpu < 0: not pinned). */
int topo_cpu_node(const struct topo *t, int cpu);

/* One counter of one hugepage pool: node < 0 reads the global pool. */
int topo_hp_get(const char *root, int node, long size_kib, const char *what,
		long *val);
long topo_hp_default_kib(const char *root);

struct topo_bdev {
	char name[64];
	bool nvme;
	long rotational;
	char sched[32];
	int nr_hwq;
	int numa;
};

/* Physical disks (loop, dm, md, optical left out). */
int topo_bdev_list(const char *root, char (*names)[64], int max);
int topo_bdev_info(const char *root, const char *name, struct topo_bdev *b);
/* Physical disks behind a file or /dev path, through partitions, dm and
 * md; returns how many, or -errno with why saying what stopped it. */
int topo_bdev_leaves(const char *root, const char *path, char (*names)[64],
		     int max, char *why, size_t whylen);

/* The node of the storage behind path (an image file or a /dev path):
 * the node of its physical disks when they agree. -1 when unknown, with
 * why saying why (not a block device, disks on several nodes, a device
 * the kernel gives no node); dev names the disk(s) either way. */
int topo_path_node(const char *root, const char *path, char *dev,
		   size_t devlen, char *why, size_t whylen);

#endif
