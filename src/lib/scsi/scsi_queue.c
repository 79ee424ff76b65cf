/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle shared by the three kinds of virtio-scsi vrings: attaching a
 * vring's poller (and, for request queues, a backend channel per LUN) to
 * its reactor, publishing and notifying once per reactor pass, and
 * stopping only after what is in flight has completed, because its
 * buffers are guest memory that may be unmapped as soon as we return.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/numa_alloc.h"
#include "scsi/scsi_internal.h"
#include "vhost/guest_mem_fixed.h"
#include "util/compiler.h"
#include "util/log.h"

struct reactor *scsi_queue_reactor(const struct scsi_dev *d, unsigned int idx)
{
	/* Control and events share request queue 0's reactor. */
	unsigned int off = idx < SCSI_VQ_REQ0 ? 0 : idx - SCSI_VQ_REQ0;

	return d->reactors[(d->first_reactor + off) % d->nreactors];
}

void scsi_queue_flush(struct reactor_poller *p)
{
	struct scsi_queue *q = container_of(p, struct scsi_queue, poller);
	int ret;

	if (!q->dirty)
		return;
	q->dirty = false;
	virtq_publish(q->vq);
	if (q->call_fd >= 0 && virtq_should_notify(q->vq) &&
	    (ret = vu_call(q->call_fd)))
		log_debug("scsi %s: queue %u: call eventfd: %s", q->dev->id,
			  q->idx, strerror(-ret));
}

static bool queue_arm(struct reactor_poller *p)
{
	struct scsi_queue *q = container_of(p, struct scsi_queue, poller);

	if (q->stopping || q->vq->broken)
		return false;
	virtq_kicks_enable(q->vq);
	switch (q->idx) {
	case SCSI_VQ_CTRL:
		/* Task management waiting for commands to drain is checked
		 * every pass until it is answered. */
		return virtq_has_work(q->vq) || scsi_ctrl_pending(q);
	case SCSI_VQ_EVENT:
		/* The guest parks event buffers here: they are work only
		 * when we have an event to put in them. */
		return q->nevents && virtq_has_work(q->vq);
	default:
		return virtq_has_work(q->vq);
	}
}

static void queue_disarm(struct reactor_poller *p)
{
	struct scsi_queue *q = container_of(p, struct scsi_queue, poller);

	virtq_kicks_disable(q->vq);
}

static void close_channels(struct scsi_queue *q)
{
	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		if (!q->ch[i])
			continue;
		q->ch[i]->bdev->ops->channel_close(q->ch[i]);
		q->ch[i] = NULL;
	}
}

/* On the reactor: the queue is quiet; detach it and wake the waiter. */
static void stop_finish(struct scsi_queue *q)
{
	struct completion *done = q->stopped;

	scsi_queue_flush(&q->poller);
	reactor_remove_poller(q->reactor, &q->poller);
	close_channels(q);
	/* Nothing in flight: no request uses the registered buffers. */
	fixed_mem_unregister(&q->fixed, q->reactor);
	q->attached = false;
	q->stopping = false;
	q->stopped = NULL;
	completion_signal(done);
}

void scsi_queue_done_one(struct scsi_queue *q)
{
	q->inflight--;
	if (unlikely(q->stopping) && q->inflight == 0)
		stop_finish(q);
}

static int open_channels(struct scsi_queue *q)
{
	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		struct scsi_lun *l = q->dev->luns[i];
		int ret;

		if (!l || l->removed)
			continue;
		ret = l->bdev->ops->channel_open(l->bdev, q->reactor, &q->ch[i]);
		if (ret) {
			log_error("scsi %s: queue %u: cannot open LUN %u's "
				  "backend: %s", q->dev->id, q->idx, i,
				  strerror(-ret));
			close_channels(q);
			return ret;
		}
	}
	return 0;
}

static void attach_on_reactor(void *arg)
{
	struct scsi_queue *q = arg;

	q->fixed = (struct fixed_mem){ .first_slot = -1 };
	if (q->idx >= SCSI_VQ_REQ0 && open_channels(q))
		return;
	if (q->idx >= SCSI_VQ_REQ0) {
		char who[128];

		snprintf(who, sizeof(who), "scsi %s: queue %u", q->dev->id, q->idx);
		guest_mem_register_fixed(q->dev->vu->mem, &q->fixed, q->reactor,
					 who);
	}
	reactor_add_poller(q->reactor, &q->poller);
	q->attached = true;
}

static void begin_stop_on_reactor(void *arg)
{
	struct scsi_queue *q = arg;

	q->stopping = true;
	if (q->idx == SCSI_VQ_CTRL)
		scsi_ctrl_recheck(q); /* answers every waiting TMF */
	if (q->inflight == 0)
		stop_finish(q);
}

/* One slot per descriptor head. The array only grows: the control queue
 * reads it from another thread to find a task to abort. The slots (~4 KiB
 * each) sit on the node of the reactor that uses them, on hugepages when
 * there are some free (numa_alloc.h), as virtio-blk's do. */
static int ensure_slots(struct scsi_queue *q, unsigned int size,
			const struct reactor *r)
{
	struct scsi_req **retired;
	struct scsi_req *reqs;

	if (size <= q->cap) {
		__atomic_store_n(&q->nreqs, size, __ATOMIC_RELEASE);
		return 0;
	}
	reqs = numa_pool_calloc(size, sizeof(*reqs), numa_node_of_reactor(r));
	retired = realloc(q->retired, (q->nretired + 1) * sizeof(*retired));
	if (!reqs || !retired) {
		numa_pool_free(reqs);
		if (retired)
			q->retired = retired;
		return -ENOMEM;
	}
	q->retired = retired;
	if (q->reqs)
		q->retired[q->nretired++] = q->reqs;
	for (unsigned int i = 0; i < size; i++)
		reqs[i].q = q;
	__atomic_store_n(&q->reqs, reqs, __ATOMIC_RELEASE);
	__atomic_store_n(&q->nreqs, size, __ATOMIC_RELEASE);
	q->cap = size;
	return 0;
}

static int (*const poll_fn[3])(struct reactor_poller *) = {
	[SCSI_VQ_CTRL] = scsi_ctrl_poll,
	[SCSI_VQ_EVENT] = scsi_event_poll,
	[SCSI_VQ_REQ0] = scsi_req_poll,
};

int scsi_queue_start(struct scsi_dev *d, unsigned int idx)
{
	struct scsi_queue *q = &d->queues[idx];
	struct vu_vring *v = &d->vu->vrings[idx];
	unsigned int kind = idx < SCSI_VQ_REQ0 ? idx : SCSI_VQ_REQ0;

	if (kind == SCSI_VQ_REQ0 &&
	    ensure_slots(q, v->vq.size, scsi_queue_reactor(d, idx)))
		return -ENOMEM;
	for (unsigned int i = 0; i < q->cap; i++)
		q->reqs[i].busy = false;
	q->dev = d;
	q->idx = idx;
	q->vring = v;
	q->vq = &v->vq;
	q->call_fd = v->call_fd;
	q->inflight = 0;
	q->dirty = false;
	q->stopping = false;
	q->ntmf = 0;
	q->reactor = scsi_queue_reactor(d, idx);
	q->poller = (struct reactor_poller){
		.poll = poll_fn[kind],
		.flush = scsi_queue_flush,
		.arm = queue_arm,
		.disarm = queue_disarm,
		.wake_fd = v->kick_fd,
		.must_poll = v->kick_fd < 0,
	};
	virtq_kicks_disable(q->vq);
	reactor_call(q->reactor, attach_on_reactor, q);
	if (!q->attached)
		return -EIO;
	log_info("scsi %s: %s queue %u started on reactor %u (size %u)", d->id,
		 kind == SCSI_VQ_CTRL ? "control" :
		 kind == SCSI_VQ_EVENT ? "event" : "request",
		 idx, reactor_id(q->reactor), v->vq.size);
	return 0;
}

void scsi_queue_stop(struct scsi_dev *d, unsigned int idx)
{
	struct scsi_queue *q = &d->queues[idx];
	struct completion done;

	if (!q->attached)
		return;
	if (completion_init(&done)) {
		log_error("scsi %s: cannot stop queue %u: out of file "
			  "descriptors", d->id, idx);
		return;
	}
	q->stopped = &done;
	reactor_post(q->reactor, begin_stop_on_reactor, q);
	completion_wait(&done);
	completion_destroy(&done);
	log_debug("scsi %s: queue %u stopped", d->id, idx);
}
