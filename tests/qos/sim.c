/* SPDX-License-Identifier: MIT */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define container(ptr, type, member)                                           \
	((type *)((char *)(ptr) - offsetof(type, member)))

void sim_init(struct sim *s, unsigned int conc, uint64_t svc_ns)
{
	memset(s, 0, sizeof(*s));
	s->conc = conc;
	s->svc_ns = svc_ns;
	s->rng = 0x9e3779b97f4a7c15ull;
}

void sim_add_sched(struct sim *s, struct qos_sched *q)
{
	s->sched[s->nsched++] = q;
}

void sim_add_worker(struct sim *s, struct sim_worker *w)
{
	w->reqs = calloc(w->qd, sizeof(*w->reqs));
	if (!w->reqs)
		abort();
	for (unsigned int i = 0; i < w->qd; i++) {
		w->reqs[i].w = w;
		w->reqs[i].next = w->free;
		w->free = &w->reqs[i];
	}
	s->w[s->nw++] = w;
}

void sim_fini(struct sim *s)
{
	for (unsigned int i = 0; i < s->nw; i++) {
		free(s->w[i]->reqs);
		free(s->w[i]->lat);
	}
}

static double rnd(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return ((double)(s->rng >> 11) + 0.5) / 9007199254740992.0;
}

static uint64_t next_gap(struct sim *s, const struct sim_worker *w)
{
	return (uint64_t)(-log(rnd(s)) / w->rate * 1e9) + 1;
}

static double rnd(struct sim *s);

static uint64_t service(struct sim *s)
{
	double j = (rnd(s) * 2 - 1) * s->jitter_pct / 100.0;

	return (uint64_t)((double)s->svc_ns * (1 + j));
}

/* The device: start requests while slots are free. */
static void be_start(struct sim *s)
{
	while (s->wait_head && s->nserving < s->conc) {
		struct sim_req *r = s->wait_head;

		s->wait_head = r->next;
		if (!s->wait_head)
			s->wait_tail = NULL;
		r->done_ns = s->now + (s->jitter_pct ? service(s) : s->svc_ns);
		s->serving[s->nserving++] = r;
	}
}

static void be_submit(struct sim *s, struct sim_req *r)
{
	r->next = NULL;
	if (s->wait_tail)
		s->wait_tail->next = r;
	else
		s->wait_head = r;
	s->wait_tail = r;
	be_start(s);
}

static void on_dispatch(struct qos_entity *e, struct qos_req *q, void *arg)
{
	be_submit(arg, container(q, struct sim_req, q));
}

static void issue(struct sim *s, struct sim_worker *w)
{
	struct sim_req *r = w->free;

	w->free = r->next;
	w->busy++;
	r->q.op = w->op;
	r->q.bytes = w->bytes;
	if (qos_submit(w->e, &r->q, s->now) == QOS_DISPATCH)
		be_submit(s, r);
}

static void record(struct sim_worker *w, uint64_t now, uint64_t lat)
{
	uint64_t bin = now / SIM_BIN_NS;

	w->ops++;
	w->bytes_done += w->bytes;
	if (bin < SIM_MAX_BINS)
		w->bins[bin]++;
	if (now < w->lat_from_ns)
		return;
	if (w->nlat == w->lat_cap) {
		w->lat_cap = w->lat_cap ? w->lat_cap * 2 : 4096;
		w->lat = realloc(w->lat, w->lat_cap * sizeof(*w->lat));
		if (!w->lat)
			abort();
	}
	w->lat[w->nlat++] = lat;
}

static bool running(const struct sim_worker *w, uint64_t now)
{
	return now >= w->start_ns && (!w->stop_ns || now < w->stop_ns);
}

static void complete(struct sim *s, struct sim_req *r)
{
	struct sim_worker *w = r->w;

	qos_complete(w->e, &r->q, s->now);
	record(w, s->now, s->now - r->q.submit_ns);
	r->next = w->free;
	w->free = r;
	w->busy--;
	if (w->kind == SIM_CLOSED && running(w, s->now))
		issue(s, w);
}

static void do_completions(struct sim *s)
{
	for (unsigned int i = 0; i < s->nserving;) {
		struct sim_req *r = s->serving[i];

		if (r->done_ns > s->now) {
			i++;
			continue;
		}
		s->serving[i] = s->serving[--s->nserving];
		complete(s, r);
	}
	be_start(s);
}

static void do_arrivals(struct sim *s)
{
	for (unsigned int i = 0; i < s->nw; i++) {
		struct sim_worker *w = s->w[i];

		if (!running(w, s->now))
			continue;
		if (w->kind == SIM_CLOSED) {
			if (!w->started) {
				w->started = true;
				while (w->free)
					issue(s, w);
			}
			continue;
		}
		if (!w->started) {
			w->started = true;
			w->next_arrival = s->now;
		}
		while (w->next_arrival <= s->now) {
			if (w->free)
				issue(s, w);
			else
				w->dropped++;
			w->next_arrival += next_gap(s, w);
		}
	}
}

static void do_polls(struct sim *s)
{
	for (unsigned int i = 0; i < s->nsched; i++)
		if (qos_poll_due(s->sched[i], s->now))
			qos_poll(s->sched[i], s->now, on_dispatch, s);
}

static uint64_t next_event(struct sim *s, uint64_t until)
{
	uint64_t t = until;

	for (unsigned int i = 0; i < s->nserving; i++)
		if (s->serving[i]->done_ns < t)
			t = s->serving[i]->done_ns;
	for (unsigned int i = 0; i < s->nw; i++) {
		struct sim_worker *w = s->w[i];

		if (!w->started && w->start_ns > s->now && w->start_ns < t)
			t = w->start_ns;
		if (w->kind == SIM_OPEN && w->started &&
		    w->next_arrival < t && running(w, w->next_arrival))
			t = w->next_arrival;
	}
	for (unsigned int i = 0; i < s->nsched; i++)
		if (s->sched[i]->nparked && s->sched[i]->wake_ns < t)
			t = s->sched[i]->wake_ns;
	return t > s->now ? t : s->now;
}

void sim_run(struct sim *s, uint64_t until)
{
	while (s->now < until) {
		do_completions(s);
		do_arrivals(s);
		do_polls(s);
		s->now = next_event(s, until);
		if (s->now == until)
			break;
		/* a wake time already past means a poll found nothing yet */
		for (unsigned int i = 0; i < s->nsched; i++)
			if (s->sched[i]->wake_ns <= s->now &&
			    !qos_poll_due(s->sched[i], s->now))
				fprintf(stderr, "sim: stuck wake\n");
	}
}

double sim_rate(const struct sim_worker *w, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (uint64_t b = from / SIM_BIN_NS; b < to / SIM_BIN_NS &&
	     b < SIM_MAX_BINS; b++)
		n += w->bins[b];
	return (double)n * 1e9 / (double)(to - from);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t sim_pct(struct sim_worker *w, double p)
{
	uint64_t i;

	if (!w->nlat)
		return 0;
	qsort(w->lat, w->nlat, sizeof(*w->lat), cmp_u64);
	i = (uint64_t)(p / 100.0 * (double)(w->nlat - 1) + 0.5);
	return w->lat[i];
}
