/* SPDX-License-Identifier: MIT */
/*
 * A reactor: one thread, pinned to one core, that owns a set of pollers
 * (virtqueues, backend channels) and one io_uring. It polls while there is
 * work and, after a short idle window, sleeps until a kick, a completion or
 * a message arrives, so an idle daemon costs no CPU.
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
	uint64_t busy_ns;  /* time in passes that did work */
	uint64_t idle_ns;  /* time polling with nothing to do, or asleep */
	uint64_t passes;
	uint64_t sleeps;
	unsigned int pollers;
};

/* cpu < 0: no pinning. poll_us: how long at most to keep polling with no
 * work before sleeping. */
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
