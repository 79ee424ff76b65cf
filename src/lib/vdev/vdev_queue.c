/* SPDX-License-Identifier: MIT */
#include "vdev/vdev_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/numa_alloc.h"
#include "util/clock.h"
#include "util/compiler.h"
#include "util/log.h"

/* The QoS scheduler admits a request it had parked. */
static void qos_dispatch(struct qos_entity *e, struct qos_req *qr, void *arg)
{
	struct vdev_req *r = container_of(qr, struct vdev_req, qos);

	bdev_submit(r->qos_ch, r->qos_io);
}

static int queue_poll(struct reactor_poller *p)
{
	struct vdev_queue *q = container_of(p, struct vdev_queue, poller);

	if (q->ops->poll)
		return q->ops->poll(q);
	return vdev_queue_poll_with(q, q->ops->handle);
}

void vdev_queue_flush(struct vdev_queue *q)
{
	int ret;

	if (!q->dirty)
		return;
	q->dirty = false;
	virtq_publish(q->vq);
	if (q->call_fd >= 0 && virtq_should_notify(q->vq) &&
	    (ret = vu_call(q->call_fd)))
		log_debug("%s: call eventfd: %s", q->who, strerror(-ret));
}

static void queue_flush(struct reactor_poller *p)
{
	vdev_queue_flush(container_of(p, struct vdev_queue, poller));
}

static bool queue_arm(struct reactor_poller *p)
{
	struct vdev_queue *q = container_of(p, struct vdev_queue, poller);

	if (q->stopping || q->vq->broken || guest_mem_broken(q->guest))
		return false;
	virtq_kicks_enable(q->vq);
	if (q->ops->pending && q->ops->pending(q))
		return true;
	return virtq_has_work(q->vq) &&
	       (!q->ops->wants_ring || q->ops->wants_ring(q));
}

static void queue_disarm(struct reactor_poller *p)
{
	struct vdev_queue *q = container_of(p, struct vdev_queue, poller);

	virtq_kicks_disable(q->vq);
}

/* On the reactor: nothing is in flight any more; detach and tell the
 * control thread. Never from inside a completion (see vdev_done_one). */
static void stop_finish(struct vdev_queue *q)
{
	vdev_queue_flush(q);
	reactor_remove_poller(q->reactor, &q->poller);
	if (q->sched && !q->qos_error)
		qos_entity_fini(&q->qos);
	if (q->ops->detach)
		q->ops->detach(q);
	/* The channels are closed: none uses the memory any more. */
	bdev_mem_destroy(q->mem);
	q->mem = NULL;
	q->stopping = false;
	q->finish_posted = false;
	__atomic_store_n(&q->attached, false, __ATOMIC_RELEASE);
	vu_dev_queue_stopped(q->vu, q->idx);
}

void vdev_stop_finish_deferred(void *arg)
{
	stop_finish(arg);
}
/* The memory table the queue starts with, for its backends' channels; a
 * table change stops and restarts the queue, so it is offered again. */
static struct bdev_mem *queue_mem(struct vdev_queue *q)
{
	struct iovec *ranges = calloc(GUEST_MEM_MAX_REGIONS, sizeof(*ranges));
	struct bdev_mem *m = NULL;

	if (ranges)
		m = bdev_mem_create(q->reactor, ranges,
				    guest_mem_host_ranges(q->vu->mem, ranges),
				    q->who);
	free(ranges);
	return m;
}

static void attach_on_reactor(void *arg)
{
	struct vdev_queue *q = arg;

	q->mem = q->want_fixed && q->vu->mem ? queue_mem(q) : NULL;
	if (q->ops->attach && q->ops->attach(q)) {
		bdev_mem_destroy(q->mem);
		q->mem = NULL;
		return;
	}
	if (q->sched) {
		char err[256];

		q->qos_error = qos_entity_init(&q->qos, vdev_qos_sched_raw(q->sched),
					       &q->contract->entity_lim,
					       q->contract->group, err,
					       sizeof(err));
		if (q->qos_error) {
			log_error("%s: QoS contract refused: %s", q->who, err);
			if (q->ops->detach)
				q->ops->detach(q);
			bdev_mem_destroy(q->mem);
			q->mem = NULL;
			return;
		}
	}
	reactor_add_poller(q->reactor, &q->poller);
	q->attached = true;
}

static void begin_stop_on_reactor(void *arg)
{
	struct vdev_queue *q = arg;

	q->stopping = true;
	if (q->ops->stopping)
		q->ops->stopping(q);
	if (q->inflight == 0 && !q->finish_posted)
		stop_finish(q);
}

/* One slot per descriptor head, on the reactor's node (hugepages when
 * there are some free: numa_alloc.h). */
static int ensure_slots(struct vdev_queue *q, unsigned int size)
{
	uint8_t **retired;
	uint8_t *slots;

	if (size <= q->cap) {
		__atomic_store_n(&q->nslots, size, __ATOMIC_RELEASE);
		return 0;
	}
	slots = numa_pool_calloc(size, q->slot_size,
				 numa_node_of_reactor(q->reactor));
	retired = realloc(q->retired, (q->nretired + 1) * sizeof(*retired));
	if (!slots || !retired) {
		numa_pool_free(slots);
		if (retired)
			q->retired = retired;
		return -ENOMEM;
	}
	q->retired = retired;
	if (q->slots)
		q->retired[q->nretired++] = q->slots;
	__atomic_store_n(&q->slots, slots, __ATOMIC_RELEASE);
	__atomic_store_n(&q->nslots, size, __ATOMIC_RELEASE);
	q->cap = size;
	return 0;
}

int vdev_queue_start(struct vdev_queue *q, struct vu_dev *vu, unsigned int idx,
		     const struct vdev_queue_config *cfg)
{
	struct vu_vring *v = &vu->vrings[idx];

	q->ops = cfg->ops;
	q->priv = cfg->priv;
	q->vu = vu;
	q->vq = &v->vq;
	q->guest = vu->mem;
	q->idx = idx;
	q->reactor = cfg->reactor;
	q->call_fd = v->call_fd;
	q->budget = cfg->budget ? cfg->budget : 64;
	q->want_fixed = cfg->fixed_buffers;
	snprintf(q->who, sizeof(q->who), "%s", cfg->who);
	if (cfg->slot_size) {
		if (q->slot_size && q->slot_size != cfg->slot_size)
			return -EINVAL; /* a model never changes its slots */
		q->slot_size = cfg->slot_size;
		if (ensure_slots(q, v->vq.size))
			return -ENOMEM;
		for (unsigned int i = 0; i < q->cap; i++)
			((struct vdev_req *)vdev_slot(q, (uint16_t)i))->busy = false;
	}
	q->inflight = 0;
	q->dirty = false;
	q->stopping = false;
	q->finish_posted = false;
	q->poller = (struct reactor_poller){
		.poll = queue_poll,
		.flush = queue_flush,
		.arm = queue_arm,
		.disarm = queue_disarm,
		.wake_fd = v->kick_fd,
		.must_poll = v->kick_fd < 0,
	};
	virtq_kicks_disable(q->vq);
	q->contract = cfg->qos;
	q->sched = NULL;
	q->qos_error = 0;
	if (cfg->qos) {
		q->sched = vdev_qos_sched_get(cfg->qos->dom, q->reactor,
					      cfg->qos_dev_id, qos_dispatch);
		if (!q->sched)
			return -ENOMEM;
	}
	reactor_call(q->reactor, attach_on_reactor, q);
	if (!q->attached) {
		vdev_queue_stopped(q);
		return -EIO;
	}
	log_info("%s started on reactor %u (size %u)", q->who,
		 reactor_id(q->reactor), v->vq.size);
	return 0;
}

int vdev_queue_stop(struct vdev_queue *q)
{
	if (!q->attached)
		return 0;
	/* Requests in flight finish first: their buffers are guest memory
	 * that may be unmapped once the stop is reported. */
	if (reactor_post(q->reactor, begin_stop_on_reactor, q)) {
		/* Cannot reach the reactor (out of memory): report the
		 * stop as never done rather than unmap under it. */
		log_error("%s: cannot ask the reactor to stop it", q->who);
	}
	return -EINPROGRESS;
}

void vdev_queue_stopped(struct vdev_queue *q)
{
	if (q->sched)
		vdev_qos_sched_put(q->sched);
	q->sched = NULL;
}

struct qos_set_ctx {
	struct vdev_queue *q;
	const struct qos_limits *lim;
	char *err;
	size_t errlen;
	int ret;
};

static void entity_set_on_reactor(void *arg)
{
	struct qos_set_ctx *c = arg;

	c->ret = qos_entity_set(&c->q->qos, c->lim, c->err, c->errlen);
}

int vdev_queue_qos_set(struct vdev_queue *q, const struct qos_limits *ent,
		       char *err, size_t errlen)
{
	struct qos_set_ctx c = { q, ent, err, errlen, 0 };

	if (!q->sched || !q->attached || q->qos_error)
		return 0;
	reactor_call(q->reactor, entity_set_on_reactor, &c);
	return c.ret;
}

void vdev_queue_qos_stats(const struct vdev_queue *q, struct qos_stats *sum)
{
	struct qos_stats s;

	if (!q->sched)
		return;
	/* Racy read from another thread: counters for reporting. */
	qos_entity_stats(&q->qos, &s);
	sum->ops += s.ops;
	sum->bytes += s.bytes;
	sum->reserved_ops += s.reserved_ops;
	sum->parked_total += s.parked_total;
	sum->parked += s.parked;
	sum->inflight += s.inflight;
	if (s.p99_ns > sum->p99_ns)
		sum->p99_ns = s.p99_ns;
	sum->windows += s.windows;
	sum->windows_missed += s.windows_missed;
	/* queues on several reactors: the shallowest backend queue */
	if (!sum->depth || s.depth < sum->depth)
		sum->depth = s.depth;
}

int vdev_qos_set(struct vdev_qos_contract *c, const char *kind, const char *id,
		 vdev_queue_at_fn at, const void *dev,
		 const struct qos_limits *lim, char *err, size_t errlen)
{
	struct vdev_queue *q;
	struct qos_limits ent;
	int ret;

	if (!c) {
		snprintf(err, errlen, "QoS is off in this vmiod; start it with "
			 "--qos (or any QoS option) to change contracts at run time");
		return -ENOTSUP;
	}
	ret = vdev_qos_contract_prepare(c, kind, id, lim, &ent, err, errlen);
	for (unsigned int i = 0; !ret && (q = at(dev, i)); i++)
		ret = vdev_queue_qos_set(q, &ent, err, errlen);
	if (!ret)
		vdev_qos_contract_commit(c, lim, &ent);
	return ret;
}

bool vdev_qos_get(const struct vdev_qos_contract *c, struct qos_limits *out)
{
	if (!c)
		return false;
	*out = c->lim;
	return true;
}

void vdev_qos_stats(vdev_queue_at_fn at, const void *dev, struct qos_stats *out)
{
	const struct vdev_queue *q;

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; (q = at(dev, i)); i++)
		vdev_queue_qos_stats(q, out);
}

void vdev_queue_free(struct vdev_queue *q)
{
	numa_pool_free(q->slots);
	for (unsigned int i = 0; i < q->nretired; i++)
		numa_pool_free(q->retired[i]);
	free(q->retired);
	q->slots = NULL;
	q->retired = NULL;
	q->nslots = q->cap = q->nretired = 0;
}

void vdev_queue_stats_add(const struct vdev_queue *q,
			  struct vdev_queue_stats *sum)
{
	const struct vdev_queue_stats *s = &q->stats;

	sum->lat_ns_sum += __atomic_load_n(&s->lat_ns_sum, __ATOMIC_RELAXED);
	sum->bad_chains += __atomic_load_n(&s->bad_chains, __ATOMIC_RELAXED);
	for (int b = 0; b <= VDEV_LAT_BUCKETS; b++)
		sum->lat_hist[b] += __atomic_load_n(&s->lat_hist[b],
						    __ATOMIC_RELAXED);
}

unsigned int vdev_queue_inflight(const struct vdev_queue *q)
{
	return __atomic_load_n(&q->inflight, __ATOMIC_RELAXED);
}
