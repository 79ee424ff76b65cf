/* SPDX-License-Identifier: MIT */
/* Shared by the device (scsi_dev.c), the queue machinery and request path
 * (scsi_queue.c), the control queue (scsi_ctrl.c) and the event queue
 * (scsi_event.c). */
#ifndef VMIO_SCSI_SCSI_INTERNAL_H
#define VMIO_SCSI_SCSI_INTERNAL_H

#include <linux/virtio_scsi.h>

#include "scsi/scsi_dev.h"
#include "util/compiler.h"
#include "util/iov.h"
#include "vdev/vdev_queue.h"

/* Vring roles. */
#define SCSI_VQ_CTRL 0
#define SCSI_VQ_EVENT 1
#define SCSI_VQ_REQ0 2

/* iovecs a request slot holds: headers plus room for buffers that
 * straddle guest memory regions (the guest's seg_max is its ring size). */
#define SCSI_MAX_IOV 264
/* The response header may be split over at most this many buffers. */
#define SCSI_RESP_MAX_IOV 8
/* Task management functions waiting for commands to drain. */
#define SCSI_TMF_MAX 16
/* Events waiting for the guest to give us a buffer. */
#define SCSI_EVENT_MAX 16

struct scsi_queue;

struct scsi_lun {
	struct bdev *bdev;
	struct scsi_lun_props props;
	char name[64];
	unsigned int inflight;   /* atomic: commands running on any queue */
	bool removed;            /* atomic: refuse new commands */
};

struct scsi_req {
	struct vdev_req vr;      /* first: the slot vdev hands us; its busy
				  * is read by the control queue */
	struct scsi_queue *q;
	struct scsi_lun *lun;
	struct scsi_cmd_out out;
	struct iovec resp_iov[SCSI_RESP_MAX_IOV];
	unsigned int nresp_iov;
	struct iovec *data;      /* data-in or data-out, trimmed in place */
	unsigned int ndata;
	uint64_t din_len, dout_len;
	uint64_t tag;            /* atomic: read by the control queue */
	int lun_no;              /* atomic, ditto */
	unsigned int ext_pos;    /* UNMAP / WRITE SAME: next extent */
	struct iovec iov[SCSI_MAX_IOV];
	/* Last: the backend's context follows it in the slot, room for any
	 * backend's, since LUNs come and go while the slots stay. */
	struct bdev_io io;
};

#define SCSI_REQ_SLOT_SIZE \
	bdev_io_slot_size(offsetof(struct scsi_req, io), BDEV_IO_CTX_MAX)

struct scsi_tmf {
	uint16_t head;
	uint8_t *resp;           /* the response byte */
	uint32_t subtype;
	int lun_no;
	uint64_t tag;
};

struct scsi_event_msg {
	uint32_t event;
	uint32_t reason;
	uint16_t lun;
};

/* A virtio-scsi vring (control, event or request queue): the machinery
 * is vdev's; this is what each role adds to it. */
struct scsi_queue {
	struct vdev_queue vdev;    /* first */
	struct scsi_dev *dev;
	unsigned int idx;

	/* Request queues. */
	struct bdev_channel *ch[SCSI_MAX_LUNS];
	uint8_t din[SCSI_DIN_MAX];
	uint8_t param[SCSI_PARAM_MAX];

	/* Control queue. */
	struct scsi_tmf tmf[SCSI_TMF_MAX];
	unsigned int ntmf;

	/* Event queue. */
	struct scsi_event_msg events[SCSI_EVENT_MAX];
	unsigned int nevents;
	bool events_missed;

	struct scsi_dev_stats stats;
};

struct scsi_dev {
	struct vu_dev *vu;
	char *id;
	struct scsi_lun *luns[SCSI_MAX_LUNS]; /* atomic pointers */
	struct scsi_queue *queues;            /* one per vring */
	unsigned int nqueues;
	struct reactor **reactors;
	unsigned int nreactors;
	unsigned int first_reactor;
	bool has_qos;
	struct vdev_qos_contract qos;
	uint64_t qos_dev_id;                  /* the device it is scheduled on */
	void (*lun_gone)(void *arg, uint16_t lun);
	void *lun_gone_arg;
};

static inline struct scsi_lun *scsi_dev_lun(struct scsi_dev *d, int n)
{
	struct scsi_lun *l;

	if (n < 0 || n >= SCSI_MAX_LUNS)
		return NULL;
	l = __atomic_load_n(&d->luns[n], __ATOMIC_ACQUIRE);
	if (l && __atomic_load_n(&l->removed, __ATOMIC_ACQUIRE))
		return NULL;
	return l;
}

/* Builds a LUN around its bdev, which it owns only once published. */
int scsi_lun_create(const struct scsi_dev *d, const struct scsi_lun_opts *o,
		    struct scsi_lun **out);

/* Queue lifecycle (scsi_queue.c). */
int scsi_queue_start(struct scsi_dev *d, unsigned int idx);
int scsi_queue_stop(struct scsi_dev *d, unsigned int idx);
struct reactor *scsi_queue_reactor(const struct scsi_dev *d, unsigned int idx);

static inline struct scsi_queue *scsi_queue_of(struct vdev_queue *v)
{
	return container_of(v, struct scsi_queue, vdev);
}

/* What each role does with a head (scsi_req.c, scsi_ctrl.c,
 * scsi_event.c) and its other hooks. */
extern const struct vdev_queue_ops scsi_req_ops, scsi_ctrl_ops, scsi_event_ops;

/* Event queue (scsi_event.c). */
/* From the control thread: queue an event for the guest. */
void scsi_event_post(struct scsi_dev *d, uint32_t event, uint32_t reason,
		     uint16_t lun);

/* Small iovec helpers (scsi_iov.c). */
/* Copies the iovecs covering the first len bytes into head[] (at most
 * max; head NULL: just skip them), then advances *iov and *n past them.
 * Returns how many head[] got, or -1 if len bytes are not there or need
 * more than max pieces. */
int scsi_iov_split(struct iovec **iov, unsigned int *n, size_t len,
		   struct iovec *head, unsigned int max);
/* Cuts iov[0..*n) down to its first len bytes. */
void scsi_iov_trim(struct iovec *iov, unsigned int *n, uint64_t len);

/* Fills in a LUN address as virtio-scsi carries it. */
void scsi_lun_encode(uint16_t lun, uint8_t out[8]);

#endif
