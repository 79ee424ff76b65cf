/* SPDX-License-Identifier: MIT */
/*
 * The control queue: task management and asynchronous-notification
 * queries. Commands already handed to the backend cannot be pulled back
 * out of io_uring, so an abort or a reset is answered once the commands it
 * covers have completed: the guest sees them finish (or fail) first, and
 * then its TMF succeed, which is the order SAM requires.
 */
#include <errno.h>
#include <string.h>

#include "scsi/scsi_internal.h"
#include "util/compiler.h"
#include "util/log.h"

/* Is a command with this tag running on any request queue? Reads other
 * reactors' slots: each is published with a release store of busy. */
static bool tag_in_flight(struct scsi_dev *d, int lun, uint64_t tag)
{
	for (unsigned int qi = SCSI_VQ_REQ0; qi < d->nqueues; qi++) {
		unsigned int n;
		uint8_t *slots = vdev_slots_load(&d->queues[qi].vdev, &n);

		for (unsigned int i = 0; slots && i < n; i++) {
			struct scsi_req *r = (struct scsi_req *)
				(slots + (size_t)i * SCSI_REQ_SLOT_SIZE);

			if (__atomic_load_n(&r->vr.busy, __ATOMIC_ACQUIRE) &&
			    __atomic_load_n(&r->tag, __ATOMIC_RELAXED) == tag &&
			    __atomic_load_n(&r->lun_no, __ATOMIC_RELAXED) == lun)
				return true;
		}
	}
	return false;
}

static bool lun_busy(struct scsi_dev *d, int n)
{
	struct scsi_lun *l = n >= 0 && n < SCSI_MAX_LUNS ?
		__atomic_load_n(&d->luns[n], __ATOMIC_ACQUIRE) : NULL;

	return l && __atomic_load_n(&l->inflight, __ATOMIC_ACQUIRE);
}

static bool any_lun_busy(struct scsi_dev *d)
{
	for (int i = 0; i < SCSI_MAX_LUNS; i++)
		if (lun_busy(d, i))
			return true;
	return false;
}

/* The TMF's answer, or -1 while the commands it covers still run. */
static int tmf_answer(struct scsi_dev *d, const struct scsi_tmf *t)
{
	switch (t->subtype) {
	case VIRTIO_SCSI_T_TMF_ABORT_TASK:
		return tag_in_flight(d, t->lun_no, t->tag) ? -1 : VIRTIO_SCSI_S_OK;
	case VIRTIO_SCSI_T_TMF_ABORT_TASK_SET:
	case VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET:
	case VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET:
		return lun_busy(d, t->lun_no) ? -1 : VIRTIO_SCSI_S_OK;
	case VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET:
		return any_lun_busy(d) ? -1 : VIRTIO_SCSI_S_OK;
	case VIRTIO_SCSI_T_TMF_QUERY_TASK:
		return tag_in_flight(d, t->lun_no, t->tag) ?
			VIRTIO_SCSI_S_FUNCTION_SUCCEEDED : VIRTIO_SCSI_S_OK;
	case VIRTIO_SCSI_T_TMF_QUERY_TASK_SET:
		return lun_busy(d, t->lun_no) ?
			VIRTIO_SCSI_S_FUNCTION_SUCCEEDED : VIRTIO_SCSI_S_OK;
	default: /* CLEAR ACA: we never establish ACA */
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
}

static void answer(struct scsi_queue *q, uint16_t head, uint8_t *resp,
		   uint8_t response)
{
	SHM_STORE(resp, response);
	vdev_log_write(&q->vdev, resp, 1);
	vdev_push(&q->vdev, head, 1);
}

static bool tmf_pending(struct vdev_queue *vdev)
{
	return scsi_queue_of(vdev)->ntmf > 0;
}

/* Answers the task management functions whose commands have drained (all
 * of them, as failed, when the queue is stopping). Returns how many. */
static int tmf_recheck(struct vdev_queue *vdev)
{
	struct scsi_queue *q = scsi_queue_of(vdev);
	unsigned int kept = 0;
	int done = 0;

	for (unsigned int i = 0; i < q->ntmf; i++) {
		struct scsi_tmf *t = &q->tmf[i];
		int a = tmf_answer(q->dev, t);

		if (a < 0 && vdev->stopping)
			a = VIRTIO_SCSI_S_FAILURE;
		if (a < 0) {
			q->tmf[kept++] = *t;
			continue;
		}
		answer(q, t->head, t->resp, (uint8_t)a);
		vdev_release(vdev);
		done++;
	}
	q->ntmf = kept;
	return done;
}

/* The first device-writable byte: where a one-byte response goes. */
static uint8_t *first_writable(struct iovec *in, unsigned int nin)
{
	for (unsigned int i = 0; i < nin; i++)
		if (in[i].iov_len)
			return in[i].iov_base;
	return NULL;
}

static void handle_tmf(struct scsi_queue *q, uint16_t head,
		       const struct virtio_scsi_ctrl_tmf_req *req, uint8_t *resp)
{
	struct scsi_tmf t = { .head = head, .resp = resp,
			      .subtype = req->subtype, .tag = req->tag };
	bool bad_target;
	int a;

	q->stats.tmfs++;
	t.lun_no = scsi_lun_decode(req->lun, &bad_target);
	if (bad_target)
		return answer(q, head, resp, VIRTIO_SCSI_S_BAD_TARGET);
	if (t.subtype != VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET &&
	    !scsi_dev_lun(q->dev, t.lun_no))
		return answer(q, head, resp, VIRTIO_SCSI_S_INCORRECT_LUN);
	log_info("scsi %s: task management %u on LUN %d (tag %llu)",
		 q->dev->id, t.subtype, t.lun_no, (unsigned long long)t.tag);
	a = tmf_answer(q->dev, &t);
	if (a >= 0)
		return answer(q, head, resp, (uint8_t)a);
	if (q->ntmf == SCSI_TMF_MAX)
		return answer(q, head, resp, VIRTIO_SCSI_S_BUSY);
	q->tmf[q->ntmf++] = t;
	vdev_hold(&q->vdev);
}

static void handle_an(struct scsi_queue *q, uint16_t head,
		      const struct virtio_scsi_ctrl_an_req *req,
		      struct iovec *in, unsigned int nin)
{
	struct virtio_scsi_ctrl_an_resp resp = { 0 };
	bool bad_target;
	size_t n;

	/* We raise no asynchronous notifications: none are granted. */
	scsi_lun_decode(req->lun, &bad_target);
	resp.response = bad_target ? VIRTIO_SCSI_S_BAD_TARGET : VIRTIO_SCSI_S_OK;
	n = shm_scatter(in, nin, &resp, sizeof(resp));
	vdev_log_iov(&q->vdev, in, nin);
	vdev_push(&q->vdev, head, (uint32_t)n);
}

static void handle_head(struct vdev_queue *vdev, uint16_t head)
{
	struct scsi_queue *q = scsi_queue_of(vdev);
	struct iovec iov[SCSI_MAX_IOV];
	struct virtq_chain c = { .iov = iov, .max_iov = SCSI_MAX_IOV };
	union {
		uint32_t type;
		struct virtio_scsi_ctrl_tmf_req tmf;
		struct virtio_scsi_ctrl_an_req an;
	} req;
	struct iovec *in;
	uint8_t *resp;
	size_t got;

	virtq_map_chain(vdev->vq, head, &c);
	in = c.iov + c.n_out;
	resp = c.error ? NULL : first_writable(in, c.n_in);
	memset(&req, 0, sizeof(req));
	got = c.error ? 0 : iov_gather(c.iov, c.n_out, &req, sizeof(req));
	if (unlikely(!resp || got < sizeof(req.type)))
		goto bad;
	switch (req.type) {
	case VIRTIO_SCSI_T_TMF:
		if (got < sizeof(req.tmf))
			goto bad;
		return handle_tmf(q, head, &req.tmf, resp);
	case VIRTIO_SCSI_T_AN_QUERY:
	case VIRTIO_SCSI_T_AN_SUBSCRIBE:
		if (got < sizeof(req.an))
			goto bad;
		return handle_an(q, head, &req.an, in, c.n_in);
	}
bad:
	log_debug("scsi %s: control queue: unusable request at head %u",
		  q->dev->id, head);
	q->stats.bad_requests++;
	vdev_reject(vdev, head, 0);
}

static void tmf_fail_all(struct vdev_queue *vdev)
{
	tmf_recheck(vdev);
}

static int tmf_service(struct vdev_queue *vdev)
{
	return scsi_queue_of(vdev)->ntmf ? tmf_recheck(vdev) : 0;
}

const struct vdev_queue_ops scsi_ctrl_ops = {
	.handle = handle_head,
	.service = tmf_service,
	.pending = tmf_pending,
	.stopping = tmf_fail_all,
};
