/* SPDX-License-Identifier: MIT */
#ifndef VMIO_BENCH_PAPER_H
#define VMIO_BENCH_PAPER_H
/* `vmio bench paper`: the source paper's experiments in one run. */
int bench_paper_main(int argc, char **argv);
#endif
