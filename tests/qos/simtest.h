/* SPDX-License-Identifier: MIT */
/* Small helpers the simulator tests share. */
#ifndef VMIO_TESTS_QOS_SIMTEST_H
#define VMIO_TESTS_QOS_SIMTEST_H

#include <stdio.h>
#include <string.h>

#include "sim.h"

static inline void st_attach(struct qos_entity *e, struct qos_sched *q,
			     const char *c, struct qos_group *g)
{
	struct qos_limits l;
	char err[256];

	if (qos_limits_parse(c, &l, err, sizeof(err)) ||
	    qos_entity_init(e, q, &l, g, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", c, err);
		abort();
	}
}

static inline void st_worker(struct sim_worker *w, struct qos_entity *e,
			     enum sim_kind kind, unsigned int qd,
			     uint64_t bytes, uint8_t op)
{
	memset(w, 0, sizeof(*w));
	w->e = e;
	w->kind = kind;
	w->qd = qd;
	w->bytes = bytes;
	w->op = op;
}

/* got within tol (relative) of want, printed either way. */
static inline bool st_near(const char *what, double got, double want,
			   double tol)
{
	double dev = (got - want) / want;

	printf("  %-48s %10.0f (want %.0f, %+.2f%%)\n", what, got, want,
	       dev * 100);
	return dev <= tol && dev >= -tol;
}

#endif
