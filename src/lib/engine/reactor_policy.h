/* SPDX-License-Identifier: MIT */
/*
 * When a reactor polls and when it sleeps.
 *
 * The policy is a plain data structure and pure functions over it: the
 * reactor (engine/reactor.c) feeds it what it measures — idle gaps, how
 * late its wake-ups land, what a sleep costs its thread in CPU, how long
 * it waited for a CPU, requests in flight at the device, work per epoch —
 * and asks it, after every pass that found nothing, whether to poll on or
 * to sleep. Tests feed it synthetic measurements instead. No clock, no
 * system call and no thread in here.
 *
 * The adaptive policy, in short (docs/architecture.md has the numbers):
 * an idle gap is worth polling through when polling it costs less than
 * sleeping, where polling costs the gap in CPU and sleeping costs the CPU
 * of a sleep and a wake-up (c) plus the latency a wake-up adds (L) at a
 * price in CPU. From the recent gaps it picks the poll budget that costs
 * least on average (the ski-rental problem with a known distribution),
 * separately for gaps with requests in flight at the device (ended by a
 * completion) and without (ended by the guest). CPU is dearer when
 * another thread waits for it: the reactor's own preempted run delay and
 * the machine's run queue raise the price of polling, so a reactor that
 * shares its core with a busy neighbour polls only gaps shorter than a
 * wake-up's own CPU. When requests queue at the device or come fast, the
 * policy also tries sleeping at the first empty pass (kicks and
 * completions then gather into batches: fewer passes and system calls
 * per request) against polling, in short alternating epochs, and keeps
 * what did more work, or the same work for less CPU.
 */
#ifndef VMIO_ENGINE_REACTOR_POLICY_H
#define VMIO_ENGINE_REACTOR_POLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/* reactor_create's poll_us for the adaptive policy (vmiod's default). */
#define REACTOR_POLL_ADAPTIVE UINT_MAX

enum reactor_policy_kind {
	REACTOR_POLICY_ADAPTIVE,
	REACTOR_POLICY_FIXED, /* poll a fixed window after work */
	REACTOR_POLICY_SLEEP, /* sleep as soon as a pass finds nothing */
};

/* What a reactor does with idle gaps now (for stats). */
enum reactor_mode {
	REACTOR_MODE_POLL,     /* polls through most idle gaps */
	REACTOR_MODE_SLEEP,    /* sleeps through most idle gaps */
	REACTOR_MODE_BATCH,    /* sleeps at the first empty pass: work
				* gathers into batches (won a trial) */
};

/* Idle gaps by length: bucket i holds gaps below 500 ns x 2^(i/2), the
 * last one everything from ~1 ms up. */
#define RP_BUCKETS 24
/* The longest an adaptive reactor polls an idle gap. */
#define RP_MAX_BUDGET_NS 1024000ull

struct rp_gaps {
	double n[RP_BUCKETS];   /* decayed counts */
	double sum[RP_BUCKETS]; /* decayed sums of the gaps, ns */
	double total;
	double arrivals;        /* decayed count of gaps a request ended */
	unsigned int since_decay;
};

/* Gap classes: what ends the gap. */
enum { RP_GUEST = 0, RP_DEVICE = 1, RP_CLASSES };

struct reactor_policy {
	enum reactor_policy_kind kind;
	uint64_t fixed_ns; /* REACTOR_POLICY_FIXED: the window */

	/* Measured. */
	double wake_lat_ns;  /* L: how late a timed wake-up lands */
	double sleep_cpu_ns; /* c: our CPU to go to sleep and wake up */
	double arm_ns;       /* from deciding to sleep to blocking */
	double wait_share;   /* share of time we waited for a CPU, preempted */
	double runq_excess;  /* threads runnable beyond the machine's CPUs */
	double work_share;   /* share of passes that found work */
	double inflight_avg; /* device requests in flight, at busy passes */
	struct rp_gaps gaps[RP_CLASSES];
	unsigned int lat_n, cpu_n, arm_n; /* samples of each so far */
	uint64_t last_lat_ns;  /* when L was last sampled */
	uint64_t last_gap_ns;  /* when the last gap ended */

	/* Derived (reactor_policy_update). */
	double price;          /* CPU price of polling: 1 free, more when
				* others wait for the CPU */
	double lat_weight;     /* µs of CPU one µs of latency is worth */
	bool closed_loop;      /* the guest answers completions at once */
	uint64_t budget_ns[RP_CLASSES];
	uint64_t timer_poll_ns; /* a timed wake this close is polled for */

	/* Pass counters since the last update. */
	uint64_t passes, work_passes, inflight_sum;

	/* Work done per second (reactor_policy_rate). */
	double work_rate;
	uint64_t rate_at_ns, rate_work0;

	/* Batching: sleep at the first empty pass, or poll as budgeted. */
	bool batch;
	unsigned int trial;      /* 0: none; 1-4: epoch of a trial */
	uint64_t next_trial_ns, trial_every_ns;
	uint64_t epoch_start_ns, epoch_work0, epoch_cpu0;
	double arm_work[2], arm_wall[2], arm_cpu[2]; /* [0] poll [1] batch */
	unsigned int trials, trials_batch;        /* for stats */
};

/* poll_us: REACTOR_POLL_ADAPTIVE, 0 (always sleep) or a fixed window. */
void reactor_policy_init(struct reactor_policy *p, unsigned int poll_us);

/* What the reactor knows after a pass that found nothing. */
struct rp_idle {
	uint64_t now_ns;
	uint64_t idle_ns;     /* since the last pass that found work */
	unsigned int inflight; /* requests in flight at the device */
	uint64_t timer_ns;    /* until the soonest timed wake; UINT64_MAX: none */
};

struct rp_decision {
	bool sleep;
	uint64_t timeout_ns; /* sleep at most this long; 0: until woken */
	bool probe;          /* the timeout measures the wake-up latency */
};

/* Poll on, or sleep (and for how long at most)? */
struct rp_decision reactor_policy_idle(const struct reactor_policy *p,
				       const struct rp_idle *in);

/* A pass ran: found work or not, with inflight requests at the device
 * after it. Cheap: counters only. */
static inline void reactor_policy_pass(struct reactor_policy *p, bool work,
				       unsigned int inflight)
{
	p->passes++;
	if (work) {
		p->work_passes++;
		p->inflight_sum += inflight;
	}
}

/* An idle gap that ended at now. */
struct rp_gap {
	uint64_t idle_ns;     /* from the last work to the work that ended it */
	uint64_t slept_at_ns; /* how far into it the reactor went to sleep;
			       * UINT64_MAX: it polled throughout */
	bool device;          /* requests were in flight when it began */
	bool arrival;         /* a guest's request ended it (not only
			       * completions) */
};
void reactor_policy_gap(struct reactor_policy *p, uint64_t now,
			const struct rp_gap *g);

/* A timed sleep returned lateness_ns after its deadline. */
void reactor_policy_wake_latency(struct reactor_policy *p, uint64_t now,
				 uint64_t lateness_ns);
/* One sleep and wake-up cost the reactor thread cpu_ns of CPU. */
void reactor_policy_sleep_cpu(struct reactor_policy *p, uint64_t cpu_ns);
/* Getting ready to sleep (kicks enabled, rings checked again) took ns:
 * work that comes meanwhile is found without a wake-up. */
void reactor_policy_sleep_arm(struct reactor_policy *p, uint64_t ns);

/* The CPU as the reactor saw it since the previous sample. */
struct rp_cpu_sample {
	uint64_t wall_ns;
	uint64_t run_delay_ns; /* runnable but not running */
	uint64_t preemptions;  /* involuntary context switches */
	int runnable;          /* threads runnable on the machine (with us);
				* -1: unknown */
	unsigned int cpus;     /* CPUs online */
};
void reactor_policy_cpu_sample(struct reactor_policy *p,
			       const struct rp_cpu_sample *s);

/* Recomputes the budgets and folds the pass counters: after new
 * measurements, about every millisecond while the reactor is awake. */
void reactor_policy_update(struct reactor_policy *p);
/* work_total: the reactor's running count of work done (requests taken,
 * completions reaped), about every millisecond while awake. */
void reactor_policy_rate(struct reactor_policy *p, uint64_t now,
			 uint64_t work_total);

/* Batching trials. epoch_due: the reactor should read its thread's CPU
 * time and call reactor_policy_epoch. */
bool reactor_policy_epoch_due(const struct reactor_policy *p, uint64_t now);
void reactor_policy_epoch(struct reactor_policy *p, uint64_t now,
			  uint64_t work_total, uint64_t cpu_ns);

/* Views. */
enum reactor_mode reactor_policy_mode(const struct reactor_policy *p);
bool reactor_policy_batching(const struct reactor_policy *p);
const char *reactor_mode_name(enum reactor_mode m);
const char *reactor_policy_name(enum reactor_policy_kind k);

#endif
