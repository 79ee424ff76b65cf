/* SPDX-License-Identifier: MIT */
/* `vmio bench budget`: the performance budgets, each measured
 * against its peer in interleaved rounds and judged on the median. */
#ifndef VMIO_BENCH_BUDGET_H
#define VMIO_BENCH_BUDGET_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#define BUDGET_COUNT 4
#define BUDGET_MAX_ROUNDS 50

struct budget_opts {
	unsigned int rounds;      /* 1..BUDGET_MAX_ROUNDS */
	double runtime_s;         /* per target and round */
	const char *file;         /* the image, already filled with data */
	/* --file in the rerun commands (NULL: the image was temporary). */
	const char *rerun_file;
	bool only[BUDGET_COUNT];  /* budgets to measure; none set: all */
	const char *heading;      /* markdown heading of the section */
	const char *frontend_cpu; /* --frontend-cpu, for the rerun commands */
};

/* Measures the budgets, writes the markdown section to md and sets *out
 * to a JSON array, one object per budget. Returns the number of runs that
 * failed (their rounds count as missing, never as passing). */
int budget_run(const struct budget_opts *o, FILE *md, json_t **out);
/* One line per budget of budget_run's array: median, bar, verdict. */
void budget_print(json_t *budgets, FILE *out);
int bench_budget_main(int argc, char **argv);

#endif
