/* SPDX-License-Identifier: MIT */
/* IOThreads and queues: where each virtio disk's requests are handled
 * and how many queues it offers the guest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/rules.h"

/* virtio-scsi HBAs, counting those D03 converts (any SCSI HBA that
 * serves disks), so the fixed XML needs no second pass. */
#define XP_VIRTIO_SCSI                                                         \
	"/domain/devices/controller[@type='scsi' and "                         \
	"(starts-with(@model,'virtio') or /domain/devices/disk/target[@bus='scsi'])]"

static int iothread_count(struct tune_dom *d)
{
	char buf[32];
	xmlNodePtr n = dom_node(d, NULL, "/domain/iothreads");

	return n && dom_text(n, buf, sizeof(buf)) ? atoi(buf) : 0;
}

/* Virtio disks as they will be after D01, plus virtio-scsi HBAs: the
 * devices that can own an IOThread. */
static int iothread_users(struct tune_dom *d, xmlNodePtr *out, int max)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES), k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (dom_disk_is_virtio(disks[i]))
			out[k++] = disks[i];
	return k + dom_nodes(d, NULL, XP_VIRTIO_SCSI, out + k, max - k);
}

static bool has_iothread(struct tune_dom *d, xmlNodePtr dev)
{
	return dom_node(d, dev, "driver[@iothread] | driver/iothreads");
}

static void d07_iothreads(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr devs[DOM_MAX_NODES];
	int n = iothread_users(d, devs, DOM_MAX_NODES);
	int have = iothread_count(d), nth = have ? have : 1, next = 0;

	for (int i = 0; i < n; i++) {
		char obj[128], path[256], id[16];
		struct tune_finding *f;

		if (has_iothread(d, devs[i]))
			continue;
		snprintf(id, sizeof(id), "%d", next++ % nth + 1);
		f = tune_find(ctx, TUNE_WARN, "%s",
			      dom_object(d, devs[i], obj, sizeof(obj)));
		finding_observed(f, "no IOThread%s", have ? "" :
			" (and none defined: all I/O runs in QEMU's main loop)");
		finding_where(f, "%s", dom_path_child(devs[i], "driver",
						      "iothread", path,
						      sizeof(path)));
		finding_recommend(f, "a dedicated IOThread per busy disk: requests no longer wait behind the main loop and its lock");
		finding_fix(f, "%s<driver … iothread='%s'/>",
			    have ? "" : "<iothreads>1</iothreads> and ", id);
		if (!have)
			edit_set_text(f, d->root, "iothreads", "1");
		if (!dom_child(devs[i], "driver") &&
		    !strcmp((const char *)devs[i]->name, "disk"))
			edit_set_attr(f, devs[i], "driver", "name", "qemu");
		edit_set_attr(f, devs[i], "driver", "iothread", id);
	}
}

static bool id_referenced(struct tune_dom *d, int id)
{
	char xp[256];

	snprintf(xp, sizeof(xp),
		 "/domain/devices/*/driver[@iothread='%d'] | /domain/devices/*/driver/iothreads/iothread[@id='%d']",
		 id, id);
	return dom_node(d, NULL, xp);
}

static void d08_overprovision(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr devs[DOM_MAX_NODES];
	int nth = iothread_count(d), users, unused = 0;
	struct tune_finding *f;
	char obj[128], why[128] = "";

	if (!nth)
		return;
	users = iothread_users(d, devs, DOM_MAX_NODES);
	for (int id = 1; id <= nth && id < 1024; id++)
		unused += !id_referenced(d, id);
	if (ctx->topo.ncpus && nth > 2 * ctx->topo.ncpus)
		snprintf(why, sizeof(why), "more than 2 per host CPU (%d)",
			 ctx->topo.ncpus);
	else if (nth > users)
		snprintf(why, sizeof(why), "more than the %d virtio devices",
			 users);
	else if (unused && users)
		snprintf(why, sizeof(why), "%d never referenced by a device",
			 unused);
	if (!why[0])
		return;
	f = tune_find(ctx, TUNE_INFO, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "%d IOThreads: %s", nth, why);
	finding_where(f, "/domain/iothreads");
	finding_recommend(f, "one IOThread per busy disk, 1-2 per host CPU at most: idle threads only cost memory and wake-ups");
	finding_fix(f, "<iothreads>%d</iothreads>", users ? users : 1);
}

static void d09_iothread_bus(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, "/domain/devices/disk[driver/@iothread]",
			  disks, DOM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		char obj[128], path[256], bus[32];
		struct tune_finding *f;

		if (dom_disk_is_virtio(disks[i]))
			continue;
		f = tune_find(ctx, TUNE_ERROR, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "iothread set on a bus='%s' disk",
				 dom_disk_bus(disks[i], bus, sizeof(bus)));
		finding_where(f, "%s", dom_path(dom_child(disks[i], "driver"),
						"iothread", path, sizeof(path)));
		finding_recommend(f, "only virtio disks take an iothread; libvirt rejects it here (set it on the virtio-scsi controller's driver)");
		finding_fix(f, "remove iothread='…' from this <driver>; <controller type='scsi' model='virtio-scsi'><driver iothread='1'/></controller>");
		edit_del_attr(f, disks[i], "driver", "iothread");
	}
}

/* IOThread IDs a domain has or will have once D07's fix is applied. */
static int iothread_ids_after_fix(struct tune_dom *d)
{
	xmlNodePtr devs[DOM_MAX_NODES];
	int nth = iothread_count(d);

	if (nth)
		return nth;
	return iothread_users(d, devs, DOM_MAX_NODES) ? 1 : 0;
}

static void d10_iothreadpin(struct tune_ctx *ctx, struct tune_dom *d)
{
	int nth = iothread_ids_after_fix(d);
	char obj[128], cs[256], xp[128], hk_s[256];
	struct cpuset hk;

	if (!d->pinned || !nth)
		return;
	tune_housekeeping(ctx, d, &hk);
	cpuset_format(&hk, hk_s, sizeof(hk_s));
	for (int id = 1; id <= nth && id < 1024; id++) {
		struct tune_finding *f;
		struct cpuset s;
		xmlNodePtr pin;

		snprintf(xp, sizeof(xp),
			 "/domain/cputune/iothreadpin[@iothread='%d']", id);
		pin = dom_node(d, NULL, xp);
		if (pin && dom_attr(pin, "cpuset", cs, sizeof(cs)) &&
		    !cpuset_parse(&s, cs) && !cpuset_intersects(&s, &d->pins))
			continue;
		f = tune_find(ctx, TUNE_WARN, "%s iothread %d",
			      dom_object(d, NULL, obj, sizeof(obj)), id);
		if (pin)
			finding_observed(f, "iothreadpin cpuset='%s' overlaps the vCPU pins", cs);
		else
			finding_observed(f, "vCPUs are pinned, IOThread %d floats", id);
		finding_where(f, "%s", xp);
		finding_recommend(f, "pin IOThreads to housekeeping CPUs on the disk's node: they then never preempt a vCPU");
		if (!hk_s[0]) {
			finding_fix(f, "unpin a CPU on the domain's node from all vCPUs, then <iothreadpin iothread='%d' cpuset='that CPU'/>",
				    id);
			continue;
		}
		finding_fix(f, "<cputune><iothreadpin iothread='%d' cpuset='%s'/></cputune>",
			    id, hk_s);
		snprintf(xp, sizeof(xp), "cputune/iothreadpin[@iothread='%d']",
			 id);
		edit_set_attr(f, d->root, xp, "cpuset", hk_s);
	}
}

static void queues_finding(struct tune_ctx *ctx, struct tune_dom *d,
			   xmlNodePtr dev, const char *q)
{
	char obj[128], path[256], val[16];
	struct tune_finding *f;

	snprintf(val, sizeof(val), "%d", d->vcpus);
	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, dev, obj, sizeof(obj)));
	if (q)
		finding_observed(f, "queues='%s' for %d vCPUs", q, d->vcpus);
	else
		finding_observed(f, "no queues on a pre-5.2 machine type: one queue for %d vCPUs",
				 d->vcpus);
	finding_where(f, "%s",
		      dom_path_child(dev, "driver", "queues", path, sizeof(path)));
	finding_recommend(f, "queues = vCPUs: each vCPU submits on its own queue, no cross-CPU completions");
	finding_fix(f, "<driver … queues='%s'/>", val);
	if (!dom_child(dev, "driver") && !strcmp((const char *)dev->name, "disk"))
		edit_set_attr(f, dev, "driver", "name", "qemu");
	edit_set_attr(f, dev, "driver", "queues", val);
}

static void d11_blk_queues(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);
	bool old = tune_machine_older(d, 5, 2);

	for (int i = 0; i < n; i++) {
		char q[16];
		bool have = dom_attr(dom_child(disks[i], "driver"), "queues", q,
				     sizeof(q));

		if (!dom_disk_is_virtio(disks[i]))
			continue;
		if (have ? atoi(q) > d->vcpus : old && d->vcpus > 1)
			queues_finding(ctx, d, disks[i], have ? q : NULL);
	}
}

static void d12_scsi_queues(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr c[DOM_MAX_NODES];
	int n = dom_nodes(d, NULL, XP_VIRTIO_SCSI, c, DOM_MAX_NODES);
	bool old = tune_machine_older(d, 5, 2);

	for (int i = 0; i < n; i++) {
		char q[16];
		bool have = dom_attr(dom_child(c[i], "driver"), "queues", q,
				     sizeof(q));

		if (have ? atoi(q) != d->vcpus : old && d->vcpus > 1)
			queues_finding(ctx, d, c[i], have ? q : NULL);
	}
}

static void d13_multi_iothread(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr disks[DOM_MAX_NODES];
	int n = tune_disks(d, disks, DOM_MAX_NODES);

	if (d->vcpus < 8)
		return;
	for (int i = 0; i < n; i++) {
		char obj[128], path[256];
		struct tune_finding *f;

		if (!dom_disk_is_virtio(disks[i]) ||
		    dom_node(d, disks[i], "driver/iothreads"))
			continue;
		f = tune_find(ctx, TUNE_INFO, "%s",
			      dom_object(d, disks[i], obj, sizeof(obj)));
		finding_observed(f, "%d vCPUs share one IOThread on this disk",
				 d->vcpus);
		finding_where(f, "%s", dom_path(disks[i], NULL, path,
						sizeof(path)));
		finding_recommend(f, "with libvirt >= 10.0 and QEMU >= 9.0 spread a busy disk's queues over several IOThreads");
		finding_fix(f, "<driver queues='%d'><iothreads><iothread id='1'/><iothread id='2'/></iothreads></driver>",
			    d->vcpus);
	}
}

const struct tune_rule tune_rules_iothread[] = {
	{ "D07", "IOThreads", NULL, d07_iothreads },
	{ "D08", "IOThread count", NULL, d08_overprovision },
	{ "D09", "iothread on a non-virtio disk", NULL, d09_iothread_bus },
	{ "D10", "IOThread pinning", NULL, d10_iothreadpin },
	{ "D11", "virtio-blk queues", NULL, d11_blk_queues },
	{ "D12", "virtio-scsi queues", NULL, d12_scsi_queues },
	{ "D13", "large guest on one IOThread", NULL, d13_multi_iothread },
	RULES_END,
};
