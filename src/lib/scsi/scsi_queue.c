/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping the three kinds of virtio-scsi vrings on vdev:
 * the control queue (vring 0), the event queue (vring 1) and the request
 * queues (2 and up), each on its reactor. Request queues open a backend
 * channel per LUN on their reactor before they poll and close them once
 * nothing is in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scsi/scsi_internal.h"
#include "util/log.h"

/* Chains popped per queue per pass, so one busy queue cannot starve the
 * others on its reactor. */
#define SCSI_POLL_BUDGET 64

struct reactor *scsi_queue_reactor(const struct scsi_dev *d, unsigned int idx)
{
	/* Control and events share request queue 0's reactor. */
	unsigned int off = idx < SCSI_VQ_REQ0 ? 0 : idx - SCSI_VQ_REQ0;

	return d->reactors[(d->first_reactor + off) % d->nreactors];
}

int scsi_queue_start(struct scsi_dev *d, unsigned int idx)
{
	struct scsi_queue *q = &d->queues[idx];
	static const char *const role[] = { "control", "event", "request" };
	unsigned int kind = idx < SCSI_VQ_REQ0 ? idx : SCSI_VQ_REQ0;
	struct vdev_queue_config cfg = {
		.ops = kind == SCSI_VQ_CTRL ? &scsi_ctrl_ops :
		       kind == SCSI_VQ_EVENT ? &scsi_event_ops : &scsi_req_ops,
		.reactor = scsi_queue_reactor(d, idx),
		.slot_size = kind == SCSI_VQ_REQ0 ? SCSI_REQ_SLOT_SIZE : 0,
		.budget = SCSI_POLL_BUDGET,
		.fixed_buffers = kind == SCSI_VQ_REQ0,
		.qos = kind == SCSI_VQ_REQ0 && d->has_qos ? &d->qos : NULL,
		.qos_dev_id = d->qos_dev_id,
	};
	char who[64];

	snprintf(who, sizeof(who), "scsi %s: %s queue %u", d->id, role[kind], idx);
	cfg.who = who;
	q->dev = d;
	q->idx = idx;
	q->ntmf = 0;
	return vdev_queue_start(&q->vdev, d->vu, idx, &cfg);
}

int scsi_queue_stop(struct scsi_dev *d, unsigned int idx)
{
	return vdev_queue_stop(&d->queues[idx].vdev);
}
