/* SPDX-License-Identifier: MIT */
/* When a reactor polls and when it sleeps: see reactor_policy.h. */
#include "engine/reactor_policy.h"

#include <math.h>
#include <string.h>

/* Gap memory: every 64 gaps the counts shrink by 15%, so the budget
 * follows the last ~430 gaps (2 ms at 100k IOPS, 0.2 s at 1k): long
 * enough that a burst does not set the budget for the gaps after it. */
#define RP_DECAY_EVERY 64
#define RP_DECAY 0.85
/* Fewer gaps than this: no distribution yet, poll the break-even time. */
#define RP_MIN_GAPS 8.0
/* A poll budget is used only if the model says it costs this much less
 * than sleeping at once: its costs are estimates, and a budget that
 * catches few gaps spends its CPU on every gap (seen at 11k IOPS open
 * loop: budgets of 1-4 µs cost 10 µs of CPU per request to save a third
 * of a wake-up). */
#define RP_BUDGET_GAIN 0.2

/* Before anything is measured (the reactor calibrates at start). */
#define RP_LAT_INIT_NS 20000.0
#define RP_CPU_INIT_NS 5000.0
#define RP_ARM_INIT_NS 1000.0
/* A sample beyond these is a preemption, not a wake-up. */
#define RP_LAT_MAX_NS 2000000.0
#define RP_CPU_MAX_NS 200000.0

/* What a µs of added latency is worth in µs of polling CPU. A guest that
 * sends requests on its own schedule (an open loop) does not wait for a
 * completion to send the next, so a sleep only delays a completion; at
 * 0.1 the reactor polls little more than gaps shorter than a sleep's own
 * CPU, and spends no more CPU than sleeping at once would: at 11k IOPS
 * open loop on a virtio disk (wake-ups ~50 µs late, ~5 µs of CPU each),
 * a weight of 0.5 made it poll through gaps of the device's service time
 * and cost 35-45 µs of CPU per request against 24-29 µs sleeping, with
 * no better p99. A guest that sends its next request as soon as one
 * completes (a closed loop, e.g. QD1) loses the latency from its rate:
 * at 12, a sleep through a gap no longer than the round trip costs it at
 * most 1/12 of its IOPS, about 5% when the device's time is 60% of the
 * round trip. */
#define RP_LAT_WEIGHT_OPEN 0.1
#define RP_LAT_WEIGHT_CLOSED 12.0
/* Closed loop (QD1-like): after the last request in flight completes,
 * the guest's next one comes within an open-loop break-even (c + 0.1 L)
 * far more often than arrivals on their own schedule would (by at least
 * this share more than Poisson arrivals at the measured rate), and
 * requests hardly ever come while one is in flight (at most this share
 * of the gaps with requests in flight end with a new one). A frontend
 * that paces itself with timers and sends what is overdue when a
 * completion wakes it passes the first test but not the second. */
#define RP_CLOSED_EXCESS 0.5
#define RP_CLOSED_OVERLAP 0.1

/* The price of a µs of polling CPU: 1 when no one else wants the CPU.
 * A neighbour that shares our core evenly makes us wait half the time:
 * price 5, and the reactor polls only gaps shorter than a wake-up's own
 * CPU plus a fraction of its latency. */
#define RP_PRICE_WAIT 8.0
#define RP_PRICE_RUNQ 2.0
#define RP_PRICE_MAX 32.0
#define RP_RUNQ_MAX 4.0

/* Batching trials: with at least RP_DEEP requests in flight on average,
 * or work coming at RP_FAST a second (requests taken plus completions
 * reaped: enough that 40 ms of each arm tell 5% apart), try sleeping at
 * the first empty pass against polling, in epochs of 20 ms (poll, batch,
 * batch, poll: a drift in the load weighs on both), once a second. Below
 * half of both, batching stops: light loads are the budgets' business. */
#define RP_DEEP 2.0
#define RP_SHALLOW 1.0
#define RP_FAST 180000.0
#define RP_EPOCH_NS 20000000ull
#define RP_TRIAL_EVERY_NS 1000000000ull
/* A verdict that stands doubles the time to the next trial, up to this:
 * the losing arm's 40 ms then cost 0.5% of the time, not 4%. */
#define RP_TRIAL_EVERY_MAX_NS 8000000000ull
/* A throughput difference counts beyond this share (or 3 standard
 * deviations of the counts, if more); a CPU difference beyond this. */
#define RP_THROUGHPUT_MARGIN 0.02
#define RP_CPU_MARGIN 0.05

/* While work comes and goes, the wake-up latency is re-measured this
 * often: a sleep with nothing else to end it gets a timeout. An idle
 * reactor is not woken for it. */
#define RP_PROBE_EVERY_NS 200000000ull
#define RP_PROBE_ACTIVE_NS 50000000ull
#define RP_PROBE_NS 100000ull

static const uint64_t edge_ns[RP_BUCKETS] = {
	500, 707, 1000, 1414, 2000, 2828, 4000, 5657, 8000, 11314, 16000,
	22627, 32000, 45255, 64000, 90510, 128000, 181019, 256000, 362039,
	512000, 724077, 1024000, UINT64_MAX,
};

const char *reactor_mode_name(enum reactor_mode m)
{
	switch (m) {
	case REACTOR_MODE_POLL: return "poll";
	case REACTOR_MODE_SLEEP: return "sleep";
	case REACTOR_MODE_BATCH: return "batch";
	}
	return "?";
}

const char *reactor_policy_name(enum reactor_policy_kind k)
{
	switch (k) {
	case REACTOR_POLICY_ADAPTIVE: return "adaptive";
	case REACTOR_POLICY_FIXED: return "fixed";
	case REACTOR_POLICY_SLEEP: return "sleep";
	}
	return "?";
}

static unsigned int bucket_of(uint64_t g)
{
	unsigned int i = 0;

	while (g >= edge_ns[i])
		i++;
	return i;
}

static void gaps_add(struct rp_gaps *h, uint64_t g, bool arrival)
{
	unsigned int i = bucket_of(g);

	h->n[i] += 1;
	h->sum[i] += (double)g;
	h->total += 1;
	h->arrivals += arrival;
	if (++h->since_decay < RP_DECAY_EVERY)
		return;
	h->since_decay = 0;
	h->total = 0;
	h->arrivals *= RP_DECAY;
	for (i = 0; i < RP_BUCKETS; i++) {
		h->n[i] *= RP_DECAY;
		h->sum[i] *= RP_DECAY;
		h->total += h->n[i];
	}
}

/*
 * The poll budget B that costs least over the recent gaps g: a gap below
 * B is polled through (price x g); a longer one costs B of polling and
 * then a sleep (price x B + sleep), unless it ends while the reactor is
 * still getting ready to sleep (within arm_ns after B: enabling kicks and
 * checking the rings again finds the work, no wake-up is paid; price x
 * g). Candidates: 0 and the buckets' upper edges. A budget must beat
 * sleeping at once by RP_BUDGET_GAIN.
 */
static uint64_t gaps_budget(const struct rp_gaps *h, double price, double sleep,
			    double arm_ns, uint64_t fallback)
{
	double cum_n[RP_BUCKETS], cum_sum[RP_BUCKETS], n = 0, sum = 0;
	double best_cost = 0;
	uint64_t best = 0;

	if (h->total < RP_MIN_GAPS)
		return fallback;
	for (unsigned int i = 0; i < RP_BUCKETS; i++) {
		n += h->n[i];
		sum += h->sum[i];
		cum_n[i] = n;
		cum_sum[i] = sum;
	}
	for (int j = -1; j < RP_BUCKETS - 1; j++) {
		double b = j < 0 ? 0 : (double)edge_ns[j], cost, caught_n = 0,
		       caught_sum = 0;

		/* Gaps in buckets wholly below b + arm_ns cost their length. */
		for (int k = RP_BUCKETS - 2; k >= 0; k--)
			if ((double)edge_ns[k] <= b + arm_ns) {
				caught_n = cum_n[k];
				caught_sum = cum_sum[k];
				break;
			}
		cost = price * caught_sum + (h->total - caught_n) * (price * b + sleep);
		if (j < 0)
			best_cost = cost * (1 - RP_BUDGET_GAIN);
		else if (cost < best_cost * (1 - 1e-9)) {
			best_cost = cost;
			best = edge_ns[j];
		}
	}
	return best;
}

void reactor_policy_update(struct reactor_policy *p)
{
	const struct rp_gaps *guest = &p->gaps[RP_GUEST];
	const struct rp_gaps *dev = &p->gaps[RP_DEVICE];
	double c = p->sleep_cpu_ns, L = p->wake_lat_ns, sleep, limit;

	if (p->passes) {
		double ws = (double)p->work_passes / (double)p->passes;

		p->work_share += (ws - p->work_share) / 4;
	}
	if (p->work_passes)
		p->inflight_avg += ((double)p->inflight_sum / (double)p->work_passes -
				    p->inflight_avg) / 8;
	p->passes = p->work_passes = p->inflight_sum = 0;
	if (p->inflight_avg < RP_SHALLOW && p->work_rate < RP_FAST / 2) {
		p->trial = 0;
		p->batch = false;
		p->trial_every_ns = RP_TRIAL_EVERY_NS;
	}

	p->price = 1 + RP_PRICE_WAIT * p->wait_share + RP_PRICE_RUNQ * p->runq_excess;
	if (p->price > RP_PRICE_MAX)
		p->price = RP_PRICE_MAX;
	p->closed_loop = false;
	if (guest->total >= RP_MIN_GAPS) {
		double x = c + RP_LAT_WEIGHT_OPEN * L, quick = 0;
		/* Requests a second: each is taken, then completed. */
		double arrivals = p->work_rate / 2;

		for (unsigned int i = 0; i < RP_BUCKETS && (double)edge_ns[i] <= x; i++)
			quick += guest->n[i];
		quick /= guest->total;
		p->closed_loop = quick - (1 - exp(-arrivals * x / 1e9)) >=
				 RP_CLOSED_EXCESS &&
				 (dev->total < RP_MIN_GAPS ||
				  dev->arrivals <= RP_CLOSED_OVERLAP * dev->total);
	}
	p->lat_weight = p->closed_loop ? RP_LAT_WEIGHT_CLOSED : RP_LAT_WEIGHT_OPEN;
	/* What a sleep costs, in µs of CPU at today's price; the gap length
	 * where polling and sleeping cost the same. */
	sleep = p->price * c + p->lat_weight * L;
	limit = sleep / p->price;
	if (limit > RP_MAX_BUDGET_NS)
		limit = RP_MAX_BUDGET_NS;
	p->timer_poll_ns = (uint64_t)limit;
	for (int h = 0; h < RP_CLASSES; h++)
		p->budget_ns[h] = gaps_budget(&p->gaps[h], p->price, sleep,
					      p->arm_ns, (uint64_t)limit);
}

void reactor_policy_init(struct reactor_policy *p, unsigned int poll_us)
{
	memset(p, 0, sizeof(*p));
	if (poll_us == REACTOR_POLL_ADAPTIVE) {
		p->kind = REACTOR_POLICY_ADAPTIVE;
	} else if (poll_us == 0) {
		p->kind = REACTOR_POLICY_SLEEP;
	} else {
		p->kind = REACTOR_POLICY_FIXED;
		p->fixed_ns = (uint64_t)poll_us * 1000;
	}
	p->wake_lat_ns = RP_LAT_INIT_NS;
	p->sleep_cpu_ns = RP_CPU_INIT_NS;
	p->arm_ns = RP_ARM_INIT_NS;
	reactor_policy_update(p);
}

void reactor_policy_rate(struct reactor_policy *p, uint64_t now,
			 uint64_t work_total)
{
	double dt = (double)(now - p->rate_at_ns) / 1e9;

	if (p->rate_at_ns && dt > 0)
		p->work_rate += ((double)(work_total - p->rate_work0) / dt -
				 p->work_rate) / 8;
	p->rate_at_ns = now;
	p->rate_work0 = work_total;
}

bool reactor_policy_batching(const struct reactor_policy *p)
{
	if (p->trial)
		return p->trial == 2 || p->trial == 3;
	return p->batch;
}

static bool probe_due(const struct reactor_policy *p, uint64_t now)
{
	return now - p->last_lat_ns >= RP_PROBE_EVERY_NS &&
	       now - p->last_gap_ns <= RP_PROBE_ACTIVE_NS;
}

struct rp_decision reactor_policy_idle(const struct reactor_policy *p,
				       const struct rp_idle *in)
{
	struct rp_decision d = { .sleep = true };
	bool device = in->inflight > 0;

	/* A release due now: the next pass takes it. */
	if (in->timer_ns == 0)
		return (struct rp_decision){ 0 };
	switch (p->kind) {
	case REACTOR_POLICY_SLEEP:
		break;
	case REACTOR_POLICY_FIXED:
		if (in->timer_ns <= p->fixed_ns || in->idle_ns < p->fixed_ns)
			return (struct rp_decision){ 0 };
		break;
	case REACTOR_POLICY_ADAPTIVE:
		/* A timed wake (a throttled request's release) is a gap of
		 * known length: polled for when that is the cheaper. */
		if (in->timer_ns <= p->timer_poll_ns)
			return (struct rp_decision){ 0 };
		if (!reactor_policy_batching(p) &&
		    in->idle_ns < p->budget_ns[device ? RP_DEVICE : RP_GUEST])
			return (struct rp_decision){ 0 };
		break;
	}
	if (in->timer_ns != UINT64_MAX) {
		d.timeout_ns = in->timer_ns;
	} else if (p->kind == REACTOR_POLICY_ADAPTIVE && probe_due(p, in->now_ns)) {
		d.timeout_ns = RP_PROBE_NS;
		d.probe = true;
	}
	return d;
}

void reactor_policy_gap(struct reactor_policy *p, uint64_t now,
			const struct rp_gap *gap)
{
	uint64_t g = gap->idle_ns;

	if (gap->slept_at_ns != UINT64_MAX) {
		/* Asleep, the gap's end is seen a wake-up late. */
		uint64_t lat = (uint64_t)p->wake_lat_ns;
		uint64_t est = g > lat ? g - lat : 0;

		g = est > gap->slept_at_ns ? est : gap->slept_at_ns;
	}
	gaps_add(&p->gaps[gap->device ? RP_DEVICE : RP_GUEST], g, gap->arrival);
	p->last_gap_ns = now;
}

/* Follows a measured cost: the first sample (*n == 0) replaces the
 * guess; after that the estimate moves by 1/down of the way to a sample
 * below it and 1/up to one above, so it settles at the quantile where
 * up/down samples lie above for every one below (equal: the mean).
 * Samples are clamped to max first. */
static void track(double *est, unsigned int *n, uint64_t sample, double max,
		  double down, double up)
{
	double x = (double)sample;

	if (x > max)
		x = max;
	if (!(*n)++)
		*est = x;
	else
		*est += (x - *est) / (x < *est ? down : up);
}

void reactor_policy_wake_latency(struct reactor_policy *p, uint64_t now,
				 uint64_t lateness_ns)
{
	/* A third of the samples below: a preempted wake-up is not the
	 * rule. */
	track(&p->wake_lat_ns, &p->lat_n, lateness_ns, RP_LAT_MAX_NS, 8, 16);
	p->last_lat_ns = now;
}

void reactor_policy_sleep_arm(struct reactor_policy *p, uint64_t ns)
{
	track(&p->arm_ns, &p->arm_n, ns, RP_CPU_MAX_NS, 8, 8);
}

void reactor_policy_sleep_cpu(struct reactor_policy *p, uint64_t cpu_ns)
{
	/* What a sleep itself costs: a sample also carries the completions'
	 * kernel work that ran on waking, which polling pays too, so the
	 * estimate follows the low samples (a ninth of them lie below). */
	track(&p->sleep_cpu_ns, &p->cpu_n, cpu_ns, RP_CPU_MAX_NS, 4, 32);
}

void reactor_policy_cpu_sample(struct reactor_policy *p,
			       const struct rp_cpu_sample *s)
{
	double share = 0;

	if (!s->wall_ns)
		return;
	/* Run delay without a preemption is the wake-ups' own scheduling
	 * latency: only a preemption means someone wanted our CPU. */
	if (s->preemptions) {
		share = (double)s->run_delay_ns / (double)s->wall_ns;
		if (share > 1)
			share = 1;
	}
	/* Quick to notice a neighbour, slow to forget it (~16 samples). */
	if (share > p->wait_share)
		p->wait_share += (share - p->wait_share) / 2;
	else
		p->wait_share += (share - p->wait_share) / 16;
	if (s->runnable >= 0 && s->cpus) {
		double e = (double)s->runnable - (double)s->cpus;

		if (e < 0)
			e = 0;
		if (e > RP_RUNQ_MAX)
			e = RP_RUNQ_MAX;
		p->runq_excess += (e - p->runq_excess) / 8;
	}
}

bool reactor_policy_epoch_due(const struct reactor_policy *p, uint64_t now)
{
	if (p->kind != REACTOR_POLICY_ADAPTIVE)
		return false;
	if (p->trial)
		return now - p->epoch_start_ns >= RP_EPOCH_NS;
	return (p->inflight_avg >= RP_DEEP || p->work_rate >= RP_FAST) &&
	       now >= p->next_trial_ns;
}

/* Batch or poll, from a finished trial; unchanged when in doubt. */
static bool trial_verdict(const struct reactor_policy *p)
{
	double wp = p->arm_work[0], wc = p->arm_work[1], tp, tc, margin;

	if (wp < 1 || wc < 1 || p->arm_wall[0] <= 0 || p->arm_wall[1] <= 0)
		return p->batch;
	tp = wp / p->arm_wall[0];
	tc = wc / p->arm_wall[1];
	margin = 3 * sqrt(1 / wp + 1 / wc);
	if (margin < RP_THROUGHPUT_MARGIN)
		margin = RP_THROUGHPUT_MARGIN;
	if (tc > tp * (1 + margin))
		return true;
	if (tp > tc * (1 + margin))
		return false;
	/* Same throughput (an open loop: the guest sets the rate): the one
	 * that spends less CPU on it. */
	if (p->arm_cpu[1] / wc < p->arm_cpu[0] / wp * (1 - RP_CPU_MARGIN))
		return true;
	if (p->arm_cpu[0] / wp < p->arm_cpu[1] / wc * (1 - RP_CPU_MARGIN))
		return false;
	return p->batch;
}

void reactor_policy_epoch(struct reactor_policy *p, uint64_t now,
			  uint64_t work_total, uint64_t cpu_ns)
{
	unsigned int arm;

	if (!p->trial) {
		p->trial = 1;
		memset(p->arm_work, 0, sizeof(p->arm_work));
		memset(p->arm_wall, 0, sizeof(p->arm_wall));
		memset(p->arm_cpu, 0, sizeof(p->arm_cpu));
	} else {
		arm = reactor_policy_batching(p) ? 1 : 0;
		p->arm_work[arm] += (double)(work_total - p->epoch_work0);
		p->arm_wall[arm] += (double)(now - p->epoch_start_ns);
		p->arm_cpu[arm] += (double)(cpu_ns - p->epoch_cpu0);
		if (++p->trial > 4) {
			bool was = p->batch;

			p->trial = 0;
			p->batch = trial_verdict(p);
			if (!p->trials || p->batch != was)
				p->trial_every_ns = RP_TRIAL_EVERY_NS;
			else if (p->trial_every_ns < RP_TRIAL_EVERY_MAX_NS)
				p->trial_every_ns *= 2;
			p->next_trial_ns = now + p->trial_every_ns;
			p->trials++;
			if (p->batch)
				p->trials_batch++;
		}
	}
	p->epoch_start_ns = now;
	p->epoch_work0 = work_total;
	p->epoch_cpu0 = cpu_ns;
}

enum reactor_mode reactor_policy_mode(const struct reactor_policy *p)
{
	double polled = 0, total = 0;

	if (p->kind == REACTOR_POLICY_SLEEP)
		return REACTOR_MODE_SLEEP;
	if (p->kind == REACTOR_POLICY_FIXED)
		return REACTOR_MODE_POLL;
	if (reactor_policy_batching(p))
		return REACTOR_MODE_BATCH;
	/* What the budgets do with the gaps seen lately. */
	for (int h = 0; h < RP_CLASSES; h++) {
		const struct rp_gaps *g = &p->gaps[h];

		total += g->total;
		for (unsigned int i = 0; i < RP_BUCKETS && edge_ns[i] <= p->budget_ns[h]; i++)
			polled += g->n[i];
	}
	if (total < RP_MIN_GAPS)
		return p->budget_ns[RP_GUEST] ? REACTOR_MODE_POLL : REACTOR_MODE_SLEEP;
	return polled * 2 >= total ? REACTOR_MODE_POLL : REACTOR_MODE_SLEEP;
}
