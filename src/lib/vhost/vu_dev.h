/* SPDX-License-Identifier: MIT */
/*
 * A vhost-user device, back-end side: one listening unix socket, at most one
 * front-end (QEMU) connected at a time, the protocol state that front-end
 * sets up (features, guest memory, vrings) and the device model behind it
 * (virtio-blk, later virtio-scsi) reached through struct vu_dev_ops.
 *
 * Every protocol message is handled on the control thread; the data path
 * (a started vring) belongs to a reactor. Anything that changes what a
 * running vring may touch (memory table, ring addresses, reset) first stops
 * the vrings through ops->queue_stop, which returns once their in-flight
 * I/O has completed.
 */
#ifndef VMIO_VHOST_VU_DEV_H
#define VMIO_VHOST_VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost/guest_mem.h"
#include "vhost/virtq.h"
#include "vhost/vhost_user_proto.h"

struct vu_dev;

/* Most queues a device may have (virtio-blk num_queues is 16 bits, but
 * nobody needs more vrings than this per disk). */
#define VU_MAX_QUEUES 64

struct vu_vring {
	struct virtq vq;
	uint16_t num;       /* SET_VRING_NUM */
	uint32_t base;      /* SET_VRING_BASE: first avail index to serve
			     * (packed rings: positions and wrap counters) */
	uint64_t desc_qva, avail_qva, used_qva;
	bool addr_set;
	bool kick_set;      /* SET_VRING_KICK seen (fd, or none: polled) */
	bool disabled;      /* SET_VRING_ENABLE 0 */
	bool started;       /* handed to the device model */
	bool base_pending;  /* start from base, not where we stopped */
	int kick_fd;        /* -1: the front-end never kicks; poll */
	int call_fd;        /* -1: no interrupts wanted */
	int err_fd;
};

struct vu_dev_ops {
	/* Virtio feature bits the device offers (VERSION_1 etc. included). */
	uint64_t features;
	/* Protocol features the device offers beyond what vu_dev handles. */
	uint64_t protocol_features;
	/* Fills buf with len bytes of config space from offset. */
	int (*get_config)(struct vu_dev *dev, uint8_t *buf, uint32_t offset,
			  uint32_t len);
	int (*set_config)(struct vu_dev *dev, const uint8_t *buf,
			  uint32_t offset, uint32_t len);
	/* Begins serving dev->vrings[idx] (its virtq is mapped and ready). */
	int (*queue_start)(struct vu_dev *dev, unsigned int idx);
	/* Stops serving it; returns when its in-flight requests are done. */
	void (*queue_stop)(struct vu_dev *dev, unsigned int idx);
	/* The front-end connected or went away. */
	void (*connected)(struct vu_dev *dev);
	void (*disconnected)(struct vu_dev *dev);
};

/* A message being received: built up across non-blocking reads so that a
 * slow or stalled client never blocks the control thread. */
struct vu_rx {
	struct vhost_user_msg msg;
	uint32_t have; /* bytes of msg received so far */
	int fds[VHOST_USER_MAX_FDS];
	unsigned int nfds;
	int reply_fd; /* an fd a handler sends back with its reply, or -1 */
};

struct vu_dev {
	char *name;
	char *socket_path;
	int listen_fd;
	int conn_fd;
	struct vu_rx rx;

	const struct vu_dev_ops *ops;
	void *priv; /* the device model's */

	uint64_t features;          /* acked by the front-end */
	uint64_t protocol_features; /* acked by the front-end */
	bool owner_set;
	int backend_req_fd;         /* back-end -> front-end channel, or -1 */

	struct guest_mem *mem;

	/* Inflight tracking region shared with the front-end. */
	void *inflight_base;
	size_t inflight_size;
	uint16_t inflight_queue_size;
	uint16_t inflight_num_queues;

	unsigned int num_queues;
	struct vu_vring *vrings;

	/* Counters for operators and tests. */
	uint64_t msgs_handled;
	uint64_t msgs_rejected;
	uint64_t connections;
};

/* Creates the device and its listening socket at socket_path (replacing a
 * stale socket file). Returns 0 or -errno with a logged reason. */
int vu_dev_create(struct vu_dev **out, const char *name,
		  const char *socket_path, unsigned int num_queues,
		  const struct vu_dev_ops *ops, void *priv);
/* Disconnects any front-end, removes the socket, frees everything. */
void vu_dev_destroy(struct vu_dev *dev);

/* Control-thread entry points, called when epoll says the fd is ready. */
int vu_dev_accept(struct vu_dev *dev);
/* Reads what is available and handles every complete message. Returns 0,
 * or -ECONNRESET when the connection was closed (by the peer, or by us
 * because it broke the protocol). */
int vu_dev_conn_readable(struct vu_dev *dev);
/* Drops the front-end: stops vrings, unmaps memory, resets state. */
void vu_dev_disconnect(struct vu_dev *dev, const char *why);

static inline bool vu_dev_has_feature(const struct vu_dev *dev, unsigned int bit)
{
	return dev->features & (1ull << bit);
}

static inline bool vu_dev_has_protocol_feature(const struct vu_dev *dev,
					       unsigned int bit)
{
	return dev->protocol_features & (1ull << bit);
}

/* Sends VHOST_USER_BACKEND_CONFIG_CHANGE_MSG (the guest re-reads config
 * space, e.g. after a resize). -ENOTCONN without a back-end channel. */
int vu_dev_notify_config_change(struct vu_dev *dev);

/* Interrupts the driver through a vring's call eventfd. A counter that
 * is full already holds an interrupt: that is not an error. 0 or -errno. */
int vu_call(int call_fd);

/* Message name for logs. */
const char *vu_request_name(uint32_t request);

#endif
