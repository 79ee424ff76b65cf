/* SPDX-License-Identifier: MIT */
/*
 * A vhost-user device's sockets on the control loop: its listening socket
 * (not while a disconnect completes: QEMU's next connection waits in the
 * backlog), its connection (not while a message waits for rings to stop),
 * and its wake eventfd (a stop finished). A retiring endpoint accepts
 * nobody and tells its owner once its device is quiet.
 */
#ifndef VMIOD_ENDPOINT_H
#define VMIOD_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "placement.h"
#include "vhost/vu_dev.h"

struct endpoint {
	struct loop *loop;
	struct vu_dev *vu;
	struct placement *placement;  /* checks where guest memory is */
	struct queue_place *place;    /* its queues' placement */
	int conn_fd_watched;          /* -1: none */
	uint64_t conn_watched_gen;    /* which connection (fd numbers recur) */
	bool listen_watched;
	bool retiring;
	/* Called once a retiring device is quiet (may free the endpoint). */
	void (*retired)(struct endpoint *ep);
};

int endpoint_open(struct endpoint *ep, struct loop *l, struct vu_dev *vu,
		  struct placement *placement, struct queue_place *place);
/* Stops watching everything; the device can then be destroyed. */
void endpoint_close(struct endpoint *ep);
/* Drops the front-end and accepts no other; ep->retired runs once the
 * requests in flight are done (at once when there are none: then it
 * returns true, and ep may be gone). */
bool endpoint_retire(struct endpoint *ep, void (*retired)(struct endpoint *));
/* The housekeeping tick: a wait that lasts too long is reported. */
void endpoint_tick(struct endpoint *ep);

#endif
