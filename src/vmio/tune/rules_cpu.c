/* SPDX-License-Identifier: MIT */
/* vCPU placement against the host's NUMA nodes and other domains,
 * emulator threads, CPU model and machine type. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/rules.h"

/* "pc-q35-5.1" -> 5.1; versionless aliases ("q35") and distro
 * machine types ("pc-q35-rhel8.2.0") give false. */
bool tune_machine_version(struct tune_dom *d, int *maj, int *min)
{
	char m[128], *dash;
	xmlNodePtr t = dom_node(d, NULL, "/domain/os/type");

	if (!dom_attr(t, "machine", m, sizeof(m)))
		return false;
	dash = strrchr(m, '-');
	if (!dash || !isdigit((unsigned char)dash[1]))
		return false;
	return sscanf(dash + 1, "%d.%d", maj, min) == 2;
}

bool tune_machine_older(struct tune_dom *d, int maj, int min)
{
	int a, b;

	if (!tune_machine_version(d, &a, &b))
		return false;
	return a < maj || (a == maj && b < min);
}

static bool need_topo(struct tune_ctx *ctx, struct tune_dom *d)
{
	char obj[128];

	if (ctx->topo.known)
		return true;
	tune_skip(ctx, dom_object(d, NULL, obj, sizeof(obj)),
		  "host NUMA topology unknown (no /sys/devices/system/node/node*/cpulist)");
	return false;
}

static void d14_span(struct tune_ctx *ctx, struct tune_dom *d)
{
	struct cpuset nodes;
	struct tune_finding *f;
	char obj[128], nl[64], best_cpus[256];
	int best = -1, best_n = 0;

	if (!d->pinned || !need_topo(ctx, d) || !tune_dom_nodes(ctx, d, &nodes) ||
	    cpuset_count(&nodes) < 2 || dom_node(d, NULL, "/domain/cpu/numa"))
		return;
	for (int n = 0; n < TOPO_MAX_NODES; n++) {
		struct cpuset s = ctx->topo.node_cpus[n];

		cpuset_and(&s, &d->pins);
		if (cpuset_count(&s) > best_n) {
			best_n = cpuset_count(&s);
			best = n;
		}
	}
	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "vCPU pins span host nodes %s with no guest NUMA topology",
			 cpuset_format(&nodes, nl, sizeof(nl)));
	finding_where(f, "/domain/cputune/vcpupin/@cpuset vs /sys/devices/system/node/node*/cpulist");
	finding_recommend(f, "keep a domain on one node, or mirror the nodes in <cpu><numa>: the guest cannot place memory near its vCPUs otherwise");
	finding_fix(f, "pin all vCPUs within node %d (cpuset='%s'), or add <cpu><numa><cell …/></numa></cpu> matching the host nodes",
		    best, cpuset_format(&ctx->topo.node_cpus[best], best_cpus,
					sizeof(best_cpus)));
}

static void d15_emulatorpin(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr pin = dom_node(d, NULL, "/domain/cputune/emulatorpin");
	struct tune_finding *f;
	char obj[128], cs[256], hk_s[256];
	struct cpuset s, hk;

	if (!d->pinned)
		return;
	if (pin && dom_attr(pin, "cpuset", cs, sizeof(cs)) &&
	    !cpuset_parse(&s, cs) && !cpuset_intersects(&s, &d->pins))
		return;
	tune_housekeeping(ctx, d, &hk);
	cpuset_format(&hk, hk_s, sizeof(hk_s));
	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	if (pin)
		finding_observed(f, "emulatorpin cpuset='%s' overlaps the vCPU pins", cs);
	else
		finding_observed(f, "vCPUs are pinned, emulator threads float over them");
	finding_where(f, "/domain/cputune/emulatorpin");
	finding_recommend(f, "pin emulator threads to housekeeping CPUs: QEMU's main loop then never preempts a vCPU");
	if (!hk_s[0]) {
		finding_fix(f, "unpin a CPU from all vCPUs, then <emulatorpin cpuset='that CPU'/>");
		return;
	}
	finding_fix(f, "<cputune><emulatorpin cpuset='%s'/></cputune>", hk_s);
	edit_set_attr(f, d->root, "cputune/emulatorpin", "cpuset", hk_s);
}

static void d16_overlap(struct tune_ctx *ctx, struct tune_dom *d)
{
	struct tune_finding *f;
	char cs[256];

	if (!d->pinned)
		return;
	for (struct tune_dom *o = d->next; o; o = o->next) {
		struct cpuset both = d->pins;

		if (!o->pinned)
			continue;
		cpuset_and(&both, &o->pins);
		if (!cpuset_count(&both))
			continue;
		f = tune_find(ctx, TUNE_WARN, "domain %s and domain %s",
			      d->name, o->name);
		finding_observed(f, "both pin vCPUs to host CPUs %s",
				 cpuset_format(&both, cs, sizeof(cs)));
		finding_where(f, "/domain/cputune/vcpupin/@cpuset in both");
		finding_recommend(f, "disjoint pins for dedicated domains: shared pinned CPUs make each the other's noisy neighbour");
		finding_fix(f, "re-pin one of them to CPUs outside %s", cs);
	}
}

static void d17_membind(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr m = dom_node(d, NULL, "/domain/numatune/memory");
	struct cpuset nodes, ms;
	struct tune_finding *f;
	char obj[128], ns[64] = "", want[16];

	if (!d->pinned || !need_topo(ctx, d) ||
	    !tune_dom_nodes(ctx, d, &nodes) || cpuset_count(&nodes) != 1)
		return;
	if (m && dom_attr(m, "nodeset", ns, sizeof(ns)) &&
	    !cpuset_parse(&ms, ns) && cpuset_equal(&ms, &nodes))
		return;
	snprintf(want, sizeof(want), "%d", cpuset_first(&nodes));
	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	if (m && ns[0])
		finding_observed(f, "vCPUs on node %s, memory bound to nodeset '%s'",
				 want, ns);
	else
		finding_observed(f, "vCPUs on node %s, memory not bound to a node",
				 want);
	finding_where(f, "/domain/numatune/memory/@nodeset");
	finding_recommend(f, "bind memory to the vCPUs' node: remote memory costs every guest access");
	finding_fix(f, "<numatune><memory mode='strict' nodeset='%s'/></numatune>",
		    want);
	edit_set_attr(f, d->root, "numatune/memory", "mode", "strict");
	edit_set_attr(f, d->root, "numatune/memory", "nodeset", want);
}

static void d21_cpu_model(struct tune_ctx *ctx, struct tune_dom *d)
{
	xmlNodePtr cpu = dom_node(d, NULL, "/domain/cpu");
	char mode[32] = "", obj[128];
	struct tune_finding *f;

	dom_attr(cpu, "mode", mode, sizeof(mode));
	if (mode[0] && strcmp(mode, "custom"))
		return;
	if (cpu && !mode[0] && !dom_child(cpu, "model"))
		return;	/* only <topology>/<numa>: libvirt's default model */
	f = tune_find(ctx, TUNE_WARN, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "CPU mode '%s'", mode[0] ? mode : "default (qemu64-like)");
	finding_where(f, "/domain/cpu/@mode");
	finding_recommend(f, "host-passthrough (host-model if hosts differ for migration): the guest sees AVX, AES-NI, invariant TSC");
	finding_fix(f, "<cpu mode='host-passthrough' check='none'/>");
	edit_set_attr(f, d->root, "cpu", "mode", "host-passthrough");
	edit_set_attr(f, d->root, "cpu", "check", "none");
	edit_del_attr(f, d->root, "cpu", "match");
	if (dom_child(cpu, "model"))
		edit_del_node(f, dom_child(cpu, "model"));
	if (dom_child(cpu, "vendor"))
		edit_del_node(f, dom_child(cpu, "vendor"));
}

static void d34_machine(struct tune_ctx *ctx, struct tune_dom *d)
{
	struct tune_finding *f;
	char obj[128], m[128];
	int a, b;

	if (!tune_machine_older(d, 5, 2))
		return;
	tune_machine_version(d, &a, &b);
	f = tune_find(ctx, TUNE_INFO, "%s",
		      dom_object(d, NULL, obj, sizeof(obj)));
	finding_observed(f, "machine type %s (%d.%d)",
			 dom_attr(dom_node(d, NULL, "/domain/os/type"),
				  "machine", m, sizeof(m)),
			 a, b);
	finding_where(f, "/domain/os/type/@machine");
	finding_recommend(f, "a machine type >= 5.2 defaults virtio queues to vCPUs; changing it changes the guest ABI (cold reboot)");
	finding_fix(f, "<type machine='%s'>hvm</type>",
		    strstr(m, "q35") ? "q35" : "pc");
}

const struct tune_rule tune_rules_cpu[] = {
	{ "D14", "vCPU pins within one NUMA node", NULL, d14_span },
	{ "D15", "emulator thread pinning", NULL, d15_emulatorpin },
	{ "D16", "vCPU pins shared between domains", NULL, d16_overlap },
	{ "D17", "memory bound to the vCPUs' node", NULL, d17_membind },
	{ "D21", "CPU model", NULL, d21_cpu_model },
	{ "D34", "machine type", NULL, d34_machine },
	RULES_END,
};
