/* SPDX-License-Identifier: MIT */
/*
 * How the vmiod socket tests drive a disk through vufront: the plainest
 * guest driver (an interrupt wanted per completion, no EVENT_IDX, the
 * memory table in one SET_MEM_TABLE), so a test sees vmiod's answers
 * and not the features' effects, and room for raw requests: rings of
 * DISK_FRONT_RING with DISK_FRONT_SLOTS slots of up to 64 KiB (raw
 * descriptors from 3 * DISK_FRONT_SLOTS up), 4 MiB of guest memory at
 * DISK_FRONT_GPA so that low addresses lie outside it.
 */
#ifndef VMIO_TEST_DISK_FRONT_H
#define VMIO_TEST_DISK_FRONT_H

#include <stdio.h>

#include "util/clock.h"
#include "vufront/vufront.h"

#define DISK_FRONT_RING 64
#define DISK_FRONT_SLOTS 4
#define DISK_FRONT_GPA (1ull << 30)
/* A request's timeout: a loaded 2-core machine, sanitizers. */
#define DISK_FRONT_IO_NS (3 * NSEC_PER_SEC)

static inline struct vufront_opts disk_front_opts(unsigned int queues)
{
	return (struct vufront_opts){
		.queues = queues,
		.queue_size = DISK_FRONT_RING,
		.max_inflight = DISK_FRONT_SLOTS,
		.max_io = 64 << 10,
		.mem_size = 4 << 20,
		.gpa_base = DISK_FRONT_GPA,
		.no_event_idx = true,
		.mem_table = true,
		.want_irq = true,
	};
}

/* Connects to a disk's socket with o; NULL (and why, on stderr) when
 * that fails. */
static inline struct vufront *disk_front_with(const char *sock,
					      const struct vufront_opts *o)
{
	struct vufront *f;
	char err[256];

	if (vufront_connect(sock, o, &f, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return f;
}

static inline struct vufront *disk_front(const char *sock, unsigned int queues)
{
	struct vufront_opts o = disk_front_opts(queues);

	return disk_front_with(sock, &o);
}

/* One request in slot of queue qi, waited for: its status or -errno. */
static inline int disk_front_io(struct vufront *f, unsigned int qi,
				unsigned int slot, uint32_t type,
				uint64_t sector, uint32_t len)
{
	return vufront_io(vufront_queue(f, qi), slot, type, sector, len,
			  DISK_FRONT_IO_NS);
}

/* Slot's data buffer on queue qi. */
static inline uint8_t *disk_front_buf(struct vufront *f, unsigned int qi,
				      unsigned int slot)
{
	return vufront_buf(vufront_queue(f, qi), slot);
}

#endif
