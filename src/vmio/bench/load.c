/* SPDX-License-Identifier: MIT */
/*
 * `vmio bench load` (and the load section of `vmio bench paper`): what
 * each target spends in CPU per I/O, and what latency it gives, as the
 * load grows. Host io_uring at QD64 on the image is measured first; its
 * IOPS set the open-loop rates (5%, 25%, 50%, 90% of it by default,
 * Poisson arrivals, up to 64 in flight). QD64 and QD1 closed loops frame
 * them. Every point runs host io_uring, qemu-storage-daemon and vmiod
 * back to back on the same image; vmiod's fixed polling modes (--poll-us
 * 200, the old default, and 0) run at the closed-loop points, where the
 * adaptive policy is held to the best of them.
 */
#include "bench/load.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/plot.h"
#include "bench/bench.h"
#include "bench/run.h"
#include "util/parse.h"

enum pkind { PT_QD64, PT_OPEN, PT_QD1 };

struct lpoint {
	enum pkind kind;
	unsigned int pct;  /* PT_OPEN: % of host io_uring's QD64 IOPS */
	double rate;       /* PT_OPEN: IOPS offered */
	char name[64];
};

/* A target column: host, qsd, vmiod with its default policy, or vmiod
 * with a fixed --poll-us. */
struct lcol {
	enum target_kind kind;
	bool fixed;
	char label[48];
	char args[48];     /* vmiod's extra options */
};

struct lres {
	bool ok;
	double iops, p50, p99, cpu, cpu_pct, others;
};

#define MAXP (LOAD_MAX_LOADS + 2)
#define MAXC (2 + LOAD_MAX_MODES)

struct lctx {
	const struct load_opts *o;
	struct lpoint p[MAXP];
	unsigned int np;
	struct lcol c[MAXC];
	unsigned int nc;
	int vmiod_col;     /* vmiod with its default policy, or -1 */
	struct lres r[MAXP][MAXC];
	json_t *rows, *cmds, *checks;
	unsigned int step, steps;
	int failures;
};

static bool applies(const struct lctx *x, unsigned int pi, unsigned int ci)
{
	return !x->c[ci].fixed || x->p[pi].kind != PT_OPEN || x->o->all_points;
}

static size_t add_command(struct lctx *x, const char *cmd)
{
	if (x->o->add_command)
		return x->o->add_command(x->o->cmd_ctx, cmd);
	json_array_append_new(x->cmds, json_string(cmd));
	return json_array_size(x->cmds);
}

static void setup_columns(struct lctx *x)
{
	x->c[x->nc++] = (struct lcol){ .kind = TARGET_HOST, .label = "host" };
	x->c[x->nc++] = (struct lcol){ .kind = TARGET_QSD, .label = "qsd" };
	x->vmiod_col = -1;
	for (unsigned int m = 0; m < x->o->nmodes; m++) {
		struct lcol *c = &x->c[x->nc];
		const char *mode = x->o->modes[m];

		c->kind = TARGET_VMIOD;
		if (!strcmp(mode, "auto")) {
			snprintf(c->label, sizeof(c->label), "vmiod");
			x->vmiod_col = (int)x->nc;
		} else {
			c->fixed = true;
			snprintf(c->label, sizeof(c->label), "vmiod --poll-us %s", mode);
			snprintf(c->args, sizeof(c->args), "--poll-us %s", mode);
		}
		x->nc++;
	}
}

static void setup_points(struct lctx *x)
{
	x->p[x->np++] = (struct lpoint){ .kind = PT_QD64,
					 .name = "QD64 closed loop" };
	for (unsigned int i = 0; i < x->o->nloads; i++) {
		struct lpoint *p = &x->p[x->np++];

		p->kind = PT_OPEN;
		p->pct = x->o->loads[i];
	}
	x->p[x->np++] = (struct lpoint){ .kind = PT_QD1, .name = "QD1 closed loop" };
	for (unsigned int pi = 0; pi < x->np; pi++)
		for (unsigned int ci = 0; ci < x->nc; ci++)
			x->steps += applies(x, pi, ci);
}

static void cell(char *buf, size_t len, bool ok, const char *fmt, double v)
{
	if (ok)
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "—");
}

static void measure(struct lctx *x, FILE *md, unsigned int pi, unsigned int ci)
{
	const struct load_opts *o = x->o;
	struct lpoint *pt = &x->p[pi];
	struct lcol *col = &x->c[ci];
	struct run_spec s = {
		.kind = col->kind, .file = o->file,
		.vmiod_args = col->args[0] ? col->args : NULL,
		.job = { .rw = RW_RANDREAD, .bs = 4096, .queues = 1,
			 .iodepth = pt->kind == PT_QD1 ? 1 : 64,
			 .rate_iops = pt->kind == PT_OPEN ? pt->rate : 0,
			 .runtime_s = o->runtime_s, .ramp_s = o->ramp_s,
			 .size = o->size, .want_irq = true, .progress = true,
			 .label = pt->name },
	};
	struct lres *res = &x->r[pi][ci];
	struct run_result r;
	char err[512] = "", cmd[2048], offered[32];
	json_t *j;

	fprintf(stderr, "vmio bench load: [%u/%u] %s, %s\n", ++x->step, x->steps,
		pt->name, col->label);
	if (run_one(&s, &r, err, sizeof(err))) {
		fprintf(stderr, "vmio bench load: %s on %s failed: %s\n", pt->name,
			col->label, err);
		x->failures++;
		return;
	}
	run_print(&s, &r);
	res->ok = true;
	res->iops = r.iops;
	res->p50 = hist_quantile(&r.r.lat, 0.5) / 1e3;
	res->p99 = hist_quantile(&r.r.lat, 0.99) / 1e3;
	res->cpu = r.cpu_us_per_io;
	res->cpu_pct = 100 * r.target_cpu_s / (o->runtime_s + o->ramp_s);
	res->others = run_other_share(&s, &r);
	if (res->others > RUN_BUSY_SHARE && o->busy_rows)
		(*o->busy_rows)++;
	run_command(&s, cmd, sizeof(cmd));
	cell(offered, sizeof(offered), pt->kind == PT_OPEN, "%.0f", pt->rate);
	fprintf(md, "| %s | %s | %s | %.0f | %.1f | %.1f | %.2f | %.1f | %.0f | %zu |\n",
		pt->name, col->label, offered, res->iops, res->p50, res->p99,
		res->cpu, res->cpu_pct, 100 * res->others, add_command(x, cmd));
	fflush(md);
	j = run_to_json(&s, &r);
	json_object_set_new(j, "experiment", json_string("load"));
	json_object_set_new(j, "point", json_string(pt->name));
	json_object_set_new(j, "column", json_string(col->label));
	json_object_set_new(j, "load_pct", pt->kind == PT_OPEN ?
			    json_integer(pt->pct) : json_null());
	json_object_set_new(j, "cpu_pct_of_a_core", json_real(res->cpu_pct));
	json_array_append_new(x->rows, j);
}

/* Host io_uring's QD64 IOPS set the open-loop rates. */
static bool set_rates(struct lctx *x)
{
	const struct lres *host = &x->r[0][0];

	if (!host->ok || host->iops <= 0) {
		fprintf(stderr, "vmio bench load: host io_uring at QD64 gave no "
			"IOPS to set the rates from\n");
		return false;
	}
	for (unsigned int pi = 0; pi < x->np; pi++) {
		struct lpoint *p = &x->p[pi];

		if (p->kind != PT_OPEN)
			continue;
		p->rate = round(host->iops * p->pct / 100.0);
		if (p->rate < 1)
			p->rate = 1;
		snprintf(p->name, sizeof(p->name), "open loop %u%% (%.0f IOPS)",
			 p->pct, p->rate);
	}
	return true;
}

static void fmt_iops(char *buf, size_t len, const struct lres *r)
{
	if (!r->ok)
		snprintf(buf, len, "—");
	else if (r->iops >= 10000)
		snprintf(buf, len, "%.1fk", r->iops / 1e3);
	else
		snprintf(buf, len, "%.0f", r->iops);
}

static void fmt_lat(char *buf, size_t len, const struct lres *r)
{
	if (!r->ok)
		snprintf(buf, len, "—");
	else if (r->p99 >= 1000)
		snprintf(buf, len, "%.2f ms", r->p99 / 1e3);
	else
		snprintf(buf, len, "%.0f µs", r->p99);
}

/* The table: metrics down, targets across. */
static void summary_table(const struct lctx *x, FILE *md)
{
	char buf[32];

	fprintf(md, "\n**By target (same run):**\n\n| 4K randread on the image |");
	for (unsigned int ci = 0; ci < x->nc; ci++)
		fprintf(md, " %s |", x->c[ci].label);
	fprintf(md, "\n|---|");
	for (unsigned int ci = 0; ci < x->nc; ci++)
		fprintf(md, "---:|");
	fprintf(md, "\n");
	for (unsigned int pi = 0; pi < x->np; pi++) {
		const struct lpoint *p = &x->p[pi];

		for (int what = 0; what < 3; what++) {
			/* closed loops: IOPS (and CPU at QD64); open: CPU, p99 */
			if (p->kind == PT_QD1 && what > 0)
				break;
			if (p->kind == PT_QD64 && what == 2)
				break;
			if (p->kind == PT_OPEN && what == 0)
				continue;
			fprintf(md, "| %s, %s |", p->kind == PT_OPEN ? p->name :
				p->kind == PT_QD64 ? "QD64 closed loop" : "QD1 closed loop",
				what == 0 ? "IOPS" : what == 1 ? "target CPU µs per I/O" :
				"p99");
			for (unsigned int ci = 0; ci < x->nc; ci++) {
				const struct lres *r = &x->r[pi][ci];

				if (what == 0)
					fmt_iops(buf, sizeof(buf), r);
				else if (what == 1)
					cell(buf, sizeof(buf), r->ok, "%.1f", r->cpu);
				else
					fmt_lat(buf, sizeof(buf), r);
				fprintf(md, " %s |", buf);
			}
			fprintf(md, "\n");
		}
	}
}

static int col_of(const struct lctx *x, const char *label)
{
	for (unsigned int ci = 0; ci < x->nc; ci++)
		if (!strcmp(x->c[ci].label, label))
			return (int)ci;
	return -1;
}

static void check(struct lctx *x, FILE *md, const char *what, bool pass,
		  const char *detail)
{
	fprintf(md, "- %s: %s — **%s**\n", what, detail, pass ? "PASS" : "MISS");
	json_array_append_new(x->checks, json_pack("{s:s,s:s,s:s}", "check", what,
						   "detail", detail, "verdict",
						   pass ? "PASS" : "MISS"));
}

/* The adaptive policy's bars, where this run has what they compare. */
static void checks(struct lctx *x, FILE *md)
{
	int v = x->vmiod_col, q = col_of(x, "qsd"), h = col_of(x, "host");
	int p200 = col_of(x, "vmiod --poll-us 200");
	char d[256];

	if (v < 0)
		return;
	fprintf(md, "\n**Bars for vmiod's default policy** (one run each: on a "
		"busy or noisy machine, repeat a row with its command):\n\n");
	for (unsigned int pi = 0; pi < x->np; pi++) {
		const struct lres *rv = &x->r[pi][v], *rq = &x->r[pi][q];
		char what[96];

		if (x->p[pi].kind != PT_OPEN || !rv->ok || !rq->ok)
			continue;
		snprintf(what, sizeof(what), "%s: CPU and p99 at most qsd's", x->p[pi].name);
		if (rq->iops <= 0) {
			/* Nothing qsd took in the window completed in it: its
			 * latency and CPU per I/O are beyond any figure. */
			snprintf(d, sizeof(d), "vmiod %.1f µs/IO, p99 %.0f µs; qsd "
				 "fell so far behind the rate that none of its "
				 "measured requests completed", rv->cpu, rv->p99);
			check(x, md, what, rv->iops > 0, d);
			continue;
		}
		snprintf(d, sizeof(d), "vmiod %.1f µs/IO, p99 %.0f µs; qsd %.1f µs/IO, "
			 "p99 %.0f µs%s", rv->cpu, rv->p99, rq->cpu, rq->p99,
			 rq->iops < 0.9 * x->p[pi].rate ? " (qsd fell behind the rate)" : "");
		check(x, md, what, rv->cpu <= rq->cpu && rv->p99 <= rq->p99, d);
	}
	{
		const struct lres *rv = &x->r[0][v];
		double best = 0;
		const char *best_label = NULL;

		for (unsigned int ci = 0; ci < x->nc; ci++)
			if (x->c[ci].fixed && x->r[0][ci].ok && x->r[0][ci].iops > best) {
				best = x->r[0][ci].iops;
				best_label = x->c[ci].label;
			}
		if (rv->ok && best_label) {
			snprintf(d, sizeof(d), "vmiod %.0f IOPS, %s %.0f (%.0f%%); "
				 "vmiod / host io_uring %.0f%%", rv->iops, best_label,
				 best, 100 * rv->iops / best, x->r[0][h].ok ?
				 100 * rv->iops / x->r[0][h].iops : 0.0);
			check(x, md, "QD64: IOPS at least the best fixed mode's",
			      rv->iops >= best, d);
		}
	}
	if (p200 >= 0 && x->r[x->np - 1][v].ok && x->r[x->np - 1][p200].ok) {
		const struct lres *rv = &x->r[x->np - 1][v], *rp = &x->r[x->np - 1][p200];

		snprintf(d, sizeof(d), "vmiod %.0f IOPS, --poll-us 200 %.0f (%.1f%%)",
			 rv->iops, rp->iops, 100 * rv->iops / rp->iops);
		check(x, md, "QD1: IOPS at least 95% of --poll-us 200's",
		      rv->iops >= 0.95 * rp->iops, d);
	}
	fprintf(md, "- An idle vmiod's CPU: budget 4 of `vmio bench budget` "
		"(section 6 of `vmio bench paper`).\n");
}

/* load.dat: one line per open-loop point: the load in %, then CPU µs
 * per I/O and p99 µs per column (NaN where not measured). */
static void write_dat(const struct lctx *x)
{
	char path[600];
	FILE *f;

	if (!x->o->out)
		return;
	snprintf(path, sizeof(path), "%s/load.dat", x->o->out);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "vmio bench load: cannot write %s\n", path);
		return;
	}
	fprintf(f, "# load%%");
	for (unsigned int ci = 0; ci < x->nc; ci++)
		fprintf(f, " cpu:%s", x->c[ci].label);
	for (unsigned int ci = 0; ci < x->nc; ci++)
		fprintf(f, " p99:%s", x->c[ci].label);
	fprintf(f, "\n");
	for (unsigned int pi = 0; pi < x->np; pi++) {
		if (x->p[pi].kind != PT_OPEN)
			continue;
		fprintf(f, "%u", x->p[pi].pct);
		for (int k = 0; k < 2; k++)
			for (unsigned int ci = 0; ci < x->nc; ci++) {
				const struct lres *r = &x->r[pi][ci];

				if (r->ok && applies(x, pi, ci))
					fprintf(f, " %.3f", k ? r->p99 : r->cpu);
				else
					fprintf(f, " NaN");
			}
		fprintf(f, "\n");
	}
	fclose(f);
}

void load_plot(const struct load_opts *o)
{
	struct lctx x = { .o = o };
	char script[2000];

	if (!o->out || !bench_have_gnuplot("vmio bench load"))
		return;
	setup_columns(&x);
	for (int k = 0; k < 2; k++) {
		size_t n = (size_t)snprintf(script, sizeof(script),
			"set output 'load-%s.svg'; set style data linespoints; "
			"set logscale y; set xlabel 'offered load, %% of host io_uring "
			"IOPS at QD64 (open loop)'; set ylabel '%s'; set title '4K "
			"randread: %s by load'; set datafile missing 'NaN'; plot ",
			k ? "p99" : "cpu", k ? "p99 latency (us)" : "target CPU us per I/O",
			k ? "p99 latency" : "target CPU per I/O");

		for (unsigned int ci = 0; ci < x.nc && n < sizeof(script); ci++) {
			if (x.c[ci].fixed && !o->all_points)
				continue;
			n += (size_t)snprintf(script + n, sizeof(script) - n,
					      "%s'load.dat' using 1:%u title '%s'",
					      ci ? ", " : "", 2 + ci + (k ? x.nc : 0),
					      x.c[ci].kind == TARGET_HOST ? "host io_uring" :
					      x.c[ci].kind == TARGET_QSD ?
					      "qemu-storage-daemon" : x.c[ci].label);
		}
		if (bench_gnuplot(o->out, script))
			fprintf(stderr, "vmio bench load: a plot failed (gnuplot)\n");
	}
}

int load_run(const struct load_opts *o, FILE *md, json_t **out)
{
	struct lctx x = { .o = o };

	x.rows = json_array();
	x.cmds = json_array();
	x.checks = json_array();
	setup_columns(&x);
	setup_points(&x);
	fprintf(md, "%s\n\n"
		"4K random reads on the image, one queue. Host io_uring at QD64 "
		"is measured first; the open-loop rates are shares of its IOPS "
		"(Poisson arrivals, up to 64 in flight, latency from each "
		"arrival). *vmiod* runs its default, adaptive polling policy; "
		"*vmiod --poll-us N* are its fixed modes (200: poll 200 µs after "
		"work; 0: always sleep)%s. Target CPU covers the target's "
		"process (for host, vmio's own I/O loop).\n\n"
		"| point | target | offered IOPS | IOPS | p50 µs | p99 µs | "
		"target CPU µs/IO | target CPU %% of a core | others' CPU %% | cmd |\n"
		"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
		o->heading, o->all_points ? "" : ", measured at the closed-loop "
		"points");
	for (unsigned int pi = 0; pi < x.np; pi++) {
		for (unsigned int ci = 0; ci < x.nc; ci++)
			if (applies(&x, pi, ci))
				measure(&x, md, pi, ci);
		if (pi == 0 && !set_rates(&x)) {
			x.failures++;
			break;
		}
	}
	summary_table(&x, md);
	checks(&x, md);
	write_dat(&x);
	if (o->out)
		fprintf(md, "\n![target CPU per I/O by load](load-cpu.svg)\n\n"
			"![p99 by load](load-p99.svg)\n");
	if (!o->add_command) {
		size_t i;
		json_t *v;

		fprintf(md, "\n### Commands\n\n");
		json_array_foreach(x.cmds, i, v)
			fprintf(md, "%zu. `%s`\n", i + 1, json_string_value(v));
	}
	*out = json_pack("{s:f,s:o,s:o,s:o}", "host_qd64_iops",
			 x.r[0][0].ok ? x.r[0][0].iops : 0.0, "rows", x.rows,
			 "checks", x.checks, "commands", x.cmds);
	return x.failures;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmio bench load [--quick] [--out DIR] [--file PATH] [--runtime S]\n"
		"                       [--loads LIST] [--poll-us LIST] [--all-points]\n"
		"\n"
		"CPU per I/O and latency against the offered load: host io_uring,\n"
		"qemu-storage-daemon and vmiod in one run, 4K random reads on the image.\n"
		"Host io_uring at QD64 is measured first; its IOPS set the open-loop\n"
		"rates. Points: QD64 closed loop, the open-loop rates, QD1 closed loop.\n"
		"  --quick        1 s per run, a 256 MiB image (about a minute)\n"
		"  --out DIR      report.md, report.json, load.dat, load-cpu.svg and\n"
		"                 load-p99.svg (default out/bench-load)\n"
		"  --file PATH    the image (default DIR/disk.img; filled with data)\n"
		"  --runtime S    seconds per run (default 5; 1 with --quick)\n"
		"  --loads LIST   open-loop rates in %% of host io_uring's QD64 IOPS\n"
		"                 (default 5,25,50,90)\n"
		"  --poll-us LIST vmiod columns: auto (its default policy) and fixed\n"
		"                 modes (default auto,200,0; fixed modes run at the\n"
		"                 closed-loop points only)\n"
		"  --all-points   fixed modes at the open-loop points too\n"
		"Exit status: 0 when every run was measured (whatever the bars), 1 when\n"
		"a run failed, 2 for bad arguments.\n");
}

static int die(const char *msg, const char *arg)
{
	return bench_usage_error("vmio bench load", msg, arg);
}

/* "5,25,50" into o->loads. */
static int parse_loads(char *s, struct load_opts *o)
{
	char *save = NULL;

	o->nloads = 0;
	for (char *w = strtok_r(s, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (o->nloads == LOAD_MAX_LOADS || parse_u64(w, &v) || v < 1 || v > 200)
			return -EINVAL;
		o->loads[o->nloads++] = (unsigned int)v;
	}
	return o->nloads ? 0 : -EINVAL;
}

static int parse_modes(char *s, struct load_opts *o)
{
	char *save = NULL;

	o->nmodes = 0;
	for (char *w = strtok_r(s, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (o->nmodes == LOAD_MAX_MODES)
			return -EINVAL;
		if (strcmp(w, "auto") && (parse_u64(w, &v) || v > 1000000))
			return -EINVAL;
		for (unsigned int m = 0; m < o->nmodes; m++)
			if (!strcmp(o->modes[m], w))
				return -EINVAL;
		o->modes[o->nmodes++] = w;
	}
	return o->nmodes ? 0 : -EINVAL;
}

int bench_load_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "out", required_argument, NULL, 'o' },
		{ "file", required_argument, NULL, 'f' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "loads", required_argument, NULL, 'l' },
		{ "poll-us", required_argument, NULL, 'p' },
		{ "all-points", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct load_opts o = { .runtime_s = 5, .ramp_s = 0.5, .size = 1ull << 30,
			       .loads = { 5, 25, 50, 90 }, .nloads = 4,
			       .modes = { "auto", "200", "0" }, .nmodes = 3,
			       .out = "out/bench-load",
			       .heading = "## CPU and latency by load" };
	char path[700], file[600] = "", err[512] = "", argv_line[1024] = "vmio bench";
	double runtime = 0;
	json_t *load, *report;
	time_t now = time(NULL);
	char date[40];
	int c, failures;
	FILE *md;

	for (int i = 0; i < argc; i++)
		snprintf(argv_line + strlen(argv_line),
			 sizeof(argv_line) - strlen(argv_line), " %s", argv[i]);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.runtime_s = 1;
			o.ramp_s = 0.2;
			o.size = 256ull << 20;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'f':
			if (!*optarg)
				return die("--file takes a path", NULL);
			snprintf(file, sizeof(file), "%s", optarg);
			break;
		case 'r': {
			char *end;

			runtime = strtod(optarg, &end);
			if (end == optarg || *end || !(runtime >= 0.1 && runtime <= 600))
				return die("--runtime takes seconds per run, 0.1 to 600",
					   optarg);
			break;
		}
		case 'l':
			if (parse_loads(optarg, &o))
				return die("--loads takes up to 8 percentages of 1 to 200, "
					   "e.g. 5,25,50,90", optarg);
			break;
		case 'p':
			if (parse_modes(optarg, &o))
				return die("--poll-us takes up to 4 distinct modes: auto "
					   "or µs, e.g. auto,200,0", optarg);
			break;
		case 'a':
			o.all_points = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return die("unknown option", NULL);
		}
	}
	if (optind < argc)
		return die("unexpected argument", argv[optind]);
	if (runtime)
		o.runtime_s = runtime;
	snprintf(path, sizeof(path), "mkdir -p '%s'", o.out);
	if (strchr(o.out, '\'') || system(path))
		return die("cannot create the output folder", o.out);
	if (!file[0])
		snprintf(file, sizeof(file), "%s/disk.img", o.out);
	o.file = file;
	fprintf(stderr, "vmio bench load: preparing %s (%llu MiB)\n", file,
		(unsigned long long)(o.size >> 20));
	if (run_prepare_file(file, o.size, err, sizeof(err))) {
		fprintf(stderr, "vmio bench load: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/report.md", o.out);
	md = fopen(path, "w");
	if (!md) {
		fprintf(stderr, "vmio bench load: cannot write %s\n", path);
		return 1;
	}
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	fprintf(md, "# vmio bench load\n\n`%s` on %s, %ld CPUs online; image %s "
		"(%llu MiB); %g s per run after a %g s ramp. Compare figures "
		"within this report, not across machines or runs.\n\n", argv_line,
		date, sysconf(_SC_NPROCESSORS_ONLN), file,
		(unsigned long long)(o.size >> 20), o.runtime_s, o.ramp_s);
	failures = load_run(&o, md, &load);
	fclose(md);
	load_plot(&o);
	snprintf(path, sizeof(path), "%s/report.json", o.out);
	report = json_pack("{s:s,s:s,s:f,s:i,s:o}", "command", argv_line,
			   "file", file, "runtime_s", o.runtime_s,
			   "failures", failures, "load", load);
	if (json_dump_file(report, path, JSON_INDENT(2))) {
		fprintf(stderr, "vmio bench load: cannot write %s\n", path);
		failures++;
	}
	json_decref(report);
	snprintf(path, sizeof(path), "%s/report.md", o.out);
	md = fopen(path, "r");
	if (md) {
		char line[1024];

		printf("\n");
		while (fgets(line, sizeof(line), md))
			fputs(line, stdout);
		fclose(md);
	}
	printf("\nreport: %s/report.md (and report.json, load.dat, load-*.svg)\n", o.out);
	return failures ? 1 : 0;
}
