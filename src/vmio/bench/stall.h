/* SPDX-License-Identifier: MIT */
/*
 * Whether the machine itself stood still during a run. A small VM can be
 * paused whole by its host (a CPU quota spent, say) for tens of
 * milliseconds: every thread waits, and the run's latency tail says
 * nothing about the target. A thread that sleeps STALL_TICK_NS at a time,
 * at real-time priority when allowed (so the machine's own busy threads
 * cannot delay it), counts the wake-ups that came STALL_MIN_NS late.
 */
#ifndef VMIO_BENCH_STALL_H
#define VMIO_BENCH_STALL_H

#include <pthread.h>
#include <stdbool.h>

#define STALL_TICK_NS 5000000ull   /* 5 ms */
#define STALL_MIN_NS 20000000ull   /* 20 ms late: a stall */

struct stall_watch {
	pthread_t thread;
	bool running;
	bool stop;                /* written by stall_watch_stop */
	unsigned int stalls;      /* wake-ups at least STALL_MIN_NS late */
	double max_ms;            /* the longest of them */
};

/* Starts watching; returns 0, or -errno (then nothing is watched). */
int stall_watch_start(struct stall_watch *w);
/* Stops watching; stalls and max_ms hold what was seen. */
void stall_watch_stop(struct stall_watch *w);

#endif
