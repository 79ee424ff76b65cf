/* SPDX-License-Identifier: MIT */
/*
 * The request-queue data path, run by the reactor that owns the vring:
 * pop a chain, split it into the virtio-scsi request header, data-out,
 * response header and data-in, let scsi_cmd decide what the CDB means,
 * then either answer from memory or run the backend I/O straight on the
 * guest's buffers and answer when it completes.
 */
#include <errno.h>
#include <string.h>

#include "scsi/scsi_internal.h"
#include "util/compiler.h"
#include "util/log.h"

static void req_complete(struct scsi_req *r, uint8_t response,
			 uint32_t din_written, uint64_t resid)
{
	struct scsi_queue *q = r->q;
	struct virtio_scsi_cmd_resp resp;

	memset(&resp, 0, sizeof(resp));
	resp.response = response;
	resp.resid = resid > UINT32_MAX ? UINT32_MAX : (uint32_t)resid;
	if (response == VIRTIO_SCSI_S_OK) {
		resp.status = r->out.status;
		resp.sense_len = r->out.sense_len;
		memcpy(resp.sense, r->out.sense, r->out.sense_len);
		q->stats.cmds++;
		if (r->out.status != SCSI_STATUS_GOOD)
			q->stats.check_conditions++;
	} else {
		q->stats.bad_requests++;
	}
	shm_scatter(r->resp_iov, r->nresp_iov, &resp, sizeof(resp));
	vdev_log_iov(&q->vdev, r->resp_iov, r->nresp_iov);
	vdev_req_complete(&q->vdev, &r->vr, sizeof(resp) + din_written);
}

/* A chain we cannot even answer: hand it back empty. */
static void chain_reject(struct scsi_queue *q, uint16_t head, const char *why)
{
	log_debug("scsi %s: queue %u: head %u: %s", q->dev->id, q->idx, head,
		  why);
	vdev_reject(&q->vdev, head, 0);
	q->stats.bad_requests++;
}

static void count_io(struct scsi_queue *q, const struct scsi_req *r)
{
	switch (r->out.op) {
	case SCSI_IO_READ:
		q->stats.reads++;
		q->stats.bytes_read += r->out.xfer_bytes;
		break;
	case SCSI_IO_WRITE:
		q->stats.writes++;
		q->stats.bytes_written += r->out.xfer_bytes;
		break;
	case SCSI_IO_FLUSH:
		q->stats.flushes++;
		break;
	default:
		q->stats.unmaps++;
		break;
	}
}

static void io_submit_next(struct scsi_req *r, bool first);

/* The command is done with its LUN; the last one of a removed LUN has
 * the control thread finish the removal. */
static void lun_put(struct scsi_req *r)
{
	struct scsi_lun *l = r->lun;

	if (__atomic_sub_fetch(&l->inflight, 1, __ATOMIC_ACQ_REL) == 0 &&
	    __atomic_load_n(&l->removed, __ATOMIC_ACQUIRE))
		vu_dev_poke(r->q->dev->vu);
}

static void io_done(struct bdev_io *io, int status)
{
	struct scsi_req *r = container_of(io, struct scsi_req, io);
	struct scsi_cmd_out *o = &r->out;
	bool data = o->op == SCSI_IO_READ || o->op == SCSI_IO_WRITE;
	uint64_t buf = o->op == SCSI_IO_READ ? r->din_len : r->dout_len;

	if (!status && !data && r->ext_pos < o->next) {
		io_submit_next(r, false);
		return;
	}
	/* A failed read may have filled part of the buffers too. */
	if (o->op == SCSI_IO_READ)
		vdev_log_iov(&r->q->vdev, io->iov, io->iovcnt);
	if (status)
		log_debug("scsi %s: LUN %u: %s failed: %s", r->q->dev->id,
			  r->lun->props.lun, bdev_op_name(io->op),
			  strerror(-status));
	else
		count_io(r->q, r);
	scsi_cmd_io_result(o, status);
	lun_put(r);
	req_complete(r, VIRTIO_SCSI_S_OK,
		     !status && o->op == SCSI_IO_READ ? (uint32_t)o->xfer_bytes : 0,
		     data ? buf - (status ? 0 : o->xfer_bytes) : 0);
}

/* Runs the next piece: the transfer, the flush, or the next extent. */
static void io_submit_next(struct scsi_req *r, bool first)
{
	const struct scsi_cmd_out *o = &r->out;
	uint32_t bs = r->lun->props.block_size;
	struct bdev_io *io = &r->io;

	memset(io, 0, sizeof(*io));
	io->cb = io_done;
	switch (o->op) {
	case SCSI_IO_READ:
	case SCSI_IO_WRITE:
		io->op = o->op == SCSI_IO_READ ? BDEV_OP_READ : BDEV_OP_WRITE;
		io->fua = o->fua;
		io->offset = o->ext[0].lba * bs;
		io->len = o->xfer_bytes;
		io->iov = r->data;
		io->iovcnt = r->ndata;
		break;
	case SCSI_IO_FLUSH:
		io->op = BDEV_OP_FLUSH;
		break;
	case SCSI_IO_UNMAP:
	case SCSI_IO_WRITE_ZEROES:
		/* UNMAP promises zeroes on read (LBPRZ), so it is a zeroing
		 * that may deallocate: a punched hole on a file. */
		io->op = BDEV_OP_WRITE_ZEROES;
		io->may_unmap = o->op == SCSI_IO_UNMAP || o->may_unmap;
		io->offset = o->ext[r->ext_pos].lba * bs;
		io->len = (uint64_t)o->ext[r->ext_pos].nblocks * bs;
		r->ext_pos++;
		break;
	}
	if (first) {
		/* The command's first I/O is what QoS admits. */
		vdev_submit(&r->q->vdev, &r->vr, r->q->ch[r->lun->props.lun], io);
		return;
	}
	bdev_submit(r->q->ch[r->lun->props.lun], io);
}

static void start_io(struct scsi_req *r, struct iovec *in, unsigned int nin,
		     struct iovec *out, unsigned int nout)
{
	struct scsi_queue *q = r->q;

	if (unlikely(!q->ch[r->lun->props.lun])) {
		/* Added while this queue was starting: not open here. */
		req_complete(r, VIRTIO_SCSI_S_TARGET_FAILURE, 0, 0);
		return;
	}
	__atomic_fetch_add(&r->lun->inflight, 1, __ATOMIC_ACQUIRE);
	r->ext_pos = 0;
	if (r->out.op == SCSI_IO_READ || r->out.op == SCSI_IO_WRITE) {
		r->data = r->out.op == SCSI_IO_READ ? in : out;
		r->ndata = r->out.op == SCSI_IO_READ ? nin : nout;
		scsi_iov_trim(r->data, &r->ndata, r->out.xfer_bytes);
	}
	io_submit_next(r, true);
}

static unsigned int list_luns(struct scsi_dev *d, uint16_t *luns)
{
	unsigned int n = 0;

	for (int i = 0; i < SCSI_MAX_LUNS; i++)
		if (scsi_dev_lun(d, i))
			luns[n++] = (uint16_t)i;
	return n;
}

/* Decodes the CDB against its LUN and starts or answers it. */
static void run_cmd(struct scsi_req *r, const struct virtio_scsi_cmd_req *h,
		    struct iovec *in, unsigned int nin, struct iovec *out,
		    unsigned int nout)
{
	struct scsi_queue *q = r->q;
	uint16_t luns[SCSI_MAX_LUNS];
	struct scsi_cmd_in ci = {
		.cdb = h->cdb,
		.cdb_len = sizeof(h->cdb),
		.luns = luns,
		.din_len = r->din_len,
		.dout_len = r->dout_len,
		.param = q->param,
	};
	uint32_t written;

	ci.lun = r->lun ? &r->lun->props : NULL;
	if (h->cdb[0] == SCSI_REPORT_LUNS)
		ci.nluns = list_luns(q->dev, luns);
	if (scsi_cmd_wants_param(h->cdb[0]))
		ci.param_len = iov_gather(out, nout, q->param,
					       sizeof(q->param));
	r->out.din = q->din;
	scsi_cmd_exec(&ci, &r->out);
	if (r->out.kind == SCSI_CMD_IO) {
		start_io(r, in, nin, out, nout);
		return;
	}
	written = (uint32_t)shm_scatter(in, nin, q->din, r->out.din_len);
	vdev_log_iov(&q->vdev, in, nin);
	req_complete(r, VIRTIO_SCSI_S_OK, written, r->din_len - written);
}

static void handle_head(struct vdev_queue *vdev, uint16_t head)
{
	struct scsi_queue *q = scsi_queue_of(vdev);
	struct scsi_req *r = vdev_slot(vdev, head);
	struct virtq_chain c = { .iov = r->iov, .max_iov = SCSI_MAX_IOV };
	struct virtio_scsi_cmd_req h;
	struct iovec *in, *out;
	unsigned int nin, nout;
	bool bad_target = false, short_header;
	int n;

	if (unlikely(r->vr.busy)) {
		virtq_mark_broken(vdev->vq, "a descriptor head in flight was "
					    "made available twice");
		return;
	}
	virtq_map_chain(vdev->vq, head, &c);
	if (unlikely(c.error))
		return chain_reject(q, head, strerror(-c.error));
	out = c.iov;
	nout = c.n_out;
	in = c.iov + c.n_out;
	nin = c.n_in;
	n = scsi_iov_split(&in, &nin, sizeof(struct virtio_scsi_cmd_resp),
			   r->resp_iov, SCSI_RESP_MAX_IOV);
	if (unlikely(n < 0))
		return chain_reject(q, head, "no room for a response header");
	r->nresp_iov = (unsigned int)n;
	r->q = q;
	r->lun = NULL;
	short_header = iov_gather(out, nout, &h, sizeof(h)) < sizeof(h) ||
		       scsi_iov_split(&out, &nout, sizeof(h), NULL, 0) < 0;
	/* What the control queue matches a task by, before the slot shows
	 * busy (vdev_req_begin publishes it). */
	__atomic_store_n(&r->lun_no, short_header ? -1 :
			 scsi_lun_decode(h.lun, &bad_target), __ATOMIC_RELAXED);
	__atomic_store_n(&r->tag, short_header ? 0 : h.tag, __ATOMIC_RELAXED);
	vdev_req_begin(vdev, &r->vr, head);
	if (unlikely(short_header)) {
		req_complete(r, VIRTIO_SCSI_S_FAILURE, 0, 0);
		return;
	}
	r->din_len = iov_total(in, nin);
	r->dout_len = iov_total(out, nout);
	if (bad_target) {
		req_complete(r, VIRTIO_SCSI_S_BAD_TARGET, 0, r->din_len);
		return;
	}
	r->lun = scsi_dev_lun(q->dev, r->lun_no);
	run_cmd(r, &h, in, nin, out, nout);
}

static void close_channels(struct vdev_queue *vdev)
{
	struct scsi_queue *q = scsi_queue_of(vdev);

	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		if (!q->ch[i])
			continue;
		bdev_channel_close(q->ch[i]);
		q->ch[i] = NULL;
	}
}

/* On the reactor, before the queue polls: a channel per LUN. */
static int open_channels(struct vdev_queue *vdev)
{
	struct scsi_queue *q = scsi_queue_of(vdev);

	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		struct scsi_lun *l = q->dev->luns[i];
		int ret;

		if (!l || l->removed)
			continue;
		ret = bdev_channel_open(l->bdev, vdev->reactor, vdev->mem,
					&q->ch[i]);
		if (ret) {
			log_error("scsi %s: queue %u: cannot open LUN %u's "
				  "backend: %s", q->dev->id, q->idx, i,
				  strerror(-ret));
			close_channels(vdev);
			return ret;
		}
	}
	return 0;
}

const struct vdev_queue_ops scsi_req_ops = {
	.handle = handle_head,
	.attach = open_channels,
	.detach = close_channels,
};
