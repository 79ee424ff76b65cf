/* SPDX-License-Identifier: MIT */
/*
 * The reactor's polling policy fed synthetic arrival patterns. A small
 * simulator plays the reactor: after each piece of work it asks the
 * policy, pass by pass, whether to poll on or sleep; a sleep ends when
 * the next event comes plus the simulated machine's wake-up latency;
 * it tells the policy what it measured (gaps, wake-up latency, the CPU
 * of a sleep, run delay) the way engine/reactor.c does. Each test then
 * checks what the policy did with the gaps of a steady state.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/reactor_policy.h"

#define US 1000ull
#define MS 1000000ull
#define PASS_NS 300 /* one pass over the pollers that finds nothing */

struct machine {
	uint64_t lat_ns;       /* a wake-up lands this late */
	uint64_t sleep_cpu_ns; /* a sleep and wake-up cost this much CPU */
	double wait_share;     /* a neighbour makes us wait this share */
};

struct sim {
	struct reactor_policy p;
	struct machine m;
	uint64_t now, next_update, next_sample;
	uint64_t work;          /* requests taken and completions reaped */
	double overlap;         /* share of gaps with requests in flight that
				 * a new request ends (open loops) */
	uint64_t rng;
	/* Over the measured gaps. */
	unsigned int gaps, polled, slept;
	uint64_t poll_ns, sleep_ns;
};

static double uniform(struct sim *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return ((double)((s->rng * 2685821657736338717ull) >> 11) + 1) /
	       9007199254740993.0;
}

static uint64_t exp_ns(struct sim *s, double mean_ns)
{
	return (uint64_t)(-log(uniform(s)) * mean_ns);
}

static void sim_init(struct sim *s, unsigned int poll_us, struct machine m)
{
	memset(s, 0, sizeof(*s));
	reactor_policy_init(&s->p, poll_us);
	s->m = m;
	s->now = 1000 * MS;
	s->rng = 88172645463325252ull;
	/* The reactor calibrates at start. */
	for (int i = 0; i < 4; i++) {
		reactor_policy_sleep_cpu(&s->p, m.sleep_cpu_ns);
		reactor_policy_wake_latency(&s->p, s->now, m.lat_ns);
	}
	reactor_policy_update(&s->p);
}

/* What the reactor does about once a millisecond. */
static void sim_tick(struct sim *s)
{
	if (s->now >= s->next_sample) {
		struct rp_cpu_sample c = {
			.wall_ns = MS, .runnable = 1, .cpus = 2,
			.run_delay_ns = (uint64_t)(s->m.wait_share * MS),
			.preemptions = s->m.wait_share > 0 ? 3 : 0,
		};

		reactor_policy_cpu_sample(&s->p, &c);
		s->next_sample = s->now + MS;
	}
	if (s->now >= s->next_update) {
		reactor_policy_rate(&s->p, s->now, s->work);
		reactor_policy_update(&s->p);
		s->next_update = s->now + MS;
	}
}

/*
 * One idle gap of g ns after work, with inflight requests at the device
 * (a completion ends it) or none (the guest's next request ends it).
 * Then a pass with work.
 */
static void sim_gap(struct sim *s, uint64_t g, unsigned int inflight,
		    bool count)
{
	uint64_t idle = 0, slept_at = UINT64_MAX, start = s->now;

	for (;;) {
		struct rp_idle in = { .now_ns = start + idle, .idle_ns = idle,
				      .inflight = inflight, .timer_ns = UINT64_MAX };
		struct rp_decision d;

		idle += PASS_NS;
		reactor_policy_pass(&s->p, false, inflight);
		if (idle >= g)
			break;
		in.now_ns = start + idle;
		in.idle_ns = idle;
		d = reactor_policy_idle(&s->p, &in);
		if (!d.sleep)
			continue;
		if (slept_at == UINT64_MAX)
			slept_at = idle;
		reactor_policy_sleep_cpu(&s->p, s->m.sleep_cpu_ns);
		if (d.timeout_ns && idle + d.timeout_ns < g) {
			/* The timeout ends this sleep: a latency sample. */
			idle += d.timeout_ns + s->m.lat_ns;
			reactor_policy_wake_latency(&s->p, start + idle, s->m.lat_ns);
			if (idle >= g)
				break;
			continue;
		}
		idle = g + s->m.lat_ns;
		break;
	}
	if (count) {
		s->gaps++;
		if (slept_at == UINT64_MAX) {
			s->polled++;
			s->poll_ns += g;
		} else {
			s->slept++;
			s->poll_ns += slept_at;
			s->sleep_ns += g - (slept_at < g ? slept_at : g);
		}
	}
	s->now = start + idle;
	/* The pass that finds the work. */
	reactor_policy_pass(&s->p, true, inflight);
	s->work++;
	{
		struct rp_gap gap = {
			.idle_ns = idle, .slept_at_ns = slept_at,
			.device = inflight > 0,
			.arrival = !inflight || uniform(s) < s->overlap,
		};

		reactor_policy_gap(&s->p, s->now, &gap);
	}
	s->now += 2 * US;
	sim_tick(s);
}

static double polled_share(const struct sim *s)
{
	return s->gaps ? (double)s->polled / s->gaps : 0;
}

/* What happened, in the test's log. */
static void report(const char *what, const struct sim *s)
{
	print_message("%-34s polled %5.1f%% of %u gaps; budget guest %6.1f µs "
		      "device %6.1f µs; price %.1f; %s loop; mode %s\n", what,
		      100 * polled_share(s), s->gaps,
		      s->p.budget_ns[RP_GUEST] / 1e3, s->p.budget_ns[RP_DEVICE] / 1e3,
		      s->p.price, s->p.closed_loop ? "closed" : "open",
		      reactor_mode_name(reactor_policy_mode(&s->p)));
}

/* Patterns: n gaps to settle, then n measured. */
static void steady_rate(struct sim *s, uint64_t gap_ns, unsigned int n)
{
	for (unsigned int i = 0; i < 2 * n; i++)
		sim_gap(s, gap_ns + (uint64_t)(uniform(s) * gap_ns / 10), 0, i >= n);
}

static void poisson(struct sim *s, double mean_ns, unsigned int n)
{
	for (unsigned int i = 0; i < 2 * n; i++)
		sim_gap(s, exp_ns(s, mean_ns), 0, i >= n);
}

/* QD1: the device's service time, then the guest's answer. */
static void qd1(struct sim *s, uint64_t device_ns, uint64_t turnaround_ns,
		unsigned int n)
{
	for (unsigned int i = 0; i < 2 * n; i++) {
		sim_gap(s, device_ns + (uint64_t)(uniform(s) * 3 * US), 1, i >= n);
		sim_gap(s, turnaround_ns + (uint64_t)(uniform(s) * US), 0, i >= n);
	}
}

/* An open loop at the same device: each request alone, Poisson arrivals
 * far apart compared with the service time. */
static void open_loop(struct sim *s, uint64_t device_ns, double mean_ns,
		      unsigned int n)
{
	/* Arrivals on their own schedule come during a request too. */
	s->overlap = device_ns / mean_ns;
	for (unsigned int i = 0; i < 2 * n; i++) {
		sim_gap(s, device_ns + (uint64_t)(uniform(s) * 3 * US), 1, i >= n);
		sim_gap(s, exp_ns(s, mean_ns), 0, i >= n);
	}
}

/* The same, as a frontend that paces itself with timers sends it: its
 * timer lands late, and a completion that wakes it first makes it send
 * what is overdue at once, so 90% of the requests follow a completion
 * within a microsecond, as in a closed loop; but requests also come
 * while others are in flight, which a closed loop at QD1 never does. */
static void bunched_open_loop(struct sim *s, uint64_t device_ns, double mean_ns,
			      unsigned int n)
{
	s->overlap = device_ns / mean_ns;
	for (unsigned int i = 0; i < 2 * n; i++) {
		sim_gap(s, device_ns + (uint64_t)(uniform(s) * 3 * US), 1, i >= n);
		sim_gap(s, uniform(s) < 0.9 ? 1 * US : exp_ns(s, mean_ns), 0, i >= n);
	}
}

static const struct machine vm = { .lat_ns = 24 * US, .sleep_cpu_ns = 13 * US };

/* 200k requests a second, one every 5 µs: polling costs less than any
 * sleep, so the reactor polls through (nearly) every gap. */
static void test_steady_high_rate_polls(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	steady_rate(&s, 5 * US, 4000);
	report("steady 200k/s", &s);
	assert_true(polled_share(&s) > 0.95);
	assert_int_equal(reactor_policy_mode(&s.p), REACTOR_MODE_POLL);
	assert_true(s.p.budget_ns[RP_GUEST] >= 5 * US);
}

/* A request every 2 ms on average: polling would burn the whole gap, so
 * the reactor sleeps at once (it spends next to nothing polling). */
static void test_sparse_arrivals_sleep(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	poisson(&s, 2 * MS, 2000);
	report("Poisson, 2 ms apart", &s);
	assert_true(polled_share(&s) < 0.05);
	assert_int_equal(reactor_policy_mode(&s.p), REACTOR_MODE_SLEEP);
	assert_int_equal(s.p.budget_ns[RP_GUEST], 0);
	/* Polling time: a pass or so per gap, not a window. */
	assert_true(s.poll_ns < (uint64_t)s.gaps * 2 * US);
}

/* QD1 on a device that answers in 60 µs, wake-ups landing 20 µs late:
 * polling through the device's time pays on a free CPU (the guest waits
 * for every completion), not when a neighbour waits for the CPU half the
 * time (it is then the neighbour's CPU the reactor would burn): the
 * budget shrinks below the device's time and the reactor sleeps. */
static void test_neighbour_waiting_sleeps_sooner(void **state)
{
	struct machine m = { .lat_ns = 20 * US, .sleep_cpu_ns = 5 * US };
	struct sim s, n;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, m);
	qd1(&s, 60 * US, 2 * US, 2000);
	m.wait_share = 0.5;
	sim_init(&n, REACTOR_POLL_ADAPTIVE, m);
	qd1(&n, 60 * US, 2 * US, 2000);
	report("QD1, device 60 µs, free CPU", &s);
	report("QD1, device 60 µs, neighbour waits", &n);

	assert_true(polled_share(&s) > 0.95);
	assert_true(polled_share(&n) < 0.6);
	assert_true(n.p.budget_ns[RP_DEVICE] < 60 * US);
	assert_true(n.p.budget_ns[RP_DEVICE] < s.p.budget_ns[RP_DEVICE]);
	assert_true(n.p.price > 4);
	assert_true(n.poll_ns < s.poll_ns / 4);
}

/* The neighbour shows up in the middle of that QD1 loop and leaves: the
 * reactor turns to sleeping within a few milliseconds, and back. */
static void test_neighbour_comes_and_goes(void **state)
{
	struct machine m = { .lat_ns = 20 * US, .sleep_cpu_ns = 5 * US };
	struct sim s;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, m);
	qd1(&s, 60 * US, 2 * US, 1000);
	assert_true(polled_share(&s) > 0.95);
	s.m.wait_share = 0.6;
	s.gaps = s.polled = s.slept = 0;
	/* ~100 requests (~6 ms) to notice, then 500 measured. */
	qd1(&s, 60 * US, 2 * US, 100);
	s.gaps = s.polled = s.slept = 0;
	qd1(&s, 60 * US, 2 * US, 500);
	assert_true(polled_share(&s) < 0.6);
	s.m.wait_share = 0;
	s.gaps = s.polled = s.slept = 0;
	qd1(&s, 60 * US, 2 * US, 2000);
	assert_true(polled_share(&s) > 0.95);
}

/* QD1 on a machine whose wake-ups land 40 µs late: the device answers in
 * ~35 µs, the guest sends its next request 2 µs after each completion.
 * Sleeping through either gap would cost the guest a wake-up per
 * request, so the reactor polls both, as a fixed window did. */
static void test_qd1_gaps_shorter_than_wakeup_poll(void **state)
{
	struct machine m = { .lat_ns = 40 * US, .sleep_cpu_ns = 8 * US };
	struct sim s;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, m);
	qd1(&s, 35 * US, 2 * US, 2000);
	report("QD1, device 35 µs, wake 40 µs", &s);
	assert_true(s.p.closed_loop);
	assert_true(polled_share(&s) > 0.95);
	assert_true(s.p.budget_ns[RP_DEVICE] > 38 * US);
	assert_int_equal(reactor_policy_mode(&s.p), REACTOR_MODE_POLL);
}

/* The same device gaps in an open loop (requests 200 µs or 2 ms apart on
 * their own schedule, or 90 µs and bunched): nobody waits for the
 * completion to send the next request, and the reactor sleeps through
 * the device's 35 µs. */
static void test_open_loop_same_device_sleeps(void **state)
{
	struct machine m = { .lat_ns = 40 * US, .sleep_cpu_ns = 8 * US };
	struct sim s;

	(void)state;
	for (int i = 0; i < 3; i++) {
		static const char *const what[] = {
			"open loop 5000/s, device 35 µs",
			"open loop 500/s, device 35 µs",
			"open loop 11k/s bunched, dev 35 µs",
		};

		sim_init(&s, REACTOR_POLL_ADAPTIVE, m);
		if (i < 2)
			open_loop(&s, 35 * US, i ? 2 * MS : 200 * US, 2000);
		else
			bunched_open_loop(&s, 35 * US, 90 * US, 2000);
		report(what[i], &s);
		assert_false(s.p.closed_loop);
		assert_true(s.p.budget_ns[RP_DEVICE] < 35 * US);
		/* Bunched: the 1 µs gaps are worth polling, no others. */
		assert_true(polled_share(&s) < (i < 2 ? 0.05 : 0.5));
	}
}

/* QD1 whose device is far slower than a wake-up (1 ms, e.g. a remote
 * backend): the reactor sleeps through the device's time but still polls
 * the guest's quick answer. */
static void test_qd1_slow_device_sleeps_device_gaps(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	qd1(&s, 1 * MS, 2 * US, 1000);
	report("QD1, device 1 ms", &s);
	assert_int_equal(s.p.budget_ns[RP_DEVICE], 0);
	assert_true(s.p.budget_ns[RP_GUEST] >= 3 * US);
	assert_true(polled_share(&s) > 0.45 && polled_share(&s) < 0.55);
}

/* --poll-us 0: sleeps at the first empty pass, whatever the gaps. */
static void test_sleep_override(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, 0, vm);
	steady_rate(&s, 5 * US, 1000);
	assert_true(polled_share(&s) < 0.05);
	assert_int_equal(reactor_policy_mode(&s.p), REACTOR_MODE_SLEEP);
}

/* --poll-us 200: today's fixed window, whatever was measured. */
static void test_fixed_window_override(void **state)
{
	struct sim s;
	struct rp_idle in = { .now_ns = 1, .inflight = 0, .timer_ns = UINT64_MAX };

	(void)state;
	sim_init(&s, 200, vm);
	poisson(&s, 2 * MS, 100);
	in.idle_ns = 199 * US;
	assert_false(reactor_policy_idle(&s.p, &in).sleep);
	in.idle_ns = 200 * US;
	assert_true(reactor_policy_idle(&s.p, &in).sleep);
	/* A timed wake within the window is polled for. */
	in.timer_ns = 150 * US;
	assert_false(reactor_policy_idle(&s.p, &in).sleep);
	in.timer_ns = 300 * US;
	assert_int_equal(reactor_policy_idle(&s.p, &in).timeout_ns, 300 * US);
	assert_int_equal(reactor_policy_mode(&s.p), REACTOR_MODE_POLL);
}

/* A throttled request's release (a timed wake) is a gap of known length:
 * polled for when short, slept for with a timeout when long, and slept
 * for sooner when a neighbour waits. */
static void test_timed_wake(void **state)
{
	struct sim s;
	struct rp_idle in = { .now_ns = 1, .idle_ns = 10 * MS, .inflight = 0 };
	struct rp_decision d;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	in.timer_ns = 10 * US;
	assert_false(reactor_policy_idle(&s.p, &in).sleep);
	in.timer_ns = 0;
	assert_false(reactor_policy_idle(&s.p, &in).sleep);
	in.timer_ns = 500 * US;
	d = reactor_policy_idle(&s.p, &in);
	assert_true(d.sleep);
	assert_int_equal(d.timeout_ns, 500 * US);
	assert_false(d.probe);

	s.m.wait_share = 0.8;
	for (int i = 0; i < 20; i++) {
		s.now += MS;
		sim_tick(&s);
	}
	in.timer_ns = 16 * US;
	assert_true(reactor_policy_idle(&s.p, &in).sleep);
}

/* Requests queueing at the device (or coming fast): the policy tries
 * sleeping at the first empty pass against polling, in epochs, and keeps
 * what did more work, or, for the same work, what spent less CPU. */
static void run_trial(struct sim *s, double poll_rate, double poll_cpu,
		      double coal_rate, double coal_cpu)
{
	uint64_t work = 0, cpu = 0;

	for (int i = 0; i < 64 && s->p.inflight_avg < 2; i++) {
		reactor_policy_pass(&s->p, true, 32);
		reactor_policy_update(&s->p);
	}
	assert_true(reactor_policy_epoch_due(&s->p, s->now));
	reactor_policy_epoch(&s->p, s->now, work, cpu);
	for (int e = 0; e < 4; e++) {
		bool coal = reactor_policy_batching(&s->p);
		double rate = coal ? coal_rate : poll_rate;
		double cpw = coal ? coal_cpu : poll_cpu;

		assert_int_equal(coal, e == 1 || e == 2);
		assert_false(reactor_policy_epoch_due(&s->p, s->now + 19 * MS));
		s->now += 20 * MS;
		work += (uint64_t)(rate * 0.02);
		cpu += (uint64_t)(rate * 0.02 * cpw);
		assert_true(reactor_policy_epoch_due(&s->p, s->now));
		reactor_policy_epoch(&s->p, s->now, work, cpu);
	}
	assert_int_equal(s->p.trial, 0);
	/* The next trial waits at least a second, more while the verdict
	 * stands. */
	assert_false(reactor_policy_epoch_due(&s->p, s->now + 500 * MS));
	s->now += s->p.trial_every_ns;
}

static void test_batching_trials(void **state)
{
	struct rp_idle in = { .idle_ns = 1 * US, .inflight = 32,
			      .timer_ns = UINT64_MAX };
	struct sim s;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	/* Batches win by 9% (a closed loop at QD64 on shared cores). */
	run_trial(&s, 213000, 4100, 233000, 2450);
	assert_true(s.p.batch);
	assert_int_equal(reactor_policy_mode(&s.p), REACTOR_MODE_BATCH);
	in.now_ns = s.now;
	assert_true(reactor_policy_idle(&s.p, &in).sleep);
	in.inflight = 0;
	assert_true(reactor_policy_idle(&s.p, &in).sleep);
	/* A QoS release due within a wake-up's cost is still polled for. */
	in.timer_ns = 1 * US;
	assert_false(reactor_policy_idle(&s.p, &in).sleep);

	/* Polling wins by 8% (a host where wake-ups are dear). */
	run_trial(&s, 61000, 11000, 56000, 9000);
	assert_false(s.p.batch);

	/* Same throughput (an open loop sets it), less CPU batching. */
	run_trial(&s, 50000, 8000, 50100, 5000);
	assert_true(s.p.batch);

	/* Within noise on both: no change, and the next trial comes later. */
	run_trial(&s, 50000, 5000, 50200, 5100);
	assert_true(s.p.batch);
	assert_int_equal(s.p.trials, 4);
	assert_int_equal(s.p.trials_batch, 3);
	assert_int_equal(s.p.trial_every_ns, 2000 * MS);
	for (int i = 0; i < 4; i++)
		run_trial(&s, 50000, 5000, 50200, 5100);
	assert_int_equal(s.p.trial_every_ns, 8000 * MS);
	/* A change of verdict: a second again. */
	run_trial(&s, 61000, 11000, 56000, 9000);
	assert_false(s.p.batch);
	assert_int_equal(s.p.trial_every_ns, 1000 * MS);

	/* Back to one request at a time: no trials, no batching. */
	s.p.batch = true;
	for (int i = 0; i < 100; i++) {
		reactor_policy_pass(&s.p, true, 0);
		reactor_policy_update(&s.p);
	}
	assert_false(s.p.batch);
	assert_false(reactor_policy_epoch_due(&s.p, s.now + 10 * 1000 * MS));
}

/* Nothing queues at the device (a null backend completes at once), but
 * work comes at 400k a second: trials too. At 10k a second, none. */
static void test_fast_work_is_trialled(void **state)
{
	struct sim s;
	uint64_t work = 0;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	for (int i = 0; i < 100; i++) {
		s.now += MS;
		work += 10;
		reactor_policy_rate(&s.p, s.now, work);
	}
	assert_false(reactor_policy_epoch_due(&s.p, s.now));
	for (int i = 0; i < 100; i++) {
		s.now += MS;
		work += 400;
		reactor_policy_rate(&s.p, s.now, work);
	}
	assert_true(s.p.work_rate > 350000);
	assert_true(reactor_policy_epoch_due(&s.p, s.now));
	/* Batching won, then the rate falls to 10k: batching stops. */
	s.p.batch = true;
	for (int i = 0; i < 100; i++) {
		s.now += MS;
		work += 10;
		reactor_policy_rate(&s.p, s.now, work);
		reactor_policy_update(&s.p);
	}
	assert_false(s.p.batch);
}

/* The wake-up latency is re-measured while the reactor is active, never
 * while it is idle (no wake-up for the sake of measuring). */
static void test_latency_probes(void **state)
{
	struct rp_idle in = { .idle_ns = 10 * MS, .timer_ns = UINT64_MAX };
	struct sim s;
	struct rp_decision d;

	(void)state;
	sim_init(&s, REACTOR_POLL_ADAPTIVE, vm);
	/* Just calibrated: no probe. */
	in.now_ns = s.now + MS;
	assert_false(reactor_policy_idle(&s.p, &in).probe);
	/* Work now and then, the last latency 300 ms old: probe. */
	reactor_policy_gap(&s.p, s.now + 300 * MS,
			   &(struct rp_gap){ .idle_ns = 1 * MS, .arrival = true });
	in.now_ns = s.now + 301 * MS;
	d = reactor_policy_idle(&s.p, &in);
	assert_true(d.sleep && d.probe && d.timeout_ns > 0);
	/* Idle for a second: no probe. */
	in.now_ns = s.now + 1301 * MS;
	d = reactor_policy_idle(&s.p, &in);
	assert_true(d.sleep);
	assert_false(d.probe);
	assert_int_equal(d.timeout_ns, 0);
}

/* Measurements: the first replaces the guess, outliers are clamped, and
 * a gap slept through is counted without the wake-up's lateness. */
static void test_measurements(void **state)
{
	struct reactor_policy p;

	(void)state;
	reactor_policy_init(&p, REACTOR_POLL_ADAPTIVE);
	assert_int_equal(p.kind, REACTOR_POLICY_ADAPTIVE);
	reactor_policy_wake_latency(&p, 1, 7 * US);
	assert_true(fabs(p.wake_lat_ns - 7 * US) < 1);
	reactor_policy_wake_latency(&p, 2, 100 * MS);
	assert_true(p.wake_lat_ns < 1 * MS);
	reactor_policy_sleep_cpu(&p, 3 * US);
	assert_true(fabs(p.sleep_cpu_ns - 3 * US) < 1);

	reactor_policy_init(&p, REACTOR_POLL_ADAPTIVE);
	reactor_policy_wake_latency(&p, 1, 20 * US);
	/* Slept after 1 µs, woke 120 µs in: the gap was ~100 µs. */
	reactor_policy_gap(&p, 2, &(struct rp_gap){ .idle_ns = 120 * US,
						    .slept_at_ns = 1 * US });
	assert_true(p.gaps[RP_GUEST].n[16] == 1); /* 90-128 µs */
	/* Polled throughout: exactly what was seen. */
	reactor_policy_gap(&p, 3, &(struct rp_gap){ .idle_ns = 3 * US,
						    .slept_at_ns = UINT64_MAX,
						    .device = true });
	assert_true(p.gaps[RP_DEVICE].n[6] == 1); /* 2.8-4 µs */

	reactor_policy_init(&p, 0);
	assert_int_equal(p.kind, REACTOR_POLICY_SLEEP);
	reactor_policy_init(&p, 50);
	assert_int_equal(p.kind, REACTOR_POLICY_FIXED);
	assert_int_equal(p.fixed_ns, 50 * US);
	assert_string_equal(reactor_mode_name(REACTOR_MODE_BATCH), "batch");
	assert_string_equal(reactor_policy_name(REACTOR_POLICY_ADAPTIVE), "adaptive");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_high_rate_polls),
		cmocka_unit_test(test_sparse_arrivals_sleep),
		cmocka_unit_test(test_neighbour_waiting_sleeps_sooner),
		cmocka_unit_test(test_neighbour_comes_and_goes),
		cmocka_unit_test(test_qd1_gaps_shorter_than_wakeup_poll),
		cmocka_unit_test(test_open_loop_same_device_sleeps),
		cmocka_unit_test(test_qd1_slow_device_sleeps_device_gaps),
		cmocka_unit_test(test_sleep_override),
		cmocka_unit_test(test_fixed_window_override),
		cmocka_unit_test(test_timed_wake),
		cmocka_unit_test(test_batching_trials),
		cmocka_unit_test(test_fast_work_is_trialled),
		cmocka_unit_test(test_latency_probes),
		cmocka_unit_test(test_measurements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
