/* SPDX-License-Identifier: MIT */
/*
 * `vmio bench paper`: the source paper's four experiments (and a
 * scalability sweep), each target measured in the same run by the same
 * frontend: vmiod, qemu-storage-daemon, and io_uring straight on the file
 * (the physical baseline), the performance budgets (budget.c), and CPU and
 * latency by offered load (load.c). Writes report.md, report.json and
 * gnuplot plots.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/budget.h"
#include "bench/load.h"
#include "bench/paper.h"
#include "bench/plot.h"
#include "bench/run.h"
#include "util/clock.h"

/* The experiments, by the names --only takes. */
enum {
	EXP_THROUGHPUT = 1u << 0,
	EXP_ISOLATION = 1u << 1,
	EXP_SCALING = 1u << 2,
	EXP_BUDGETS = 1u << 3,
	EXP_LOAD = 1u << 4,
	EXP_RBD = 1u << 5,
	EXP_LOCAL = EXP_THROUGHPUT | EXP_ISOLATION | EXP_SCALING | EXP_BUDGETS |
		    EXP_LOAD,
};
static const char *const exp_names[] = { "throughput", "isolation", "scaling",
					 "budgets", "load", "rbd" };

struct paper {
	const char *out;
	char file[512], file2[520];
	double runtime;
	double budget_runtime;   /* seconds per target and budget round */
	uint64_t size;
	bool quick;
	json_t *runs;
	json_t *cmds;            /* rerun commands, numbered in the tables */
	json_t *budgets;         /* budget.c's verdicts and rounds */
	json_t *load;            /* load.c's rows and bars */
	FILE *iso_dat;           /* isolation.dat, for the plot */
	unsigned int busy_rows;  /* rows during which others used the CPU */
	FILE *md;
	int failures;
	/* Experiment 7 (--rbd-conf): an RBD image of that cluster. */
	const char *rbd_conf, *rbd_user;
	const char *rbd_image;   /* POOL/IMAGE */
	unsigned int only;       /* experiments to run (EXP_* bits; 0: all) */
};

static struct job_params base_job(const struct paper *pp, enum job_rw rw,
				  uint32_t bs, unsigned int qd, unsigned int q)
{
	struct job_params j = { .rw = rw, .read_pct = 50, .bs = bs, .iodepth = qd,
				.queues = q, .runtime_s = pp->runtime,
				.ramp_s = pp->quick ? 0.2 : 0.5, .size = pp->size,
				.want_irq = true, .progress = true };
	return j;
}

/* Runs one spec, prints it, records it in the JSON; NULL on failure. */
static bool measure(struct paper *pp, const char *exp, struct run_spec *s,
		    struct run_result *r)
{
	char err[512] = "";
	json_t *j;

	s->job.label = exp;
	if (run_one(s, r, err, sizeof(err))) {
		fprintf(stderr, "vmio bench paper: %s on %s failed: %s\n", exp,
			target_name(s->kind), err);
		pp->failures++;
		return false;
	}
	run_print(s, r);
	j = run_to_json(s, r);
	json_object_set_new(j, "experiment", json_string(exp));
	json_array_append_new(pp->runs, j);
	return true;
}

/* Numbers a command for the report's command list. */
static size_t add_command(struct paper *pp, const char *cmd)
{
	json_array_append_new(pp->cmds, json_string(cmd));
	return json_array_size(pp->cmds);
}

static void row(struct paper *pp, const char *what, const struct run_spec *s,
		const struct run_result *r)
{
	char cmd[2048];

	run_command(s, cmd, sizeof(cmd));
	if (run_other_share(s, r) > RUN_BUSY_SHARE)
		pp->busy_rows++;
	fprintf(pp->md, "| %s | %s | %.0f | %.1f | %.1f | %.1f | %.2f | %.1f | %.2f | %.0f | %zu |\n",
		what, target_name(s->kind), r->iops, r->bw_bytes / 1e6,
		hist_mean(&r->r.lat) / 1e3, hist_quantile(&r->r.lat, 0.99) / 1e3,
		r->cpu_us_per_io, r->target_cpu_s / (s->job.runtime_s + s->job.ramp_s) * 100,
		r->little_ratio, 100 * run_other_share(s, r), add_command(pp, cmd));
}

static void table_head(struct paper *pp)
{
	fprintf(pp->md, "| workload | target | IOPS | MB/s | mean µs | p99 µs | "
		"target CPU µs/IO | target CPU %% of a core | Little's law ratio | "
		"others' CPU %% | cmd |\n"
		"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
}

/* The virtio-scsi twin of a vmiod virtio-blk spec, measured and put in
 * the table as "NAME, virtio-scsi". */
static void measure_scsi(struct paper *pp, const char *name,
			 const struct run_spec *blk, double *iops, double *cpu,
			 double *p99)
{
	struct run_spec s = *blk;
	struct run_result r;
	char what[160];

	s.job.scsi = true;
	s.job.lun = 0;
	snprintf(what, sizeof(what), "%s, virtio-scsi", name);
	if (!measure(pp, what, &s, &r))
		return;
	row(pp, what, &s, &r);
	*iops = r.iops;
	*cpu = r.cpu_us_per_io;
	*p99 = hist_quantile(&r.r.lat, 0.99) / 1e3;
}

/* Experiments 1-3: throughput, latency and CPU of each target. */
static void exp_throughput(struct paper *pp)
{
	static const enum target_kind kinds[] = { TARGET_VMIOD, TARGET_QSD, TARGET_HOST };
	/* scsi: right after vmiod's virtio-blk row, the same job on the same
	 * image through vmiod's virtio-scsi (--scsi, LUN 0): the device
	 * model's cost, the transport, reactors and backends being shared. */
	struct { const char *name, *label; enum job_rw rw; unsigned int qd; bool null, scsi; } w[] = {
		{ "4K randwrite QD64, file", "write-QD64", RW_RANDWRITE, 64, false, false },
		{ "4K randread QD64, file", "read-QD64", RW_RANDREAD, 64, false, true },
		{ "4K randread QD1, file", "read-QD1", RW_RANDREAD, 1, false, false },
		{ "4K randread QD64, null backend", "null-read-QD64", RW_RANDREAD, 64, true, true },
	};
	double scsi_iops[4] = { 0 }, scsi_cpu[4] = { 0 }, scsi_p99[4] = { 0 };
	char path[600];
	FILE *dat;
	double vm_iops[4] = { 0 }, qsd_iops[4] = { 0 }, host_iops[4] = { 0 };
	double vm_cpu[4] = { 0 }, qsd_cpu[4] = { 0 };
	double vm_p99[4] = { 0 }, host_p99[4] = { 0 };

	fprintf(pp->md, "## 1-3. Throughput, latency and CPU (one queue)\n\n"
		"Rows ending in *virtio-scsi* are the vmiod row above them "
		"served as a virtio-scsi LUN (`vmiod --scsi`, READ(16)) instead "
		"of virtio-blk: same vmiod, same image, measured right after.\n\n");
	table_head(pp);
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int k = 0; k < 3; k++) {
			struct run_spec s = { .kind = kinds[k],
					      .file = w[i].null ? NULL : pp->file,
					      .null_size = 1ull << 30,
					      .job = base_job(pp, w[i].rw, 4096, w[i].qd, 1) };
			struct run_result r;

			if (w[i].null && kinds[k] == TARGET_HOST)
				continue;
			if (!measure(pp, w[i].name, &s, &r))
				continue;
			row(pp, w[i].name, &s, &r);
			if (kinds[k] == TARGET_VMIOD) {
				vm_iops[i] = r.iops;
				vm_cpu[i] = r.cpu_us_per_io;
				vm_p99[i] = hist_quantile(&r.r.lat, 0.99) / 1e3;
				if (w[i].scsi)
					measure_scsi(pp, w[i].name, &s, &scsi_iops[i],
						     &scsi_cpu[i], &scsi_p99[i]);
			} else if (kinds[k] == TARGET_QSD) {
				qsd_iops[i] = r.iops;
				qsd_cpu[i] = r.cpu_us_per_io;
			} else {
				host_iops[i] = r.iops;
				host_p99[i] = hist_quantile(&r.r.lat, 0.99) / 1e3;
			}
		}
	snprintf(path, sizeof(path), "%s/throughput.dat", pp->out);
	dat = fopen(path, "w");
	for (unsigned int i = 0; dat && i < 4; i++)
		fprintf(dat, "%s %.0f %.0f %.0f\n", w[i].label, vm_iops[i],
			qsd_iops[i], host_iops[i]);
	if (dat)
		fclose(dat);
	fprintf(pp->md, "\n![IOPS by workload](throughput.svg)\n\n"
		"**Ratios (same run):**\n\n");
	for (unsigned int i = 0; i < 4; i++) {
		fprintf(pp->md, "- %s: vmiod/qsd IOPS %.2fx; IOPS per target "
			"CPU-second vmiod/qsd %.2fx", w[i].name,
			qsd_iops[i] ? vm_iops[i] / qsd_iops[i] : 0,
			vm_cpu[i] ? qsd_cpu[i] / vm_cpu[i] : 0);
		if (host_iops[i])
			fprintf(pp->md, "; vmiod/host IOPS %.0f%%; p99 vmiod %.1f µs vs "
				"host %.1f µs", 100 * vm_iops[i] / host_iops[i],
				vm_p99[i], host_p99[i]);
		fprintf(pp->md, "\n");
	}
	for (unsigned int i = 0; i < 4; i++)
		if (scsi_iops[i] && vm_iops[i])
			fprintf(pp->md, "- %s on vmiod: virtio-scsi/virtio-blk IOPS "
				"%.2fx; CPU µs/IO scsi %.2f vs blk %.2f; p99 scsi "
				"%.1f µs vs blk %.1f µs\n", w[i].name,
				scsi_iops[i] / vm_iops[i], scsi_cpu[i], vm_cpu[i],
				scsi_p99[i], vm_p99[i]);
	fprintf(pp->md, "\n");
}

struct tenant_run {
	const char *socket;      /* a target's disk, or */
	const char *file;        /* host io_uring on this file */
	struct job_params job;
	struct job_result r;
	int ret;
};

static void *tenant_main(void *arg)
{
	struct tenant_run *t = arg;

	t->ret = t->file ? job_run_host(t->file, &t->job, &t->r)
			 : job_run_vhost(t->socket, &t->job, &t->r);
	return NULL;
}

/* One isolation case. kind TARGET_HOST runs both tenants with io_uring
 * straight on the images: what the device itself does to tenant 2. */
struct iso_case {
	enum target_kind kind;
	bool noisy;              /* tenant 1 runs beside tenant 2 */
	double t1_rate;          /* tenant 1 paced at this many IOPS; 0: not */
	const char *t1_opts, *t2_opts, *daemon_args; /* vmiod's QoS */
	const char *name;
	const char *plot_label;  /* at most ~12 letters */
};

/* The command that repeats one tenant: on the target's socket, or on the
 * host. */
static void tenant_command(const struct tenant_run *t, char *buf, size_t len)
{
	struct run_spec rs = { .kind = t->file ? TARGET_HOST : TARGET_SOCKET,
			       .socket = t->socket, .file = t->file,
			       .job = t->job };

	run_command(&rs, buf, len);
}

static bool isolation_case(struct paper *pp, const struct iso_case *c)
{
	bool host = c->kind == TARGET_HOST;
	struct target t = { .kind = c->kind, .queues = 1, .ndisks = 2,
			    .vmiod_args = c->daemon_args };
	struct tenant_run t1 = { 0 }, t2 = { 0 };
	pthread_t th1;
	char err[512] = "", t1cell[32] = "—", cmd[6400], c1[2048], c2[2048];
	size_t cmd_no;
	double busy0, self0, tcpu0 = 0, wall0, others, t1_iops;
	json_t *j;

	t.disks[0] = (struct target_disk){ .file = pp->file, .vmiod_extra = c->t1_opts };
	t.disks[1] = (struct target_disk){ .file = pp->file2, .vmiod_extra = c->t2_opts };
	if (!host && target_start(&t, err, sizeof(err))) {
		fprintf(stderr, "vmio bench paper: isolation on %s: %s\n",
			target_name(c->kind), err);
		pp->failures++;
		return false;
	}
	if (host) {
		t1.file = pp->file;
		t2.file = pp->file2;
	} else {
		t1.socket = t.disks[0].socket;
		t2.socket = t.disks[1].socket;
	}
	t1.job = base_job(pp, RW_RANDWRITE, 4096, 64, 1);
	t1.job.ramp_s = 0.3;
	t1.job.progress = false;
	t1.job.rate_iops = c->t1_rate;
	t2.job = base_job(pp, RW_RANDREAD, 4096, 4, 1);
	t2.job.rate_iops = 1000;
	t2.job.ramp_s = 0.3;
	t2.job.label = c->name;
	busy0 = run_host_busy_s();
	self0 = run_self_cpu_s();
	if (!host)
		tcpu0 = target_cpu_s(&t);
	wall0 = (double)clock_now_ns() / 1e9;
	if (c->noisy)
		pthread_create(&th1, NULL, tenant_main, &t1);
	tenant_main(&t2);
	if (c->noisy)
		pthread_join(th1, NULL);
	/* What else used the machine meanwhile, as for run_other_share (the
	 * host tenants' CPU is this process's own). */
	others = (run_host_busy_s() - busy0 - (run_self_cpu_s() - self0) -
		  (host ? 0 : target_cpu_s(&t) - tcpu0)) /
		 (((double)clock_now_ns() / 1e9 - wall0) *
		  (double)sysconf(_SC_NPROCESSORS_ONLN));
	if (others < 0)
		others = 0;
	if (others > RUN_BUSY_SHARE)
		pp->busy_rows++;
	/* Re-running a case: the target by hand, then the tenants. */
	tenant_command(&t1, c1, sizeof(c1));
	tenant_command(&t2, c2, sizeof(c2));
	if (host)
		snprintf(cmd, sizeof(cmd), "%s%s%s", c2, c->noisy ? " & (together) " : "",
			 c->noisy ? c1 : "");
	else
		snprintf(cmd, sizeof(cmd), "%s & then%s %s%s%s", t.cmdline,
			 c->noisy ? " (together)" : "", c2, c->noisy ? " & " : "",
			 c->noisy ? c1 : "");
	if (!host)
		target_stop(&t);
	if (t2.ret || (c->noisy && t1.ret)) {
		fprintf(stderr, "vmio bench paper: isolation %s on %s failed: %s\n",
			c->name, target_name(c->kind),
			t2.r.error[0] ? t2.r.error : t1.r.error);
		pp->failures++;
		return false;
	}
	t1_iops = c->noisy ? t1.r.ios / t1.job.runtime_s : 0;
	printf("isolation %-34s %-6s tenant2 p50 %7.1f us p99 %7.1f us   tenant1 %8.0f IOPS\n",
	       c->name, target_name(c->kind), hist_quantile(&t2.r.lat, 0.5) / 1e3,
	       hist_quantile(&t2.r.lat, 0.99) / 1e3, t1_iops);
	if (c->noisy)
		snprintf(t1cell, sizeof(t1cell), "%.0f", t1_iops);
	cmd_no = add_command(pp, cmd);
	fprintf(pp->md, "| %s | %s | %.1f | %.1f | %s | %.0f | %zu |\n", c->name,
		target_name(c->kind), hist_quantile(&t2.r.lat, 0.5) / 1e3,
		hist_quantile(&t2.r.lat, 0.99) / 1e3, t1cell, 100 * others, cmd_no);
	if (pp->iso_dat && c->plot_label)
		fprintf(pp->iso_dat, "\"%s %s\" %.1f %.1f\n", target_name(c->kind),
			c->plot_label, hist_quantile(&t2.r.lat, 0.5) / 1e3,
			hist_quantile(&t2.r.lat, 0.99) / 1e3);
	j = json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:s}", "experiment", "isolation",
		      "case", c->name, "target", target_name(c->kind),
		      "tenant2_p50_us", hist_quantile(&t2.r.lat, 0.5) / 1e3,
		      "tenant2_p99_us", hist_quantile(&t2.r.lat, 0.99) / 1e3,
		      "tenant2_iops", t2.r.ios / t2.job.runtime_s,
		      "tenant1_iops", t1_iops, "command", cmd);
	json_object_set_new(j, "other_cpu_share", json_real(others));
	json_object_set_new(j, "tenant1_rate_iops", json_real(c->t1_rate));
	json_array_append_new(pp->runs, j);
	return true;
}

static double last_p99(const struct paper *pp, const char *kase, const char *tgt,
		       const char *field)
{
	size_t i;
	json_t *v;

	json_array_foreach(pp->runs, i, v) {
		const char *c = json_string_value(json_object_get(v, "case"));
		const char *t = json_string_value(json_object_get(v, "target"));

		if (c && t && !strcmp(c, kase) && !strcmp(t, tgt))
			return json_real_value(json_object_get(v, field));
	}
	return 0;
}

/* Experiment 4: noisy-neighbour isolation. */
static const char *const iso_qos[] = { "(a) cap on tenant 1 (half)",
				       "(b) minimum for tenant 2",
				       "(c) p99 target for tenant 2" };
static const char *const iso_floor[] = { "device alone, tenant 1 at (a)'s rate",
					 "device alone, tenant 1 at (b)'s rate",
					 "device alone, tenant 1 at (c)'s rate" };

static void isolation_summary(struct paper *pp, double t1_free, double t1_cap)
{
	static const char *const tk[] = { "host", "vmiod", "qsd" };
	double v_alone = last_p99(pp, "tenant 2 alone", "vmiod", "tenant2_p99_us");

	fprintf(pp->md, "\n**Tenant 2's p99 beside tenant 1 (no QoS), as a "
		"multiple of its p99 alone (same target, same run):** ");
	for (unsigned int k = 0; k < 3; k++) {
		double alone = last_p99(pp, "tenant 2 alone", tk[k], "tenant2_p99_us");
		double noisy = last_p99(pp, "beside tenant 1, no QoS", tk[k],
					"tenant2_p99_us");

		fprintf(pp->md, "%s %.1fx%s", tk[k], alone > 0 ? noisy / alone : 0,
			k < 2 ? "; " : ".\n\n");
	}
	fprintf(pp->md, "**Under vmiod's QoS** (bar: tenant 2's p99 at most 1.5x "
		"its p99 alone, tenant 1 keeping at least 80%% of what the QoS "
		"leaves it; *device floor*: both tenants on host io_uring, tenant "
		"1 paced at the rate it got under that QoS, so what the disk "
		"itself does at that load):\n\n");
	for (unsigned int i = 0; i < 3; i++) {
		double p99 = last_p99(pp, iso_qos[i], "vmiod", "tenant2_p99_us");
		double t1 = last_p99(pp, iso_qos[i], "vmiod", "tenant1_iops");
		double fl = last_p99(pp, iso_floor[i], "host", "tenant2_p99_us");
		double h_alone = last_p99(pp, "tenant 2 alone", "host", "tenant2_p99_us");
		double left = i == 0 ? t1_cap : t1_free;
		bool ok = v_alone > 0 && p99 <= 1.5 * v_alone && left > 0 &&
			  t1 >= 0.8 * left;

		fprintf(pp->md, "- %s: tenant 2 p99 %.0f µs = %.1fx alone; tenant 1 "
			"%.0f IOPS (%.0f%% of %s %.0f) — **%s**. Device floor: %.0f "
			"µs = %.1fx the host's alone; vmiod / device floor %.2fx\n",
			iso_qos[i], p99, v_alone > 0 ? p99 / v_alone : 0, t1,
			left > 0 ? 100 * t1 / left : 0,
			i == 0 ? "its cap of" : "its rate without QoS,", left,
			ok ? "PASS" : "MISS", fl, h_alone > 0 ? fl / h_alone : 0,
			fl > 0 ? p99 / fl : 0);
	}
}

static void exp_isolation(struct paper *pp)
{
	static const enum target_kind kinds[] = { TARGET_HOST, TARGET_VMIOD, TARGET_QSD };
	static const char *const plot_qos[] = { "cap", "min", "p99-tgt" };
	char cap[64], tgt[64], path[600];
	const char *t1_opts[3] = { cap, NULL, NULL }, *t2_opts[3] = { NULL, "iops-min=2000", tgt };
	const char *args[3] = { "--qos", "--qos --qos-depth 16", "--qos" };
	double t1_free, alone_p99, t1_cap;

	fprintf(pp->md, "## 4. Noisy-neighbour isolation\n\n"
		"Tenant 1: 4K random writes, QD64, closed loop, on disk A. Tenant 2: "
		"4K random reads, Poisson arrivals at 1000 IOPS, QD up to 4, on disk B "
		"of the same target and file system. vmiod runs its default "
		"(adaptive) polling policy, one reactor, unpinned, sharing the "
		"machine's cores with both tenants. *host* rows run both tenants "
		"with io_uring straight on the images: what the disk alone does to "
		"tenant 2, which no target can undo.\n\n"
		"| case | target | tenant 2 p50 µs | tenant 2 p99 µs | tenant 1 IOPS | "
		"others' CPU %% | cmd |\n"
		"|---|---|---:|---:|---:|---:|---:|\n");
	fflush(pp->md);
	snprintf(path, sizeof(path), "%s/isolation.dat", pp->out);
	pp->iso_dat = fopen(path, "w");
	for (unsigned int k = 0; k < 3; k++) {
		struct iso_case alone = { .kind = kinds[k], .name = "tenant 2 alone",
					  .plot_label = "alone" };
		struct iso_case noisy = { .kind = kinds[k], .noisy = true,
					  .name = "beside tenant 1, no QoS",
					  .plot_label = "noisy" };

		isolation_case(pp, &alone);
		isolation_case(pp, &noisy);
	}
	/* QoS exists only in vmiod (qsd has no QoS for vhost-user exports). */
	t1_free = last_p99(pp, "beside tenant 1, no QoS", "vmiod", "tenant1_iops");
	alone_p99 = last_p99(pp, "tenant 2 alone", "vmiod", "tenant2_p99_us");
	t1_cap = t1_free > 2000 ? t1_free / 2 : 1000;
	snprintf(cap, sizeof(cap), "iops=%.0f", t1_cap);
	snprintf(tgt, sizeof(tgt), "lat-target-us=%.0f", alone_p99 > 0 ? alone_p99 * 1.2 : 500);
	for (unsigned int i = 0; i < 3; i++) {
		struct iso_case q = { .kind = TARGET_VMIOD, .noisy = true,
				      .t1_opts = t1_opts[i], .t2_opts = t2_opts[i],
				      .daemon_args = args[i], .name = iso_qos[i],
				      .plot_label = plot_qos[i] };
		struct iso_case fl = { .kind = TARGET_HOST, .noisy = true,
				       .name = iso_floor[i] };

		if (!isolation_case(pp, &q))
			continue;
		fl.t1_rate = last_p99(pp, iso_qos[i], "vmiod", "tenant1_iops");
		if (fl.t1_rate >= 1)
			isolation_case(pp, &fl);
	}
	isolation_summary(pp, t1_free, t1_cap);
	fprintf(pp->md, "\n(a) caps tenant 1 at half its unthrottled rate; (b) gives "
		"tenant 2 a 2000-IOPS minimum with a best-effort depth of 16; (c) "
		"gives tenant 2 a p99 target of 1.2x its p99 alone (%s). In the "
		"plot: alone, noisy (beside tenant 1), cap (a), min (b), "
		"p99-tgt (c).\n\n"
		"![tenant 2 latency by case](isolation.svg)\n\n", tgt);
	if (pp->iso_dat)
		fclose(pp->iso_dat);
	pp->iso_dat = NULL;
}

/* Experiment 5a: bandwidth by block size, on the file. */
static void exp_block_sizes(struct paper *pp)
{
	static const enum target_kind kinds[] = { TARGET_VMIOD, TARGET_QSD, TARGET_HOST };
	static const uint32_t all[] = { 4096, 16384, 65536, 262144, 1u << 20 };
	static const uint32_t quick[] = { 4096, 65536, 1u << 20 };
	const uint32_t *sizes = pp->quick ? quick : all;
	unsigned int nsizes = pp->quick ? 3 : 5;
	char path[600];
	FILE *dat;

	snprintf(path, sizeof(path), "%s/bs.dat", pp->out);
	dat = fopen(path, "w");
	for (unsigned int b = 0; b < nsizes; b++) {
		double mbs[3] = { 0 };

		for (unsigned int k = 0; k < 3; k++) {
			struct run_spec s = { .kind = kinds[k], .file = pp->file,
					      .job = base_job(pp, RW_RANDREAD, sizes[b], 16, 1) };
			struct run_result r;
			char name[64];

			snprintf(name, sizeof(name), "%uK randread QD16", sizes[b] / 1024);
			if (measure(pp, name, &s, &r)) {
				row(pp, name, &s, &r);
				mbs[k] = r.bw_bytes / 1e6;
			}
		}
		if (dat)
			fprintf(dat, "%uK %.1f %.1f %.1f\n", sizes[b] / 1024, mbs[0],
				mbs[1], mbs[2]);
	}
	if (dat)
		fclose(dat);
}

/* Experiment 5b: IOPS by number of queues, on null backends (the path). */
static void exp_queues(struct paper *pp)
{
	static const enum target_kind kinds[] = { TARGET_VMIOD, TARGET_QSD };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int maxq = cores < 2 ? 2 : cores > 4 ? 4 : (unsigned int)cores;
	char path[600];
	FILE *dat;

	snprintf(path, sizeof(path), "%s/queues.dat", pp->out);
	dat = fopen(path, "w");
	for (unsigned int q = 1; q <= maxq; q++) {
		double iops[2] = { 0 };

		for (unsigned int k = 0; k < 2; k++) {
			struct run_spec s = { .kind = kinds[k], .null_size = 1ull << 30,
					      .job = base_job(pp, RW_RANDREAD, 4096, 32, q) };
			struct run_result r;
			char name[64];

			snprintf(name, sizeof(name), "4K randread QD32 x %u queue%s, null",
				 q, q > 1 ? "s" : "");
			if (measure(pp, name, &s, &r)) {
				row(pp, name, &s, &r);
				iops[k] = r.iops;
			}
		}
		if (dat)
			fprintf(dat, "%u %.0f %.0f\n", q, iops[0], iops[1]);
	}
	if (dat)
		fclose(dat);
}

static void exp_scaling(struct paper *pp)
{
	fprintf(pp->md, "## 5. Scalability\n\n");
	table_head(pp);
	exp_block_sizes(pp);
	exp_queues(pp);
	fprintf(pp->md, "\nThis machine has %ld cores shared by the frontend and "
		"the target: queue scaling past one queue measures contention for "
		"cores as much as the data path.\n\n![bandwidth by block size]"
		"(bs.svg)\n\n![IOPS by queues, null backends](queues.svg)\n\n",
		sysconf(_SC_NPROCESSORS_ONLN));
}

/* An RBD spec for the image of experiment 8. */
static struct run_spec rbd_spec(const struct paper *pp, enum target_kind kind,
				enum job_rw rw, uint32_t bs, unsigned int qd)
{
	struct run_spec s = { .kind = kind, .rbd = pp->rbd_image,
			      .rbd_conf = pp->rbd_conf, .rbd_user = pp->rbd_user,
			      .rbd_size = pp->size,
			      .job = base_job(pp, rw, bs, qd, 1) };

	return s;
}

/* Experiment 7 (with --rbd-conf): vmiod and qemu-storage-daemon on the
 * same RBD image, 4K random reads and writes at QD1 and QD32, with CPU
 * per I/O. The image is created (vmiod's size=) and written whole first,
 * so reads reach the OSDs' data rather than holes. */
static void exp_rbd(struct paper *pp)
{
	static const struct { const char *name; enum job_rw rw; unsigned int qd; } w[] = {
		{ "4K randread QD1, RBD", RW_RANDREAD, 1 },
		{ "4K randread QD32, RBD", RW_RANDREAD, 32 },
		{ "4K randwrite QD1, RBD", RW_RANDWRITE, 1 },
		{ "4K randwrite QD32, RBD", RW_RANDWRITE, 32 },
	};
	struct target t = { .kind = TARGET_VMIOD, .queues = 1, .ndisks = 1,
			    .rbd_conf = pp->rbd_conf, .rbd_user = pp->rbd_user };
	struct job_params fill = base_job(pp, RW_WRITE, 1 << 20, 8, 1);
	double iops[4][2] = { { 0 } }, cpu[4][2] = { { 0 } }, p99[4][2] = { { 0 } };
	struct run_result r;
	char err[512] = "";
	long bad = -1;

	fprintf(pp->md, "## 8. Ceph RBD\n\nImage `%s` of the cluster in `%s` "
		"(%llu MiB, written whole first), served by vmiod "
		"(`backend=rbd`) and by qemu-storage-daemon (`driver=rbd`), both "
		"through librbd with the cluster's own settings. Target CPU "
		"includes librbd's threads in the target; the cluster's daemons, "
		"when they run on this machine, count as *others' CPU*, so "
		"these rows are flagged busy by nature: compare the targets with "
		"each other.\n\n", pp->rbd_image, pp->rbd_conf,
		(unsigned long long)(pp->size >> 20));
	/* Written whole (and read back: vmiod's RBD path checked on the way)
	 * through vmiod, which creates the image if it is missing. */
	t.disks[0] = (struct target_disk){ .rbd = pp->rbd_image,
					   .rbd_size = pp->size };
	if (!target_start(&t, err, sizeof(err))) {
		bad = job_verify_vhost(t.disks[0].socket, &fill, pp->size, err,
				       sizeof(err));
		target_stop(&t);
		if (bad > 0)
			snprintf(err, sizeof(err), "%ld blocks read back wrong "
				 "through vmiod", bad);
	}
	if (bad != 0) {
		fprintf(pp->md, "Not measured: the image could not be prepared: "
			"%s\n\n", err[0] ? err : strerror((int)-bad));
		fprintf(stderr, "vmio bench paper: RBD: %s\n", err);
		pp->failures++;
		return;
	}
	table_head(pp);
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int k = 0; k < 2; k++) {
			struct run_spec s = rbd_spec(pp, k ? TARGET_QSD : TARGET_VMIOD,
						     w[i].rw, 4096, w[i].qd);

			if (!measure(pp, w[i].name, &s, &r))
				continue;
			row(pp, w[i].name, &s, &r);
			iops[i][k] = r.iops;
			cpu[i][k] = r.cpu_us_per_io;
			p99[i][k] = hist_quantile(&r.r.lat, 0.99) / 1e3;
		}
	fprintf(pp->md, "\n**Ratios (same run):**\n\n");
	for (unsigned int i = 0; i < 4; i++)
		fprintf(pp->md, "- %s: vmiod/qsd IOPS %.2fx; target CPU µs/IO "
			"vmiod %.1f vs qsd %.1f; p99 vmiod %.0f µs vs qsd %.0f µs\n",
			w[i].name, iops[i][1] ? iops[i][0] / iops[i][1] : 0,
			cpu[i][0], cpu[i][1], p99[i][0], p99[i][1]);
	fprintf(pp->md, "\n");
}

/* Experiment 6: the performance budgets, in interleaved rounds (budget.c):
 * 5 rounds of 3 s per target (1 of 1 s with --quick; --runtime sets the
 * seconds). */
static void exp_budgets(struct paper *pp)
{
	struct budget_opts o = { .rounds = pp->quick ? 1 : 5,
				 .runtime_s = pp->budget_runtime,
				 .file = pp->file, .rerun_file = pp->file,
				 .heading = "## 6. Budgets" };

	pp->failures += budget_run(&o, pp->md, &pp->budgets);
	budget_print(pp->budgets, stdout);
}

static size_t add_command_cb(void *ctx, const char *cmd)
{
	return add_command(ctx, cmd);
}

/* Experiment 7: CPU per I/O and latency by offered load (load.c), with
 * vmiod's default polling policy held to qsd and to its fixed modes. */
static void exp_load(struct paper *pp)
{
	struct load_opts o = { .file = pp->file, .size = pp->size,
			       .runtime_s = pp->runtime,
			       .ramp_s = pp->quick ? 0.2 : 0.5,
			       .loads = { 5, 25, 50, 90 }, .nloads = 4,
			       .modes = { "auto", "200", "0" }, .nmodes = 3,
			       .out = pp->out,
			       .heading = "## 7. CPU and latency by load",
			       .add_command = add_command_cb, .cmd_ctx = pp,
			       .busy_rows = &pp->busy_rows };

	pp->failures += load_run(&o, pp->md, &pp->load);
	fprintf(pp->md, "\n");
	load_plot(&o);
}

/* Runs one gnuplot script in the output folder. */
static int gnuplot(const struct paper *pp, const char *script)
{
	return bench_gnuplot(pp->out, script);
}

static bool runs(const struct paper *pp, unsigned int exp)
{
	return pp->only & exp;
}

/* --only LIST: experiment names, comma-separated, into bits. */
static int parse_only(const char *list, unsigned int *bits)
{
	char buf[200], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *n = strtok_r(buf, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		for (i = 0; i < sizeof(exp_names) / sizeof(exp_names[0]); i++)
			if (!strcmp(n, exp_names[i]))
				break;
		if (i == sizeof(exp_names) / sizeof(exp_names[0])) {
			fprintf(stderr, "vmio bench paper: --only: no experiment "
				"'%s' (throughput, isolation, scaling, budgets, "
				"load, rbd)\n", n);
			return -1;
		}
		*bits |= 1u << i;
	}
	return 0;
}

static void plot(struct paper *pp)
{
	int bad = 0;

	if (!bench_have_gnuplot("vmio bench paper"))
		return;
	if (runs(pp, EXP_THROUGHPUT))
		bad |= gnuplot(pp, "set output 'throughput.svg'; set style data histograms; "
		       "set ylabel 'IOPS'; set title '4K random, one queue: IOPS by workload'; "
		       "set logscale y; plot 'throughput.dat' using 2:xtic(1) title 'vmiod', "
		       "'' using 3 title 'qemu-storage-daemon', '' using 4 title 'host io_uring'");
	if (runs(pp, EXP_THROUGHPUT))
		bad |= gnuplot(pp, "set output 'bs.svg'; set style data histograms; "
		       "set ylabel 'MB/s'; set title 'randread QD16 by block size'; "
		       "plot 'bs.dat' using 2:xtic(1) title 'vmiod', '' using 3 title "
		       "'qemu-storage-daemon', '' using 4 title 'host io_uring'");
	if (runs(pp, EXP_SCALING))
		bad |= gnuplot(pp, "set output 'queues.svg'; set style data linespoints; "
		       "set xlabel 'queues'; set ylabel 'IOPS'; set xtics 1; set yrange [0:*]; "
		       "set title '4K randread QD32 per queue, null backends'; "
		       "plot 'queues.dat' using 1:2 title 'vmiod', '' using 1:3 "
		       "title 'qemu-storage-daemon'");
	if (runs(pp, EXP_ISOLATION))
		bad |= gnuplot(pp, "set output 'isolation.svg'; set style data histograms; "
		       "set ylabel 'tenant 2 latency (us)'; set xtics font ',9'; "
		       "set title 'tenant 2 (1000 IOPS randread) by case'; set logscale y; "
		       "plot 'isolation.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99'");
	if (bad)
		fprintf(stderr, "vmio bench paper: a plot failed (gnuplot)\n");
}

struct machine {
	char host[65], kernel[200], cpu[160], qsd[120], date[40];
	long cores;
	unsigned long long mem_mib;
};

/* The first line of a command's output, or of a file's line with key. */
static void first_line(const char *cmd, const char *key, char *out, size_t len)
{
	FILE *f = key ? fopen(cmd, "r") : popen(cmd, "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = line;

		if (key && strncmp(line, key, strlen(key)))
			continue;
		if (key && (v = strchr(line, ':')))
			v += 2;
		v[strcspn(v, "\n")] = '\0';
		if (strlen(v) >= len)
			v[len - 1] = '\0';
		memcpy(out, v, strlen(v) + 1);
		break;
	}
	if (key)
		fclose(f);
	else
		pclose(f);
}

static void machine_probe(struct machine *m)
{
	struct utsname u;
	time_t now = time(NULL);
	char mem[64];

	uname(&u);
	snprintf(m->host, sizeof(m->host), "%s", u.nodename);
	snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release,
		 u.machine);
	first_line("/proc/cpuinfo", "model name", m->cpu, sizeof(m->cpu));
	first_line("/proc/meminfo", "MemTotal", mem, sizeof(mem));
	m->mem_mib = strtoull(mem, NULL, 10) / 1024;
	first_line("qemu-storage-daemon --version 2>/dev/null", NULL, m->qsd,
		   sizeof(m->qsd));
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);
	strftime(m->date, sizeof(m->date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
}

static json_t *machine_json(const struct machine *m)
{
	return json_pack("{s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s}", "host", m->host,
			 "kernel", m->kernel, "cpu", m->cpu, "cores", (int)m->cores,
			 "mem_mib", (json_int_t)m->mem_mib, "qemu_storage_daemon",
			 m->qsd, "vmio", VMIO_VERSION, "date", m->date);
}

static void header(struct paper *pp, const struct machine *m, const char *argv_line)
{
	fprintf(pp->md, "# vmio bench paper\n\n"
		"| machine | |\n|---|---|\n| host | %s |\n| kernel | %s |\n"
		"| CPU | %s, %ld cores online |\n| memory | %llu MiB |\n"
		"| peer | %s |\n| vmio | %s |\n| date | %s |\n"
		"| command | `%s` |\n\n",
		m->host, m->kernel, m->cpu, m->cores, m->mem_mib, m->qsd,
		VMIO_VERSION, m->date, argv_line);
	fprintf(pp->md, "Every target was measured in this run by the same frontend "
		"(vmio's user-space vhost-user-blk driver, asking for an "
		"interrupt per completion like a guest). Image: %s (%llu MiB, "
		"filled with data), O_DIRECT + io_uring in every target; null "
		"backends are vmiod's null and qsd's null-co. %.1f s per run after "
		"a %.1f s ramp. Frontend and target share this machine's cores: "
		"compare figures within this report, not across machines or runs.\n\n"
		"Every row has a number in its *cmd* column: the exact command "
		"that repeats it is listed under [Commands](#commands); "
		"report.json holds every figure and the target command lines.\n\n",
		pp->file, (unsigned long long)(pp->size >> 20), pp->runtime,
		pp->quick ? 0.2 : 0.5);
}

static void commands(struct paper *pp)
{
	size_t i;
	json_t *v;

	if (pp->busy_rows)
		fprintf(pp->md, "## Warning: a busy machine\n\nDuring %u of the "
			"rows above, other processes used more than %.0f%% of this "
			"machine's CPU (column *others' CPU %%*, from /proc/stat "
			"minus the target's and vmio's own CPU). Those rows measure "
			"contention for the cores as much as the targets; re-run "
			"them on an idle machine before drawing conclusions.\n\n",
			pp->busy_rows, 100 * RUN_BUSY_SHARE);

	fprintf(pp->md, "## Commands\n\n");
	json_array_foreach(pp->cmds, i, v)
		fprintf(pp->md, "%zu. `%s`\n", i + 1, json_string_value(v));
}

int bench_paper_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "file", required_argument, NULL, 'f' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "rbd-conf", required_argument, NULL, 'C' },
		{ "rbd-user", required_argument, NULL, 'U' },
		{ "rbd-image", required_argument, NULL, 'I' },
		{ "rbd-only", no_argument, NULL, 'R' },
		{ "only", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct paper pp = { .out = "out/bench", .runtime = 5, .size = 1ull << 30 };
	const char *file = NULL;
	char path[600], err[512], argv_line[1024] = "vmio bench";
	struct machine m;
	json_t *report;
	double runtime = 0;
	char *end;
	int c;

	for (int i = 0; i < argc; i++)
		snprintf(argv_line + strlen(argv_line),
			 sizeof(argv_line) - strlen(argv_line), " %s", argv[i]);

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'q') {
			pp.quick = true;
			pp.runtime = 1;
			pp.size = 256ull << 20;
		} else if (c == 'o') {
			pp.out = optarg;
		} else if (c == 'f') {
			file = optarg;
		} else if (c == 'C') {
			pp.rbd_conf = optarg;
		} else if (c == 'U') {
			pp.rbd_user = optarg;
		} else if (c == 'I') {
			pp.rbd_image = optarg;
		} else if (c == 'R') {
			pp.only |= EXP_RBD;
		} else if (c == 'O') {
			if (parse_only(optarg, &pp.only))
				return 2;
		} else if (c == 'r') {
			runtime = strtod(optarg, &end);
			if (*end || !(runtime >= 0.1 && runtime <= 600)) {
				fprintf(stderr, "vmio bench paper: --runtime takes "
					"seconds per row, 0.1 to 600: %s\n", optarg);
				return 2;
			}
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: vmio bench paper [--quick] [--out DIR] "
				"[--file PATH] [--runtime S]\n"
				"                        [--only LIST]\n"
				"  --quick      1 s per row, 256 MiB images, fewer "
				"block sizes, one\n"
				"               budget round (about a minute and a half)\n"
				"  --out DIR    report.md, report.json, plots and "
				"images (default out/bench)\n"
				"  --file PATH  image for disk A (PATH.b is disk B)\n"
				"  --runtime S  seconds per row (default 5; 1 with "
				"--quick), and per\n"
				"               target in each budget round (default 3 "
				"in 5 rounds; 1 in\n"
				"               one round with --quick)\n"
				"  --rbd-conf FILE  also experiment 8: vmiod and qsd "
				"on an RBD image of\n"
				"               that Ceph cluster (--rbd-image "
				"POOL/IMAGE, default\n"
				"               rbd/vmio-bench, created if missing; "
				"--rbd-user NAME);\n"
				"               --rbd-only runs that experiment "
				"alone\n"
				"  --only LIST  these experiments only, of "
				"throughput, isolation,\n"
				"               scaling, budgets, load, rbd "
				"(e.g. --only isolation)\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmio bench paper: unexpected argument: %s\n",
			argv[optind]);
		return 2;
	}
	if ((pp.rbd_user || pp.rbd_image || runs(&pp, EXP_RBD)) && !pp.rbd_conf) {
		fprintf(stderr, "vmio bench paper: --rbd-user, --rbd-image, "
			"--rbd-only and --only rbd go with --rbd-conf FILE (the "
			"cluster)\n");
		return 2;
	}
	if (!pp.only)
		pp.only = EXP_LOCAL | (pp.rbd_conf ? EXP_RBD : 0);
	if (pp.rbd_conf && !pp.rbd_image)
		pp.rbd_image = "rbd/vmio-bench";
	if (runtime)
		pp.runtime = runtime;
	pp.budget_runtime = runtime ? runtime : pp.quick ? 1 : 3;
	snprintf(path, sizeof(path), "mkdir -p '%s'", pp.out);
	if (system(path)) {
		fprintf(stderr, "vmio bench paper: cannot create %s\n", pp.out);
		return 1;
	}
	snprintf(pp.file, sizeof(pp.file), "%s", file ? file : "");
	if (!file)
		snprintf(pp.file, sizeof(pp.file), "%s/disk-a.img", pp.out);
	snprintf(pp.file2, sizeof(pp.file2), "%s.b", pp.file);
	if (runs(&pp, EXP_LOCAL))
		fprintf(stderr, "vmio bench paper: preparing %s and %s (%llu MiB "
			"each)\n", pp.file, pp.file2,
			(unsigned long long)(pp.size >> 20));
	if (runs(&pp, EXP_LOCAL) &&
	    (run_prepare_file(pp.file, pp.size, err, sizeof(err)) ||
	     run_prepare_file(pp.file2, pp.size, err, sizeof(err)))) {
		fprintf(stderr, "vmio bench paper: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/report.md", pp.out);
	pp.md = fopen(path, "w+");
	if (!pp.md) {
		fprintf(stderr, "vmio bench paper: cannot write %s\n", path);
		return 1;
	}
	pp.runs = json_array();
	pp.cmds = json_array();
	machine_probe(&m);
	header(&pp, &m, argv_line);
	if (runs(&pp, EXP_THROUGHPUT))
		exp_throughput(&pp);
	if (runs(&pp, EXP_ISOLATION))
		exp_isolation(&pp);
	if (runs(&pp, EXP_SCALING))
		exp_scaling(&pp);
	if (runs(&pp, EXP_BUDGETS))
		exp_budgets(&pp);
	if (runs(&pp, EXP_LOAD))
		exp_load(&pp);
	if (runs(&pp, EXP_RBD))
		exp_rbd(&pp);
	commands(&pp);
	plot(&pp);
	fclose(pp.md);
	snprintf(path, sizeof(path), "%s/report.json", pp.out);
	report = json_pack("{s:s,s:o,s:f,s:b,s:o,s:o,s:o,s:o,s:i,s:i}", "command",
			   argv_line, "machine", machine_json(&m), "runtime_s",
			   pp.runtime, "quick", pp.quick, "runs", pp.runs,
			   "commands", pp.cmds,
			   "budgets", pp.budgets ? pp.budgets : json_array(),
			   "load", pp.load ? pp.load : json_object(),
			   "failures", pp.failures, "busy_rows", (int)pp.busy_rows);
	if (json_dump_file(report, path, JSON_INDENT(2)))
		fprintf(stderr, "vmio bench paper: cannot write %s\n", path);
	json_decref(report);
	printf("\nreport: %s/report.md (and report.json, plots *.svg)\n", pp.out);
	return pp.failures ? 1 : 0;
}
