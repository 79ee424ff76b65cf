/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "tune/rules.h"

static const struct tune_rule *const families[] = {
	tune_rules_kvm,	 tune_rules_blk,      tune_rules_nic,
	tune_rules_mem,	 tune_rules_disk,     tune_rules_iothread,
	tune_rules_image, tune_rules_cpu,     tune_rules_net,
};

#define NFAMILIES (sizeof(families) / sizeof(families[0]))

struct tune_finding *tune_find(struct tune_ctx *ctx, enum tune_sev sev,
			       const char *objfmt, ...)
{
	struct tune_finding *f;
	va_list ap;
	char *obj;

	va_start(ap, objfmt);
	obj = tune_vasprintf(objfmt, ap);
	va_end(ap);
	f = report_add(ctx->rep, ctx->rule->id, ctx->rule->title, sev,
		       ctx->dom, obj);
	free(obj);
	return f;
}

void tune_skip(struct tune_ctx *ctx, const char *object, const char *fmt, ...)
{
	struct tune_finding *f;
	va_list ap;

	f = report_add(ctx->rep, ctx->rule->id, ctx->rule->title, TUNE_SKIP,
		       ctx->dom, object);
	va_start(ap, fmt);
	f->observed = tune_vasprintf(fmt, ap);
	va_end(ap);
}

static bool wanted(const struct tune_rule *r, enum tune_only only)
{
	if (only == TUNE_ONLY_HOST)
		return r->id[0] == 'H';
	if (only == TUNE_ONLY_DOMAIN)
		return r->id[0] == 'D';
	return true;
}

static int problems(const struct tune_report *r)
{
	return r->count[TUNE_INFO] + r->count[TUNE_WARN] +
	       r->count[TUNE_ERROR] + r->count[TUNE_SKIP];
}

static void run_rule(struct tune_ctx *ctx, const struct tune_rule *r)
{
	int before = problems(ctx->rep);

	ctx->rule = r;
	ctx->dom = NULL;
	if (r->host)
		r->host(ctx);
	for (struct tune_dom *d = ctx->doms; d && r->dom; d = d->next) {
		ctx->dom = d;
		r->dom(ctx, d);
	}
	ctx->dom = NULL;
	if (problems(ctx->rep) == before)
		report_pass(ctx->rep, r->id, r->title);
}

void tune_run(struct tune_ctx *ctx, enum tune_only only)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		for (const struct tune_rule *r = families[i]; r->id; r++)
			if (wanted(r, only))
				run_rule(ctx, r);
}

int tune_rule_count(void)
{
	int n = 0;

	for (size_t i = 0; i < NFAMILIES; i++)
		for (const struct tune_rule *r = families[i]; r->id; r++)
			n++;
	return n;
}

/* Disks that hold guest data: device='disk' (the default) and 'lun'. */
int tune_disks(struct tune_dom *d, xmlNodePtr *out, int max)
{
	return dom_nodes(d, NULL,
			 "/domain/devices/disk[not(@device) or @device='disk' or @device='lun']",
			 out, max);
}

/* Host NUMA nodes the domain's vCPUs may run on; false when unpinned or
 * the host topology is unknown. */
bool tune_dom_nodes(struct tune_ctx *ctx, struct tune_dom *d,
		    struct cpuset *nodes)
{
	cpuset_zero(nodes);
	if (!ctx->topo.known || !cpuset_count(&d->pins))
		return false;
	topo_nodes_of(&ctx->topo, &d->pins, nodes);
	return cpuset_count(nodes) > 0;
}

/* CPUs for a domain's emulator and I/O threads: on its nodes, not used
 * by any domain's vCPU pins. Empty when the host has none to spare. */
void tune_housekeeping(struct tune_ctx *ctx, struct tune_dom *d,
		       struct cpuset *out)
{
	struct cpuset nodes;

	cpuset_zero(out);
	if (tune_dom_nodes(ctx, d, &nodes)) {
		for (int n = 0; n < TOPO_MAX_NODES; n++)
			if (cpuset_has(&nodes, n))
				cpuset_or(out, &ctx->topo.node_cpus[n]);
	} else {
		*out = ctx->topo.online;
	}
	for (struct tune_dom *o = ctx->doms; o; o = o->next)
		if (o->pinned)
			cpuset_andnot(out, &o->pins);
}

bool tune_uses_hostdev(struct tune_dom *d)
{
	return dom_count(d, NULL,
			 "/domain/devices/hostdev | /domain/devices/interface[@type='hostdev']") >
	       0;
}

bool tune_any_hostdev(struct tune_ctx *ctx)
{
	for (struct tune_dom *d = ctx->doms; d; d = d->next)
		if (tune_uses_hostdev(d))
			return true;
	return false;
}

void tune_rules_list(FILE *out)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		for (const struct tune_rule *r = families[i]; r->id; r++)
			fprintf(out, "%s  %-6s  %s\n", r->id,
				r->host ? "host" : "domain", r->title);
}
