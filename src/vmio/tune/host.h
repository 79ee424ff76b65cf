/* SPDX-License-Identifier: MIT */
/* Host probes only tune needs: the NICs behind a domain's interfaces.
 * NUMA topology, hugepage pools and block devices come from the shared
 * probes in src/lib/topo (topo/topo.h). All read below a root directory. */
#ifndef VMIO_TUNE_HOST_H
#define VMIO_TUNE_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "topo/cpuset.h"
#include "topo/topo.h"

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
