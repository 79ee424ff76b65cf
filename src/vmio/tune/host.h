/* SPDX-License-Identifier: MIT */
/* Host probes: NUMA topology, hugepage pools, block devices behind an
 * image, NICs. All read below a root directory (see sysfs.h). */
#ifndef VMIO_TUNE_HOST_H
#define VMIO_TUNE_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "tune/cpuset.h"

#define HOST_MAX_NODES 64
#define HOST_MAX_DEVS 256

struct host_topo {
	bool known;
	int nnodes;
	struct cpuset nodes;
	struct cpuset node_cpus[HOST_MAX_NODES];
	struct cpuset online;
	int ncpus;
};

int host_topo_probe(const char *root, struct host_topo *t);
void host_nodes_of(const struct host_topo *t, const struct cpuset *cpus,
		   struct cpuset *nodes);

int host_hp_get(const char *root, int node, long size_kib, const char *what,
		long *val);
long host_hp_default_kib(const char *root);

struct host_bdev {
	char name[64];
	bool nvme;
	long rotational;
	char sched[32];
	int nr_hwq;
	int numa;
};

int host_bdev_list(const char *root, char (*names)[64], int max);
int host_bdev_info(const char *root, const char *name, struct host_bdev *b);
int host_bdev_leaves(const char *root, const char *path, char (*names)[64],
		     int max, char *why, size_t whylen);

struct host_nic {
	char name[64];
	bool physical;
	int numa;
	int rxq;
	long sriov_total;
	long sriov_num;
	char pci[64];
};

int host_nic_info(const char *root, const char *name, struct host_nic *n);
int host_nic_list(const char *root, char (*names)[64], int max);
int host_nic_lowers(const char *root, const char *name, char (*names)[64],
		    int max);

#endif
