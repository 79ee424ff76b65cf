/* SPDX-License-Identifier: MIT */
/*
 * The event queue: the guest parks empty buffers here and we fill one
 * when something happens to the target (a LUN appears or goes away). A
 * buffer is popped only when an event is waiting for it, so buffers are
 * never held across a vring restart. Events that find no buffer wait in a
 * short list; when that overflows, the next event delivered carries
 * VIRTIO_SCSI_T_EVENTS_MISSED and the guest rescans.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi/scsi_internal.h"
#include "util/compiler.h"
#include "util/log.h"

struct event_post {
	struct scsi_queue *q;
	struct scsi_event_msg m;
};

static void deliver_one(struct scsi_queue *q, uint16_t head)
{
	struct iovec iov[8];
	struct virtq_chain c = { .iov = iov, .max_iov = 8 };
	struct virtio_scsi_event ev;
	const struct scsi_event_msg *m = &q->events[0];
	size_t n;

	virtq_map_chain(q->vdev.vq, head, &c);
	if (c.error || c.n_in == 0) {
		/* Useless buffer: give it back; the event waits for the next. */
		vdev_reject(&q->vdev, head, 0);
		q->stats.bad_requests++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.event = m->event | (q->events_missed ? VIRTIO_SCSI_T_EVENTS_MISSED : 0);
	ev.reason = m->reason;
	scsi_lun_encode(m->lun, ev.lun);
	n = shm_scatter(c.iov + c.n_out, c.n_in, &ev, sizeof(ev));
	vdev_log_iov(&q->vdev, c.iov + c.n_out, c.n_in);
	vdev_push(&q->vdev, head, (uint32_t)n);
	q->events_missed = false;
	q->stats.events++;
	memmove(&q->events[0], &q->events[1],
		--q->nevents * sizeof(q->events[0]));
}

/* Delivers waiting events into buffers the guest parked. */
static int deliver(struct scsi_queue *q)
{
	int n = 0;

	while (q->nevents) {
		uint16_t head;

		if (virtq_next_head(q->vdev.vq, &head) <= 0)
			break;
		deliver_one(q, head);
		n++;
	}
	return n;
}

static void event_handle(struct vdev_queue *vdev, uint16_t head)
{
	deliver_one(scsi_queue_of(vdev), head);
}

/* Buffers in the ring are work only when an event waits for one. */
static bool event_wants_ring(struct vdev_queue *vdev)
{
	return scsi_queue_of(vdev)->nevents > 0;
}

const struct vdev_queue_ops scsi_event_ops = {
	.handle = event_handle,
	.wants_ring = event_wants_ring,
};

static void post_on_reactor(void *arg)
{
	struct event_post *a = arg;
	struct scsi_queue *q = a->q;

	if (!q->vdev.attached || q->vdev.stopping) {
		q->stats.events_dropped++;
	} else if (q->nevents == SCSI_EVENT_MAX) {
		q->events_missed = true;
		q->stats.events_dropped++;
	} else {
		q->events[q->nevents++] = a->m;
		deliver(q);
		vdev_queue_flush(&q->vdev);
	}
	free(a);
}

void scsi_event_post(struct scsi_dev *d, uint32_t event, uint32_t reason,
		     uint16_t lun)
{
	struct scsi_queue *q = &d->queues[SCSI_VQ_EVENT];
	struct event_post *a;

	/* Queue start and stop run on this (the control) thread too, so
	 * attached is stable here. */
	if (!q->vdev.attached ||
	    !vu_dev_has_feature(d->vu, VIRTIO_SCSI_F_HOTPLUG)) {
		log_debug("scsi %s: no event queue running; the guest learns "
			  "of LUN %u on its next scan", d->id, lun);
		return;
	}
	a = malloc(sizeof(*a));
	if (!a) {
		log_warn("scsi %s: out of memory; event for LUN %u dropped",
			 d->id, lun);
		return;
	}
	a->q = q;
	a->m = (struct scsi_event_msg){ event, reason, lun };
	if (reactor_post(q->vdev.reactor, post_on_reactor, a))
		free(a);
}
