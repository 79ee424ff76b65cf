/* SPDX-License-Identifier: MIT */
/* `vmio bench load`: CPU per I/O and latency against the offered load,
 * host io_uring, qemu-storage-daemon and vmiod in one run. */
#ifndef VMIO_BENCH_LOAD_H
#define VMIO_BENCH_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define LOAD_MAX_LOADS 8
#define LOAD_MAX_MODES 4

struct load_opts {
	const char *file;         /* the image, already filled with data */
	uint64_t size;            /* bytes of it to use (0: all) */
	double runtime_s, ramp_s; /* per run */
	/* Open-loop rates, in % of host io_uring's IOPS at QD64. */
	unsigned int loads[LOAD_MAX_LOADS], nloads;
	/* vmiod's --poll-us per vmiod column: "auto" (its default) and
	 * fixed modes; fixed modes run at the closed-loop points only,
	 * unless all_points. */
	const char *modes[LOAD_MAX_MODES];
	unsigned int nmodes;
	bool all_points;
	const char *out;          /* load.dat and the plots go here */
	const char *heading;      /* markdown heading of the section */
	/* Numbers each row's rerun command (a report's command list); NULL:
	 * the section lists its own. */
	size_t (*add_command)(void *ctx, const char *cmd);
	void *cmd_ctx;
	unsigned int *busy_rows;  /* counts rows others disturbed, if set */
};

/* Runs the experiment, writes its markdown section to md (plots into
 * o->out) and sets *out to its JSON. Returns the number of runs that
 * failed. */
int load_run(const struct load_opts *o, FILE *md, json_t **out);
/* The load.dat plots, into o->out (when gnuplot is there). */
void load_plot(const struct load_opts *o);
int bench_load_main(int argc, char **argv);

#endif
