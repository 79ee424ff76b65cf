/* SPDX-License-Identifier: MIT */
/*
 * A vhost-user device, back-end side: one listening unix socket, at most one
 * front-end (QEMU) connected at a time, the protocol state that front-end
 * sets up (features, guest memory, vrings) and the device model behind it
 * (virtio-blk, later virtio-scsi) reached through struct vu_dev_ops.
 *
 * Every protocol message is handled on the control thread; the data path
 * (a started vring) belongs to a reactor. Anything that changes what a
 * running vring may touch (memory table, ring addresses, reset, a
 * disconnect) first stops the vrings through ops->queue_stop, and a vring
 * stops only once its in-flight I/O has completed, which a slow backend
 * can take seconds to do. The control thread never waits for that: the
 * message that needs the stop is held (with its fds) and the connection
 * is not read until the model reports the stop done
 * (vu_dev_queue_stopped, from its reactor), which wakes the owner's loop
 * through wake_fd; vu_dev_wake then handles the held message and answers
 * it. Every other device, and everything else on the control thread, is
 * served meanwhile.
 *
 * The front-end may also truncate the files behind the memory it shared
 * (guest memory, the inflight region): mem_guard turns the access that
 * would have died of SIGBUS into zero pages and wakes the owner's loop
 * through wake_fd too; the device then logs it and drops the front-end
 * (the reactors stop taking its requests at once: vdev checks
 * guest_mem_broken). Other devices go on.
 */
#ifndef VMIO_VHOST_VU_DEV_H
#define VMIO_VHOST_VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "util/unix_listen.h"
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
	/* Stops serving it: 0 when it is stopped now, or -EINPROGRESS when it
	 * stops once its in-flight requests are done; the model then calls
	 * vu_dev_queue_stopped (from any thread). */
	int (*queue_stop)(struct vu_dev *dev, unsigned int idx);
	/* Optional, on the control thread once a stop is done. */
	void (*queue_stopped)(struct vu_dev *dev, unsigned int idx);
	/* Optional: requests in flight on vring idx (for reports). */
	unsigned int (*queue_inflight)(struct vu_dev *dev, unsigned int idx);
	/* The front-end connected or went away. */
	void (*connected)(struct vu_dev *dev);
	void (*disconnected)(struct vu_dev *dev);
	/* Optional, on the control thread after vu_dev_poke: work the model
	 * left for it (freeing what its reactors finished with). */
	void (*woken)(struct vu_dev *dev);
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
	struct unix_listener listener;
	int listen_fd;       /* listener.fd */
	int conn_fd;
	struct vu_rx rx;

	const struct vu_dev_ops *ops;
	void *priv; /* the device model's */

	uint64_t features;          /* acked by the front-end */
	uint64_t protocol_features; /* acked by the front-end */
	bool owner_set;
	int backend_req_fd;         /* back-end -> front-end channel, or -1 */

	struct guest_mem *mem;

	/* Inflight tracking region shared with the front-end; watched for
	 * truncation like guest memory unless its file is sealed. */
	void *inflight_base;
	size_t inflight_size;
	int inflight_guard;         /* mem_guard handle, or -1 */
	int inflight_broken;        /* set by the SIGBUS handler */
	uint16_t inflight_queue_size;
	uint16_t inflight_num_queues;

	unsigned int num_queues;
	struct vu_vring *vrings;

	/* Live migration: the log SET_LOG_BASE sent, set as mem->log while the
	 * front-end has VHOST_F_LOG_ALL on; log_broken is raised if the
	 * front-end truncates it. */
	struct dirty_log *log;
	int log_broken;

	/* The owner's claim on what the device serves (its image's locks):
	 * given up once a migration stopped every ring, so that the
	 * destination can take it, and taken again before a ring starts.
	 * NULL: nothing to claim. */
	int (*claim)(void *arg, bool take);
	void *claim_arg;
	bool claimed;

	/* Stops under way (see the top of this file). */
	int wake_fd;               /* eventfd the owner's loop watches */
	uint64_t stopping;         /* rings asked to stop, not yet done */
	uint64_t stopped_async;    /* atomic: rings whose stop is done */
	uint64_t restart;          /* rings the held message restarts */
	bool held;                 /* rx holds a message waiting for stops */
	bool closing;              /* disconnected, waiting for stops */
	uint64_t wait_since_ns;    /* since when held or closing */
	bool wait_reported;

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
 * because it broke the protocol). Reads nothing while a message is held. */
int vu_dev_conn_readable(struct vu_dev *dev);
/* wake_fd is readable: finishes the stops that are done, then handles
 * the held message or completes a disconnect. Returns like
 * vu_dev_conn_readable. */
int vu_dev_wake(struct vu_dev *dev);
/* Drops the front-end: closes the connection at once, then stops the
 * vrings, unmaps memory and resets state once their I/O is done. */
void vu_dev_disconnect(struct vu_dev *dev, const char *why);

/* Which of its fds the owner's loop should read now: the connection not
 * while a message is held; the listening socket not while a disconnect
 * completes (QEMU's next connection waits in the backlog). */
static inline bool vu_dev_reading(const struct vu_dev *dev)
{
	return dev->conn_fd >= 0 && !dev->held;
}

static inline bool vu_dev_accepting(const struct vu_dev *dev)
{
	return !dev->closing;
}

/* Waiting for stops: a held message or a disconnect. */
static inline bool vu_dev_waiting(const struct vu_dev *dev)
{
	return dev->held || dev->closing;
}

/* Sets the owner's claim (see struct vu_dev); held says whether it is
 * held now (an incoming migration's disk is not, until its guest runs). */
void vu_dev_set_claim(struct vu_dev *dev, int (*claim)(void *arg, bool take),
		      void *arg, bool held);

/* From the model, on any thread: vring idx finished stopping. */
void vu_dev_queue_stopped(struct vu_dev *dev, unsigned int idx);
/* From the model, on any thread: have ops->woken run on the control
 * thread soon (through wake_fd). */
void vu_dev_poke(struct vu_dev *dev);
/* Blocks until no stop is under way (shutdown, tests); 0, or -ETIMEDOUT
 * after timeout_ms (< 0: never). */
int vu_dev_wait(struct vu_dev *dev, int timeout_ms);
/* Logs, once, a wait longer than after_ms (the owner's timer calls it):
 * which message waits and how many requests are still in flight. */
void vu_dev_report_wait(struct vu_dev *dev, uint64_t now_ns,
			uint64_t after_ms);

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

/* Interrupts the driver through a vring's call eventfd (non-blocking:
 * SET_VRING_CALL takes nothing else). A counter that is full already
 * holds an interrupt: that is not an error. 0 or -errno. */
int vu_call(int call_fd);

/* Message name for logs. */
const char *vu_request_name(uint32_t request);

#endif
