/* SPDX-License-Identifier: MIT */
/*
 * The p99 target mode. A disk with lat-target-us records each completion's
 * latency (submit to complete, parking included: what the guest sees) in a
 * window that closes after lat_window_ns and at least 100 samples (or at
 * 10000 samples). More than 1% of a window above the target is a miss:
 *
 *   miss:   depth = max(depth_min, depth * min(3/4, target / p99)), and
 *           the next window is not judged (it holds requests queued under
 *           the old depth)
 *           (multiplicative decrease, deeper the worse the miss, but at
 *           most to a quarter per window; a depth above what is in flight
 *           limits nothing, so the decrease starts from what is in flight)
 *   easy:   depth = min(depth_max, depth + 1)    (additive increase), when
 *           at most 1% of the window is above 7/8 of the target; + 1/8
 *           when the p99 is under half the target (far from it)
 *   start:  when a disk with a target joins, a depth above
 *           QOS_LAT_START_DEPTH drops to it: a target is better met from
 *           below than after a second of misses at the full depth
 *   else:   depth stays (the band keeps it from probing past the target
 *           every other window)
 *
 * depth caps the best-effort I/O outstanding at the backend from this
 * scheduler: what disks without a latency target send through their
 * weights. A shallower backend queue is what shortens a contended device's
 * latency; disks with a target and requests owed to minimums still go
 * straight to the backend, so the tenants slowed are those running above
 * their minimums.
 */
#include "qos/qos_internal.h"

#include <string.h>

#define LAT_MIN_SAMPLES 100
#define LAT_MAX_SAMPLES 10000

static unsigned int lat_bucket(uint64_t ns)
{
	unsigned int msb, sub;

	if (ns < 4)
		return (unsigned int)ns;
	msb = 63u - (unsigned int)__builtin_clzll(ns);
	sub = (unsigned int)(ns >> (msb - 2)) & 3u;
	return msb * 4 + sub;
}

/* The upper edge of bucket b. */
static uint64_t lat_edge(unsigned int b)
{
	unsigned int msb = b / 4, sub = b % 4;

	if (b < 8)
		return b;
	return ((4ull + sub + 1) << (msb - 2)) - 1;
}

static uint64_t lat_p99(const struct qos_latwin *w)
{
	uint64_t seen = 0, want = w->n - w->n / 100;

	for (unsigned int b = 0; b < 256; b++) {
		seen += w->hist[b];
		if (seen >= want)
			return lat_edge(b);
	}
	return 0;
}

static void lat_adjust(struct qos_sched *s, bool miss, uint64_t p99,
		       uint64_t target)
{
	uint32_t d = s->depth;

	if (miss) {
		uint64_t scaled;

		/* Converge in a few windows, not a few dozen: a run that
		 * spends seconds shrinking from 128 has its p99 made there. */
		if (!s->nparked && d > s->inflight && s->inflight)
			d = s->inflight; /* the cap binds nobody yet */
		scaled = p99 > target ? (uint64_t)d * target / p99 : d;
		if (scaled > (uint64_t)d * 3 / 4)
			scaled = (uint64_t)d * 3 / 4;
		if (scaled < d / 4)
			scaled = d / 4;
		d = scaled < d - 1 ? (uint32_t)scaled : d - 1;
	} else if (p99 <= target / 2) {
		d += d / 8 ? d / 8 : 1; /* far from the target: climb faster */
	} else {
		d++;
	}
	if (d < s->cfg.depth_min)
		d = s->cfg.depth_min;
	if (d > s->cfg.depth_max)
		d = s->cfg.depth_max;
	if (d > s->depth)
		s->slot_freed = true;
	s->depth = d;
}

static void lat_close(struct qos_entity *e)
{
	struct qos_latwin *w = &e->win;
	bool miss = (uint64_t)w->over * 100 > w->n;
	bool easy = (uint64_t)w->near * 100 <= w->n;

	e->st.p99_ns = lat_p99(w);
	e->st.windows++;
	if (miss)
		e->st.windows_missed++;
	/* The window right after a decrease still holds requests queued
	 * under the old depth: judging it would cut twice for one miss. */
	if (e->sched->lat_hold) {
		e->sched->lat_hold = false;
		if (miss)
			miss = easy = false;
	}
	if (miss)
		e->sched->lat_hold = true;
	if (miss || easy)
		lat_adjust(e->sched, miss, e->st.p99_ns,
			   (uint64_t)e->lim.lat_target_us * 1000);
	memset(w, 0, sizeof(*w));
}

void qos_lat_start(struct qos_sched *s)
{
	if (s->depth > QOS_LAT_START_DEPTH) {
		s->depth = QOS_LAT_START_DEPTH < s->cfg.depth_min ?
				   s->cfg.depth_min : QOS_LAT_START_DEPTH;
	}
}

void qos_lat_record(struct qos_entity *e, uint64_t lat, uint64_t now)
{
	struct qos_latwin *w = &e->win;

	if (!w->n)
		w->start_ns = now;
	w->n++;
	if (lat > (uint64_t)e->lim.lat_target_us * 1000)
		w->over++;
	if (lat > (uint64_t)e->lim.lat_target_us * 875)
		w->near++;
	w->hist[lat_bucket(lat)]++;
	if ((w->n >= LAT_MIN_SAMPLES &&
	     now - w->start_ns >= e->sched->cfg.lat_window_ns) ||
	    w->n >= LAT_MAX_SAMPLES)
		lat_close(e);
}
