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

#include "blk/blk_internal.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

/* Chains popped per queue per pass, so one busy queue cannot starve the
 * others on its reactor. */
#define BLK_POLL_BUDGET 64

/* Live migration: the status byte and what a read filled (a failed read
 * may have filled part of it) go into the dirty log. Out of line: while
 * logging is off, the data path pays one branch per request for it. */
static void __attribute__((noinline, cold)) log_written(struct blk_req *r)
{
	const struct guest_mem *mem = r->q->vdev.guest;

	dirty_log_write(mem, r->status, 1);
	if (r->stat == BLK_STAT_READ && r->io.op == BDEV_OP_READ)
		dirty_log_iov(mem, r->io.iov, r->io.iovcnt);
}

static void req_finish(struct blk_req *r, uint8_t status)
{
	struct blk_queue *q = r->q;

	SHM_STORE(r->status, status);
	if (guest_mem_logging(q->vdev.guest))
		log_written(r);
	q->stats.ops[r->stat]++;
	if (status == VIRTIO_BLK_S_IOERR)
		q->stats.errors++;
	else if (status == VIRTIO_BLK_S_UNSUPP)
		q->stats.unsupported++;
	vdev_req_complete(&q->vdev, &r->vr, r->used_len + 1);
}

/* A chain we cannot read a request from: hand it back empty. */
static void chain_reject(struct blk_queue *q, uint16_t head, uint8_t *status)
{
	if (status) {
		SHM_STORE(status, VIRTIO_BLK_S_IOERR);
		vdev_log_write(&q->vdev, status, 1);
	}
	vdev_reject(&q->vdev, head, status ? 1 : 0);
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

	r->q->stats.fixed_buffer_ios += io->registered;
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

/* First submission of a request's I/O: through the QoS scheduler when the
 * queue is under QoS. */
static void req_submit(struct blk_req *r)
{
	vdev_submit(&r->q->vdev, &r->vr, r->q->ch, &r->io);
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
	    info->data_len / seg > d->discard_segs)
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
	vdev_log_iov(&r->q->vdev, info->data, info->ndata);
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

static inline __attribute__((always_inline)) void
handle_head(struct vdev_queue *vdev, uint16_t head)
{
	struct blk_queue *q = container_of(vdev, struct blk_queue, vdev);
	struct blk_req *r = vdev_slot(vdev, head);
	struct virtq_chain c = { .iov = r->iov, .max_iov = BLK_MAX_IOV };
	struct blk_req_info info;
	uint8_t status;

	if (unlikely(r->vr.busy)) {
		/* A head still in flight made available again: the driver
		 * lost track of its ring. */
		virtq_mark_broken(vdev->vq, "a descriptor head in flight was "
					    "made available twice");
		return;
	}
	virtq_map_chain(vdev->vq, head, &c);
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
	r->q = q;
	r->status = info.status;
	r->used_len = 0;
	r->type = info.type;
	memset(&r->io, 0, sizeof(r->io));
	vdev_req_begin(vdev, &r->vr, head);
	status = req_start(r, &info);
	if (status != VIRTIO_BLK_S_OK)
		req_finish(r, status);
}

/* On the reactor, before the queue polls: its backend channel and its
 * place in the QoS scheduler. */
static int queue_attach(struct vdev_queue *vdev)
{
	struct blk_queue *q = container_of(vdev, struct blk_queue, vdev);
	int ret = bdev_channel_open(q->dev->bdev, vdev->reactor, vdev->mem,
				    &q->ch);

	if (ret) {
		log_error("disk %s: queue %u: cannot open a backend channel: %s",
			  q->dev->id, q->idx, strerror(-ret));
		q->ch = NULL;
		return ret;
	}
	return 0;
}

/* On the reactor, once nothing is in flight. */
static void queue_detach(struct vdev_queue *vdev)
{
	struct blk_queue *q = container_of(vdev, struct blk_queue, vdev);

	bdev_channel_close(q->ch);
	q->ch = NULL;
}

static int queue_poll(struct vdev_queue *vdev)
{
	return vdev_queue_poll_with(vdev, handle_head);
}

static const struct vdev_queue_ops blk_queue_ops = {
	.handle = handle_head,
	.poll = queue_poll,
	.attach = queue_attach,
	.detach = queue_detach,
};

int blk_queue_start(struct blk_dev *d, unsigned int idx)
{
	struct blk_queue *q = &d->queues[idx];
	struct vdev_queue_config cfg = {
		.ops = &blk_queue_ops,
		.reactor = d->reactors[(d->first_reactor + idx) % d->nreactors],
		.slot_size = bdev_io_slot_size(offsetof(struct blk_req, io),
					       bdev_io_ctx_size(d->bdev)),
		.budget = BLK_POLL_BUDGET,
		.fixed_buffers = true,
		.qos = d->has_qos ? &d->qos : NULL,
		.qos_dev_id = d->bdev->dev_id,
	};
	char who[64];

	snprintf(who, sizeof(who), "disk %s: queue %u", d->id, idx);
	cfg.who = who;
	q->dev = d;
	q->idx = idx;
	return vdev_queue_start(&q->vdev, d->vu, idx, &cfg);
}

int blk_queue_stop(struct blk_dev *d, unsigned int idx)
{
	return vdev_queue_stop(&d->queues[idx].vdev);
}

/* On the control thread, once the queue stopped. */
void blk_queue_stopped(struct blk_dev *d, unsigned int idx)
{
	vdev_queue_stopped(&d->queues[idx].vdev);
}
