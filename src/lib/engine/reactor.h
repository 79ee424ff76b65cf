/* SPDX-License-Identifier: MIT */
/*
 * A reactor: one thread, pinned to one core, that owns a set of pollers
 * (virtqueues, backend channels) and one io_uring. It polls while there is
 * work; when there is none, its policy (reactor_policy.h) decides whether
 * polling on or sleeping until a kick, a completion or a message pays, so
 * an idle daemon costs no CPU and a busy neighbour gets the core.
 *
 * Everything a poller touches belongs to its reactor: the hot path takes no
 * lock. Other threads reach a reactor only by posting it a function to run
 * (reactor_post / reactor_call).
 */
#ifndef VMIO_ENGINE_REACTOR_H
#define VMIO_ENGINE_REACTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "engine/reactor_policy.h"

struct reactor;

struct reactor_poller {
	/* Does a round of work; returns how much (0 = nothing to do). */
	int (*poll)(struct reactor_poller *p);
	/* After a pass, publishes results (batched notifications). */
	void (*flush)(struct reactor_poller *p);
	/* Before sleeping: ask to be woken (enable kicks). Returns true if
	 * work arrived meanwhile, in which case the reactor does not sleep. */
	bool (*arm)(struct reactor_poller *p);
	/* After sleeping: stop asking to be woken. */
	void (*disarm)(struct reactor_poller *p);
	int wake_fd;    /* eventfd to sleep on, or -1 */
	bool must_poll; /* no way to be woken: the reactor never sleeps */
	/* A time (clock_now_ns) by which poll must run again even if nothing
	 * wakes the reactor, e.g. when throttled requests may go; 0: none. */
	uint64_t wake_at_ns;

	/* Owned by the reactor. */
	struct reactor *reactor;
	struct reactor_poller *prev, *next;
};

struct reactor_stats {
	uint64_t busy_ns;      /* polling, in passes that found work */
	uint64_t poll_idle_ns; /* polling, in passes that found nothing */
	uint64_t sleep_ns;     /* asleep */
	uint64_t idle_ns;      /* poll_idle_ns + sleep_ns */
	uint64_t passes;
	uint64_t sleeps;       /* times it slept, and woke up */
	unsigned int pollers;

	/* Its polling policy (engine/reactor_policy.h), as of the last
	 * millisecond it was awake. */
	enum reactor_policy_kind policy;
	enum reactor_mode mode;
	bool asleep;                 /* right now */
	uint64_t poll_budget_ns[RP_CLASSES]; /* idle gaps ended by the
					      * guest, by the device */
	uint64_t wake_latency_ns;    /* how late a wake-up lands */
	uint64_t sleep_cpu_ns;       /* CPU of one sleep and wake-up */
	double cpu_price;            /* 1: no one else wants the CPU */
	double wait_share;           /* of time waiting for a CPU, preempted */
	double work_share;           /* of passes that found work */
	double inflight_avg;         /* device requests in flight when busy */
	bool closed_loop;            /* the guest waits for completions */
	unsigned int trials, trials_batch; /* batching trials, won */
};

/* cpu < 0: no pinning. poll_us: REACTOR_POLL_ADAPTIVE (the policy decides
 * from what it measures), 0 (sleep as soon as there is nothing to do) or
 * how long to keep polling with no work before sleeping. */
int reactor_create(unsigned int id, int cpu, unsigned int poll_us,
		   struct reactor **out);
int reactor_start(struct reactor *r);
/* Asks the thread to exit once it has no pollers, joins and frees it. */
void reactor_destroy(struct reactor *r);

/* Runs fn(arg) on the reactor thread: post returns at once, call waits
 * until fn has returned. Never call reactor_call from a reactor thread. */
int reactor_post(struct reactor *r, void (*fn)(void *arg), void *arg);
int reactor_call(struct reactor *r, void (*fn)(void *arg), void *arg);

/* Runs one pass (every poller, submit, reap, flush) on the caller's
 * thread, for a reactor that was never started: deterministic drivers
 * (tests/perf/hotpath.c under callgrind) step the data path this way.
 * Returns the work done, or -EBUSY when the reactor has its own thread. */
int reactor_poll_once(struct reactor *r);

/* On the reactor thread only. */
void reactor_add_poller(struct reactor *r, struct reactor_poller *p);
void reactor_remove_poller(struct reactor *r, struct reactor_poller *p);
/* Requests a backend handed to a device outside the reactor's ring (e.g.
 * librbd's threads): +n when sent, -n when their completions are polled.
 * The policy counts them with the ring's, as requests whose completions
 * are coming. On the reactor thread only. */
void reactor_device_io(struct reactor *r, int n);

/* The ring's io_uring tables, for the backends that submit through it
 * (engine/reactor_uring.h). Before reactor_start. Fixed files off: no
 * fixed-file table (for comparisons). Fixed buffers on (--fixed-buffers):
 * a sparse buffer table, where backends may register guest memory;
 * -errno if the kernel has none. */
void reactor_set_fixed_files(struct reactor *r, bool on);
int reactor_set_fixed_buffers(struct reactor *r, bool on);

unsigned int reactor_id(const struct reactor *r);
int reactor_cpu(const struct reactor *r);
/* A consistent-enough copy for reporting (read from another thread). */
void reactor_get_stats(const struct reactor *r, struct reactor_stats *out);

/* A one-shot event one thread waits for and another signals. */
struct completion {
	int fd; /* eventfd */
};
int completion_init(struct completion *c);
void completion_signal(struct completion *c);
void completion_wait(struct completion *c);
void completion_destroy(struct completion *c);

#endif
