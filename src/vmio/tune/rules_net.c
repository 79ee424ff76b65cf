/* SPDX-License-Identifier: MIT */
/* Guest NICs: model, vhost, queues; device passthrough against the
 * host IOMMU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/rules.h"
#include "topo/sysfs.h"

#define XP_EMULATED_IF "/domain/devices/interface[not(@type='hostdev')]"

static bool iface_virtio(xmlNodePtr ifc)
{
	char m[64];

	return dom_attr(dom_child(ifc, "model"), "type", m, sizeof(m)) &&
	       !strncmp(m, "virtio", 6);
}

static void d22_model(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr ifs[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, XP_EMULATED_IF, ifs, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char m[64], obj[128], path[256];
		struct tune_finding *f;

		if (iface_virtio(ifs[i]))
			continue;
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, ifs[i], obj, sizeof(obj)));
		finding_observed(f, "NIC model '%s'",
				 dom_attr(dom_child(ifs[i], "model"), "type", m,
					  sizeof(m)) ?: "default (emulated)");
		finding_where(f, "%s", dom_path_child(ifs[i], "model", "type", path, sizeof(path)));
		finding_recommend(f, "model type='virtio': emulated e1000/rtl8139 trap to QEMU per packet and get no vhost");
		finding_fix(f, "<model type='virtio'/>");
		edit_set_attr(f, ifs[i], "model", "type", "virtio");
	}
}

static void d23_vhost(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr ifs[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL,
			  "/domain/devices/interface[driver/@name='qemu']", ifs,
			  DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char obj[128], path[256];
		struct tune_finding *f;

		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, ifs[i], obj, sizeof(obj)));
		finding_observed(f, "driver name='qemu': vhost-net is off");
		finding_where(f, "%s", dom_path(dom_child(ifs[i], "driver"),
						"name", path, sizeof(path)));
		finding_recommend(f, "vhost (the default): packets move in the host kernel, not in QEMU (keep qemu only for the host-to-guest UDP flood case)");
		finding_fix(f, "remove name='qemu' from <driver> (or name='vhost')");
		edit_del_attr(f, ifs[i], "driver", "name");
	}
}

static void set_queues(struct tune_finding *f, xmlNodePtr ifc, int q)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", q);
	finding_fix(f, "<driver queues='%d'/>", q);
	edit_set_attr(f, ifc, "driver", "queues", val);
}

static void d24_single_queue(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr ifs[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, XP_EMULATED_IF, ifs, DOM_MAX_NODES);
	int want = d->vcpus < 256 ? d->vcpus : 256;

	if (d->vcpus < 2)
		return;
	for (int i = 0; i < n; i++) {
		char q[16], obj[128], path[256];
		struct tune_finding *f;

		if (dom_attr(dom_child(ifs[i], "driver"), "queues", q,
			     sizeof(q)) &&
		    atoi(q) > 1)
			continue;
		f = tune_find(ctx, d->vcpus >= 4 ? TUNE_WARN : TUNE_INFO, "%s",
			      dom_object(d, ifs[i], obj, sizeof(obj)));
		finding_observed(f, "one queue pair for %d vCPUs", d->vcpus);
		finding_where(f, "%s", dom_path_child(ifs[i], "driver", "queues", path, sizeof(path)));
		finding_recommend(f, "multiqueue, queues = vCPUs: packet processing scales over vCPUs and vhost threads");
		set_queues(f, ifs[i], want);
	}
}

static void d25_too_many_queues(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr ifs[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, "/domain/devices/interface[driver/@queues]",
			  ifs, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char q[16], obj[128], path[256];
		struct tune_finding *f;

		dom_attr(dom_child(ifs[i], "driver"), "queues", q, sizeof(q));
		if (atoi(q) <= d->vcpus)
			continue;
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, ifs[i], obj, sizeof(obj)));
		finding_observed(f, "queues='%s' for %d vCPUs", q, d->vcpus);
		finding_where(f, "%s", dom_path(dom_child(ifs[i], "driver"),
						"queues", path, sizeof(path)));
		finding_recommend(f, "at most one queue per vCPU: extra queues cost MSI-X vectors and ring memory, no throughput");
		set_queues(f, ifs[i], d->vcpus);
	}
}

static void d32_hostdev_iommu(struct tune_ctx *ctx, struct tune_dom *d)
{
	static const char *const tables[] = { "DMAR", "IVRS", "IORT" };
	char groups[1][64], obj[128];
	struct tune_finding *f;
	bool fw = false;

	if (!tune_uses_hostdev(d))
		return;
	for (size_t i = 0; i < 3; i++)
		fw |= topo_sysfs_exists(ctx->root, "/sys/firmware/acpi/tables/%s",
				   tables[i]);
	if (fw && topo_sysfs_list(ctx->root, "/sys/kernel/iommu_groups", NULL,
			     groups, 1) > 0)
		return;
	f = tune_find(ctx, TUNE_ERROR, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "passes a device through but the host IOMMU is %s",
			 fw ? "not enabled in the kernel" : "absent in firmware");
	finding_where(f, "/domain/devices/hostdev vs /sys/kernel/iommu_groups, /sys/firmware/acpi/tables");
	finding_recommend(f, "VFIO needs an active IOMMU: the domain will not start");
	finding_fix(f, "%s", fw ? "kernel command line: intel_iommu=on iommu=pt (or amd_iommu=on); reboot" :
				  "enable VT-d/AMD-Vi in firmware, then intel_iommu=on iommu=pt; reboot");
}

const struct tune_rule tune_rules_net[] = {
	{ "D22", "NIC model", NULL, d22_model },
	{ "D23", "vhost-net backend", NULL, d23_vhost },
	{ "D24", "virtio-net multiqueue", NULL, d24_single_queue },
	{ "D25", "virtio-net queues vs vCPUs", NULL, d25_too_many_queues },
	{ "D32", "passthrough without IOMMU", NULL, d32_hostdev_iommu },
	RULES_END,
};
