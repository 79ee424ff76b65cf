/* SPDX-License-Identifier: MIT */
/* Image formats and what sits under them: discard, zero detection,
 * qcow2 format cost, L2 cache size and backing-chain depth. */
#include <stdio.h>
#include <string.h>

#include "tune/image.h"
#include "tune/rules.h"
#include "topo/sysfs.h"

#define GIB (1024ULL * 1024 * 1024)

static char *driver_attr(xmlNodePtr disk, const char *attr, char *buf,
			 size_t len)
{
	return dom_attr(dom_child(disk, "driver"), attr, buf, len);
}

static bool is_qcow2(xmlNodePtr disk)
{
	return dom_attr_is(dom_child(disk, "driver"), "type", "qcow2");
}

/* Thin storage: qcow2, RBD, or a block source on device-mapper (LVM). */
static const char *thin_kind(struct tune_ctx *ctx, xmlNodePtr disk)
{
	char src[4096], real[TOPO_PATH_MAX];
	xmlNodePtr s = dom_child(disk, "source");

	if (is_qcow2(disk))
		return "qcow2 image";
	if (dom_attr_is(s, "protocol", "rbd"))
		return "RBD volume";
	if (!dom_attr_is(disk, "type", "block") ||
	    !dom_attr(s, "dev", src, sizeof(src)))
		return NULL;
	if (!strncmp(src, "/dev/mapper/", 12) ||
	    (!topo_sysfs_resolve(ctx->root, real, sizeof(real), "%s", src) &&
	     strstr(real, "/dm-")))
		return "device-mapper (LVM) volume";
	return NULL;
}

static void d26_discard(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		const char *kind = thin_kind(ctx, disks[i]);
		char dis[32], obj[128], path[256];
		struct tune_finding *f;

		if (!kind || driver_attr(disks[i], "discard", dis, sizeof(dis)))
			continue;
		f = tune_find(ctx, TUNE_INFO, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "%s without a discard setting (guest TRIM is dropped)",
				 kind);
		finding_where(f, "%s", dom_path_child(disks[i], "driver", "discard", path, sizeof(path)));
		finding_recommend(f, "discard='unmap': freed guest blocks return to the pool (on a host file system this can fragment the image)");
		finding_fix(f, "<driver … discard='unmap'/>");
		edit_set_attr(f, disks[i], "driver", "discard", "unmap");
	}
}

static void d27_detect_zeroes(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL,
			  "/domain/devices/disk[driver/@detect_zeroes='unmap']",
			  disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char dis[32] = "ignore", obj[128], path[256];
		struct tune_finding *f;

		driver_attr(disks[i], "discard", dis, sizeof(dis));
		if (!strcmp(dis, "unmap"))
			continue;
		f = tune_find(ctx, TUNE_INFO, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "detect_zeroes='unmap' with discard='%s'",
				 dis);
		finding_where(f, "%s", dom_path(dom_child(disks[i], "driver"),
						"detect_zeroes", path,
						sizeof(path)));
		finding_recommend(f, "'unmap' acts only with discard='unmap'; otherwise it is 'on' and scans every write for zeroes (CPU)");
		finding_fix(f, "<driver … discard='unmap' detect_zeroes='unmap'/>");
		edit_set_attr(f, disks[i], "driver", "discard", "unmap");
	}
}

static void d28_qcow2_hot(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);

	if (!d->pinned && !dom_node(d, NULL, "/domain/iothreads"))
		return;
	for (int i = 0; i < n; i++) {
		char obj[128], path[256], src[4096] = "IMG";
		struct tune_finding *f;

		if (!is_qcow2(disks[i]))
			continue;
		dom_disk_source(disks[i], src, sizeof(src));
		f = tune_find(ctx, TUNE_INFO, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "qcow2 on a performance-tuned (pinned / IOThread) domain");
		finding_where(f, "%s", dom_path(dom_child(disks[i], "driver"),
						"type", path, sizeof(path)));
		finding_recommend(f, "raw, or qcow2 preallocated: cluster allocation and L2 lookups add latency on first writes");
		finding_fix(f, "qemu-img convert -O raw %s %s.raw   # or create with -o preallocation=metadata",
			    src, src);
	}
}

static void d29_l2_cache(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char obj[128], path[256], src[4096], val[32];
		struct image_info ii;
		struct tune_finding *f;
		unsigned long long kib;

		if (!is_qcow2(disks[i]) ||
		    !dom_attr(dom_child(disks[i], "source"), "file", src,
			      sizeof(src)) ||
		    image_probe(ctx->root, src, &ii) || !ii.qcow2 ||
		    ii.vsize <= 256 * GIB ||
		    dom_node(d, disks[i], "driver/metadata_cache/max_size"))
			continue;
		kib = (ii.vsize + GIB - 1) / GIB * 128;
		snprintf(val, sizeof(val), "%llu", kib);
		f = tune_find(ctx, TUNE_INFO, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "%llu GiB qcow2 with the default L2 cache (covers ~32 GiB at 64 KiB clusters)",
				 ii.vsize / GIB);
		finding_where(f, "%s/metadata_cache/max_size",
			      dom_path_child(disks[i], "driver", NULL, path, sizeof(path)));
		finding_recommend(f, "an L2 cache covering the disk: random I/O beyond it reads metadata from disk first");
		finding_fix(f, "<driver …><metadata_cache><max_size unit='KiB'>%s</max_size></metadata_cache></driver>",
			    val);
		edit_set_text(f, disks[i], "driver/metadata_cache/max_size",
			      val);
		edit_set_attr(f, disks[i], "driver/metadata_cache/max_size",
			      "unit", "KiB");
	}
}

static int xml_chain_depth(struct tune_dom *d, xmlNodePtr disk)
{
	int depth = 0;
	xmlNodePtr b = disk;

	while ((b = dom_child(b, "backingStore")) && dom_child(b, "source"))
		depth++;
	return depth;
}

static void d30_chain(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char obj[128], src[4096], why[512], dev[32] = "vda";
		struct tune_finding *f;
		int depth = xml_chain_depth(d, disks[i]);
		bool from_xml = depth > 0;

		dom_object(d, disks[i], obj, sizeof(obj));
		if (!from_xml && is_qcow2(disks[i]) &&
		    dom_attr(dom_child(disks[i], "source"), "file", src,
			     sizeof(src)) &&
		    image_chain_depth(ctx->root, src, &depth, why, sizeof(why))) {
			tune_skip(ctx, obj, "%s", why);
			continue;
		}
		if (depth <= 3)
			continue;
		dom_attr(dom_child(disks[i], "target"), "dev", dev, sizeof(dev));
		f = tune_find(ctx, TUNE_WARN, "%s", obj);
		finding_observed(f, "backing chain %d images deep", depth);
		finding_where(f, "%s", from_xml ? "nested <backingStore> of this disk" :
						  "qcow2 headers (backing_file) from the source image down");
		finding_recommend(f, "3 or fewer: every cluster miss walks down the chain, each layer with its own cache");
		finding_fix(f, "virsh blockcommit %s %s --active --pivot   # or: virsh blockpull %s %s",
			    d->name, dev, d->name, dev);
	}
}

const struct tune_rule tune_rules_image[] = {
	{ "D26", "discard on thin storage", NULL, d26_discard },
	{ "D27", "detect_zeroes without discard", NULL, d27_detect_zeroes },
	{ "D28", "qcow2 on a tuned domain", NULL, d28_qcow2_hot },
	{ "D29", "qcow2 L2 cache size", NULL, d29_l2_cache },
	{ "D30", "backing-chain depth", NULL, d30_chain },
	RULES_END,
};
