/* SPDX-License-Identifier: MIT */
/*
 * vmiod's control thread: one epoll loop over every device's sockets, the
 * control socket and the metrics server's fds, SIGINT/SIGTERM through a
 * signalfd, and a one-second tick for housekeeping. Nothing it calls may
 * block: anything slow (a stop waiting for a backend) comes back as an
 * fd that turns readable.
 */
#ifndef VMIOD_LOOP_H
#define VMIOD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fn)(void *arg, uint32_t events);

int loop_create(struct loop **out);
void loop_destroy(struct loop *l);
/* Calls fn(arg) whenever fd is readable (or hung up). */
int loop_watch(struct loop *l, int fd, loop_fn fn, void *arg);
void loop_unwatch(struct loop *l, int fd);
/* Calls fn(arg) about once a second (at most 8 of them). */
int loop_every_second(struct loop *l, void (*fn)(void *arg), void *arg);
/* Runs until SIGINT, SIGTERM or loop_stop. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
