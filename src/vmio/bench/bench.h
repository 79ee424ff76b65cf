/* SPDX-License-Identifier: MIT */
#ifndef VMIO_BENCH_H
#define VMIO_BENCH_H
int bench_main(int argc, char **argv);
#endif
