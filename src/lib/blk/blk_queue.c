/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk data path of one vring, run by the reactor that owns it:
 * pop chains, decode them in place, check them, submit them to the bdev,
 * and on completion write the status byte, push the used entry and, once
 * per reactor pass, publish and notify.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "blk/blk_internal.h"
#include "engine/numa_alloc.h"
#include "vhost/guest_mem_fixed.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

/* Chains popped per queue per pass, so one busy queue cannot starve the
 * others on its reactor. */
#define BLK_POLL_BUDGET 64

static void stop_finish_deferred(void *arg)
{
	blk_queue_stop_finish(arg);
}

static void req_finish(struct blk_req *r, uint8_t status)
{
	struct blk_queue *q = r->q;

	if (r->via_qos) {
		qos_complete(&q->qos, &r->qos, clock_now_ns());
		r->via_qos = false;
	}
	SHM_STORE(r->status, status);
	r->used_len += 1;
	virtq_push(q->vq, r->head, r->used_len);
	q->dirty = true;
	r->busy = false;
	q->stats.ops[r->stat]++;
	if (status == VIRTIO_BLK_S_IOERR)
		q->stats.errors++;
	else if (status == VIRTIO_BLK_S_UNSUPP)
		q->stats.unsupported++;
	{
		uint64_t us = (clock_now_ns() - r->start_ns) / 1000;
		unsigned int b = us < 8 ? 0 : 61u - (unsigned int)__builtin_clzll(us);

		q->stats.lat_ns_sum += us * 1000;
		q->stats.lat_hist[b < BLK_LAT_BUCKETS ? b : BLK_LAT_BUCKETS]++;
	}
	q->inflight--;
	if (unlikely(q->stopping) && q->inflight == 0)
		/* Not from here: we may be deep inside a backend's poller,
		 * which detaching would free under its feet. */
		reactor_post(q->reactor, stop_finish_deferred, q);
}

/* A chain we cannot read a request from: hand it back empty. */
static void chain_reject(struct blk_queue *q, uint16_t head, uint8_t *status)
{
	if (status)
		SHM_STORE(status, VIRTIO_BLK_S_IOERR);
	virtq_push(q->vq, head, status ? 1 : 0);
	q->dirty = true;
	q->stats.bad_chains++;
}

/* Checks a READ/WRITE range: inside the disk, whole logical blocks. */
static bool range_ok(const struct blk_dev *d, uint64_t sector, uint64_t len)
{
	uint64_t sectors = len / 512;
	uint32_t spb = d->blk_size / 512;

	if (len % d->blk_size || sector % spb)
		return false;
	return sector <= d->capacity && sectors <= d->capacity - sector;
}

static void rw_done(struct bdev_io *io, int status)
{
	struct blk_req *r = container_of(io, struct blk_req, io);

	if (status) {
		log_debug("disk %s: %s at sector %llu failed: %s",
			  r->q->dev->id, bdev_op_name(io->op),
			  (unsigned long long)(io->offset / 512),
			  strerror(-status));
		req_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (io->op == BDEV_OP_READ) {
		r->used_len = (uint32_t)io->len;
		r->q->stats.bytes_read += io->len;
	} else if (io->op == BDEV_OP_WRITE) {
		r->q->stats.bytes_written += io->len;
	}
	req_finish(r, VIRTIO_BLK_S_OK);
}

static void seg_submit(struct blk_req *r);

static enum qos_op qos_op_of(enum bdev_op op)
{
	switch (op) {
	case BDEV_OP_READ: return QOS_READ;
	case BDEV_OP_WRITE: return QOS_WRITE;
	case BDEV_OP_FLUSH: return QOS_FLUSH;
	default: return QOS_DISCARD;
	}
}

/* First submission of a request's I/O: through the QoS scheduler when the
 * queue is under QoS (it may park the request; qos_dispatch sends it on). */
static void req_submit(struct blk_req *r)
{
	struct blk_queue *q = r->q;

	if (q->sched) {
		r->qos.op = qos_op_of(r->io.op);
		r->qos.bytes = (r->io.op == BDEV_OP_READ ||
				r->io.op == BDEV_OP_WRITE) ? r->io.len : 0;
		r->via_qos = true;
		if (qos_submit(&q->qos, &r->qos, clock_now_ns()) == QOS_PARKED)
			return;
	}
	bdev_submit(q->ch, &r->io);
}

static void qos_dispatch(struct qos_entity *e, struct qos_req *qr, void *arg)
{
	struct blk_req *r = container_of(qr, struct blk_req, qos);

	bdev_submit(r->q->ch, &r->io);
}

static void seg_done(struct bdev_io *io, int status)
{
	struct blk_req *r = container_of(io, struct blk_req, io);

	if (status) {
		req_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (r->next_seg < r->nsegs) {
		seg_submit(r);
		return;
	}
	req_finish(r, VIRTIO_BLK_S_OK);
}

static void seg_submit(struct blk_req *r)
{
	const struct virtio_blk_discard_write_zeroes *s = &r->segs[r->next_seg++];

	r->io.offset = s->sector * 512;
	r->io.len = (uint64_t)s->num_sectors * 512;
	r->io.may_unmap = s->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	r->io.cb = seg_done;
	if (r->next_seg == 1)
		req_submit(r);
	else
		bdev_submit(r->q->ch, &r->io);
}

/* DISCARD / WRITE_ZEROES: validate every segment before running any. */
static uint8_t start_segments(struct blk_req *r, const struct blk_req_info *info)
{
	const struct blk_dev *d = r->q->dev;
	bool zeroes = info->type == VIRTIO_BLK_T_WRITE_ZEROES;
	size_t seg = sizeof(r->segs[0]);

	if (d->ro)
		return VIRTIO_BLK_S_IOERR;
	if (info->data_len == 0 || info->data_len % seg ||
	    info->data_len / seg > BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	r->nsegs = (unsigned int)(info->data_len / seg);
	r->next_seg = 0;
	iov_gather(info->data, info->ndata, r->segs, info->data_len);
	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct virtio_blk_discard_write_zeroes *s = &r->segs[i];
		uint32_t allowed = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

		if (s->flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (s->num_sectors > BLK_MAX_DISCARD_SECTORS ||
		    !range_ok(d, s->sector, (uint64_t)s->num_sectors * 512))
			return VIRTIO_BLK_S_IOERR;
	}
	r->io.op = zeroes ? BDEV_OP_WRITE_ZEROES : BDEV_OP_DISCARD;
	r->stat = zeroes ? BLK_STAT_WRITE_ZEROES : BLK_STAT_DISCARD;
	seg_submit(r);
	return VIRTIO_BLK_S_OK;
}

static uint8_t start_rw(struct blk_req *r, const struct blk_req_info *info,
			bool write)
{
	const struct blk_dev *d = r->q->dev;

	r->stat = write ? BLK_STAT_WRITE : BLK_STAT_READ;
	if (write && d->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!range_ok(d, info->sector, info->data_len))
		return VIRTIO_BLK_S_IOERR;
	if (info->data_len == 0) {
		req_finish(r, VIRTIO_BLK_S_OK);
		return VIRTIO_BLK_S_OK;
	}
	r->io.op = write ? BDEV_OP_WRITE : BDEV_OP_READ;
	r->io.fua = write && !d->writeback;
	r->io.offset = info->sector * 512;
	r->io.len = info->data_len;
	r->io.iov = info->data;
	r->io.iovcnt = info->ndata;
	if (info->ndata == 1 && r->q->fixed.nranges) {
		r->io.fixed_buf = fixed_mem_lookup(&r->q->fixed,
						   info->data[0].iov_base,
						   info->data[0].iov_len);
		if (r->io.fixed_buf)
			r->q->stats.fixed_buffer_ios++;
	}
	r->io.cb = rw_done;
	req_submit(r);
	return VIRTIO_BLK_S_OK;
}

static uint8_t start_get_id(struct blk_req *r, const struct blk_req_info *info)
{
	char serial[VIRTIO_BLK_ID_BYTES] = { 0 };
	size_t n = strlen(r->q->dev->id);

	/* Up to 20 bytes, NUL-padded, not necessarily terminated. */
	memcpy(serial, r->q->dev->id, n < sizeof(serial) ? n : sizeof(serial));
	r->stat = BLK_STAT_OTHER;
	r->used_len = (uint32_t)shm_scatter(info->data, info->ndata, serial,
						sizeof(serial));
	req_finish(r, VIRTIO_BLK_S_OK);
	return VIRTIO_BLK_S_OK;
}

/* Starts the request; on a non-OK return the caller finishes it. */
static uint8_t req_start(struct blk_req *r, const struct blk_req_info *info)
{
	switch (info->type) {
	case VIRTIO_BLK_T_IN:
		return start_rw(r, info, false);
	case VIRTIO_BLK_T_OUT:
		return start_rw(r, info, true);
	case VIRTIO_BLK_T_FLUSH:
		r->stat = BLK_STAT_FLUSH;
		r->io.op = BDEV_OP_FLUSH;
		r->io.cb = rw_done;
		req_submit(r);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return start_get_id(r, info);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return start_segments(r, info);
	default:
		r->stat = BLK_STAT_OTHER;
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static void handle_head(struct blk_queue *q, uint16_t head)
{
	struct blk_req *r = &q->reqs[head];
	struct virtq_chain c = { .iov = r->iov, .max_iov = BLK_MAX_IOV };
	struct blk_req_info info;
	uint8_t status;

	if (unlikely(r->busy)) {
		/* A head still in flight made available again: the driver
		 * lost track of its ring. */
		virtq_mark_broken(q->vq, "a descriptor head in flight was made "
					 "available twice");
		return;
	}
	virtq_map_chain(q->vq, head, &c);
	if (unlikely(c.error)) {
		log_debug("disk %s: queue %u: bad descriptor chain at head %u: %s",
			  q->dev->id, q->idx, head, strerror(-c.error));
		chain_reject(q, head, NULL);
		return;
	}
	if (unlikely(blk_req_decode(&c, &info))) {
		chain_reject(q, head, info.status);
		return;
	}
	r->busy = true;
	r->head = head;
	r->status = info.status;
	r->used_len = 0;
	r->type = info.type;
	r->start_ns = clock_now_ns();
	r->via_qos = false;
	memset(&r->io, 0, sizeof(r->io));
	q->inflight++;
	status = req_start(r, &info);
	if (status != VIRTIO_BLK_S_OK)
		req_finish(r, status);
}

static int blk_queue_poll(struct reactor_poller *p)
{
	struct blk_queue *q = container_of(p, struct blk_queue, poller);
	int n = 0;

	if (unlikely(q->stopping))
		return 0;
	while (n < BLK_POLL_BUDGET) {
		uint16_t head;
		int ret = virtq_next_head(q->vq, &head);

		if (ret <= 0)
			break;
		handle_head(q, head);
		n++;
	}
	return n;
}

static void blk_queue_flush(struct reactor_poller *p)
{
	struct blk_queue *q = container_of(p, struct blk_queue, poller);
	int ret;

	if (!q->dirty)
		return;
	q->dirty = false;
	virtq_publish(q->vq);
	if (q->call_fd >= 0 && virtq_should_notify(q->vq) &&
	    (ret = vu_call(q->call_fd)))
		log_debug("disk %s: queue %u: call eventfd: %s", q->dev->id,
			  q->idx, strerror(-ret));
}

static bool blk_queue_arm(struct reactor_poller *p)
{
	struct blk_queue *q = container_of(p, struct blk_queue, poller);

	if (q->stopping || q->vq->broken)
		return false;
	virtq_kicks_enable(q->vq);
	return virtq_has_work(q->vq);
}

static void blk_queue_disarm(struct reactor_poller *p)
{
	struct blk_queue *q = container_of(p, struct blk_queue, poller);

	virtq_kicks_disable(q->vq);
}

/* On the reactor: the queue is quiet; detach it and wake the waiter. */
void blk_queue_stop_finish(struct blk_queue *q)
{
	struct completion *done = q->stopped;

	blk_queue_flush(&q->poller);
	if (q->sched && !q->qos_error)
		qos_entity_fini(&q->qos);
	reactor_remove_poller(q->reactor, &q->poller);
	q->dev->bdev->ops->channel_close(q->ch);
	q->ch = NULL;
	/* Nothing in flight: no request uses the registered buffers. */
	fixed_mem_unregister(&q->fixed, q->reactor);
	q->stopping = false;
	q->stopped = NULL;
	completion_signal(done);
}

/* The memory table the queue starts with, as the reactor ring's fixed
 * buffers (when --fixed-buffers gave it a table). A table change stops
 * and restarts the queue, so it registers again. */
static void register_guest_memory(struct blk_queue *q)
{
	char who[128];

	snprintf(who, sizeof(who), "disk %s: queue %u", q->dev->id, q->idx);
	guest_mem_register_fixed(q->dev->vu->mem, &q->fixed, q->reactor, who);
}

static void attach_on_reactor(void *arg)
{
	struct blk_queue *q = arg;
	int ret = q->dev->bdev->ops->channel_open(q->dev->bdev, q->reactor,
						  &q->ch);

	if (ret) {
		log_error("disk %s: queue %u: cannot open a backend channel: %s",
			  q->dev->id, q->idx, strerror(-ret));
		q->ch = NULL;
		return;
	}
	if (q->sched) {
		char err[256];

		q->qos_error = qos_entity_init(&q->qos, blk_qos_sched_raw(q->sched),
					       &q->dev->entity_lim,
					       q->dev->qos_group, err, sizeof(err));
		if (q->qos_error) {
			log_error("disk %s: queue %u: QoS contract refused: %s",
				  q->dev->id, q->idx, err);
			q->dev->bdev->ops->channel_close(q->ch);
			q->ch = NULL;
			return;
		}
	}
	register_guest_memory(q);
	reactor_add_poller(q->reactor, &q->poller);
}

static void begin_stop_on_reactor(void *arg)
{
	struct blk_queue *q = arg;

	q->stopping = true;
	if (q->inflight == 0)
		blk_queue_stop_finish(q);
}

int blk_queue_start(struct blk_dev *d, unsigned int idx)
{
	struct blk_queue *q = &d->queues[idx];
	struct vu_vring *v = &d->vu->vrings[idx];

	if (q->nreqs != v->vq.size) {
		/* Request slots (~4 KiB each) on the node of the reactor that
		 * uses them, on hugepages when there are some free. */
		numa_pool_free(q->reqs);
		q->reqs = numa_pool_calloc(v->vq.size, sizeof(*q->reqs),
			numa_node_of_reactor(d->reactors[(d->first_reactor + idx) %
							 d->nreactors]));
		if (!q->reqs) {
			q->nreqs = 0;
			return -ENOMEM;
		}
		q->nreqs = v->vq.size;
	}
	for (unsigned int i = 0; i < q->nreqs; i++) {
		q->reqs[i].q = q;
		q->reqs[i].busy = false;
	}
	q->dev = d;
	q->idx = idx;
	q->vring = v;
	q->vq = &v->vq;
	q->call_fd = v->call_fd;
	q->inflight = 0;
	q->dirty = false;
	q->stopping = false;
	q->reactor = d->reactors[(d->first_reactor + idx) % d->nreactors];
	q->poller = (struct reactor_poller){
		.poll = blk_queue_poll,
		.flush = blk_queue_flush,
		.arm = blk_queue_arm,
		.disarm = blk_queue_disarm,
		.wake_fd = v->kick_fd,
		.must_poll = v->kick_fd < 0,
	};
	virtq_kicks_disable(q->vq);
	q->sched = NULL;
	q->qos_error = 0;
	q->fixed = (struct fixed_mem){ .first_slot = -1 };
	if (d->qos) {
		q->sched = blk_qos_sched_get(d->qos, q->reactor, d->bdev->dev_id,
					     qos_dispatch);
		if (!q->sched)
			return -ENOMEM;
	}
	reactor_call(q->reactor, attach_on_reactor, q);
	if (!q->ch) {
		if (q->sched)
			blk_qos_sched_put(q->sched);
		q->sched = NULL;
		return -EIO;
	}
	log_info("disk %s: queue %u started on reactor %u (size %u)", d->id, idx,
		 reactor_id(q->reactor), v->vq.size);
	return 0;
}

void blk_queue_stop(struct blk_dev *d, unsigned int idx)
{
	struct blk_queue *q = &d->queues[idx];
	struct completion done;

	if (!q->ch)
		return;
	if (completion_init(&done)) {
		log_error("disk %s: cannot stop queue %u: out of file descriptors",
			  d->id, idx);
		return;
	}
	q->stopped = &done;
	/* Requests in flight finish first: their buffers are guest memory
	 * that may be unmapped as soon as we return. */
	reactor_post(q->reactor, begin_stop_on_reactor, q);
	completion_wait(&done);
	completion_destroy(&done);
	if (q->sched)
		blk_qos_sched_put(q->sched);
	q->sched = NULL;
	log_debug("disk %s: queue %u stopped", d->id, idx);
}
