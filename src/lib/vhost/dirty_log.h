/* SPDX-License-Identifier: MIT */
/*
 * The dirty log of a live migration (vhost-user.rst, "Migration"): a
 * bitmap the front-end shares, one bit per 4 KiB guest-physical page,
 * in which the back-end marks every page it writes while the front-end
 * has VHOST_F_LOG_ALL on. QEMU reads and clears the bitmap between its
 * passes over guest memory and sends the marked pages again, so a page
 * marked after it was written is never missed: it is sent in the next
 * pass, or in the last one, which QEMU takes after the rings stopped.
 *
 * What vmiod writes into guest memory: the used ring (split), the used
 * descriptors and the event areas (packed), the status and response
 * bytes, and the data of every request that reads (written by io_uring or
 * librbd on vmiod's behalf, fixed buffers or not). Each of those writers
 * marks its pages once the write is done, before the driver can see the
 * request complete.
 *
 * The hot path pays one load of guest_mem.log and a branch while logging
 * is off.
 */
#ifndef VMIO_VHOST_DIRTY_LOG_H
#define VMIO_VHOST_DIRTY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/compiler.h"
#include "vhost/guest_mem.h"

#define DIRTY_LOG_PAGE_SHIFT 12

struct dirty_log {
	uint8_t *bits;
	uint64_t len;        /* bytes of bitmap: it covers len * 8 pages */
	void *map;           /* the mapping (bits is inside it) */
	size_t map_len;
	int guard;           /* mem_guard handle, or -1 (sealed file) */
};

/* Whether writes into mem are being logged (any thread). */
static inline bool guest_mem_logging(const struct guest_mem *mem)
{
	return unlikely(__atomic_load_n(&mem->log, __ATOMIC_RELAXED) != NULL);
}

/* Marks the pages of [hva, hva+len), our address of guest memory, in the
 * log in force (nothing when logging is off). Bytes outside guest memory
 * are ignored. Call after the bytes are written. */
void dirty_log_write(const struct guest_mem *mem, const void *hva, size_t len);
/* The same for every buffer of an iovec array. */
void dirty_log_iov(const struct guest_mem *mem, const struct iovec *iov,
		   unsigned int n);

/* Maps a log the front-end sent (fd, size, offset as SET_LOG_BASE gives
 * them), taking ownership of fd. A file not sealed against shrinking is
 * watched by mem_guard, which raises *broken and adds to notify_fd if the
 * front-end truncates it. 0, -EINVAL for a range the file does not hold
 * or a log larger than any guest needs, or the mmap error. */
int dirty_log_map(struct dirty_log **out, int fd, uint64_t size,
		  uint64_t offset, int *broken, int notify_fd);
/* Unmaps log (NULL: nothing). */
void dirty_log_free(struct dirty_log *log);

#endif
