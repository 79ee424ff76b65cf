/* SPDX-License-Identifier: MIT */
/*
 * A deterministic simulator for the QoS scheduler: a fake clock, a fake
 * backend that serves at most conc requests at once for svc_ns each (FIFO
 * beyond that, like a device queue), and workers that drive entities the
 * way guests do (closed loop at a queue depth, or open loop with Poisson
 * arrivals and a queue-depth limit). It calls the scheduler exactly the
 * way a reactor should: submit, complete, then poll when due.
 */
#ifndef VMIO_TESTS_QOS_SIM_H
#define VMIO_TESTS_QOS_SIM_H

#include <stdint.h>

#include "qos/qos.h"

#define SIM_MAX_WORKERS 8
#define SIM_MAX_SCHEDS 4
#define SIM_MAX_CONC 256
#define SIM_BIN_NS 10000000ull /* 10 ms */
#define SIM_MAX_BINS 4000      /* 40 s */
#define MS 1000000ull
#define SEC 1000000000ull

enum sim_kind { SIM_CLOSED, SIM_OPEN };

struct sim_req {
	struct qos_req q;
	struct sim_worker *w;
	uint64_t done_ns;
	struct sim_req *next;
};

struct sim_worker {
	/* set by the test */
	struct qos_entity *e;
	enum sim_kind kind;
	unsigned int qd;
	uint64_t bytes;
	uint8_t op;
	double rate;           /* open loop: arrivals per second */
	uint64_t start_ns, stop_ns; /* stop 0: never */
	/* kept by the simulator */
	struct sim_req *reqs, *free;
	unsigned int busy;
	bool started;
	uint64_t next_arrival;
	uint64_t ops, bytes_done, dropped;
	uint32_t bins[SIM_MAX_BINS]; /* completions per 10 ms */
	uint64_t *lat;               /* latencies after lat_from_ns */
	uint64_t nlat, lat_cap, lat_from_ns;
};

struct sim {
	uint64_t now;
	unsigned int conc;
	uint64_t svc_ns;
	unsigned int jitter_pct; /* service time uniform in svc +- this % */
	struct qos_sched *sched[SIM_MAX_SCHEDS];
	unsigned int nsched;
	struct sim_worker *w[SIM_MAX_WORKERS];
	unsigned int nw;
	struct sim_req *serving[SIM_MAX_CONC];
	unsigned int nserving;
	struct sim_req *wait_head, *wait_tail; /* device queue */
	uint64_t rng;
};

void sim_init(struct sim *s, unsigned int conc, uint64_t svc_ns);
void sim_add_sched(struct sim *s, struct qos_sched *q);
void sim_add_worker(struct sim *s, struct sim_worker *w);
void sim_run(struct sim *s, uint64_t until_ns);
void sim_fini(struct sim *s);

/* Completions per second in [from, to) (multiples of 10 ms). */
double sim_rate(const struct sim_worker *w, uint64_t from, uint64_t to);
/* The p-th percentile (0..100) of recorded latencies, in ns. */
uint64_t sim_pct(struct sim_worker *w, double p);

#endif
