/* SPDX-License-Identifier: MIT */
/*
 * `vmio bench sweep`: one workload over a grid of vmiod reactor counts x
 * queue counts, and qemu-storage-daemon's queue counts, each cell a
 * run_one() of its own with a freshly started target. The table puts the
 * cells side by side (IOPS, p99, target CPU per I/O, speed-up over the
 * 1-reactor 1-queue cell) and ends with what this machine can show: the
 * frontend plays the guest and needs a core too, so N reactors need
 * N + 1 cores before more reactors can mean more I/O.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/run.h"
#include "bench/sweep.h"
#include "util/parse.h"

/* Entries per --queues / --cpus list: enough for any machine we can
 * reason about, small enough that a sweep stays minutes, not hours. */
#define SWEEP_MAX_LIST 8
#define SWEEP_MAX_ROWS (SWEEP_MAX_LIST * SWEEP_MAX_LIST + SWEEP_MAX_LIST)

struct sweep_row {
	enum target_kind kind;
	unsigned int reactors;    /* 0: qsd, which has one event loop */
	unsigned int queues;
	double iops, mbs, p99_us, cpu_us_per_io, other_share;
	uint64_t errors;          /* errors + target errors */
	json_t *json;             /* run_to_json + reactors; NULL: failed */
};

struct sweep {
	struct run_spec base;     /* the workload; target, queues, cpus per row */
	bool vmiod, qsd;
	unsigned int queues[SWEEP_MAX_LIST], nqueues;
	unsigned int reactors[SWEEP_MAX_LIST], nreactors;
	bool reactors_given;
	int cpus[CPU_SETSIZE];    /* CPUs this process may run on, ascending */
	unsigned int ncpus;
	long online;
	struct sweep_row rows[SWEEP_MAX_ROWS];
	unsigned int nrows, total;
	unsigned int failures;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmio bench sweep [--target vmiod|qsd|both] [--queues LIST]\n"
		"                        [--cpus LIST] [--backend null|file:PATH]\n"
		"                        [--rw MODE] [--bs SIZE] [--iodepth N]\n"
		"                        [--runtime S] [--json FILE]\n"
		"\n"
		"One workload over every vmiod reactor count x queue count, and\n"
		"qemu-storage-daemon over every queue count; one run per row.\n"
		"  --target T    vmiod, qsd or both (default both)\n"
		"  --queues LIST queue counts, e.g. 1,2,4 (default 1,2; 1 to 16)\n"
		"  --cpus LIST   vmiod reactor counts, e.g. 1,2 (default 1,2): N\n"
		"                reactors are pinned to the first N CPUs this process\n"
		"                may use (vmiod --cpus 0-(N-1) on most machines), and\n"
		"                N may not exceed those CPUs\n"
		"  --iodepth N   requests in flight per queue (default 32)\n"
		"  --runtime S   seconds per row (default 5)\n"
		"  --json FILE   every row (vmio bench run's keys, plus reactors)\n"
		"MODE: read write randread randwrite randrw[:READ%%] (default randread)\n"
		"defaults: --bs 4K --backend null\n"
		"qemu-storage-daemon, as bench starts it, runs one event loop: its\n"
		"rows vary the queue count only.\n");
}

static int die(const char *msg, const char *arg)
{
	return bench_usage_error("vmio bench sweep", msg, arg);
}

/* "1,2,4" into out (at most SWEEP_MAX_LIST entries, each 1..max). */
static int parse_list(const char *s, unsigned int max, unsigned int *out,
		      unsigned int *n)
{
	const char *p = s;

	*n = 0;
	for (;;) {
		char item[24];
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (!len || len >= sizeof(item) || *n == SWEEP_MAX_LIST)
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_u64(item, &v) || !v || v > max)
			return -EINVAL;
		out[(*n)++] = (unsigned int)v;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* The CPUs reactors may be pinned to: the online ones this process is
 * allowed on (a cgroup or taskset may allow fewer than are online), so
 * "the first N" are CPUs vmiod can really run on. */
static void probe_cpus(struct sweep *sw)
{
	cpu_set_t set;

	sw->online = sysconf(_SC_NPROCESSORS_ONLN);
	sw->ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set)) {
		for (long c = 0; c < sw->online && c < CPU_SETSIZE; c++)
			sw->cpus[sw->ncpus++] = (int)c;
		return;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && (long)sw->ncpus < sw->online)
			sw->cpus[sw->ncpus++] = c;
}

/* The first n usable CPUs as vmiod's --cpus takes them: "0-3", "0,2". */
static void format_cpus(const int *cpus, unsigned int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && used < len; ) {
		unsigned int j = i;

		while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
			j++;
		if (j > i)
			used += (size_t)snprintf(buf + used, len - used, "%s%d-%d",
						 i ? "," : "", cpus[i], cpus[j]);
		else
			used += (size_t)snprintf(buf + used, len - used, "%s%d",
						 i ? "," : "", cpus[i]);
		i = j + 1;
	}
}

static unsigned int max_of(const unsigned int *v, unsigned int n)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* Each reactor gets a CPU of its own (that is what the sweep measures),
 * so a count above the usable CPUs cannot be run as asked. */
static int check_reactors(const struct sweep *sw)
{
	unsigned int want = max_of(sw->reactors, sw->nreactors);
	char msg[300];

	if (want <= sw->ncpus)
		return 0;
	snprintf(msg, sizeof(msg), "%u reactors asked for, but this machine has "
		 "%ld online CPUs (%u of them usable by this process) and each "
		 "reactor is pinned to a CPU of its own; give --cpus counts up "
		 "to %u", want, sw->online, sw->ncpus, sw->ncpus);
	return die(msg, NULL);
}

/* The default counts (1,2) shrink to what the machine has rather than
 * refuse a plain `vmio bench sweep` on a 1-CPU machine. */
static void keep_usable_defaults(struct sweep *sw)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < sw->nreactors; i++)
		if (sw->reactors[i] <= sw->ncpus)
			sw->reactors[n++] = sw->reactors[i];
	sw->nreactors = n ? n : 1;
}

/* Workload options shared with `vmio bench run`, same limits. */
static int parse_workload(int c, const char *arg, struct run_spec *s)
{
	uint64_t u;
	char *end;
	double v;

	switch (c) {
	case 'b':
		if (!strcmp(arg, "null"))
			s->file = NULL;
		else if (!strncmp(arg, "file:", 5) && arg[5])
			s->file = arg + 5;
		else
			return die("--backend takes null or file:PATH", arg);
		return 0;
	case 'w':
		if (job_parse_rw(arg, &s->job))
			return die("--rw takes read, write, randread, randwrite or randrw[:READ%]", arg);
		return 0;
	case 's':
		if (parse_size(arg, &u) || u < 512 || u % 512 || u > (1 << 20))
			return die("--bs takes a multiple of 512 up to 1M", arg);
		s->job.bs = (uint32_t)u;
		return 0;
	case 'd':
		if (parse_u64(arg, &u) || !u || u > 64)
			return die("--iodepth takes 1 to 64 (per queue)", arg);
		s->job.iodepth = (unsigned int)u;
		return 0;
	case 'r':
		v = strtod(arg, &end);
		if (*end || !(v > 0 && v <= 3600))
			return die("--runtime takes seconds per row, above 0 and up to 3600", arg);
		s->job.runtime_s = v;
		return 0;
	}
	return die("unknown option", NULL);
}

static int parse_args(struct sweep *sw, int argc, char **argv,
		      const char **json_path)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "queues", required_argument, NULL, 'q' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "rw", required_argument, NULL, 'w' },
		{ "bs", required_argument, NULL, 's' },
		{ "iodepth", required_argument, NULL, 'd' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			sw->vmiod = !strcmp(optarg, "vmiod") || !strcmp(optarg, "both");
			sw->qsd = !strcmp(optarg, "qsd") || !strcmp(optarg, "both");
			if (!sw->vmiod && !sw->qsd)
				return die("--target takes vmiod, qsd or both", optarg);
			break;
		case 'q':
			if (parse_list(optarg, 16, sw->queues, &sw->nqueues))
				return die("--queues takes a list of queue counts from "
					   "1 to 16, e.g. 1,2,4 (at most 8 entries)", optarg);
			break;
		case 'c':
			/* Counts, not CPU numbers: "0" would be a vmiod with
			 * no reactor, which cannot serve anything. */
			if (parse_list(optarg, 1024, sw->reactors, &sw->nreactors))
				return die("--cpus takes a list of reactor counts from "
					   "1 up, e.g. 1,2 (N reactors run on the first "
					   "N CPUs; at most 8 entries)", optarg);
			sw->reactors_given = true;
			break;
		case 'j':
			*json_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case '?':
			return die("unknown option", NULL);
		default:
			ret = parse_workload(c, optarg, &sw->base);
			if (ret)
				return ret;
		}
	}
	if (optind < argc)
		return die("unexpected argument", argv[optind]);
	if (sw->reactors_given && !sw->vmiod)
		return die("--cpus sets vmiod's reactors; qemu-storage-daemon as bench "
			   "starts it has one event loop, so --target qsd takes "
			   "--queues only", NULL);
	if (!sw->reactors_given)
		keep_usable_defaults(sw);
	return sw->vmiod ? check_reactors(sw) : 0;
}

static const char *plural(unsigned int n)
{
	return n == 1 ? "" : "s";
}

/* A block size as people write it: 4K, 1M, 512. */
static const char *bs_text(uint32_t bs, char *buf, size_t len)
{
	if (bs % (1 << 20) == 0)
		snprintf(buf, len, "%uM", bs >> 20);
	else if (bs % 1024 == 0)
		snprintf(buf, len, "%uK", bs >> 10);
	else
		snprintf(buf, len, "%u", bs);
	return buf;
}

/* `vmio bench run` cannot give vmiod reactors, so a vmiod cell's rerun
 * line is the sweep of that one cell. */
static void rerun_cell(const struct run_spec *s, unsigned int reactors,
		       char *buf, size_t len)
{
	char rw[32];

	snprintf(buf, len, "vmio bench sweep --target vmiod --cpus %u --queues %u "
		 "--backend %s%s --rw %s --bs %u --iodepth %u --runtime %g",
		 reactors, s->job.queues, s->file ? "file:" : "null",
		 s->file ? s->file : "", job_rw_name(&s->job, rw, sizeof(rw)),
		 s->job.bs, s->job.iodepth, s->job.runtime_s);
}

/* Runs one cell of the grid and records it (a failed run is reported
 * and counted; the sweep goes on, the other cells still mean something). */
static void run_row(struct sweep *sw, enum target_kind kind,
		    unsigned int reactors, unsigned int queues,
		    struct run_result *res)
{
	struct sweep_row *row = &sw->rows[sw->nrows++];
	struct run_spec s = sw->base;
	char cpus[200] = "", args[220] = "", label[64], rw[32], bs[16];
	char err[512] = "";

	*row = (struct sweep_row){ .kind = kind, .queues = queues,
				   .reactors = kind == TARGET_VMIOD ? reactors : 0 };
	s.kind = kind;
	s.job.queues = queues;
	if (kind == TARGET_VMIOD) {
		format_cpus(sw->cpus, reactors, cpus, sizeof(cpus));
		snprintf(args, sizeof(args), "--cpus %s", cpus);
		s.vmiod_args = args;
		snprintf(label, sizeof(label), "vmiod %ur x %uq", reactors, queues);
	} else {
		snprintf(label, sizeof(label), "qsd %uq", queues);
	}
	s.job.label = label;
	if (kind == TARGET_VMIOD)
		fprintf(stderr, "vmio bench sweep: [%u/%u] vmiod, %u reactor%s "
			"(--cpus %s), %u queue%s, %s %s QD%u per queue, %g s\n",
			sw->nrows, sw->total, reactors, plural(reactors), cpus,
			queues, plural(queues), job_rw_name(&s.job, rw, sizeof(rw)),
			bs_text(s.job.bs, bs, sizeof(bs)), s.job.iodepth,
			s.job.runtime_s);
	else
		fprintf(stderr, "vmio bench sweep: [%u/%u] qsd (one event loop), "
			"%u queue%s, %s %s QD%u per queue, %g s\n", sw->nrows,
			sw->total, queues, plural(queues),
			job_rw_name(&s.job, rw, sizeof(rw)),
			bs_text(s.job.bs, bs, sizeof(bs)), s.job.iodepth,
			s.job.runtime_s);
	if (run_one(&s, res, err, sizeof(err))) {
		fprintf(stderr, "vmio bench sweep: %s failed: %s\n", label, err);
		sw->failures++;
		return;
	}
	row->iops = res->iops;
	row->mbs = res->bw_bytes / 1e6;
	row->p99_us = hist_quantile(&res->r.lat, 0.99) / 1e3;
	row->cpu_us_per_io = res->cpu_us_per_io;
	row->other_share = run_other_share(&s, res);
	row->errors = res->r.errors + res->r.target_errors;
	row->json = run_to_json(&s, res);
	json_object_set_new(row->json, "reactors", kind == TARGET_VMIOD ?
			    json_integer(reactors) : json_null());
	if (kind == TARGET_VMIOD) {
		char rerun[1024];

		json_object_set_new(row->json, "reactor_cpus", json_string(cpus));
		rerun_cell(&s, reactors, rerun, sizeof(rerun));
		json_object_set_new(row->json, "rerun", json_string(rerun));
	} else
		json_object_set_new(row->json, "event_loops", json_integer(1));
	if (row->errors)
		sw->failures++;
}

static void run_grid(struct sweep *sw)
{
	struct run_result *res = malloc(sizeof(*res)); /* a histogram: ~60 KiB */

	if (!res) {
		fprintf(stderr, "vmio bench sweep: out of memory\n");
		sw->failures++;
		return;
	}
	sw->total = (sw->vmiod ? sw->nreactors * sw->nqueues : 0) +
		    (sw->qsd ? sw->nqueues : 0);
	for (unsigned int r = 0; sw->vmiod && r < sw->nreactors; r++)
		for (unsigned int q = 0; q < sw->nqueues; q++)
			run_row(sw, TARGET_VMIOD, sw->reactors[r], sw->queues[q], res);
	for (unsigned int q = 0; sw->qsd && q < sw->nqueues; q++)
		run_row(sw, TARGET_QSD, 0, sw->queues[q], res);
	free(res);
}

/* The row speed-ups are taken against: one reactor (qsd: its one loop)
 * and one queue, of the same target. */
static const struct sweep_row *baseline(const struct sweep *sw,
					enum target_kind kind)
{
	for (unsigned int i = 0; i < sw->nrows; i++) {
		const struct sweep_row *r = &sw->rows[i];

		if (r->kind == kind && r->json && r->queues == 1 &&
		    r->reactors == (kind == TARGET_VMIOD ? 1u : 0u) && r->iops > 0)
			return r;
	}
	return NULL;
}

static void print_row(const struct sweep *sw, struct sweep_row *r)
{
	const struct sweep_row *b = baseline(sw, r->kind);
	double per_cpu = r->cpu_us_per_io > 0 ? 1e6 / r->cpu_us_per_io : 0;
	char reactors[16] = "-", speedup[16] = "-";

	if (r->kind == TARGET_VMIOD)
		snprintf(reactors, sizeof(reactors), "%u", r->reactors);
	if (!r->json) {
		printf("%-6s %8s %6u  failed (see above)\n", target_name(r->kind),
		       reactors, r->queues);
		return;
	}
	if (b)
		snprintf(speedup, sizeof(speedup), "%.2fx", r->iops / b->iops);
	printf("%-6s %8s %6u %10.0f %9.1f %9.1f %10.2f %11.0f %8s %10.0f%% %6llu\n",
	       target_name(r->kind), reactors, r->queues, r->iops, r->mbs,
	       r->p99_us, r->cpu_us_per_io, per_cpu, speedup,
	       100 * r->other_share, (unsigned long long)r->errors);
	json_object_set_new(r->json, "iops_per_cpu_s", json_real(per_cpu));
	json_object_set_new(r->json, "speedup", b ? json_real(r->iops / b->iops) :
			    json_null());
}

/* The table, then what the rows cannot be trusted to mean. */
static void print_table(struct sweep *sw)
{
	unsigned int busy = 0;

	printf("%-6s %8s %6s %10s %9s %9s %10s %11s %8s %11s %6s\n", "target",
	       "reactors", "queues", "IOPS", "MB/s", "p99 us", "CPU us/IO",
	       "IOPS/CPU-s", "speed-up", "others' CPU", "errors");
	for (unsigned int i = 0; i < sw->nrows; i++) {
		print_row(sw, &sw->rows[i]);
		if (sw->rows[i].json && sw->rows[i].other_share > RUN_BUSY_SHARE)
			busy++;
	}
	printf("\nCPU us/IO and IOPS/CPU-s are the target's own CPU (vmiod's "
	       "reactors poll before they sleep, and polling counts); speed-up "
	       "is IOPS over the same target's 1-reactor 1-queue row.\n");
	if (sw->vmiod && !baseline(sw, TARGET_VMIOD))
		printf("vmiod: no 1-reactor 1-queue row, so no speed-ups (add 1 to "
		       "--cpus and --queues).\n");
	if (sw->qsd)
		printf("qsd: qemu-storage-daemon as bench starts it has one event "
		       "loop (no iothreads), so its rows vary the queue count only "
		       "and its speed-up is over its 1-queue row.\n");
	if (busy)
		printf("%u row%s ran while other processes used more than %.0f%% of "
		       "the machine's CPU (others' CPU): those figures measure "
		       "contention, re-run them on an idle machine.\n", busy,
		       plural(busy), 100 * RUN_BUSY_SHARE);
}

/* What this machine can show. The frontend plays the guest and needs a
 * core of its own; below reactors + 1 cores the reactors and the frontend
 * take turns on the same cores and more reactors cannot mean more I/O. */
static bool verdict(const struct sweep *sw, char *buf, size_t len)
{
	unsigned int most = sw->vmiod ? max_of(sw->reactors, sw->nreactors) : 1;
	unsigned int need = most + 1, can = sw->ncpus ? sw->ncpus - 1 : 0;
	const char *who = sw->vmiod ? "reactor" : "event loop (qsd)";
	bool shared = false;

	if (sw->ncpus < need && can == 0) {
		snprintf(buf, len, "CPU-bound on this machine: it has %u usable CPU, "
			 "so even one %s shares its core with the frontend (which "
			 "plays the guest); no scaling can be shown here.",
			 sw->ncpus, who);
		return true;
	}
	if (sw->ncpus < need) {
		snprintf(buf, len, "CPU-bound on this machine: it has %ld online "
			 "CPUs (%u usable), and %u %s%s plus the frontend (which plays "
			 "the guest and needs a core too) need %u. In the rows with "
			 "more than %u reactor%s the reactors and the frontend fight "
			 "over the cores, so scaling beyond %u reactor%s cannot be "
			 "shown here; run the sweep on a machine with at least %u CPUs.",
			 sw->online, sw->ncpus, most, who, plural(most), need, can,
			 plural(can), can, plural(can), need);
		return true;
	}
	/* The frontend runs a thread per queue: cells with more reactors +
	 * queues than CPUs still share cores, if less badly. */
	for (unsigned int i = 0; i < sw->nrows; i++)
		if ((sw->rows[i].reactors ? sw->rows[i].reactors : 1) +
		    sw->rows[i].queues > sw->ncpus)
			shared = true;
	snprintf(buf, len, "this machine has %ld online CPUs (%u usable), enough "
		 "for %u %s%s and the frontend: the speed-ups show how the target "
		 "scales.%s", sw->online, sw->ncpus, most, who, plural(most),
		 shared ? " The frontend runs one thread per queue, so rows where "
		 "reactors + queues exceed the CPUs still share cores." : "");
	return false;
}

static int write_json(const struct sweep *sw, const char *path,
		      const char *argv_line, const char *text, bool cpu_bound)
{
	json_t *rows = json_array(), *top;
	int ret = 0;

	for (unsigned int i = 0; i < sw->nrows; i++)
		if (sw->rows[i].json)
			json_array_append(rows, sw->rows[i].json);
	top = json_pack("{s:s,s:i,s:i,s:b,s:s,s:i,s:o}", "command", argv_line,
			"online_cpus", (int)sw->online, "usable_cpus", (int)sw->ncpus,
			"cpu_bound", cpu_bound, "verdict", text,
			"failures", (int)sw->failures, "rows", rows);
	if (json_dump_file(top, path, JSON_INDENT(2))) {
		fprintf(stderr, "vmio bench sweep: cannot write %s\n", path);
		ret = -EIO;
	}
	json_decref(top);
	return ret;
}

int bench_sweep_main(int argc, char **argv)
{
	struct sweep *sw = calloc(1, sizeof(*sw));
	const char *json_path = NULL;
	char argv_line[1024] = "vmio bench", text[1024], err[512] = "";
	bool cpu_bound;
	int ret;

	if (!sw) {
		fprintf(stderr, "vmio bench sweep: out of memory\n");
		return 1;
	}
	for (int i = 0; i < argc; i++)
		snprintf(argv_line + strlen(argv_line),
			 sizeof(argv_line) - strlen(argv_line), " %s", argv[i]);
	sw->vmiod = sw->qsd = true;
	sw->queues[0] = sw->reactors[0] = 1;
	sw->queues[1] = sw->reactors[1] = 2;
	sw->nqueues = sw->nreactors = 2;
	sw->base = (struct run_spec){
		.null_size = 1ull << 30,
		.job = { .rw = RW_RANDREAD, .bs = 4096, .iodepth = 32,
			 .runtime_s = 5, .want_irq = true, .progress = true },
	};
	probe_cpus(sw);
	ret = parse_args(sw, argc, argv, &json_path);
	if (ret) {
		free(sw);
		return ret < 0 ? 0 : ret;
	}
	if (sw->base.file &&
	    run_prepare_file(sw->base.file, 0, err, sizeof(err))) {
		free(sw);
		return die(err, NULL);
	}
	run_grid(sw);
	print_table(sw);
	cpu_bound = verdict(sw, text, sizeof(text));
	printf("\nverdict: %s\n", text);
	if (json_path && write_json(sw, json_path, argv_line, text, cpu_bound))
		sw->failures++;
	ret = sw->failures ? 1 : 0;
	for (unsigned int i = 0; i < sw->nrows; i++)
		json_decref(sw->rows[i].json);
	free(sw);
	return ret;
}
