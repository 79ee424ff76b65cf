/* SPDX-License-Identifier: MIT */
/*
 * Shared memory a front-end may shrink under us. A region mapped from a
 * file the front-end keeps (guest memory, the inflight region) raises
 * SIGBUS on any access past the file's end, and the front-end can
 * ftruncate that file whenever it likes: one access from a reactor would
 * then kill vmiod and every disk it serves.
 *
 * A file sealed against shrinking (F_SEAL_SHRINK: QEMU's memfd backend
 * seals by default) cannot do that and needs nothing more. Every other
 * mapping is watched here: a process-wide SIGBUS handler looks the
 * faulting address up in a fixed table of watched ranges (lock-free,
 * async-signal-safe), and when it lies in one it maps anonymous zero
 * pages over the whole range, marks it broken, raises its owner's flag,
 * writes the owner's eventfd and returns: the access retries on the
 * zero pages and goes on harmlessly, and the owner stops serving the
 * front-end from its control thread. A SIGBUS anywhere else goes to the
 * handler that was there before (a sanitizer's), or kills the process
 * as it always did: real bugs still crash loudly.
 *
 * The table holds ranges that are mapped: a range is watched once mapped
 * and unwatched before it is unmapped, and nothing accesses it after.
 */
#ifndef VMIO_VHOST_MEM_GUARD_H
#define VMIO_VHOST_MEM_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Most ranges watched at once, over every device of the process. */
#define MEM_GUARD_SLOTS 4096

/* Whether the file behind fd can never shrink (sealed with
 * F_SEAL_SHRINK): its mappings need no watch. */
bool mem_guard_fd_sealed(int fd);

/* Watches [base, base + len) (page-aligned, as mmap returned it; the
 * length a whole number of the mapping's pages). On a SIGBUS inside it,
 * *flag becomes 1 and 1 is added to the eventfd notify_fd (-1: none).
 * Installs the handler on first use. Returns a handle >= 0, -ENOSPC when
 * every slot is taken, or -errno when the handler cannot be installed. */
int mem_guard_watch(void *base, size_t len, int *flag, int notify_fd);
/* Stops watching (before the range is unmapped); -1 is ignored. */
void mem_guard_unwatch(int handle);
/* Whether a SIGBUS replaced the range with zero pages. */
bool mem_guard_broken(int handle);

#endif
