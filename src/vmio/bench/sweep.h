/* SPDX-License-Identifier: MIT */
#ifndef VMIO_BENCH_SWEEP_H
#define VMIO_BENCH_SWEEP_H
/* `vmio bench sweep`: IOPS and CPU per I/O by vmiod reactors and queues,
 * beside qemu-storage-daemon by queues. */
int bench_sweep_main(int argc, char **argv);
#endif
