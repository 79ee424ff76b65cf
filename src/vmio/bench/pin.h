/* SPDX-License-Identifier: MIT */
/*
 * --frontend-cpu: where the frontend (the guest's stand-in, and the host
 * io_uring loop) runs, and where the targets it starts may run. On a small
 * machine the device's interrupts land on one CPU; a process woken there
 * skips a cross-CPU wake-up, so which target's loop happens to share that
 * CPU can decide a QD1 tail. Pinning the frontend to one CPU and the
 * targets to the others gives every target the same placement.
 */
#ifndef VMIO_BENCH_PIN_H
#define VMIO_BENCH_PIN_H

#include <stddef.h>

/* Parses a CPU number and pins: this process to it, targets started
 * after (target_start) to every other CPU this process may use. Returns
 * 0, or -1 with a message in err (not a CPU we may use, or the only
 * one). */
int bench_pin_frontend(const char *arg, char *err, size_t errlen);
/* In a target's child, before exec: the targets' CPUs, if pinned. */
void bench_pin_target_child(void);

#endif
