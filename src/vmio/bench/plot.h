/* SPDX-License-Identifier: MIT */
/* gnuplot for the bench reports: SVG plots next to the data files. */
#ifndef VMIO_BENCH_PLOT_H
#define VMIO_BENCH_PLOT_H

#include <stdbool.h>

/* gnuplot is installed; if not, says so once on stderr (who: the
 * command, for the message). */
bool bench_have_gnuplot(const char *who);
/* Runs a gnuplot script in dir (SVG terminal 720x420, solid fills, a y
 * grid, the key top left, then script). Returns system()'s status. */
int bench_gnuplot(const char *dir, const char *script);

#endif
