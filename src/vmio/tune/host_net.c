/* SPDX-License-Identifier: MIT */
/* NICs: locality, queues and SR-IOV of the physical ports behind the
 * bridge, bond or device a domain's interface uses. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "tune/host.h"
#include "topo/sysfs.h"

int host_nic_info(const char *root, const char *name, struct host_nic *n)
{
	char dir[TOPO_PATH_MAX], res[TOPO_PATH_MAX], q[256][64];
	int nq;

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(dir, sizeof(dir), "/sys/class/net/%s", name);
	if (!topo_sysfs_exists(root, "%s", dir))
		return -ENOENT;
	n->physical = topo_sysfs_exists(root, "%s/device", dir);
	n->numa = n->physical ? topo_sysfs_numa_node(root, dir) : -1;
	snprintf(res, sizeof(res), "%.4000s/queues", dir);
	nq = topo_sysfs_list(root, res, "rx-", q, 256);
	n->rxq = nq > 0 ? nq : 0;
	if (topo_sysfs_read_long(root, &n->sriov_total,
			    "%s/device/sriov_totalvfs", dir))
		n->sriov_total = 0;
	if (topo_sysfs_read_long(root, &n->sriov_num, "%s/device/sriov_numvfs",
			    dir))
		n->sriov_num = 0;
	if (n->physical &&
	    !topo_sysfs_resolve(root, res, sizeof(res), "%s/device", dir))
		snprintf(n->pci, sizeof(n->pci), "%s", basename(res));
	return 0;
}

int host_nic_list(const char *root, char (*names)[64], int max)
{
	char all[TOPO_MAX_DEVS][64];
	int n = topo_sysfs_list(root, "/sys/class/net", NULL, all, TOPO_MAX_DEVS);
	int k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (topo_sysfs_exists(root, "/sys/class/net/%s/device", all[i]))
			snprintf(names[k++], 64, "%s", all[i]);
	return n < 0 ? n : k;
}

/* Physical ports under name: a bridge's brif/, a bond's lower_* links,
 * recursively; a physical NIC is its own port. */
static int lowers(const char *root, const char *name, char (*names)[64],
		  int max, int n, int depth)
{
	char sub[64][64], dir[TOPO_PATH_MAX];
	int ns;

	if (depth > 4 || n >= max)
		return n;
	if (topo_sysfs_exists(root, "/sys/class/net/%s/device", name)) {
		snprintf(names[n++], 64, "%s", name);
		return n;
	}
	snprintf(dir, sizeof(dir), "/sys/class/net/%s/brif", name);
	ns = topo_sysfs_list(root, dir, NULL, sub, 64);
	if (ns <= 0) {
		snprintf(dir, sizeof(dir), "/sys/class/net/%s", name);
		ns = topo_sysfs_list(root, dir, "lower_", sub, 64);
		for (int i = 0; i < ns; i++)
			memmove(sub[i], sub[i] + 6, 58);
	}
	for (int i = 0; i < ns; i++)
		n = lowers(root, sub[i], names, max, n, depth + 1);
	return n;
}

int host_nic_lowers(const char *root, const char *name, char (*names)[64],
		    int max)
{
	return lowers(root, name, names, max, 0, 0);
}
