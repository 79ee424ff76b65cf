/* SPDX-License-Identifier: MIT */
/* Memory: hugepage pools against the domains that need them, THP,
 * hugepage use and size per domain, locked memory, balloon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/rules.h"
#include "topo/sysfs.h"

#define GIB_KIB (1024ULL * 1024)

/* Page size a domain asks for (KiB), 0 when it uses no hugepages. */
static long dom_page_kib(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr hp = dom_node(d, NULL, "/domain/memoryBacking/hugepages");
	xmlNodePtr pg = dom_child(hp, "page");
	char size[32], unit[16];

	if (!hp)
		return 0;
	if (!dom_attr(pg, "size", size, sizeof(size)))
		return topo_hp_default_kib(ctx->root);
	return dom_scaled_kib(size, dom_attr(pg, "unit", unit, sizeof(unit)));
}

/* The one node strict numatune binds memory to, else -1 (any node). */
static int dom_mem_node(struct tune_dom *d)
{
	xmlNodePtr m = dom_node(d, NULL, "/domain/numatune/memory");
	char ns[64], mode[32] = "strict";
	struct cpuset s;

	dom_attr(m, "mode", mode, sizeof(mode));
	if (!dom_attr(m, "nodeset", ns, sizeof(ns)) || strcmp(mode, "strict") ||
	    cpuset_parse(&s, ns) || cpuset_count(&s) != 1)
		return -1;
	return cpuset_first(&s);
}

struct hp_demand {
	long size;
	int node;
	long pages;
	char names[256];
};

static int add_demand(struct hp_demand *dm, int n, long size, int node,
		      long pages, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (dm[i].size == size && dm[i].node == node)
			break;
	if (i == n) {
		if (n == 64)
			return n;
		memset(&dm[i], 0, sizeof(dm[i]));
		dm[i].size = size;
		dm[i].node = node;
		n++;
	}
	dm[i].pages += pages;
	snprintf(dm[i].names + strlen(dm[i].names),
		 sizeof(dm[i].names) - strlen(dm[i].names), "%s%s",
		 dm[i].names[0] ? ", " : "", name);
	return n;
}

static void pool_short(struct tune_ctx *ctx, const struct hp_demand *dm,
		       long free, long nr)
{
	struct tune_finding *f;
	char pool[128], base[128];

	if (dm->node >= 0)
		snprintf(base, sizeof(base),
			 "/sys/devices/system/node/node%d/hugepages", dm->node);
	else
		snprintf(base, sizeof(base), "/sys/kernel/mm/hugepages");
	if (dm->node >= 0)
		snprintf(pool, sizeof(pool), "node%d hugepages-%ldkB",
			 dm->node, dm->size);
	else
		snprintf(pool, sizeof(pool), "hugepages-%ldkB", dm->size);
	f = tune_find(ctx, TUNE_ERROR, "host %s", pool);
	finding_observed(f, "%ld free pages (of %ld), domains need %ld: %s",
			 free, nr, dm->pages, dm->names);
	finding_where(f, "%s/hugepages-%ldkB/free_hugepages", base, dm->size);
	finding_recommend(f, "grow the pool: a domain backed by hugepages does not start when its pages are missing");
	finding_fix(f, "echo %ld > %s/hugepages-%ldkB/nr_hugepages",
		    nr + dm->pages - free, base, dm->size);
}

static void h08_hugepage_pool(struct tune_ctx *ctx)
{
	struct hp_demand dm[64];
	int n = 0;

	for (struct tune_dom *d = ctx->doms; d; d = d->next) {
		long size = dom_page_kib(ctx, d);

		/* A running domain holds its pages already. */
		if (!size || d->running)
			continue;
		n = add_demand(dm, n, size, dom_mem_node(d),
			       (d->mem_kib + size - 1) / size, d->name);
	}
	for (int i = 0; i < n; i++) {
		long free = 0, nr = 0;

		topo_hp_get(ctx->root, dm[i].node, dm[i].size,
			    "free_hugepages", &free);
		topo_hp_get(ctx->root, dm[i].node, dm[i].size, "nr_hugepages",
			    &nr);
		if (free < dm[i].pages)
			pool_short(ctx, &dm[i], free, nr);
	}
}

static void h10_thp(struct tune_ctx *ctx)
{
	char buf[128], mode[32], names[512] = "";
	struct tune_finding *f;

	if (topo_sysfs_read(ctx->root, buf, sizeof(buf),
		       "/sys/kernel/mm/transparent_hugepage/enabled")) {
		tune_skip(ctx, "host THP",
			  "no /sys/kernel/mm/transparent_hugepage/enabled (kernel without THP)");
		return;
	}
	if (strcmp(topo_sysfs_bracketed(buf, mode, sizeof(mode)), "never"))
		return;
	for (struct tune_dom *d = ctx->doms; d; d = d->next)
		if (!dom_page_kib(ctx, d))
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", d->name);
	if (ctx->doms && !names[0])
		return;
	f = tune_find(ctx, TUNE_WARN, "host THP");
	finding_observed(f, "transparent hugepages are 'never'%s%s",
			 names[0] ? " while these domains use no hugepages: " : "",
			 names);
	finding_where(f, "/sys/kernel/mm/transparent_hugepage/enabled");
	finding_recommend(f, "madvise: QEMU asks for THP on guest RAM, cutting TLB misses on every guest memory access");
	finding_fix(f, "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled; persist: transparent_hugepage=madvise on the kernel command line");
}

static bool pool_fits(struct tune_ctx *ctx, struct tune_dom *d, long size)
{
	long free = 0;

	topo_hp_get(ctx->root, dom_mem_node(d), size, "free_hugepages", &free);
	return free > 0 && (unsigned long long)free * size >= d->mem_kib;
}

static void d18_no_hugepages(struct tune_ctx *ctx, struct tune_dom *d)
{
	long size = topo_hp_default_kib(ctx->root);
	struct tune_finding *f;
	char obj[128];

	if (dom_page_kib(ctx, d) || (!d->pinned && d->mem_kib < 16 * GIB_KIB))
		return;
	f = tune_find(ctx, d->pinned ? TUNE_WARN : TUNE_INFO, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "%s domain (%llu MiB) without hugepages",
			 d->pinned ? "pinned" : "large", d->mem_kib / 1024);
	finding_where(f, "/domain/memoryBacking/hugepages");
	finding_recommend(f, "back guest RAM with hugepages: fewer TLB misses and no THP compaction stalls");
	if (pool_fits(ctx, d, size)) {
		finding_fix(f, "<memoryBacking><hugepages/></memoryBacking>");
		edit_set_text(f, d->root, "memoryBacking/hugepages", NULL);
	} else {
		finding_fix(f, "reserve %llu pages of %ld KiB first (see H08), then <memoryBacking><hugepages/></memoryBacking>",
			    (d->mem_kib + size - 1) / size, size);
	}
}

static void d19_page_size(struct tune_ctx *ctx, struct tune_dom *d)
{
	long size = dom_page_kib(ctx, d), nr1g = 0;
	struct tune_finding *f;
	char obj[128], val[32];
	unsigned long long up;

	if (!size)
		return;
	dom_object(d, NULL, obj, sizeof(obj));
	if (d->mem_kib % size) {
		up = (d->mem_kib + size - 1) / size * size;
		f = tune_find(ctx, TUNE_WARN, "%s", obj);
		finding_observed(f, "memory %llu KiB is not a multiple of the %ld KiB page",
				 d->mem_kib, size);
		finding_where(f, "/domain/memory, /domain/memoryBacking/hugepages/page/@size");
		finding_recommend(f, "a whole number of pages: the remainder wastes a page or fails to map");
		finding_fix(f, "<memory unit='KiB'>%llu</memory>", up);
		snprintf(val, sizeof(val), "%llu", up);
		edit_set_text(f, d->root, "memory", val);
		edit_set_attr(f, d->root, "memory", "unit", "KiB");
		return;
	}
	topo_hp_get(ctx->root, -1, 1048576, "nr_hugepages", &nr1g);
	if (size >= 1048576 || d->mem_kib < 64 * GIB_KIB || nr1g <= 0)
		return;
	f = tune_find(ctx, TUNE_INFO, "%s", obj);
	finding_observed(f, "%llu GiB guest on %ld KiB pages while the host has a 1 GiB pool",
			 d->mem_kib / GIB_KIB, size);
	finding_where(f, "/domain/memoryBacking/hugepages/page/@size");
	finding_recommend(f, "1 GiB pages for big guests: fewer page-table levels for the whole RAM");
	finding_fix(f, "<hugepages><page size='1' unit='GiB'/></hugepages>");
}

static void d20_locked(struct tune_ctx *ctx, struct tune_dom *d)
{
	struct tune_finding *f;
	char obj[128], val[32];

	if (!dom_node(d, NULL, "/domain/memoryBacking/locked") ||
	    dom_node(d, NULL, "/domain/memtune/hard_limit"))
		return;
	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "memory is <locked/> with no memtune hard_limit");
	finding_where(f, "/domain/memoryBacking/locked, /domain/memtune/hard_limit");
	finding_recommend(f, "set hard_limit: locked memory is unlimited otherwise and a runaway QEMU can take the host");
	snprintf(val, sizeof(val), "%llu", d->mem_kib + GIB_KIB);
	finding_fix(f, "<memtune><hard_limit unit='KiB'>%s</hard_limit></memtune>",
		    val);
	edit_set_text(f, d->root, "memtune/hard_limit", val);
	edit_set_attr(f, d->root, "memtune/hard_limit", "unit", "KiB");
}

static void d31_balloon(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr b = dom_node(d, NULL,
				"/domain/devices/memballoon[@model='virtio' or @model='virtio-transitional' or @model='virtio-non-transitional']");
	struct tune_finding *f;
	char obj[128], path[128];

	if (!b || (!dom_page_kib(ctx, d) && !tune_uses_hostdev(d)))
		return;
	f = tune_find(ctx, TUNE_INFO, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "virtio balloon with %s",
			 tune_uses_hostdev(d) ? "device passthrough" :
						"hugepage-backed memory");
	finding_where(f, "%s", dom_path(b, "model", path, sizeof(path)));
	finding_recommend(f, "the balloon cannot return such memory to the host; keep it for stats only or drop it");
	finding_fix(f, "<memballoon model='none'/>");
}

const struct tune_rule tune_rules_mem[] = {
	{ "H08", "hugepage pool vs domains", h08_hugepage_pool, NULL },
	{ "H10", "transparent hugepages", h10_thp, NULL },
	{ "D18", "hugepages used", NULL, d18_no_hugepages },
	{ "D19", "hugepage size and alignment", NULL, d19_page_size },
	{ "D20", "locked memory limit", NULL, d20_locked },
	{ "D31", "balloon with hugepages/VFIO", NULL, d31_balloon },
	RULES_END,
};
