/* SPDX-License-Identifier: MIT */
/* Host platform rules: KVM, vhost-net, IOMMU, CPU power, KVM module
 * parameters, tuned, KSM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tune/rules.h"
#include "topo/sysfs.h"

static bool has_flag(const char *cpuinfo, const char *flag)
{
	const char *p = cpuinfo;
	size_t l = strlen(flag);

	while ((p = strstr(p, flag))) {
		if (p > cpuinfo && (p[-1] == ' ' || p[-1] == '\t') &&
		    (p[l] == ' ' || p[l] == '\n' || !p[l]))
			return true;
		p += l;
	}
	return false;
}

static void h01_kvm(struct tune_ctx *ctx)
{
	static char buf[1 << 16];
	char dev[TOPO_PATH_MAX];
	struct tune_finding *f;

	if (topo_sysfs_read(ctx->root, buf, sizeof(buf), "/proc/cpuinfo")) {
		tune_skip(ctx, "host", "cannot read /proc/cpuinfo");
	} else if (strstr(buf, "flags") && !has_flag(buf, "vmx") &&
		   !has_flag(buf, "svm")) {
		f = tune_find(ctx, TUNE_ERROR, "host CPU");
		finding_observed(f, "no vmx or svm flag: hardware virtualization is off or absent");
		finding_where(f, "/proc/cpuinfo flags");
		finding_recommend(f, "enable VT-x/AMD-V: without it QEMU falls back to TCG, 10-50x slower");
		finding_fix(f, "enable Intel VT-x / AMD-V (SVM) in the firmware setup, then reboot");
	}
	topo_sysfs_join(dev, sizeof(dev), ctx->root, "/dev/kvm");
	if (access(dev, F_OK)) {
		f = tune_find(ctx, TUNE_ERROR, "host /dev/kvm");
		finding_observed(f, "/dev/kvm does not exist");
		finding_where(f, "/dev/kvm");
		finding_recommend(f, "load the KVM module: guests cannot use hardware virtualization without it");
		finding_fix(f, "modprobe kvm_intel   # or: modprobe kvm_amd");
	} else if (access(dev, R_OK | W_OK)) {
		f = tune_find(ctx, TUNE_ERROR, "host /dev/kvm");
		finding_observed(f, "/dev/kvm is not readable and writable by this user");
		finding_where(f, "/dev/kvm");
		finding_recommend(f, "give the QEMU user access to /dev/kvm");
		finding_fix(f, "usermod -aG kvm $USER   # then log in again");
	}
}

static void h02_vhost_net(struct tune_ctx *ctx)
{
	struct tune_finding *f;

	if (topo_sysfs_exists(ctx->root, "/dev/vhost-net") ||
	    topo_sysfs_exists(ctx->root, "/sys/module/vhost_net"))
		return;
	f = tune_find(ctx, TUNE_WARN, "host vhost-net");
	finding_observed(f, "neither /dev/vhost-net nor /sys/module/vhost_net exists");
	finding_where(f, "/dev/vhost-net");
	finding_recommend(f, "load vhost_net: virtio-net packets are then moved in the kernel, not by QEMU's main loop");
	finding_fix(f, "modprobe vhost_net && echo vhost_net > /etc/modules-load.d/vhost_net.conf");
}

static bool has_sriov_nic(struct tune_ctx *ctx)
{
	char nics[TOPO_MAX_DEVS][64];
	int n = host_nic_list(ctx->root, nics, TOPO_MAX_DEVS);

	for (int i = 0; i < n; i++) {
		struct host_nic nic;

		if (!host_nic_info(ctx->root, nics[i], &nic) &&
		    nic.sriov_total > 0)
			return true;
	}
	return false;
}

/* Severity when the IOMMU is missing: an error if a domain passes a
 * device through, a warning if SR-IOV hardware could use it, else none. */
static enum tune_sev iommu_need(struct tune_ctx *ctx)
{
	if (tune_any_hostdev(ctx))
		return TUNE_ERROR;
	return has_sriov_nic(ctx) ? TUNE_WARN : TUNE_SKIP;
}

static void h03_iommu_fw(struct tune_ctx *ctx)
{
	static const char *const tables[] = { "DMAR", "IVRS", "IORT" };
	enum tune_sev sev;
	struct tune_finding *f;

	for (size_t i = 0; i < 3; i++)
		if (topo_sysfs_exists(ctx->root, "/sys/firmware/acpi/tables/%s",
				 tables[i]))
			return;
	sev = iommu_need(ctx);
	if (sev == TUNE_SKIP)
		return;
	f = tune_find(ctx, sev, "host IOMMU");
	finding_observed(f, "no DMAR/IVRS/IORT ACPI table: the firmware exposes no IOMMU%s",
			 sev == TUNE_ERROR ? " but a domain uses <hostdev>" : "");
	finding_where(f, "/sys/firmware/acpi/tables/{DMAR,IVRS,IORT}");
	finding_recommend(f, "enable VT-d / AMD-Vi in the firmware: device passthrough and SR-IOV VFs need it");
	finding_fix(f, "firmware setup: enable VT-d (Intel) or IOMMU/AMD-Vi (AMD), then reboot");
}

static void h04_iommu_kernel(struct tune_ctx *ctx)
{
	char groups[4][64], cmdline[4096] = "";
	struct tune_finding *f;
	enum tune_sev sev;
	int n;

	topo_sysfs_read(ctx->root, cmdline, sizeof(cmdline), "/proc/cmdline");
	n = topo_sysfs_list(ctx->root, "/sys/kernel/iommu_groups", NULL, groups, 4);
	if (n > 0) {
		if (strstr(cmdline, "iommu=pt"))
			return;
		f = tune_find(ctx, TUNE_INFO, "host IOMMU");
		finding_observed(f, "IOMMU active without iommu=pt on the kernel command line");
		finding_where(f, "/proc/cmdline");
		finding_recommend(f, "iommu=pt: host-owned devices (NVMe, NICs) skip DMA remapping, passthrough still works");
		finding_fix(f, "add 'iommu=pt' to GRUB_CMDLINE_LINUX in /etc/default/grub; update-grub; reboot");
		return;
	}
	sev = iommu_need(ctx);
	if (sev == TUNE_SKIP)
		return;
	f = tune_find(ctx, sev, "host IOMMU");
	finding_observed(f, "/sys/kernel/iommu_groups is empty: the kernel has not enabled an IOMMU");
	finding_where(f, "/sys/kernel/iommu_groups, /proc/cmdline");
	finding_recommend(f, "turn the IOMMU on in the kernel: VFIO passthrough needs IOMMU groups");
	finding_fix(f, "add 'intel_iommu=on iommu=pt' (Intel) or 'amd_iommu=on iommu=pt' to the kernel command line; reboot");
}

static void h09_gigantic_runtime(struct tune_ctx *ctx)
{
	char cmdline[4096] = "";
	struct tune_finding *f;
	long nr;

	if (topo_hp_get(ctx->root, -1, 1048576, "nr_hugepages", &nr) || !nr)
		return;
	topo_sysfs_read(ctx->root, cmdline, sizeof(cmdline), "/proc/cmdline");
	if (strstr(cmdline, "hugepagesz=1G") ||
	    strstr(cmdline, "hugepagesz=1g"))
		return;
	f = tune_find(ctx, TUNE_INFO, "host hugepages-1048576kB");
	finding_observed(f, "%ld 1 GiB pages allocated at runtime, none reserved at boot", nr);
	finding_where(f, "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages, /proc/cmdline");
	finding_recommend(f, "reserve 1 GiB pages at boot: after uptime memory fragments and runtime allocation fails");
	finding_fix(f, "kernel command line: default_hugepagesz=1G hugepagesz=1G hugepages=%ld", nr);
}

static void h11_governor(struct tune_ctx *ctx)
{
	struct cpuset slow;
	char buf[64], list[256], first[64] = "";
	struct tune_finding *f;
	int seen = 0;

	cpuset_zero(&slow);
	for (int c = 0; c < CPUSET_MAX; c++) {
		if (!cpuset_has(&ctx->topo.online, c))
			continue;
		if (topo_sysfs_read(ctx->root, buf, sizeof(buf),
			       "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
			       c))
			continue;
		seen++;
		if (strcmp(buf, "performance")) {
			cpuset_add(&slow, c);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", buf);
		}
	}
	if (!seen) {
		tune_skip(ctx, "host cpufreq",
			  "no /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor (no cpufreq driver: a VM, a container or firmware-managed power)");
		return;
	}
	if (!cpuset_count(&slow))
		return;
	f = tune_find(ctx, TUNE_WARN, "host CPUs %s",
		      cpuset_format(&slow, list, sizeof(list)));
	finding_observed(f, "scaling governor is '%s', not 'performance'", first);
	finding_where(f, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
		      cpuset_first(&slow));
	finding_recommend(f, "performance: ramping clocks up per I/O burst adds latency to every guest exit");
	finding_fix(f, "cpupower frequency-set -g performance   # or: tuned-adm profile virtual-host");
}

static void h12_tuned(struct tune_ctx *ctx)
{
	static const char *const good[] = { "virtual-host", "cpu-partitioning",
					    "realtime-virtual-host" };
	char buf[256];
	struct tune_finding *f;

	if (!topo_sysfs_read(ctx->root, buf, sizeof(buf),
			"/etc/tuned/active_profile"))
		for (size_t i = 0; i < 3; i++)
			if (strstr(buf, good[i]))
				return;
	f = tune_find(ctx, TUNE_INFO, "host tuned");
	if (topo_sysfs_exists(ctx->root, "/etc/tuned/active_profile"))
		finding_observed(f, "active tuned profile is '%s'", buf);
	else
		finding_observed(f, "no tuned profile is active");
	finding_where(f, "/etc/tuned/active_profile");
	finding_recommend(f, "virtual-host sets governor, dirty ratios and scheduler knobs for KVM hosts in one step");
	finding_fix(f, "apt-get install tuned && tuned-adm profile virtual-host");
}

static void h13_cstates(struct tune_ctx *ctx)
{
	char names[32][64], name[64], deep[256] = "";
	struct tune_finding *f;
	long lat, dis;
	int n, ndeep = 0;

	n = topo_sysfs_list(ctx->root, "/sys/devices/system/cpu/cpu0/cpuidle",
		       "state", names, 32);
	if (n <= 0) {
		tune_skip(ctx, "host cpuidle",
			  "no /sys/devices/system/cpu/cpu0/cpuidle (no cpuidle driver here)");
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *d = "/sys/devices/system/cpu/cpu0/cpuidle";

		if (topo_sysfs_read_long(ctx->root, &lat, "%s/%s/latency", d,
				    names[i]) ||
		    topo_sysfs_read_long(ctx->root, &dis, "%s/%s/disable", d,
				    names[i]))
			continue;
		if (topo_sysfs_read(ctx->root, name, sizeof(name), "%s/%s/name", d,
			       names[i]))
			snprintf(name, sizeof(name), "%.63s", names[i]);
		if (dis || lat <= 100)
			continue;
		snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep),
			 "%s%s (%ld us)", ndeep++ ? ", " : "", name, lat);
	}
	if (!ndeep)
		return;
	f = tune_find(ctx, TUNE_INFO, "host C-states");
	finding_observed(f, "deep idle states enabled: %s", deep);
	finding_where(f, "/sys/devices/system/cpu/cpu0/cpuidle/state*/{name,latency,disable}");
	finding_recommend(f, "cap exit latency for latency-bound I/O guests (virtual-host's cstate.id_no_zero:3 keeps C1..C3)");
	finding_fix(f, "cpupower idle-set -D 100   # or a tuned profile with force_latency");
}

static void h14_halt_poll(struct tune_ctx *ctx)
{
	struct tune_finding *f;
	long ns;

	if (topo_sysfs_read_long(ctx->root, &ns,
			    "/sys/module/kvm/parameters/halt_poll_ns")) {
		tune_skip(ctx, "host kvm",
			  "no /sys/module/kvm/parameters/halt_poll_ns (kvm module not loaded)");
		return;
	}
	if (ns && ns <= 1000000)
		return;
	f = tune_find(ctx, ns ? TUNE_WARN : TUNE_INFO, "host kvm");
	finding_observed(f, "halt_poll_ns = %ld", ns);
	finding_where(f, "/sys/module/kvm/parameters/halt_poll_ns");
	if (ns)
		finding_recommend(f, "200000 (the default): polling above 1 ms burns host CPU that other vCPUs and I/O threads need");
	else
		finding_recommend(f, "200000 (the default) unless power-capped or overcommitted: 0 adds a wake-up to every I/O completion");
	finding_fix(f, "echo 200000 > /sys/module/kvm/parameters/halt_poll_ns");
}

static bool wants_no_sharing(struct tune_dom *d)
{
	return (d->pinned ||
		dom_node(d, NULL, "/domain/memoryBacking/hugepages")) &&
	       !dom_node(d, NULL, "/domain/memoryBacking/nosharepages");
}

static void h15_ksm(struct tune_ctx *ctx)
{
	struct tune_finding *f;
	char names[512] = "";
	long run;

	if (topo_sysfs_read_long(ctx->root, &run, "/sys/kernel/mm/ksm/run") ||
	    run != 1)
		return;
	for (struct tune_dom *d = ctx->doms; d; d = d->next)
		if (wants_no_sharing(d))
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", d->name);
	if (!names[0])
		return;
	f = tune_find(ctx, TUNE_INFO, "host KSM");
	finding_observed(f, "KSM runs (run=1) while pinned/hugepage domains allow sharing: %s", names);
	finding_where(f, "/sys/kernel/mm/ksm/run, /domain/memoryBacking/nosharepages");
	finding_recommend(f, "ksmd scanning steals CPU and breaks pages across NUMA nodes for VMs meant to be dedicated");
	finding_fix(f, "echo 2 > /sys/kernel/mm/ksm/run   # or <memoryBacking><nosharepages/></memoryBacking> in those domains");
}

static void h22_zcopy(struct tune_ctx *ctx)
{
	struct tune_finding *f;
	long v;

	if (topo_sysfs_read_long(ctx->root, &v,
			    "/sys/module/vhost_net/parameters/experimental_zcopytx") ||
	    v != 1)
		return;
	f = tune_find(ctx, TUNE_INFO, "host vhost-net");
	finding_observed(f, "experimental_zcopytx = 1");
	finding_where(f, "/sys/module/vhost_net/parameters/experimental_zcopytx");
	finding_recommend(f, "zero-copy TX saves CPU on large packets but lets a guest pin host memory (DoS risk): keep it only if wanted");
	finding_fix(f, "echo 'options vhost_net experimental_zcopytx=0' > /etc/modprobe.d/vhost-net.conf");
}

static bool any_rt_domain(struct tune_ctx *ctx)
{
	for (struct tune_dom *d = ctx->doms; d; d = d->next)
		if (dom_node(d, NULL,
			     "/domain/cputune/vcpusched[@scheduler='fifo' or @scheduler='rr']"))
			return true;
	return false;
}

static void rt_param(struct tune_ctx *ctx, const char *path, const char *want,
		     const char *fix)
{
	struct tune_finding *f;
	char buf[64];

	if (topo_sysfs_read(ctx->root, buf, sizeof(buf), "%s", path) ||
	    !strcmp(buf, want))
		return;
	f = tune_find(ctx, TUNE_INFO, "host kvm");
	finding_observed(f, "%s = %s while a domain uses a real-time vcpusched",
			 strrchr(path, '/') + 1, buf);
	finding_where(f, "%s", path);
	finding_recommend(f, "%s, as tuned's realtime-virtual-host sets it: fewer host-induced vCPU stalls", want);
	finding_fix(f, "%s", fix);
}

static void h23_rt_params(struct tune_ctx *ctx)
{
	if (!any_rt_domain(ctx))
		return;
	rt_param(ctx, "/sys/module/kvm_intel/parameters/ple_gap", "0",
		 "echo 'options kvm_intel ple_gap=0' > /etc/modprobe.d/kvm-rt.conf");
	rt_param(ctx, "/sys/module/kvm/parameters/nx_huge_pages", "N",
		 "kernel command line: kvm.nx_huge_pages=off");
	rt_param(ctx, "/sys/module/kvm/parameters/kvmclock_periodic_sync", "N",
		 "echo 'options kvm kvmclock_periodic_sync=N' > /etc/modprobe.d/kvm-rt.conf");
}

const struct tune_rule tune_rules_kvm[] = {
	{ "H01", "KVM usable", h01_kvm, NULL },
	{ "H02", "vhost-net available", h02_vhost_net, NULL },
	{ "H03", "IOMMU in firmware", h03_iommu_fw, NULL },
	{ "H04", "IOMMU active in kernel", h04_iommu_kernel, NULL },
	{ "H09", "1G pages reserved at boot", h09_gigantic_runtime, NULL },
	{ "H11", "CPU frequency governor", h11_governor, NULL },
	{ "H12", "tuned profile", h12_tuned, NULL },
	{ "H13", "C-state exit latency", h13_cstates, NULL },
	{ "H14", "KVM halt polling", h14_halt_poll, NULL },
	{ "H15", "KSM vs dedicated domains", h15_ksm, NULL },
	{ "H22", "vhost-net zero-copy TX", h22_zcopy, NULL },
	{ "H23", "real-time KVM parameters", h23_rt_params, NULL },
	RULES_END,
};
