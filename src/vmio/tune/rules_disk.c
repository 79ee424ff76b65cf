/* SPDX-License-Identifier: MIT */
/* Disk models and the host page cache: bus, SCSI HBA, cache and AIO
 * modes of each domain disk. */
#include <stdio.h>
#include <string.h>

#include "tune/rules.h"

#define MAX_TARGETS 702

/* Attribute of a disk's <driver>; a newly created <driver> gets
 * name='qemu', which libvirt's QEMU driver expects. */
static void driver_edit(struct tune_finding *f, xmlNodePtr disk,
			const char *attr, const char *val)
{
	if (!dom_child(disk, "driver"))
		edit_set_attr(f, disk, "driver", "name", "qemu");
	edit_set_attr(f, disk, "driver", attr, val);
}

static char *driver_attr(xmlNodePtr disk, const char *attr, char *buf,
			 size_t len)
{
	return dom_attr(dom_child(disk, "driver"), attr, buf, len);
}

static bool target_taken(struct tune_dom *d, const char *dev,
			 char (*extra)[8], int nextra)
{
	xmlNodePtr t[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, "/domain/devices/disk/target", t,
			  DOM_MAX_NODES);

	for (int i = 0; i < n; i++)
		if (dom_attr_is(t[i], "dev", dev))
			return true;
	for (int i = 0; i < nextra; i++)
		if (!strcmp(extra[i], dev))
			return true;
	return false;
}

/* Next unused vdX name; taken holds names handed out in this pass. */
static void next_vd(struct tune_dom *d, char (*taken)[8], int ntaken,
		    char *out)
{
	for (int i = 0; i < 26 * 27; i++) {
		if (i < 26)
			snprintf(out, 8, "vd%c", 'a' + i);
		else
			snprintf(out, 8, "vd%c%c", 'a' + i / 26 - 1,
				 'a' + i % 26);
		if (!target_taken(d, out, taken, ntaken))
			return;
	}
}

static void d01_bus(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL,
			  "/domain/devices/disk[not(@device) or @device='disk']",
			  disks, DOM_MAX_NODES);
	char taken[DOM_MAX_NODES][8];
	int ntaken = 0;

	for (int i = 0; i < n; i++) {
		char bus[32], obj[128], path[256];
		struct tune_finding *f;
		xmlNodePtr addr;

		dom_disk_bus_raw(disks[i], bus, sizeof(bus));
		if (strcmp(bus, "ide") && strcmp(bus, "sata") &&
		    strcmp(bus, "usb"))
			continue;
		next_vd(d, taken, ntaken, taken[ntaken]);
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "emulated %s bus", bus);
		finding_where(f, "%s", dom_path(dom_child(disks[i], "target"),
						"bus", path, sizeof(path)));
		finding_recommend(f, "bus='virtio': an emulated controller traps to QEMU per register access, virtio uses shared rings (guest needs virtio drivers)");
		finding_fix(f, "<target dev='%s' bus='virtio'/> and drop the disk's <address type='drive'/>",
			    taken[ntaken]);
		edit_set_attr(f, disks[i], "target", "bus", "virtio");
		edit_set_attr(f, disks[i], "target", "dev", taken[ntaken]);
		addr = dom_child(disks[i], "address");
		if (addr)
			edit_del_node(f, addr);
		ntaken++;
	}
}

static void d02_blk_or_scsi(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES), nvirtio = 0;
	struct tune_finding *f;
	char obj[128], path[256];

	for (int i = 0; i < n; i++) {
		bool lun = dom_attr_is(disks[i], "device", "lun");
		bool pr = dom_node(d, disks[i], "source/reservations");

		if (!dom_disk_is_virtio(disks[i]))
			continue;
		nvirtio++;
		if (!lun && !pr)
			continue;
		f = tune_find(ctx, TUNE_INFO, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "%s on virtio-blk",
				 lun ? "LUN passthrough (device='lun')" :
				       "persistent reservations");
		finding_where(f, "%s", dom_path(disks[i], NULL, path,
						sizeof(path)));
		finding_recommend(f, "virtio-scsi passes SCSI commands (PR, vendor pages) through; virtio-blk does not");
		finding_fix(f, "<target bus='scsi'/> on a <controller type='scsi' model='virtio-scsi'/>");
	}
	if (nvirtio <= 28)
		return;
	f = tune_find(ctx, TUNE_INFO, "%s", dom_object(d, NULL, obj,
						       sizeof(obj)));
	finding_observed(f, "%d virtio-blk disks", nvirtio);
	finding_where(f, "/domain/devices/disk/target/@bus");
	finding_recommend(f, "virtio-scsi beyond ~28 disks: each virtio-blk disk takes a PCI slot");
	finding_fix(f, "<controller type='scsi' model='virtio-scsi'/> and <target bus='scsi'/>");
}

static void d03_scsi_hba(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr c[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, "/domain/devices/controller[@type='scsi']",
			  c, DOM_MAX_NODES);
	struct tune_finding *f;
	char model[64], obj[128], path[256];

	if (!dom_count(d, NULL, "/domain/devices/disk[target/@bus='scsi']"))
		return;
	for (int i = 0; i < n; i++) {
		if (dom_attr(c[i], "model", model, sizeof(model)) &&
		    !strncmp(model, "virtio", 6))
			continue;
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, c[i], obj, sizeof(obj)));
		finding_observed(f, "SCSI disks on an emulated HBA (model '%s')",
				 dom_attr(c[i], "model", model, sizeof(model)) ?:
					 "default");
		finding_where(f, "%s", dom_path(c[i], "model", path,
						sizeof(path)));
		finding_recommend(f, "model='virtio-scsi': emulated LSI/MegaRAID HBAs trap to QEMU on every command");
		finding_fix(f, "<controller type='scsi' model='virtio-scsi'/>");
		edit_set_attr(f, c[i], NULL, "model", "virtio-scsi");
	}
}

static bool cache_direct(const char *cache)
{
	return cache && (!strcmp(cache, "none") || !strcmp(cache, "directsync"));
}

static void d04_cache(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char cache[32], obj[128], path[256];
		bool have = driver_attr(disks[i], "cache", cache, sizeof(cache));
		bool unsafe = have && !strcmp(cache, "unsafe");
		struct tune_finding *f;

		if (have && cache_direct(cache))
			continue;
		f = tune_find(ctx, unsafe ? TUNE_ERROR : TUNE_WARN, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "cache='%s'%s", have ? cache : "default",
				 have ? "" : " (QEMU uses writeback)");
		finding_where(f, "%s",
			      dom_path_child(disks[i], "driver", "cache", path, sizeof(path)));
		finding_recommend(f, unsafe ?
			"cache='none': 'unsafe' ignores guest flushes, a host crash loses acknowledged writes" :
			"cache='none': O_DIRECT skips the double copy through the host page cache (directsync for write-through)");
		finding_fix(f, "<driver … cache='none'/>");
		driver_edit(f, disks[i], "cache", "none");
	}
}

static void d05_native_buffered(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, "/domain/devices/disk[driver/@io='native']",
			  disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char cache[32] = "default", obj[128], path[256];
		struct tune_finding *f;

		driver_attr(disks[i], "cache", cache, sizeof(cache));
		if (cache_direct(cache))
			continue;
		f = tune_find(ctx, TUNE_ERROR, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "io='native' with cache='%s'", cache);
		finding_where(f, "%s", dom_path(dom_child(disks[i], "driver"),
						"io", path, sizeof(path)));
		finding_recommend(f, "native AIO needs O_DIRECT: libvirt refuses to start this disk without cache='none' or 'directsync'");
		finding_fix(f, "<driver … cache='none' io='native'/>");
		driver_edit(f, disks[i], "cache", "none");
	}
}

static void d06_aio(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL,
			  "/domain/devices/disk[(@type='file' or @type='block') and (not(@device) or @device='disk' or @device='lun')]",
			  disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char io[32], obj[128], path[256];
		bool have = driver_attr(disks[i], "io", io, sizeof(io));
		struct tune_finding *f;

		if (have && strcmp(io, "threads"))
			continue;
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "io='%s'%s", have ? io : "default",
				 have ? "" : " (a thread pool)");
		finding_where(f, "%s",
			      dom_path_child(disks[i], "driver", "io", path, sizeof(path)));
		finding_recommend(f, "io='native' (or 'io_uring' on QEMU >= 5.0): submits from the I/O thread, no pool hand-off per request");
		finding_fix(f, "<driver … cache='none' io='native'/>");
		driver_edit(f, disks[i], "io", "native");
	}
}

static void d33_shareable(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, "/domain/devices/disk[shareable]", disks,
			  DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char cache[32] = "default", obj[128], path[256];
		struct tune_finding *f;

		driver_attr(disks[i], "cache", cache, sizeof(cache));
		if (cache_direct(cache))
			continue;
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "<shareable/> disk with cache='%s'", cache);
		finding_where(f, "%s",
			      dom_path_child(disks[i], "driver", "cache", path, sizeof(path)));
		finding_recommend(f, "cache='none': a host page cache per VM on a shared disk serves stale data to the other VMs");
		finding_fix(f, "<driver … cache='none'/>");
		driver_edit(f, disks[i], "cache", "none");
	}
}

const struct tune_rule tune_rules_disk[] = {
	{ "D01", "disk bus", NULL, d01_bus },
	{ "D02", "virtio-blk vs virtio-scsi", NULL, d02_blk_or_scsi },
	{ "D03", "SCSI controller model", NULL, d03_scsi_hba },
	{ "D04", "disk cache mode", NULL, d04_cache },
	{ "D05", "native AIO without O_DIRECT", NULL, d05_native_buffered },
	{ "D06", "disk AIO mode", NULL, d06_aio },
	{ "D33", "shareable disk cache", NULL, d33_shareable },
	RULES_END,
};
