/* SPDX-License-Identifier: MIT */
/*
 * `vmio bench budget` (and the Budgets section of `vmio bench paper`):
 * the performance budgets, each checked against its peer measured
 * in the same run.
 *
 *   1. 4K random read QD64 on the (filled) image: vmiod's IOPS >= 97% of
 *      io_uring straight on the host.
 *   2. 4K random read QD64 on null backends: vmiod's IOPS per target
 *      CPU-second >= 3x qemu-storage-daemon's.
 *   3. 4K random read QD1 on the image: vmiod's p99 at most 5 µs above
 *      the host's.
 *   4. An idle vmiod (frontend connected, no I/O): under 1% of a core.
 *
 * A disk that swings by 5-10% over tens of seconds decides nothing in a
 * single pair of runs, so every budget is measured in rounds: within a
 * round the targets run back to back on the same image, in an order that
 * rotates from round to round (slow drift then favours no target), the
 * round gives one figure (a ratio or a difference of the two targets in
 * that round), and the verdict is on the median of those figures. The
 * rounds of all budgets are interleaved, so each budget's rounds span the
 * whole run. A round during which others used the CPU is flagged, never
 * dropped; a MISS is a result like a PASS.
 */
#include "bench/budget.h"
#include "bench/pin.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/run.h"
#include "util/clock.h"
#include "util/parse.h"
#include "vufront/vufront.h"

/* Ramp before every measured run, and the settling time of an idle
 * vmiod after the frontend connects (memory mapping, rings). */
#define BUDGET_RAMP_S 0.3
#define IDLE_SETTLE_S 0.3
/* The idle hold is at least this long: /proc/PID/stat counts CPU in
 * clock ticks (10 ms), so 2 s resolve 0.5% of a core. */
#define IDLE_MIN_S 2.0

enum op { OP_GE, OP_LE, OP_LT };

struct budget_def {
	const char *name;      /* short, for the table */
	const char *metric;    /* what a round's figure is */
	const char *unit;      /* JSON */
	const char *bar_text;
	double limit;
	enum op op;
};

static const struct budget_def defs[BUDGET_COUNT] = {
	{ "4K randread QD64, image: vmiod IOPS / host io_uring IOPS",
	  "vmiod IOPS / host IOPS", "ratio", "≥ 97%", 0.97, OP_GE },
	{ "4K randread QD64, null backend: vmiod / qsd IOPS per target CPU-second",
	  "vmiod IOPS per CPU-s / qsd IOPS per CPU-s", "ratio", "≥ 3x", 3.0, OP_GE },
	{ "4K randread QD1, image: vmiod p99 − host io_uring p99",
	  "vmiod p99 - host p99", "us", "≤ +5 µs", 5.0, OP_LE },
	{ "idle vmiod, frontend connected, no I/O: CPU",
	  "vmiod CPU over the hold, % of one core", "percent_of_a_core",
	  "< 1% of a core", 1.0, OP_LT },
};

/* Figures are indexed by enum target_kind (vmiod, qsd, host). */
#define NKINDS 3

struct bround {
	bool ok, busy;
	double value;
	double fig[NKINDS];     /* per target: IOPS, IOPS/CPU-s or p99 µs */
	double other_max;       /* the round's highest others' CPU share */
	enum target_kind order[NKINDS];
	unsigned int norder;
	json_t *json;
};

struct bstate {
	bool on;
	struct bround r[BUDGET_MAX_ROUNDS];
	double median, lo, hi;
	unsigned int measured, busy;
	const char *verdict;
};

struct bctx {
	const struct budget_opts *o;
	struct bstate b[BUDGET_COUNT];
	unsigned int step, steps;
	int failures;
	struct run_result *res;   /* a histogram: too big for the stack */
};

static const char *const kind_key[NKINDS] = { "vmiod", "qsd", "host" };

static void rerun_command(const struct budget_opts *o, unsigned int b,
			  char *buf, size_t len)
{
	snprintf(buf, len, "vmio bench budget --only %u --rounds %u --runtime %g%s%s%s%s",
		 b + 1, o->rounds, o->runtime_s, o->rerun_file ? " --file " : "",
		 o->rerun_file ? o->rerun_file : "",
		 o->frontend_cpu ? " --frontend-cpu " : "",
		 o->frontend_cpu ? o->frontend_cpu : "");
}

static double idle_hold_s(const struct budget_opts *o)
{
	return o->runtime_s > IDLE_MIN_S ? o->runtime_s : IDLE_MIN_S;
}

static double median_of(double *v, unsigned int n)
{
	/* Insertion sort: a few dozen rounds at most. */
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double others_share(double busy_s, double wall_s)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double s = wall_s > 0 && cores > 0 ? busy_s / (wall_s * (double)cores) : 0;

	return s < 0 ? 0 : s;
}

/* Budgets 1-3: the workload of budget b for one target. */
static struct run_spec spec_for(const struct bctx *c, unsigned int b,
				enum target_kind kind)
{
	struct run_spec s = {
		.kind = kind,
		.file = b == 1 ? NULL : c->o->file,
		.null_size = 1ull << 30,
		.job = { .rw = RW_RANDREAD, .bs = 4096, .iodepth = b == 2 ? 1 : 64,
			 .queues = 1, .runtime_s = c->o->runtime_s,
			 .ramp_s = BUDGET_RAMP_S, .want_irq = true, .progress = true },
	};
	return s;
}

static const char *workload_text(unsigned int b)
{
	static const char *const w[] = { "4K randread QD64 on the image",
		"4K randread QD64 on a null backend",
		"4K randread QD1 on the image", "idle, frontend connected" };

	return w[b];
}

/* A round's figure for one target: what budget b compares. */
static double figure(unsigned int b, const struct run_result *r)
{
	if (b == 0)
		return r->iops;
	if (b == 1)
		return r->cpu_us_per_io > 0 ? 1e6 / r->cpu_us_per_io : 0;
	return hist_quantile(&r->r.lat, 0.99) / 1e3;
}

/* One round of budget 1, 2 or 3: the targets back to back, the order
 * rotated by the round number. */
static void peer_round(struct bctx *c, unsigned int b, unsigned int round)
{
	static const enum target_kind file_kinds[] = { TARGET_HOST, TARGET_VMIOD, TARGET_QSD };
	static const enum target_kind null_kinds[] = { TARGET_VMIOD, TARGET_QSD };
	const enum target_kind *kinds = b == 1 ? null_kinds : file_kinds;
	unsigned int n = b == 1 ? 2 : 3;
	struct bround *br = &c->b[b].r[round];
	json_t *runs = json_object(), *order = json_array();
	bool all = true;

	for (unsigned int k = 0; k < NKINDS; k++)
		br->fig[k] = NAN;
	for (unsigned int i = 0; i < n; i++) {
		enum target_kind kind = kinds[(i + round) % n];
		struct run_spec s = spec_for(c, b, kind);
		struct run_result *r = c->res;
		char err[512] = "", label[64];
		double share;
		json_t *j;

		br->order[br->norder++] = kind;
		json_array_append_new(order, json_string(target_name(kind)));
		snprintf(label, sizeof(label), "budget %u, %s", b + 1, target_name(kind));
		s.job.label = label;
		fprintf(stderr, "vmio bench budget: [%u/%u] round %u/%u, budget %u, "
			"%s: %s, %g s\n", ++c->step, c->steps, round + 1,
			c->o->rounds, b + 1, target_name(kind), workload_text(b),
			s.job.runtime_s);
		if (run_one(&s, r, err, sizeof(err)) || r->r.errors || r->r.target_errors) {
			fprintf(stderr, "vmio bench budget: budget %u, round %u, %s "
				"failed: %s\n", b + 1, round + 1, target_name(kind),
				err[0] ? err : "requests completed with errors");
			c->failures++;
			all = false;
			continue;
		}
		share = run_other_share(&s, r);
		if (share > br->other_max)
			br->other_max = share;
		br->fig[kind] = figure(b, r);
		fprintf(stderr, "vmio bench budget:     %s: %.0f IOPS, p99 %.1f us, "
			"target CPU %.2f s (%.2f us/IO), others' CPU %.0f%%%s\n",
			target_name(kind), r->iops, hist_quantile(&r->r.lat, 0.99) / 1e3,
			r->target_cpu_s, r->cpu_us_per_io, 100 * share,
			share > RUN_BUSY_SHARE ? " (busy: this round is flagged)" : "");
		j = run_to_json(&s, r);
		json_object_set_new(j, "other_cpu_share", json_real(share));
		json_object_set_new(runs, kind_key[kind], j);
	}
	br->busy = br->other_max > RUN_BUSY_SHARE;
	if (all) {
		double vm = br->fig[TARGET_VMIOD];

		if (b == 0 && br->fig[TARGET_HOST] > 0) {
			br->value = vm / br->fig[TARGET_HOST];
			br->ok = true;
		} else if (b == 1 && br->fig[TARGET_QSD] > 0 && vm > 0) {
			br->value = vm / br->fig[TARGET_QSD];
			br->ok = true;
		} else if (b == 2) {
			br->value = vm - br->fig[TARGET_HOST];
			br->ok = true;
		}
		if (!br->ok) {
			/* No CPU ticks, or no I/O: no ratio to judge. */
			fprintf(stderr, "vmio bench budget: budget %u, round %u: "
				"a target measured zero, no figure\n", b + 1, round + 1);
			c->failures++;
		}
	}
	br->json = json_pack("{s:i,s:o,s:o,s:b,s:f,s:o}", "round", (int)round + 1,
			     "order", order, "value", br->ok ? json_real(br->value)
							     : json_null(),
			     "busy", br->busy, "other_cpu_share_max", br->other_max,
			     "runs", runs);
}

static void sleep_s(double s)
{
	uint64_t end = clock_now_ns() + (uint64_t)(s * 1e9);

	for (uint64_t now; (now = clock_now_ns()) < end; ) {
		struct timespec ts = { (time_t)((end - now) / NSEC_PER_SEC),
				       (long)((end - now) % NSEC_PER_SEC) };

		nanosleep(&ts, NULL);
	}
}

/* One round of budget 4: vmiod serving the image, the frontend connected
 * as a guest's driver (queues set up and enabled, calls asked for), no
 * I/O; vmiod's CPU over the hold from /proc/PID/stat (target_cpu_s). */
static void idle_round(struct bctx *c, unsigned int round)
{
	struct target t = { .kind = TARGET_VMIOD, .queues = 1, .ndisks = 1 };
	struct vufront_opts fo = { .queues = 1, .queue_size = 256,
				   .max_inflight = 64, .max_io = 4096,
				   .want_irq = true };
	struct bround *br = &c->b[3].r[round];
	double hold = idle_hold_s(c->o), cpu0, busy0, self0, cpu, wall, share;
	uint64_t t0;
	struct vufront *f;
	char err[512] = "";

	for (unsigned int k = 0; k < NKINDS; k++)
		br->fig[k] = NAN;
	br->order[br->norder++] = TARGET_VMIOD;
	fprintf(stderr, "vmio bench budget: [%u/%u] round %u/%u, budget 4, vmiod: "
		"%s, %g s\n", ++c->step, c->steps, round + 1, c->o->rounds,
		workload_text(3), hold);
	t.disks[0] = (struct target_disk){ .file = c->o->file };
	if (target_start(&t, err, sizeof(err))) {
		fprintf(stderr, "vmio bench budget: budget 4, round %u: %s\n",
			round + 1, err);
		c->failures++;
		br->json = json_pack("{s:i,s:n,s:b}", "round", (int)round + 1,
				     "value", "busy", false);
		return;
	}
	if (vufront_connect(t.disks[0].socket, &fo, &f, err, sizeof(err))) {
		fprintf(stderr, "vmio bench budget: budget 4, round %u: the frontend "
			"could not connect: %s\n", round + 1, err);
		target_stop(&t);
		c->failures++;
		br->json = json_pack("{s:i,s:n,s:b}", "round", (int)round + 1,
				     "value", "busy", false);
		return;
	}
	sleep_s(IDLE_SETTLE_S);
	cpu0 = target_cpu_s(&t);
	busy0 = run_host_busy_s();
	self0 = run_self_cpu_s();
	t0 = clock_now_ns();
	sleep_s(hold);
	cpu = target_cpu_s(&t) - cpu0;
	wall = (double)(clock_now_ns() - t0) / 1e9;
	share = others_share(run_host_busy_s() - busy0 - cpu -
			     (run_self_cpu_s() - self0), wall);
	vufront_close(f);
	target_stop(&t);
	br->ok = true;
	br->value = 100 * cpu / wall;
	br->fig[TARGET_VMIOD] = br->value;
	br->other_max = share;
	br->busy = share > RUN_BUSY_SHARE;
	fprintf(stderr, "vmio bench budget:     vmiod: %.3f s of CPU in %.2f s idle "
		"(%.2f%% of a core), others' CPU %.0f%%%s\n", cpu, wall, br->value,
		100 * share, br->busy ? " (busy: this round is flagged)" : "");
	br->json = json_pack("{s:i,s:[s],s:f,s:b,s:f,s:f,s:f,s:f,s:s}",
			     "round", (int)round + 1, "order", "vmiod",
			     "value", br->value, "busy", br->busy,
			     "other_cpu_share_max", share, "cpu_s", cpu,
			     "hold_s", wall, "resolution_pct",
			     100.0 / (double)sysconf(_SC_CLK_TCK) / wall,
			     "command", t.cmdline);
}

static bool meets(const struct budget_def *d, double v)
{
	switch (d->op) {
	case OP_GE:
		return v >= d->limit;
	case OP_LE:
		return v <= d->limit;
	default:
		return v < d->limit;
	}
}

static void summarise(struct bctx *c)
{
	for (unsigned int b = 0; b < BUDGET_COUNT; b++) {
		struct bstate *st = &c->b[b];
		double v[BUDGET_MAX_ROUNDS];
		unsigned int n = 0;

		if (!st->on)
			continue;
		for (unsigned int r = 0; r < c->o->rounds; r++) {
			if (st->r[r].busy)
				st->busy++;
			if (st->r[r].ok)
				v[n++] = st->r[r].value;
		}
		st->measured = n;
		if (!n) {
			st->verdict = "ERROR";
			st->median = st->lo = st->hi = NAN;
			continue;
		}
		st->median = median_of(v, n);
		st->lo = v[0];
		st->hi = v[n - 1];
		st->verdict = meets(&defs[b], st->median) ? "PASS" : "MISS";
	}
}

/* The median over the rounds of one target's figure in budget b. */
static double median_fig(const struct bctx *c, unsigned int b,
			 enum target_kind k)
{
	double v[BUDGET_MAX_ROUNDS];
	unsigned int n = 0;

	for (unsigned int r = 0; r < c->o->rounds; r++)
		if (!isnan(c->b[b].r[r].fig[k]))
			v[n++] = c->b[b].r[r].fig[k];
	return n ? median_of(v, n) : NAN;
}

/* qsd's figure against the host's in the same round (budgets 1 and 3). */
static double median_qsd_vs_host(const struct bctx *c, unsigned int b)
{
	double v[BUDGET_MAX_ROUNDS];
	unsigned int n = 0;

	for (unsigned int r = 0; r < c->o->rounds; r++) {
		const struct bround *br = &c->b[b].r[r];

		if (isnan(br->fig[TARGET_QSD]) || isnan(br->fig[TARGET_HOST]) ||
		    (b == 0 && br->fig[TARGET_HOST] <= 0))
			continue;
		v[n++] = b == 0 ? br->fig[TARGET_QSD] / br->fig[TARGET_HOST]
				: br->fig[TARGET_QSD] - br->fig[TARGET_HOST];
	}
	return n ? median_of(v, n) : NAN;
}

/* A figure of budget b as the table shows it. */
static void fmt_value(unsigned int b, double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "—");
	else if (b == 0)
		snprintf(buf, len, "%.1f%%", 100 * v);
	else if (b == 1)
		snprintf(buf, len, "%.2fx", v);
	else if (b == 2)
		snprintf(buf, len, "%+.1f µs", v);
	else
		snprintf(buf, len, "%.2f%%", v);
}

static void fmt_count(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "—");
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else
		snprintf(buf, len, "%.0f", v);
}

static void context_text(const struct bctx *c, unsigned int b, char *buf,
			 size_t len)
{
	char a[32], q[32], h[32];

	switch (b) {
	case 0:
		fmt_value(0, median_qsd_vs_host(c, 0), q, sizeof(q));
		fmt_count(median_fig(c, 0, TARGET_HOST), h, sizeof(h));
		fmt_count(median_fig(c, 0, TARGET_VMIOD), a, sizeof(a));
		snprintf(buf, len, "IOPS: vmiod %s, host %s; qsd/host %s", a, h, q);
		break;
	case 1:
		fmt_count(median_fig(c, 1, TARGET_VMIOD), a, sizeof(a));
		fmt_count(median_fig(c, 1, TARGET_QSD), q, sizeof(q));
		snprintf(buf, len, "IOPS per CPU-s: vmiod %s, qsd %s", a, q);
		break;
	case 2:
		snprintf(buf, len, "p99: vmiod %.1f µs, host %.1f µs, qsd %.1f µs "
			 "(qsd − host %+.1f µs)", median_fig(c, 2, TARGET_VMIOD),
			 median_fig(c, 2, TARGET_HOST), median_fig(c, 2, TARGET_QSD),
			 median_qsd_vs_host(c, 2));
		break;
	default:
		snprintf(buf, len, "%g s hold per round; /proc/PID/stat in %ld ms "
			 "ticks (%.2f%% of a core)", idle_hold_s(c->o),
			 1000 / sysconf(_SC_CLK_TCK),
			 100.0 / (double)sysconf(_SC_CLK_TCK) / idle_hold_s(c->o));
	}
}

static void write_md(const struct bctx *c, FILE *md)
{
	const struct budget_opts *o = c->o;
	unsigned int busy_rounds = 0, miss = 0, pass = 0;

	fprintf(md, "%s\n\n"
		"The performance budgets, each measured against its peer in this run. "
		"%u round%s, %g s per target and round after a %.1f s ramp (the "
		"idle budget holds %g s). Within a round the targets run back to "
		"back on the same image (%s), in an order that rotates from "
		"round to round, so slow drift of the disk favours no target; a "
		"round gives one figure (a ratio or a difference of the targets "
		"in that round) and the verdict is on the **median** over the "
		"rounds. *Range* is the lowest and highest round. qsd runs beside "
		"budgets 1 and 3 for context only.\n\n"
		"| budget | measured: median (range) | bar | verdict | context "
		"(medians) | rounds | rerun |\n"
		"|---|---|---|---|---|---|---|\n", o->heading, o->rounds,
		o->rounds == 1 ? "" : "s", o->runtime_s, BUDGET_RAMP_S,
		idle_hold_s(o), o->file);
	for (unsigned int b = 0; b < BUDGET_COUNT; b++) {
		const struct bstate *st = &c->b[b];
		char med[32], lo[32], hi[32], ctx[256], cmd[1024];

		if (!st->on)
			continue;
		fmt_value(b, st->median, med, sizeof(med));
		fmt_value(b, st->lo, lo, sizeof(lo));
		fmt_value(b, st->hi, hi, sizeof(hi));
		context_text(c, b, ctx, sizeof(ctx));
		rerun_command(o, b, cmd, sizeof(cmd));
		fprintf(md, "| %u. %s | %s (", b + 1, defs[b].name, med);
		if (st->measured > 1)
			fprintf(md, "%s to %s", lo, hi);
		else
			fprintf(md, "%s", st->measured ? "one round" : "no round measured");
		fprintf(md, ") | %s | %s | %s | %u/%u, %u busy | `%s` |\n",
			defs[b].bar_text, st->verdict, ctx, st->measured, o->rounds,
			st->busy, cmd);
		pass += !strcmp(st->verdict, "PASS");
		miss += strcmp(st->verdict, "PASS") != 0;
	}
	fprintf(md, "\n**%u of %u budgets met.**", pass, pass + miss);
	if (miss) {
		fprintf(md, " Missed:");
		for (unsigned int b = 0, k = 0; b < BUDGET_COUNT; b++) {
			char med[32];

			if (!c->b[b].on || !strcmp(c->b[b].verdict, "PASS"))
				continue;
			fmt_value(b, c->b[b].median, med, sizeof(med));
			fprintf(md, "%s %u (%s %s, bar %s)", k++ ? ";" : "", b + 1,
				defs[b].metric, med, defs[b].bar_text);
		}
		fprintf(md, ".");
	}
	fprintf(md, "\n\nPer round (a cell marked *busy* ran while others used "
		"more than %.0f%% of the machine's CPU; *order* is the order the "
		"targets of budgets 1 and 3 ran in):\n\n"
		"| round |", 100 * RUN_BUSY_SHARE);
	for (unsigned int b = 0; b < BUDGET_COUNT; b++)
		if (c->b[b].on)
			fprintf(md, " %u. %s |", b + 1, defs[b].metric);
	fprintf(md, " order | others' CPU, max |\n|---:|");
	for (unsigned int b = 0; b < BUDGET_COUNT; b++)
		if (c->b[b].on)
			fprintf(md, "---:|");
	fprintf(md, "---|---:|\n");
	for (unsigned int r = 0; r < o->rounds; r++) {
		const struct bround *ord = c->b[0].on ? &c->b[0].r[r] :
					   c->b[2].on ? &c->b[2].r[r] : NULL;
		double other = 0;
		bool busy = false;

		fprintf(md, "| %u |", r + 1);
		for (unsigned int b = 0; b < BUDGET_COUNT; b++) {
			const struct bround *br = &c->b[b].r[r];
			char v[32];

			if (!c->b[b].on)
				continue;
			fmt_value(b, br->ok ? br->value : NAN, v, sizeof(v));
			fprintf(md, " %s%s |", br->ok ? v : "failed",
				br->busy ? " *busy*" : "");
			if (br->other_max > other)
				other = br->other_max;
			busy |= br->busy;
		}
		fprintf(md, " ");
		for (unsigned int i = 0; ord && i < ord->norder; i++)
			fprintf(md, "%s%s", i ? ", " : "", target_name(ord->order[i]));
		fprintf(md, "%s | %.0f%% |\n", ord ? "" : "—", 100 * other);
		busy_rounds += busy;
	}
	if (busy_rounds)
		fprintf(md, "\n**%u of %u rounds ran on a busy machine** (others' "
			"CPU above %.0f%% in at least one of their runs): their "
			"figures measure contention as much as the targets. The "
			"verdicts include them; re-run on an idle machine before "
			"relying on a verdict.\n", busy_rounds, o->rounds,
			100 * RUN_BUSY_SHARE);
	fprintf(md, "\n");
}

static json_t *budget_json(const struct bctx *c, unsigned int b)
{
	const struct bstate *st = &c->b[b];
	static const char *const ops[] = { ">=", "<=", "<" };
	char cmd[1024], ctx[256];
	json_t *rounds = json_array(), *context = json_object(), *j;

	for (unsigned int r = 0; r < c->o->rounds; r++)
		if (st->r[r].json)
			json_array_append(rounds, st->r[r].json);
	rerun_command(c->o, b, cmd, sizeof(cmd));
	context_text(c, b, ctx, sizeof(ctx));
	json_object_set_new(context, "text", json_string(ctx));
	for (unsigned int k = 0; k < NKINDS; k++) {
		double v = median_fig(c, b, (enum target_kind)k);

		if (!isnan(v))
			json_object_set_new(context, kind_key[k], json_real(v));
	}
	if (b == 0 || b == 2) {
		double v = median_qsd_vs_host(c, b);

		if (!isnan(v))
			json_object_set_new(context, "qsd_vs_host", json_real(v));
	}
	j = json_pack("{s:i,s:s,s:s,s:s,s:s,s:{s:s,s:f},s:s,s:o,s:o,s:o,s:i,s:i,"
		      "s:i,s:s,s:s,s:o,s:o}",
		      "id", (int)b + 1, "name", defs[b].name,
		      "workload", workload_text(b), "metric", defs[b].metric,
		      "unit", defs[b].unit, "bar", "op", ops[defs[b].op],
		      "value", defs[b].limit, "bar_text", defs[b].bar_text,
		      "median", isnan(st->median) ? json_null() : json_real(st->median),
		      "min", isnan(st->lo) ? json_null() : json_real(st->lo),
		      "max", isnan(st->hi) ? json_null() : json_real(st->hi),
		      "rounds_measured", (int)st->measured,
		      "rounds_asked", (int)c->o->rounds, "rounds_busy", (int)st->busy,
		      "verdict", st->verdict, "rerun", cmd, "context", context,
		      "rounds", rounds);
	return j;
}

void budget_print(json_t *budgets, FILE *out)
{
	size_t i;
	json_t *b;

	json_array_foreach(budgets, i, b) {
		unsigned int id = (unsigned int)json_integer_value(json_object_get(b, "id"));
		json_t *m = json_object_get(b, "median");
		char med[32];

		if (id < 1 || id > BUDGET_COUNT)
			continue;
		fmt_value(id - 1, json_is_number(m) ? json_number_value(m) : NAN,
			  med, sizeof(med));
		fprintf(out, "budget %u: %-74s %12s (bar %s): %s\n", id,
			defs[id - 1].name, med, defs[id - 1].bar_text,
			json_string_value(json_object_get(b, "verdict")));
	}
}

int budget_run(const struct budget_opts *o, FILE *md, json_t **out)
{
	static const unsigned int per_round[BUDGET_COUNT] = { 3, 2, 3, 1 };
	/* Within a round: the image budgets first, then the null backend,
	 * then the idle hold. */
	static const unsigned int seq[BUDGET_COUNT] = { 0, 2, 1, 3 };
	struct bctx *c = calloc(1, sizeof(*c));
	bool any = false;
	int failures;

	*out = json_array();
	if (!c || !(c->res = malloc(sizeof(*c->res)))) {
		fprintf(stderr, "vmio bench budget: out of memory\n");
		free(c);
		return 1;
	}
	c->o = o;
	for (unsigned int b = 0; b < BUDGET_COUNT; b++)
		any |= o->only[b];
	for (unsigned int b = 0; b < BUDGET_COUNT; b++) {
		c->b[b].on = !any || o->only[b];
		if (c->b[b].on)
			c->steps += per_round[b] * o->rounds;
	}
	for (unsigned int r = 0; r < o->rounds; r++)
		for (unsigned int i = 0; i < BUDGET_COUNT; i++) {
			unsigned int b = seq[i];

			if (!c->b[b].on)
				continue;
			if (b == 3)
				idle_round(c, r);
			else
				peer_round(c, b, r);
		}
	summarise(c);
	if (md)
		write_md(c, md);
	for (unsigned int b = 0; b < BUDGET_COUNT; b++)
		if (c->b[b].on)
			json_array_append_new(*out, budget_json(c, b));
	for (unsigned int b = 0; b < BUDGET_COUNT; b++)
		for (unsigned int r = 0; r < o->rounds; r++)
			json_decref(c->b[b].r[r].json);
	failures = c->failures;
	free(c->res);
	free(c);
	return failures;
}

/* ---- vmio bench budget ---- */

static char temp_image[64];

static void remove_temp_image(int sig)
{
	if (temp_image[0])
		unlink(temp_image);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmio bench budget [--rounds N] [--runtime S] [--file PATH]\n"
		"                         [--only LIST] [--json FILE] [--frontend-cpu N]\n"
		"\n"
		"The performance budgets, each against its peer in this run:\n"
		"  1. 4K randread QD64 on the image: vmiod IOPS >= 97%% of host io_uring\n"
		"  2. 4K randread QD64, null backend: vmiod IOPS per CPU-second >= 3x qsd's\n"
		"  3. 4K randread QD1 on the image: vmiod p99 <= host p99 + 5 us\n"
		"  4. idle vmiod, frontend connected: < 1%% of a core\n"
		"Every round runs each budget's targets back to back in an order that\n"
		"rotates per round; the verdict is on the median over the rounds.\n"
		"  --rounds N   rounds (default 5, 1 to %d)\n"
		"  --runtime S  seconds per target and round (default 3; 0.1 to 600);\n"
		"               the idle hold is S but at least %g s\n"
		"  --file PATH  the image (kept; a new one is 1 GiB, filled with data);\n"
		"               default: a temporary 1 GiB image in /var/tmp, removed\n"
		"  --only LIST  budgets to measure, e.g. 1,3 (default all)\n"
		"  --json FILE  every round and run, and the verdicts\n"
		"  --frontend-cpu N  the frontend and the host loop on CPU N, the\n"
		"               targets on the other CPUs (same placement for all)\n"
		"Prints a markdown table (median, range, bar, PASS or MISS, the command\n"
		"that repeats each budget). Exit status: 0 when every run was measured\n"
		"(whatever the verdicts), 1 when a run failed, 2 for bad arguments.\n",
		BUDGET_MAX_ROUNDS, IDLE_MIN_S);
}

static int die(const char *msg, const char *arg)
{
	return bench_usage_error("vmio bench budget", msg, arg);
}

static int parse_only(const char *s, bool *only)
{
	const char *p = s;

	for (;;) {
		char item[8];
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (!len || len >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_u64(item, &v) || v < 1 || v > BUDGET_COUNT)
			return -EINVAL;
		only[v - 1] = true;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int bench_budget_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'n' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "file", required_argument, NULL, 'f' },
		{ "only", required_argument, NULL, 'o' },
		{ "json", required_argument, NULL, 'j' },
		{ "frontend-cpu", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct budget_opts o = { .rounds = 5, .runtime_s = 3,
				 .heading = "## Budgets" };
	const char *json_path = NULL;
	char argv_line[1024] = "vmio bench", err[512] = "";
	json_t *budgets, *top;
	struct stat st;
	int c, failures;

	for (int i = 0; i < argc; i++)
		snprintf(argv_line + strlen(argv_line),
			 sizeof(argv_line) - strlen(argv_line), " %s", argv[i]);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			uint64_t v;

			if (parse_u64(optarg, &v) || v < 1 || v > BUDGET_MAX_ROUNDS) {
				char msg[64];

				snprintf(msg, sizeof(msg), "--rounds takes 1 to %d",
					 BUDGET_MAX_ROUNDS);
				return die(msg, optarg);
			}
			o.rounds = (unsigned int)v;
			break;
		}
		case 'r': {
			char *end;
			double v = strtod(optarg, &end);

			if (end == optarg || *end || !(v >= 0.1 && v <= 600))
				return die("--runtime takes seconds per target and "
					   "round, 0.1 to 600", optarg);
			o.runtime_s = v;
			break;
		}
		case 'f':
			if (!*optarg)
				return die("--file takes a path", NULL);
			o.file = optarg;
			break;
		case 'o':
			if (parse_only(optarg, o.only))
				return die("--only takes budget numbers 1 to 4, e.g. 1,3",
					   optarg);
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'F':
			if (bench_pin_frontend(optarg, err, sizeof(err)))
				return die(err, NULL);
			o.frontend_cpu = optarg;
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
	if (o.file && stat(o.file, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISBLK(st.st_mode))
		return die("--file is neither a file nor a block device", o.file);
	if (!o.file) {
		int fd;

		snprintf(temp_image, sizeof(temp_image), "/var/tmp/vmio-budget-XXXXXX");
		fd = mkstemp(temp_image);
		if (fd < 0) {
			fprintf(stderr, "vmio bench budget: cannot create an image in "
				"/var/tmp: %s (use --file PATH)\n", strerror(errno));
			return 1;
		}
		close(fd);
		signal(SIGINT, remove_temp_image);
		signal(SIGTERM, remove_temp_image);
		o.file = temp_image;
	} else {
		o.rerun_file = o.file;
	}
	fprintf(stderr, "vmio bench budget: preparing %s\n", o.file);
	if (run_prepare_file(o.file, 0, err, sizeof(err))) {
		fprintf(stderr, "vmio bench budget: %s\n", err);
		if (temp_image[0])
			unlink(temp_image);
		return 1;
	}
	failures = budget_run(&o, stdout, &budgets);
	if (temp_image[0]) {
		unlink(temp_image);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	if (json_path) {
		top = json_pack("{s:s,s:i,s:f,s:f,s:s,s:b,s:i,s:o}", "command", argv_line,
				"rounds", (int)o.rounds, "runtime_s", o.runtime_s,
				"idle_hold_s", idle_hold_s(&o), "file", o.file,
				"file_kept", o.rerun_file != NULL, "failures", failures,
				"budgets", budgets);
		if (json_dump_file(top, json_path, JSON_INDENT(2))) {
			fprintf(stderr, "vmio bench budget: cannot write %s\n", json_path);
			failures++;
		}
		json_decref(top);
	} else {
		json_decref(budgets);
	}
	return failures ? 1 : 0;
}
