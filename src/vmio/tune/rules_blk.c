/* SPDX-License-Identifier: MIT */
/* Host block devices: I/O scheduler by device kind, and the NUMA node
 * of the physical disk behind each domain image against the domain's. */
#include <stdio.h>
#include <string.h>

#include "tune/rules.h"
#include "topo/sysfs.h"

#define MAX_LEAVES 16

/* "web1 vda, db vdb" for the domain disks that sit on a physical disk. */
static void users_of(struct tune_ctx *ctx, const char *disk, char *out,
		     size_t len)
{
	xmlNodePtr disks[DOM_MAX_NODES];

	out[0] = '\0';
	for (struct tune_dom *d = ctx->doms; d; d = d->next) {
		int n = tune_disks(d, disks, DOM_MAX_NODES);

		for (int i = 0; i < n; i++) {
			char src[4096], leaves[MAX_LEAVES][64], why[256];
			char label[64];
			int nl;

			if (!dom_disk_source(disks[i], src, sizeof(src)))
				continue;
			nl = topo_bdev_leaves(ctx->root, src, leaves,
					      MAX_LEAVES, why, sizeof(why));
			for (int k = 0; k < nl; k++)
				if (!strcmp(leaves[k], disk))
					snprintf(out + strlen(out),
						 len - strlen(out), "%s%s %s",
						 out[0] ? ", " : " (backs ",
						 d->name,
						 dom_disk_label(disks[i], label,
								sizeof(label)) + 5);
		}
	}
	if (out[0])
		snprintf(out + strlen(out), len - strlen(out), ")");
}

typedef bool (*sched_bad_fn)(const struct topo_bdev *b);

struct sched_rule {
	sched_bad_fn bad;
	enum tune_sev sev;
	const char *kind;
	const char *want;
	const char *why;
	const char *udev_match;
};

static void check_scheds(struct tune_ctx *ctx, const struct sched_rule *r)
{
	char names[TOPO_MAX_DEVS][64], users[512];
	int n = topo_bdev_list(ctx->root, names, TOPO_MAX_DEVS);
	struct tune_finding *f;
	struct topo_bdev b;

	for (int i = 0; i < n; i++) {
		if (topo_bdev_info(ctx->root, names[i], &b) || !r->bad(&b))
			continue;
		users_of(ctx, b.name, users, sizeof(users));
		f = tune_find(ctx, r->sev, "host disk %s%s", b.name, users);
		finding_observed(f, "%s with I/O scheduler '%s'", r->kind,
				 b.sched);
		finding_where(f, "/sys/block/%s/queue/scheduler", b.name);
		finding_recommend(f, "%s: %s", r->want, r->why);
		finding_fix(f,
			    "echo %s > /sys/block/%s/queue/scheduler; persist: ACTION==\"add|change\", KERNEL==\"%s\", ATTR{queue/scheduler}=\"%s\" in /etc/udev/rules.d/60-scheduler.rules",
			    r->want, b.name, r->udev_match, r->want);
	}
}

static bool nvme_bad(const struct topo_bdev *b)
{
	return b->nvme && strcmp(b->sched, "none");
}

static bool hdd_bad(const struct topo_bdev *b)
{
	return b->rotational == 1 && !strcmp(b->sched, "none");
}

static bool ssd_bad(const struct topo_bdev *b)
{
	return !b->nvme && b->rotational == 0 && b->nr_hwq == 1 &&
	       strcmp(b->sched, "none") && strcmp(b->sched, "mq-deadline");
}

static void h05_nvme_sched(struct tune_ctx *ctx)
{
	static const struct sched_rule r = {
		nvme_bad, TUNE_WARN, "NVMe", "none",
		"deep hardware queues; a scheduler only adds CPU and lock time per I/O",
		"nvme[0-9]*n[0-9]*"
	};
	char names[1][64];

	if (topo_bdev_list(ctx->root, names, 1) <= 0) {
		tune_skip(ctx, "host disks",
			  "no physical disk under /sys/block (a container, or sysfs not mounted)");
		return;
	}
	check_scheds(ctx, &r);
}

static void h06_hdd_sched(struct tune_ctx *ctx)
{
	static const struct sched_rule r = {
		hdd_bad, TUNE_WARN, "rotational disk", "mq-deadline",
		"without a scheduler, seeks are not merged or sorted and writes starve reads",
		"sd[a-z]*"
	};

	check_scheds(ctx, &r);
}

static void h07_ssd_sched(struct tune_ctx *ctx)
{
	static const struct sched_rule r = {
		ssd_bad, TUNE_INFO, "single-queue SSD", "mq-deadline",
		"cheap and fair on one hardware queue (or 'none' for the lowest CPU cost)",
		"sd[a-z]*"
	};

	check_scheds(ctx, &r);
}

static void numa_mismatch(struct tune_ctx *ctx, struct tune_dom *d,
			  xmlNodePtr disk, const char *src,
			  const struct topo_bdev *b, const struct cpuset *nodes)
{
	char obj[256], nl[64], path[256], cpus[256];
	struct tune_finding *f;

	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, disk, obj, sizeof(obj)));
	finding_observed(f, "%s is on %s (NUMA node %d); vCPUs run on node(s) %s",
			 src, b->name, b->numa,
			 cpuset_format(nodes, nl, sizeof(nl)));
	finding_where(f, "%s vs /sys/block/%s/device/.../numa_node",
		      dom_path(dom_child(disk, "source"), NULL, path,
			       sizeof(path)),
		      b->name);
	finding_recommend(f, "run the domain on node %d, or keep its image on a disk of node(s) %s: every remote I/O crosses the interconnect",
			  b->numa, nl);
	cpuset_format(&ctx->topo.node_cpus[b->numa], cpus, sizeof(cpus));
	finding_fix(f, "<vcpupin vcpu='N' cpuset='%s'/> per vCPU and <numatune><memory mode='strict' nodeset='%d'/></numatune>, or move the image to a disk on node(s) %s",
		    cpus, b->numa, nl);
}

static void h16_disk_numa(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	struct cpuset nodes;
	int n;

	if (!tune_dom_nodes(ctx, d, &nodes))
		return;
	n = tune_disks(d, disks, DOM_MAX_NODES);
	for (int i = 0; i < n; i++) {
		char src[4096], leaves[MAX_LEAVES][64], why[512], obj[256];
		struct topo_bdev b;
		int nl;

		if (!dom_disk_source(disks[i], src, sizeof(src)))
			continue;
		nl = topo_bdev_leaves(ctx->root, src, leaves, MAX_LEAVES, why,
				      sizeof(why));
		if (nl <= 0) {
			tune_skip(ctx, dom_object(d, disks[i], obj, sizeof(obj)),
				  "cannot find the physical disk behind %s: %s",
				  src, nl ? why : "only virtual devices");
			continue;
		}
		for (int k = 0; k < nl; k++)
			if (!topo_bdev_info(ctx->root, leaves[k], &b) &&
			    b.numa >= 0 && !cpuset_has(&nodes, b.numa))
				numa_mismatch(ctx, d, disks[i], src, &b,
					      &nodes);
	}
}

const struct tune_rule tune_rules_blk[] = {
	{ "H05", "NVMe I/O scheduler", h05_nvme_sched, NULL },
	{ "H06", "HDD I/O scheduler", h06_hdd_sched, NULL },
	{ "H07", "SATA SSD I/O scheduler", h07_ssd_sched, NULL },
	{ "H16", "disk NUMA locality", NULL, h16_disk_numa },
	RULES_END,
};
