/* SPDX-License-Identifier: MIT */
#include "bench/stall.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

static void *watch_main(void *arg)
{
	struct stall_watch *w = arg;
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec tick = { 0, (long)STALL_TICK_NS };

	/* Real-time when allowed: then only the machine stopping (not its
	 * other threads) can make this thread wake late. */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		uint64_t t0 = clock_now_ns(), late;

		nanosleep(&tick, NULL);
		late = clock_now_ns() - t0;
		late = late > STALL_TICK_NS ? late - STALL_TICK_NS : 0;
		if (late >= STALL_MIN_NS) {
			w->stalls++;
			if (late / 1e6 > w->max_ms)
				w->max_ms = late / 1e6;
		}
	}
	return NULL;
}

int stall_watch_start(struct stall_watch *w)
{
	int ret;

	memset(w, 0, sizeof(*w));
	ret = pthread_create(&w->thread, NULL, watch_main, w);
	if (ret)
		return -ret;
	w->running = true;
	return 0;
}

void stall_watch_stop(struct stall_watch *w)
{
	if (!w->running)
		return;
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	pthread_join(w->thread, NULL);
	w->running = false;
}
