/* SPDX-License-Identifier: MIT */
/* Host NICs: locality against the domains that use them, SR-IOV,
 * channel count and interrupt placement. */
#include <stdio.h>
#include <string.h>

#include "tune/rules.h"
#include "topo/sysfs.h"

#define MAX_PORTS 16

/* Physical ports (or a PCI function) behind one <interface>; returns
 * the number of ports, 0 when the type has none to look at here. */
static int iface_ports(struct tune_ctx *ctx, xmlNodePtr ifc,
		       char (*ports)[64], int *pci_node, char *why,
		       size_t whylen)
{
	xmlNodePtr src = dom_child(ifc, "source"), a;
	char type[32] = "", dev[64], bdf[64];
	long node;

	*pci_node = -2;
	dom_attr(ifc, "type", type, sizeof(type));
	if (!strcmp(type, "direct") && dom_attr(src, "dev", dev, sizeof(dev)))
		return host_nic_lowers(ctx->root, dev, ports, MAX_PORTS);
	if (!strcmp(type, "bridge") &&
	    dom_attr(src, "bridge", dev, sizeof(dev)))
		return host_nic_lowers(ctx->root, dev, ports, MAX_PORTS);
	a = dom_child(src, "address");
	if (!strcmp(type, "hostdev") && a) {
		char dm[16] = "0x0000", b[16] = "0", s[16] = "0", f[16] = "0";

		dom_attr(a, "domain", dm, sizeof(dm));
		dom_attr(a, "bus", b, sizeof(b));
		dom_attr(a, "slot", s, sizeof(s));
		dom_attr(a, "function", f, sizeof(f));
		snprintf(bdf, sizeof(bdf), "%04lx:%02lx:%02lx.%lx",
			 strtol(dm, NULL, 0), strtol(b, NULL, 0),
			 strtol(s, NULL, 0), strtol(f, NULL, 0));
		if (!topo_sysfs_read_long(ctx->root, &node,
				     "/sys/bus/pci/devices/%s/numa_node", bdf))
			*pci_node = node;
		snprintf(ports[0], 64, "%s", bdf);
		return 1;
	}
	if (!strcmp(type, "network"))
		snprintf(why, whylen,
			 "type='network': its host port is defined by the libvirt network, not in the domain");
	else
		why[0] = '\0';
	return 0;
}

static void h17_nic_numa(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr ifs[DOM_MAX_NODES];
	struct cpuset nodes;
	int n;

	if (!tune_dom_nodes(ctx, d, &nodes))
		return;
	n = dom_nodes(d, NULL, "/domain/devices/interface", ifs, DOM_MAX_NODES);
	for (int i = 0; i < n; i++) {
		char ports[MAX_PORTS][64], why[256], obj[256], nl[64];
		char path[256], cpus[256];
		struct tune_finding *f;
		int np, pci_node;

		np = iface_ports(ctx, ifs[i], ports, &pci_node, why,
				 sizeof(why));
		dom_object(d, ifs[i], obj, sizeof(obj));
		if (!np && why[0])
			tune_skip(ctx, obj, "%s", why);
		for (int k = 0; k < np; k++) {
			struct host_nic nic;
			int node = pci_node;

			if (node == -2)
				node = host_nic_info(ctx->root, ports[k], &nic)
					       ? -1
					       : nic.numa;
			if (node < 0 || cpuset_has(&nodes, node))
				continue;
			f = tune_find(ctx, TUNE_WARN, "%s", obj);
			finding_observed(f, "host port %s is on NUMA node %d; vCPUs run on node(s) %s",
					 ports[k], node,
					 cpuset_format(&nodes, nl, sizeof(nl)));
			finding_where(f, "%s vs /sys/class/net/%s/device/numa_node",
				      dom_path(ifs[i], NULL, path, sizeof(path)),
				      ports[k]);
			finding_recommend(f, "keep guest, vhost thread and NIC on one node: remote DMA and interrupts cost every packet");
			finding_fix(f, "<vcpupin … cpuset='%s'/> and <numatune><memory mode='strict' nodeset='%d'/></numatune>, or use a port on node(s) %s",
				    cpuset_format(&ctx->topo.node_cpus[node],
						  cpus, sizeof(cpus)),
				    node, nl);
		}
	}
}

static void h18_sriov(struct tune_ctx *ctx)
{
	char nics[TOPO_MAX_DEVS][64];
	int n = host_nic_list(ctx->root, nics, TOPO_MAX_DEVS);
	struct tune_finding *f;
	struct host_nic nic;

	for (int i = 0; i < n; i++) {
		if (host_nic_info(ctx->root, nics[i], &nic) ||
		    nic.sriov_total <= 0 || nic.sriov_num > 0)
			continue;
		f = tune_find(ctx, TUNE_INFO, "host nic %s", nic.name);
		finding_observed(f, "SR-IOV capable (%ld VFs) with none enabled",
				 nic.sriov_total);
		finding_where(f, "/sys/class/net/%s/device/sriov_{totalvfs,numvfs}",
			      nic.name);
		finding_recommend(f, "a VF per busy guest (<interface type='hostdev'>) bypasses the host network stack; needs the IOMMU (H03/H04)");
		finding_fix(f, "echo %ld > /sys/class/net/%s/device/sriov_numvfs",
			    nic.sriov_total < 8 ? nic.sriov_total : 8, nic.name);
	}
}

static void h19_channels(struct tune_ctx *ctx)
{
	char nics[TOPO_MAX_DEVS][64];
	int n = host_nic_list(ctx->root, nics, TOPO_MAX_DEVS);
	struct tune_finding *f;
	struct host_nic nic;

	for (int i = 0; i < n; i++) {
		int cpus;

		if (host_nic_info(ctx->root, nics[i], &nic) || !nic.rxq)
			continue;
		cpus = nic.numa >= 0 && ctx->topo.known
			       ? cpuset_count(&ctx->topo.node_cpus[nic.numa])
			       : ctx->topo.ncpus;
		if (nic.rxq * 2 >= cpus)
			continue;
		f = tune_find(ctx, TUNE_INFO, "host nic %s", nic.name);
		finding_observed(f, "%d RX queue(s) for %d CPUs on its node (fewer than half)",
				 nic.rxq, cpus);
		finding_where(f, "/sys/class/net/%s/queues/rx-*", nic.name);
		finding_recommend(f, "channels near the node's CPU count spread packet work over cores (if the NIC has that many)");
		finding_fix(f, "ethtool -L %s combined %d   # ethtool -l %s shows the maximum",
			    nic.name, cpus, nic.name);
	}
}

static void nic_irqs(struct tune_ctx *ctx, const char *nic,
		     struct cpuset *aff, char *first, size_t len)
{
	char irqs[256][64], dir[TOPO_PATH_MAX], buf[1024];
	int n;

	cpuset_zero(aff);
	first[0] = '\0';
	snprintf(dir, sizeof(dir), "/sys/class/net/%.64s/device/msi_irqs", nic);
	n = topo_sysfs_list(ctx->root, dir, NULL, irqs, 256);
	for (int i = 0; i < n; i++) {
		struct cpuset s;

		if (topo_sysfs_read(ctx->root, buf, sizeof(buf),
			       "/proc/irq/%s/effective_affinity_list",
			       irqs[i]) &&
		    topo_sysfs_read(ctx->root, buf, sizeof(buf),
			       "/proc/irq/%s/smp_affinity_list", irqs[i]))
			continue;
		if (cpuset_parse(&s, buf))
			continue;
		cpuset_or(aff, &s);
		if (!first[0])
			snprintf(first, len, "%.63s", irqs[i]);
	}
}

static void h20_irqs(struct tune_ctx *ctx)
{
	char nics[TOPO_MAX_DEVS][64], first[64], l1[256], l2[256];
	struct cpuset pinned, aff, hk;
	int n = host_nic_list(ctx->root, nics, TOPO_MAX_DEVS);
	struct tune_finding *f;

	cpuset_zero(&pinned);
	for (struct tune_dom *d = ctx->doms; d; d = d->next)
		if (d->pinned)
			cpuset_or(&pinned, &d->pins);
	if (!cpuset_count(&pinned))
		return;
	hk = ctx->topo.online;
	cpuset_andnot(&hk, &pinned);
	for (int i = 0; i < n; i++) {
		nic_irqs(ctx, nics[i], &aff, first, sizeof(first));
		cpuset_and(&aff, &pinned);
		if (!cpuset_count(&aff))
			continue;
		f = tune_find(ctx, TUNE_WARN, "host nic %s", nics[i]);
		finding_observed(f, "interrupts (e.g. IRQ %s) land on CPUs %s, which run pinned vCPUs",
				 first, cpuset_format(&aff, l1, sizeof(l1)));
		finding_where(f, "/sys/class/net/%s/device/msi_irqs/, /proc/irq/%s/effective_affinity_list",
			      nics[i], first);
		finding_recommend(f, "steer device interrupts to housekeeping CPUs: each one preempts a vCPU");
		finding_fix(f, "echo %s > /proc/irq/<n>/smp_affinity_list for each; IRQBALANCE_BANNED_CPULIST=%s in /etc/default/irqbalance",
			    cpuset_format(&hk, l2, sizeof(l2)),
			    cpuset_format(&pinned, l1, sizeof(l1)));
	}
}

const struct tune_rule tune_rules_nic[] = {
	{ "H17", "NIC NUMA locality", NULL, h17_nic_numa },
	{ "H18", "SR-IOV capability", h18_sriov, NULL },
	{ "H19", "NIC channels", h19_channels, NULL },
	{ "H20", "device IRQs vs pinned vCPUs", h20_irqs, NULL },
	RULES_END,
};
