/* SPDX-License-Identifier: MIT */
/*
 * vmiod as a child process of a test: started from $VMIOD (meson sets it)
 * with the test's arguments, waited for until its sockets accept, stopped
 * with SIGTERM. The tests drive its sockets with vufront.
 */
#ifndef VMIO_TEST_VMIOD_PROC_H
#define VMIO_TEST_VMIOD_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Starts vmiod (from $VMIOD) with the given arguments, waits until every
 * socket named by wait_socks accepts, returns its pid (-1 on failure). */
pid_t vmiod_spawn(const char *const *args, const char *const *wait_socks);
/* SIGTERM, then waits; returns the exit status (or -1 if killed). */
int vmiod_stop(pid_t pid);
bool vmiod_alive(pid_t pid);

/* A scratch directory /tmp/vmio-TAG-XXXXXX for a test's sockets and
 * images, its name into dir; 0 or -1. */
int scratch_make(const char *tag, char *dir, size_t len);
/* Removes it with everything in it; 0 or -1. */
int scratch_remove(const char *dir);
/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);

#endif
