/* SPDX-License-Identifier: MIT */
/*
 * A guest's virtio driver, written for tests: it lays out split or packed
 * rings in a memfd it shares with the device, posts virtio-blk or
 * virtio-scsi requests (three-descriptor chains: header, data, status or
 * response), and takes completions only when interrupted through the call
 * eventfd, re-enabling interrupts the way Linux does (EVENT_IDX or not).
 *
 * Every request carries a tag of the test's; a completion is checked
 * against the request its head or buffer id was posted with, so a request
 * completed twice, never, or with the wrong status is reported.
 */
#ifndef VMIO_TESTS_GUEST_DRIVER_H
#define VMIO_TESTS_GUEST_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#define GD_QSIZE 16             /* ring entries */
#define GD_SLOTS 5              /* requests in flight at most (3 descs each) */
#define GD_QUEUE_BYTES 0x8000   /* guest memory per queue */
#define GD_MAX_QUEUES 4
#define GD_MEM_BYTES (GD_MAX_QUEUES * GD_QUEUE_BYTES)
#define GD_QVA 0x7f0000000000ull /* front-end address of guest memory */

enum gd_kind { GD_BLK, GD_SCSI };
enum gd_op { GD_READ, GD_WRITE, GD_FLUSH, GD_SYNC }; /* SYNC: answered at once */

struct gd_queue {
	unsigned int vring;     /* vhost-user vring index */
	uint64_t gpa;           /* its part of guest memory */
	uint8_t *mem;           /* our view of it */
	uint16_t avail_pos;     /* split: avail->idx; packed: next position */
	bool avail_wrap;
	uint16_t used_pos;      /* split: last used seen; packed: position */
	bool used_wrap;
	int tag[GD_SLOTS];      /* request in each slot, -1 when free */
	enum gd_op op[GD_SLOTS];
	uint16_t ndescs[GD_SLOTS];
	int call_fd, kick_fd;
	unsigned int posted, completed;
};

struct guest_driver {
	enum gd_kind kind;
	bool packed;
	bool event_idx;
	int memfd;
	uint8_t *mem;
	unsigned int nqueues;
	struct gd_queue q[GD_MAX_QUEUES];
	unsigned int ntags;
	uint8_t *done;          /* completions seen, by tag */
	char error[256];        /* the first thing that went wrong */
};

/* Fresh guest memory and rings (zeroed); first_vring: the vring of queue
 * 0 (virtio-scsi's request queues start at 2). maxtags: tags to track. */
int gd_init(struct guest_driver *g, enum gd_kind kind, bool packed,
	    bool event_idx, unsigned int nqueues, unsigned int first_vring,
	    unsigned int maxtags);
void gd_destroy(struct guest_driver *g);

/* Posts a request tagged tag on queue qi; false when no slot is free. */
bool gd_post(struct guest_driver *g, unsigned int qi, enum gd_op op, int tag);
/* Takes an interrupt if one is pending on any queue, then every
 * completion its ring holds. Returns the completions taken, -1 on a
 * wrong one (g->error says which). */
int gd_service(struct guest_driver *g);
/* Completions in a used ring that the driver was never told about. */
unsigned int gd_unseen(const struct guest_driver *g);
/* Requests posted and not yet completed. */
unsigned int gd_outstanding(const struct guest_driver *g);

/* The vring base a front-end would compute from the ring itself after a
 * back-end died (QEMU: used->idx on split rings). */
uint16_t gd_split_used_idx(const struct guest_driver *g, unsigned int qi);
/* Where the driver is: split avail->idx; packed avail position and wrap
 * counter in vhost-user's GET_VRING_BASE form (both halves). */
uint32_t gd_ring_state(const struct guest_driver *g, unsigned int qi);

#endif
