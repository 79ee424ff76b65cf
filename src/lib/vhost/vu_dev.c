/* SPDX-License-Identifier: MIT */
/* vhost-user device lifecycle: socket, connection, vring start/stop. The
 * per-message handlers live in vu_msg.c. */
#include "vhost/vu_dev.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "util/clock.h"
#include "util/log.h"
#include "vhost/dirty_log.h"
#include "vhost/mem_guard.h"
#include "vhost/shm.h"
#include "vhost/vu_internal.h"
#include "vhost/vu_socket.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void vring_reset(struct vu_vring *v)
{
	close_fd(&v->kick_fd);
	close_fd(&v->call_fd);
	close_fd(&v->err_fd);
	virtq_release(&v->vq);
	memset(v, 0, sizeof(*v));
	v->kick_fd = v->call_fd = v->err_fd = -1;
	v->base_pending = true;
}

int vu_dev_create(struct vu_dev **out, const char *name,
		  const char *socket_path, unsigned int num_queues,
		  const struct vu_dev_ops *ops, void *priv)
{
	struct vu_dev *dev;
	int ret = -ENOMEM;

	if (num_queues == 0 || num_queues > VU_MAX_QUEUES)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->wake_fd = -1;
	dev->name = strdup(name);
	dev->socket_path = strdup(socket_path);
	dev->mem = calloc(1, sizeof(*dev->mem));
	dev->vrings = calloc(num_queues, sizeof(*dev->vrings));
	if (!dev->name || !dev->socket_path || !dev->mem || !dev->vrings)
		goto err;
	dev->ops = ops;
	dev->priv = priv;
	dev->num_queues = num_queues;
	dev->conn_fd = -1;
	dev->backend_req_fd = -1;
	dev->rx.reply_fd = -1;
	dev->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->wake_fd < 0) {
		ret = -errno;
		goto err;
	}
	guest_mem_init(dev->mem);
	dev->mem->notify_fd = dev->wake_fd;
	dev->inflight_guard = -1;
	for (unsigned int i = 0; i < num_queues; i++) {
		dev->vrings[i].kick_fd = dev->vrings[i].call_fd = -1;
		dev->vrings[i].err_fd = -1;
		vring_reset(&dev->vrings[i]);
	}
	ret = vu_socket_listen(&dev->listener, socket_path, name);
	if (ret)
		goto err;
	dev->listen_fd = dev->listener.fd;
	*out = dev;
	return 0;
err:
	if (dev->wake_fd >= 0)
		close(dev->wake_fd);
	free(dev->vrings);
	free(dev->mem);
	free(dev->socket_path);
	free(dev->name);
	free(dev);
	return ret;
}

void vu_dev_destroy(struct vu_dev *dev)
{
	if (!dev)
		return;
	if (dev->conn_fd >= 0)
		vu_dev_disconnect(dev, "device removed");
	/* The owner waits first when it must not block; here, every ring
	 * must be quiet before its memory goes. */
	vu_dev_wait(dev, -1);
	/* Removes the socket file only if it is still the one we bound. */
	unix_listener_close(&dev->listener);
	dev->listen_fd = -1;
	close_fd(&dev->wake_fd);
	dirty_log_free(dev->log);
	free(dev->vrings);
	free(dev->mem);
	free(dev->socket_path);
	free(dev->name);
	free(dev);
}

int vu_dev_accept(struct vu_dev *dev)
{
	int fd;

	if (dev->closing)
		return 0; /* the next connection waits in the backlog */
	fd = accept4(dev->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (dev->conn_fd >= 0) {
		/* One front-end per device: a second would fight the first
		 * over the same rings. */
		log_warn("disk %s: refused a second connection on %s while a "
			 "front-end is connected", dev->name, dev->socket_path);
		close(fd);
		return 0;
	}
	dev->conn_fd = fd;
	dev->connections++;
	dev->rx.have = 0;
	dev->rx.nfds = 0;
	dev->rx.reply_fd = -1;
	log_info("disk %s: front-end connected on %s", dev->name,
		 dev->socket_path);
	if (dev->ops->connected)
		dev->ops->connected(dev);
	return 1;
}

bool vu_vring_ready(const struct vu_dev *dev, const struct vu_vring *v)
{
	return !v->started && v->kick_set && v->addr_set && v->num &&
	       !v->disabled && dev->mem->nregions > 0;
}

void vu_dev_set_claim(struct vu_dev *dev, int (*claim)(void *arg, bool take),
		      void *arg, bool held)
{
	dev->claim = claim;
	dev->claim_arg = arg;
	dev->claimed = held;
}

void vu_dev_release_claim(struct vu_dev *dev)
{
	if (!dev->claim || !dev->claimed)
		return;
	dev->claim(dev->claim_arg, false);
	dev->claimed = false;
	log_info("disk %s: every ring stopped during a live migration: its "
		 "image is released for the destination (taken back if the "
		 "guest runs here again)", dev->name);
}

/* Before a ring starts: the claim, unless it is held. */
static bool take_claim(struct vu_dev *dev)
{
	if (!dev->claim || dev->claimed)
		return true;
	if (dev->claim(dev->claim_arg, true))
		return false;
	dev->claimed = true;
	log_info("disk %s: the guest runs here: its image is locked for it",
		 dev->name);
	return true;
}

/* The guest-physical address of a front-end address (for logs); ~0 when
 * no region holds it. */
static uint64_t qva_to_gpa(const struct guest_mem *mem, uint64_t qva)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (qva >= r->qva && qva - r->qva < r->size)
			return r->gpa + (qva - r->qva);
	}
	return ~0ull;
}

void vu_vring_start(struct vu_dev *dev, unsigned int idx)
{
	struct vu_vring *v = &dev->vrings[idx];
	bool packed = vu_dev_has_feature(dev, VIRTIO_F_RING_PACKED);
	int ret;

	if (!vu_vring_ready(dev, v))
		return;
	/* The image may be another vmiod's (a migration not finished, or
	 * handed away): the claim's owner said why it is refused. */
	if (!take_claim(dev))
		return;
	if (packed)
		ret = virtq_map_packed(&v->vq, dev->mem, v->num, v->desc_qva,
				       v->avail_qva, v->used_qva);
	else
		ret = virtq_map(&v->vq, dev->mem, v->num, v->desc_qva,
				v->avail_qva, v->used_qva);
	if (ret) {
		log_error("disk %s: vring %u addresses are not inside guest "
			  "memory or misaligned%s; the queue stays stopped",
			  dev->name, idx, ret == -ENOMEM ? " (or out of memory)" : "");
		return;
	}
	if (packed) {
		/* Packed rings keep their indices in the base, not in guest
		 * memory; a restart (new size, say) re-checks them too. */
		ret = virtq_packed_set_base(&v->vq, v->base_pending ? v->base :
					    virtq_packed_get_base(&v->vq));
		if (ret) {
			log_error("disk %s: vring %u: packed ring base 0x%x names "
				  "a position past the ring (size %u); the queue "
				  "stays stopped", dev->name, idx, v->base, v->num);
			return;
		}
		v->base_pending = false;
	} else if (v->base_pending) {
		v->vq.last_avail_idx = (uint16_t)v->base;
		v->vq.used_idx = __atomic_load_n(&v->vq.used->idx,
						 __ATOMIC_ACQUIRE);
		v->base_pending = false;
	}
	if (dev->inflight_base) {
		ret = vu_vring_attach_inflight(dev, idx);
		if (ret)
			return;
	}
	v->vq.event_idx = vu_dev_has_feature(dev, VIRTIO_RING_F_EVENT_IDX);
	v->vq.indirect = vu_dev_has_feature(dev, VIRTIO_RING_F_INDIRECT_DESC);
	/* Logged before the reactor owns the ring and moves on from here. */
	log_debug("disk %s: vring %u starts (size %u, next avail %u, used %u, "
		  "%u to resubmit; rings at guest-physical 0x%llx, 0x%llx, "
		  "0x%llx)", dev->name, idx, v->num, v->vq.last_avail_idx,
		  v->vq.used_idx, v->vq.nresubmit,
		  (unsigned long long)qva_to_gpa(dev->mem, v->desc_qva),
		  (unsigned long long)qva_to_gpa(dev->mem, v->avail_qva),
		  (unsigned long long)qva_to_gpa(dev->mem, v->used_qva));
	ret = dev->ops->queue_start(dev, idx);
	if (ret) {
		log_error("disk %s: cannot start vring %u: %s", dev->name, idx,
			  strerror(-ret));
		virtq_inflight_detach(&v->vq);
		return;
	}
	v->started = true;
}

/* On the control thread, once the model stopped vring idx. */
static void finish_stop(struct vu_dev *dev, unsigned int idx)
{
	struct vu_vring *v = &dev->vrings[idx];

	if (dev->ops->queue_stopped)
		dev->ops->queue_stopped(dev, idx);
	virtq_inflight_detach(&v->vq);
	v->started = false;
	dev->stopping &= ~(1ull << idx);
}

void vu_dev_poke(struct vu_dev *dev)
{
	uint64_t one = 1;

	if (write(dev->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("disk %s: cannot wake the control thread: %s",
			  dev->name, strerror(errno));
}

void vu_dev_queue_stopped(struct vu_dev *dev, unsigned int idx)
{
	__atomic_fetch_or(&dev->stopped_async, 1ull << idx, __ATOMIC_RELEASE);
	vu_dev_poke(dev);
}

/* Finishes the stops the models reported done. */
static void collect_stops(struct vu_dev *dev)
{
	uint64_t done = __atomic_exchange_n(&dev->stopped_async, 0,
					    __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < dev->num_queues; i++)
		if (done & dev->stopping & (1ull << i))
			finish_stop(dev, i);
}

uint64_t vu_dev_started(const struct vu_dev *dev, uint64_t mask)
{
	uint64_t started = 0;

	for (unsigned int i = 0; i < dev->num_queues; i++)
		if (dev->vrings[i].started)
			started |= 1ull << i;
	return started & mask;
}

bool vu_dev_quiesce(struct vu_dev *dev, uint64_t mask)
{
	collect_stops(dev);
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		uint64_t bit = 1ull << i;

		if (!(mask & bit) || !dev->vrings[i].started ||
		    (dev->stopping & bit))
			continue;
		dev->stopping |= bit;
		if (dev->ops->queue_stop(dev, i) != -EINPROGRESS)
			finish_stop(dev, i);
	}
	return !vu_dev_started(dev, mask);
}

int vu_dev_wait(struct vu_dev *dev, int timeout_ms)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	collect_stops(dev);
	while (dev->stopping) {
		struct pollfd p = { .fd = dev->wake_fd, .events = POLLIN };
		uint64_t v;

		if (timeout_ms >= 0 && clock_now_ns() >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, 1000) > 0 &&
		    read(dev->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
		collect_stops(dev);
	}
	vu_dev_wake(dev);
	return 0;
}

void vu_dev_report_wait(struct vu_dev *dev, uint64_t now_ns, uint64_t after_ms)
{
	unsigned int inflight = 0;

	if (!vu_dev_waiting(dev) || dev->wait_reported ||
	    now_ns - dev->wait_since_ns < after_ms * 1000000ull)
		return;
	dev->wait_reported = true;
	for (unsigned int i = 0; i < dev->num_queues; i++)
		if ((dev->stopping & (1ull << i)) && dev->ops->queue_inflight)
			inflight += dev->ops->queue_inflight(dev, i);
	log_warn("disk %s: %s has waited %llu s for %u request%s in flight "
		 "(a slow or stuck backend?); this device's front-end waits for "
		 "them, every other device is served", dev->name,
		 dev->held ? vu_request_name(dev->rx.msg.hdr.request)
			   : "a disconnect",
		 (unsigned long long)((now_ns - dev->wait_since_ns) / 1000000000ull),
		 inflight, inflight == 1 ? "" : "s");
}

int vu_vring_attach_inflight(struct vu_dev *dev, unsigned int idx)
{
	struct vu_vring *v = &dev->vrings[idx];
	bool packed = v->vq.packed;
	/* The layout follows the ring: packed rings keep descriptor copies
	 * (vhost-user.rst), so their queues are further apart. */
	size_t qbytes = packed ? inflight_packed_queue_bytes(dev->inflight_queue_size)
			       : inflight_queue_bytes(dev->inflight_queue_size);
	uint8_t *region = (uint8_t *)dev->inflight_base + idx * qbytes;
	int ret;

	if (idx >= dev->inflight_num_queues ||
	    v->num > dev->inflight_queue_size ||
	    (idx + 1) * qbytes > dev->inflight_size) {
		log_error("disk %s: vring %u (size %u, %s) does not fit the inflight "
			  "region (%u queues of %u, %zu bytes); the queue stays "
			  "stopped", dev->name, idx, v->num,
			  packed ? "packed" : "split", dev->inflight_num_queues,
			  dev->inflight_queue_size, dev->inflight_size);
		return -EINVAL;
	}
	if (packed)
		ret = virtq_packed_inflight_attach(
			&v->vq, (struct inflight_packed_queue *)region);
	else
		ret = virtq_inflight_attach(&v->vq, (struct inflight_queue *)region);
	if (ret)
		log_error("disk %s: vring %u: cannot track in-flight requests: %s",
			  dev->name, idx, strerror(-ret));
	return ret;
}

int vu_call(int call_fd)
{
	uint64_t one = 1;

	crash_point();
	if (write(call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

void vu_dev_inflight_unmap(struct vu_dev *dev)
{
	mem_guard_unwatch(dev->inflight_guard);
	dev->inflight_guard = -1;
	if (dev->inflight_base)
		munmap(dev->inflight_base, dev->inflight_size);
	dev->inflight_base = NULL;
	dev->inflight_size = 0;
	dev->inflight_num_queues = dev->inflight_queue_size = 0;
}

void vu_dev_start_all(struct vu_dev *dev, uint64_t mask)
{
	for (unsigned int i = 0; i < dev->num_queues; i++)
		if (mask & (1ull << i))
			vu_vring_start(dev, i);
}

void vu_dev_reset_vrings(struct vu_dev *dev)
{
	for (unsigned int i = 0; i < dev->num_queues; i++)
		vring_reset(&dev->vrings[i]);
}

void vu_dev_log_update(struct vu_dev *dev)
{
	struct dirty_log *want = vu_dev_has_feature(dev, VHOST_F_LOG_ALL) ?
				 dev->log : NULL;
	struct dirty_log *was = dev->mem->log;

	if (want == was)
		return;
	__atomic_store_n(&dev->mem->log, want, __ATOMIC_RELEASE);
	if (!want != !was)
		log_info("disk %s: dirty logging %s", dev->name,
			 want ? "on: a live migration is under way" : "off");
}

void vu_dev_reset_state(struct vu_dev *dev)
{
	vu_dev_reset_vrings(dev);
	__atomic_store_n(&dev->mem->log, NULL, __ATOMIC_RELEASE);
	dirty_log_free(dev->log);
	dev->log = NULL;
	__atomic_store_n(&dev->log_broken, 0, __ATOMIC_RELEASE);
	guest_mem_clear(dev->mem);
	vu_dev_inflight_unmap(dev);
	__atomic_store_n(&dev->inflight_broken, 0, __ATOMIC_RELEASE);
	close_fd(&dev->backend_req_fd);
	dev->features = 0;
	dev->protocol_features = 0;
	dev->owner_set = false;
}

/* The rings of a dropped connection are quiet: forget the connection. */
static void finish_close(struct vu_dev *dev)
{
	vu_dev_reset_state(dev);
	dev->closing = false;
	dev->wait_reported = false;
	if (dev->ops->disconnected)
		dev->ops->disconnected(dev);
}

void vu_dev_disconnect(struct vu_dev *dev, const char *why)
{
	if (dev->conn_fd < 0)
		return;
	log_info("disk %s: front-end disconnected (%s)", dev->name, why);
	/* A message held for a stop dies with its connection. */
	dev->held = false;
	vu_rx_reset(&dev->rx);
	close_fd(&dev->conn_fd);
	dev->closing = true;
	dev->wait_since_ns = clock_now_ns();
	dev->wait_reported = false;
	if (vu_dev_quiesce(dev, VU_ALL_RINGS))
		finish_close(dev);
}

/* Memory the front-end shared was truncated under us (mem_guard put zero
 * pages in its place): the rings ran on memory that is gone, and a
 * front-end that shrinks what it shared is broken or hostile. Drops it
 * with one logged reason; true when it did. */
static bool drop_if_truncated(struct vu_dev *dev)
{
	int region;

	if (dev->conn_fd < 0 ||
	    (!guest_mem_broken(dev->mem) &&
	     !__atomic_load_n(&dev->inflight_broken, __ATOMIC_ACQUIRE) &&
	     !__atomic_load_n(&dev->log_broken, __ATOMIC_ACQUIRE)))
		return false;
	region = guest_mem_broken_region(dev->mem);
	if (region >= 0) {
		const struct guest_mem_region *r = &dev->mem->regions[region];

		log_error("disk %s: the front-end truncated guest memory region "
			  "%d (gpa 0x%llx, 0x%llx bytes) under a running queue; "
			  "the device is stopped, reconnect the front-end (guest "
			  "memory sealed against shrinking, as QEMU's "
			  "memory-backend-memfd seals it, cannot be truncated)",
			  dev->name, region, (unsigned long long)r->gpa,
			  (unsigned long long)r->size);
	} else {
		log_error("disk %s: the front-end truncated the %s under a "
			  "running queue; the device is stopped, reconnect the "
			  "front-end", dev->name,
			  __atomic_load_n(&dev->log_broken, __ATOMIC_ACQUIRE) ?
			  "dirty log" : "inflight region");
	}
	vu_dev_disconnect(dev, "shared memory truncated");
	return true;
}

/* Handles the message in rx; false when the connection was dropped. */
static bool handle_one(struct vu_dev *dev)
{
	bool was_held = dev->held;
	int ret;

	if (drop_if_truncated(dev))
		return false;
	ret = vu_msg_handle(dev, &dev->rx);

	if (ret == VU_HELD) {
		if (!was_held) {
			dev->wait_since_ns = clock_now_ns();
			dev->wait_reported = false;
		}
		return true;
	}
	if (was_held && dev->wait_reported)
		log_info("disk %s: %s done after %llu ms", dev->name,
			 vu_request_name(dev->rx.msg.hdr.request),
			 (unsigned long long)((clock_now_ns() - dev->wait_since_ns) /
					      1000000ull));
	dev->wait_reported = false;
	vu_rx_reset(&dev->rx);
	if (ret < 0) {
		vu_dev_disconnect(dev, "protocol error");
		return false;
	}
	return true;
}

int vu_dev_wake(struct vu_dev *dev)
{
	uint64_t v;

	if (read(dev->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("disk %s: wake eventfd: %s", dev->name, strerror(errno));
	if (dev->ops->woken)
		dev->ops->woken(dev);
	collect_stops(dev);
	if (drop_if_truncated(dev))
		return -ECONNRESET;
	if (dev->closing) {
		if (vu_dev_quiesce(dev, VU_ALL_RINGS))
			finish_close(dev);
		return dev->conn_fd >= 0 ? 0 : -ECONNRESET;
	}
	if (dev->held && !handle_one(dev))
		return -ECONNRESET;
	return 0;
}

int vu_dev_conn_readable(struct vu_dev *dev)
{
	while (!dev->held) {
		const char *why = NULL;
		int ret = vu_socket_recv(dev->conn_fd, &dev->rx, &why);

		if (ret == 0)
			return 0;
		if (ret < 0) {
			if (ret == -EPROTO) {
				dev->msgs_rejected++;
				log_error("disk %s: closing connection: %s",
					  dev->name, why);
			}
			vu_dev_disconnect(dev, ret == -EPROTO ? why
							      : "connection closed");
			return -ECONNRESET;
		}
		if (!handle_one(dev))
			return -ECONNRESET;
	}
	return 0;
}

int vu_dev_notify_config_change(struct vu_dev *dev)
{
	struct vhost_user_msg msg = { 0 };

	if (dev->backend_req_fd < 0)
		return -ENOTCONN;
	msg.hdr.request = VHOST_USER_BACKEND_CONFIG_CHANGE_MSG;
	msg.hdr.flags = VHOST_USER_VERSION;
	msg.hdr.size = 0;
	return vu_socket_send(dev->backend_req_fd, &msg, NULL, 0);
}
