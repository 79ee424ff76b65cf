/* SPDX-License-Identifier: MIT */
/*
 * A virtio queue served by a reactor, whatever the device. vdev owns what
 * every virtio device model would otherwise write again: the request
 * slots (one per descriptor head, on the reactor's NUMA node), the
 * budgeted poll loop, publishing the used ring and interrupting the
 * driver once per reactor pass, asking for kicks before the reactor
 * sleeps, offering guest memory to the backends (bdev_mem), the
 * count of requests in flight and their latency, and the stop protocol: a
 * queue stops only once nothing it started is in flight, because those
 * requests' buffers are guest memory that may be unmapped next.
 *
 * A device model (virtio-blk, virtio-scsi) supplies what a request means:
 * ops->handle() gets each head the driver made available, and the model
 * completes it with vdev_req_complete() or vdev_push(), from any depth of
 * the reactor's call stack.
 *
 * Threads: vdev_queue_start/stop on the control thread; everything else on
 * the queue's reactor.
 */
#ifndef VMIO_VDEV_VDEV_QUEUE_H
#define VMIO_VDEV_VDEV_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdev/bdev.h"
#include "engine/reactor.h"
#include "qos/qos.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "vdev/vdev_qos.h"
#include "vhost/dirty_log.h"
#include "vhost/vu_dev.h"

struct vdev_queue;

/* The start of every request slot a device model declares. */
struct vdev_req {
	uint64_t start_ns;
	uint16_t head;
	bool busy;         /* atomic: other threads may scan the slots */
	bool via_qos;      /* admitted through the QoS scheduler */
	struct qos_req qos;
	struct bdev_channel *qos_ch; /* where it goes once admitted */
	struct bdev_io *qos_io;
};

struct vdev_queue_ops {
	/* Serves one head the driver made available. */
	void (*handle)(struct vdev_queue *q, uint16_t head);
	/* Optional: the model's own pass over the ring, for a hot data path:
	 * vdev_queue_poll_with(q, its handler) inlines the handler into the
	 * loop, where going through handle costs a call per request. */
	int (*poll)(struct vdev_queue *q);
	/* Optional, on the reactor: before the queue first polls (open
	 * backend channels, say; nonzero refuses the start) and after its
	 * last request completed. */
	int (*attach)(struct vdev_queue *q);
	void (*detach)(struct vdev_queue *q);
	/* Optional: whether buffers in the ring are work now (the virtio-scsi
	 * event queue keeps them until it has an event). Default: yes. */
	bool (*wants_ring)(struct vdev_queue *q);
	/* Optional: work waiting outside the ring (task management waiting
	 * for commands to drain), done first in every pass; returns how much
	 * was done. pending says whether any waits (then the reactor does
	 * not sleep). */
	int (*service)(struct vdev_queue *q);
	bool (*pending)(struct vdev_queue *q);
	/* Optional, on the reactor: the queue begins to stop; answer what
	 * waits outside the ring. */
	void (*stopping)(struct vdev_queue *q);
};

struct vdev_queue_config {
	const struct vdev_queue_ops *ops;
	void *priv;              /* the device model's */
	struct reactor *reactor;
	size_t slot_size;        /* bytes per request slot; 0: none */
	unsigned int budget;     /* heads served per pass, so one queue
				  * cannot starve the others on a reactor */
	bool fixed_buffers;      /* offer guest memory to its backends */
	const char *who;         /* for logs: "disk d0 queue 1" */
	/* QoS: the device's contract (NULL: not scheduled) and the physical
	 * device its I/O lands on (whose scheduler it joins). */
	const struct vdev_qos_contract *qos;
	uint64_t qos_dev_id;
};

/* Latency buckets: upper bounds 2^(k+3) µs, k = 0..VDEV_LAT_BUCKETS-1
 * (8 µs .. 262 ms), then everything slower. */
#define VDEV_LAT_BUCKETS 16

struct vdev_queue_stats {
	uint64_t lat_ns_sum;   /* of requests through vdev_req_complete */
	uint64_t lat_hist[VDEV_LAT_BUCKETS + 1];
	uint64_t bad_chains;   /* handed back unread (vdev_reject) */
};

struct vdev_queue {
	struct reactor_poller poller;
	const struct vdev_queue_ops *ops;
	void *priv;
	struct vu_dev *vu;
	struct virtq *vq;
	const struct guest_mem *guest; /* vu's: broken once truncated */
	struct reactor *reactor;
	unsigned int idx;        /* its vring */
	int call_fd;
	unsigned int budget;
	char who[64];
	bool attached;           /* its poller runs on the reactor */
	bool dirty;              /* used entries not yet published */
	bool stopping;
	bool finish_posted;      /* the last completion scheduled the stop */
	bool want_fixed;
	unsigned int inflight;   /* started and not completed */
	/* Guest memory offered to the backends' channels (bdev_mem), or
	 * NULL; model's channels open with it. */
	struct bdev_mem *mem;

	/* QoS: this queue's entity in its reactor's scheduler. */
	const struct vdev_qos_contract *contract;
	struct vdev_qos_sched *sched; /* NULL: not scheduled */
	struct qos_entity qos;
	int qos_error;           /* the entity could not attach */

	/* Slots only grow, and a smaller array is kept until the queue is
	 * freed: another thread may be scanning the one it loaded. */
	uint8_t *slots;
	size_t slot_size;
	unsigned int nslots, cap;
	uint8_t **retired;
	unsigned int nretired;

	struct vdev_queue_stats stats;
};

/* Starts serving vring idx of vu (mapped and ready) on cfg->reactor.
 * 0, or -errno (-ENOMEM, -EIO when ops->attach refused) with q stopped. */
int vdev_queue_start(struct vdev_queue *q, struct vu_dev *vu, unsigned int idx,
		     const struct vdev_queue_config *cfg);
/* Begins to stop it: new heads are no longer served; once what is in
 * flight has completed, the used ring is published, ops->detach runs and
 * the reactor reports vu_dev_queue_stopped. Returns -EINPROGRESS, or 0
 * for a queue that is not running. */
int vdev_queue_stop(struct vdev_queue *q);
/* On the control thread once the stop was reported (what a start took
 * that the reactor does not own: its QoS scheduler). */
void vdev_queue_stopped(struct vdev_queue *q);
/* Frees the slots (the queue is stopped). */
void vdev_queue_free(struct vdev_queue *q);
/* A running queue's entity takes new limits (control thread). */
int vdev_queue_qos_set(struct vdev_queue *q, const struct qos_limits *ent,
		       char *err, size_t errlen);
/* Adds the queue's QoS counters to sum (from another thread). */
void vdev_queue_qos_stats(const struct vdev_queue *q, struct qos_stats *sum);

/* A device model's request queues for the calls below: the i-th, or NULL
 * past the last. */
typedef struct vdev_queue *(*vdev_queue_at_fn)(const void *dev, unsigned int i);

/* A device's QoS at run time ("disk" or "scsi" kind, for messages): new
 * limits for its contract, split over its request queues; without a
 * contract (c NULL: QoS off) a sentence saying how to turn it on. */
int vdev_qos_set(struct vdev_qos_contract *c, const char *kind, const char *id,
		 vdev_queue_at_fn at, const void *dev,
		 const struct qos_limits *lim, char *err, size_t errlen);
bool vdev_qos_get(const struct vdev_qos_contract *c, struct qos_limits *out);
/* The counters of all its queues (from another thread). */
void vdev_qos_stats(vdev_queue_at_fn at, const void *dev, struct qos_stats *out);

/* The slot of head (below the ring size). */
static inline void *vdev_slot(const struct vdev_queue *q, uint16_t head)
{
	return q->slots + (size_t)head * q->slot_size;
}

/* The slots and how many there are, as another thread may see them. */
static inline void *vdev_slots_load(const struct vdev_queue *q,
				    unsigned int *n)
{
	*n = __atomic_load_n(&q->nslots, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&q->slots, __ATOMIC_ACQUIRE);
}

/* Finishes a stop once the last request is done (vdev_queue.c). */
void vdev_stop_finish_deferred(void *arg);

static inline void vdev_done_one(struct vdev_queue *q)
{
	q->inflight--;
	if (unlikely(q->stopping) && q->inflight == 0 && !q->finish_posted) {
		/* Not from here: a completion may run deep inside a backend's
		 * poller, which detaching would free under its feet. */
		q->finish_posted = true;
		reactor_post(q->reactor, vdev_stop_finish_deferred, q);
	}
}

/* Live migration: the driver's buffers a request wrote into (data,
 * status, response) go into the dirty log once written, before the
 * request is handed back. One load and a branch while logging is off. */
static inline void vdev_log_iov(const struct vdev_queue *q,
				const struct iovec *iov, unsigned int n)
{
	if (guest_mem_logging(q->guest))
		dirty_log_iov(q->guest, iov, n);
}

static inline void vdev_log_write(const struct vdev_queue *q, const void *p,
				  size_t len)
{
	if (guest_mem_logging(q->guest))
		dirty_log_write(q->guest, p, len);
}

/* Hands head back; for queues that keep their own books (control). */
static inline void vdev_push(struct vdev_queue *q, uint16_t head,
			     uint32_t used_len)
{
	virtq_push(q->vq, head, used_len);
	q->dirty = true;
}

/* Hands head back without a request (a chain that cannot be read). */
static inline void vdev_reject(struct vdev_queue *q, uint16_t head,
			       uint32_t used_len)
{
	vdev_push(q, head, used_len);
	q->stats.bad_chains++;
}

/* Work in flight that is not a request slot (a TMF waiting). */
static inline void vdev_hold(struct vdev_queue *q)
{
	q->inflight++;
}

static inline void vdev_release(struct vdev_queue *q)
{
	vdev_done_one(q);
}

/* A request starts on head: busy, timed, counted in flight. */
static inline void vdev_req_begin(struct vdev_queue *q, struct vdev_req *r,
				  uint16_t head)
{
	r->head = head;
	r->via_qos = false;
	r->start_ns = clock_now_ns();
	__atomic_store_n(&r->busy, true, __ATOMIC_RELEASE);
	q->inflight++;
}

/* It is done: used_len bytes written into the driver's buffers (status
 * included). The used entry is published at the end of the pass. */
static inline void vdev_req_complete(struct vdev_queue *q, struct vdev_req *r,
				     uint32_t used_len)
{
	uint64_t now = clock_now_ns(), us = (now - r->start_ns) / 1000;
	unsigned int b = us < 8 ? 0 : 61u - (unsigned int)__builtin_clzll(us);

	if (unlikely(r->via_qos)) {
		qos_complete(&q->qos, &r->qos, now);
		r->via_qos = false;
	}
	vdev_push(q, r->head, used_len);
	__atomic_store_n(&r->busy, false, __ATOMIC_RELEASE);
	q->stats.lat_ns_sum += us * 1000;
	q->stats.lat_hist[b < VDEV_LAT_BUCKETS ? b : VDEV_LAT_BUCKETS]++;
	vdev_done_one(q);
}

/* Sends a request's I/O to the backend, through the QoS scheduler when
 * the queue is under QoS (which may park it until its turn). Its
 * completion must reach vdev_req_complete. */
static inline void vdev_submit(struct vdev_queue *q, struct vdev_req *r,
			       struct bdev_channel *ch, struct bdev_io *io)
{
	if (q->sched) {
		bool data = io->op == BDEV_OP_READ || io->op == BDEV_OP_WRITE;

		r->qos.op = io->op == BDEV_OP_READ ? QOS_READ :
			    io->op == BDEV_OP_WRITE ? QOS_WRITE :
			    io->op == BDEV_OP_FLUSH ? QOS_FLUSH : QOS_DISCARD;
		r->qos.bytes = data ? io->len : 0;
		r->qos_ch = ch;
		r->qos_io = io;
		r->via_qos = true;
		if (qos_submit(&q->qos, &r->qos, clock_now_ns()) == QOS_PARKED)
			return;
	}
	bdev_submit(ch, io);
}

/* One pass over the ring: up to q->budget heads, each given to handle. */
static inline int vdev_queue_poll_with(struct vdev_queue *q,
				       void (*handle)(struct vdev_queue *,
						      uint16_t))
{
	const struct vdev_queue_ops *ops = q->ops;
	int n = 0;

	/* Guest memory the front-end truncated is zero pages now: no new
	 * request is read from it (the control thread drops the front-end). */
	if (unlikely(q->stopping) || unlikely(guest_mem_broken(q->guest)))
		return 0;
	if (unlikely(ops->service != NULL))
		n = ops->service(q);
	while (n < (int)q->budget) {
		uint16_t head;

		if (unlikely(ops->wants_ring != NULL) && !ops->wants_ring(q))
			break;
		if (virtq_next_head(q->vq, &head) <= 0)
			break;
		handle(q, head);
		n++;
	}
	return n;
}

/* Publishes completions and interrupts the driver if it asked to be:
 * the reactor does it after every pass; call it after work done outside
 * a pass (an event posted from a message). */
void vdev_queue_flush(struct vdev_queue *q);

/* Sums of counters, read from another thread for reporting. */
void vdev_queue_stats_add(const struct vdev_queue *q,
			  struct vdev_queue_stats *sum);
unsigned int vdev_queue_inflight(const struct vdev_queue *q);

#endif
