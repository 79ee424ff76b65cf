/* SPDX-License-Identifier: MIT */
/*
 * vufront: a user-space virtio-blk *driver* that talks to any
 * vhost-user-blk back-end (vmiod, qemu-storage-daemon) the way QEMU does:
 * guest memory is shared memfd (one or several regions), features and
 * protocol features are negotiated (MQ, REPLY_ACK, CONFIG,
 * CONFIGURE_MEM_SLOTS), config space is read with GET_CONFIG, and N
 * virtqueues, split or (opts.packed) packed, with EVENT_IDX or without,
 * optionally indirect descriptors, are driven with kick/call eventfds.
 *
 * It trusts nothing the target writes back: a used entry naming a request
 * not in flight (unknown or duplicate id), a used length longer than the
 * request's writable bytes, a used index that jumps past the ring (split),
 * or a status byte left unwritten is counted as a target error and reported
 * (vufront_last_error), never taken as success.
 *
 * Typical use:
 *
 *	struct vufront_opts o = { .queues = 1, .want_irq = true };
 *	struct vufront *f;
 *	char err[256];
 *
 *	if (vufront_connect("/run/disk.sock", &o, &f, err, sizeof(err)))
 *		die(err);
 *	q = vufront_queue(f, 0);
 *	memset(vufront_buf(q, 0), 0xab, 4096);
 *	vufront_submit(q, 0, VIRTIO_BLK_T_OUT, 0, 4096);   // slot 0, sector 0
 *	vufront_kick(q);
 *	while ((n = vufront_reap(q, c, 16)) == 0)
 *		vufront_wait(q, 1000000);                  // or just spin
 *	// n < 0: the target answered wrongly, see vufront_last_error(q)
 *	vufront_close(f);
 *
 * Requests live in slots: slot s of a queue owns descriptors 3s..3s+2, a
 * header, a status byte and a data buffer of max_io bytes in guest memory
 * (vufront_buf). A slot is busy from submit until its completion is
 * reaped. Descriptors from vufront_raw_first() up are never used by slots:
 * tests may write anything there (see "raw access" below).
 *
 * On packed rings a slot's chain takes the next free positions of the
 * ring instead, its buffer id is the slot number, and the driver and
 * device event areas take the avail and used rings' places in guest
 * memory (vufront_desc is then the packed ring, vufront_used the device
 * event area). The raw calls are for split rings only.
 *
 * Built detached (vufront_detached), vufront connects nothing: a test
 * that speaks vhost-user to a device itself gets guest memory, rings and
 * eventfds to hand over, and drives requests with the calls below.
 *
 * Threads: one thread per queue; a queue is not shared. The raw message
 * calls must not run while another thread sets the device up.
 *
 * The same frontend speaks virtio-scsi to a vhost-user-scsi target: see
 * vufront_scsi.h (connect, requests and completions differ; memory,
 * rings, kicks, waiting and the raw calls are these).
 */
#ifndef VMIO_VUFRONT_VUFRONT_H
#define VMIO_VUFRONT_VUFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "vhost/vhost_user_proto.h"

struct vufront;
struct vufront_queue;

struct vufront_opts {
	unsigned int queues;       /* 1.. (needs MQ beyond 1); 0: 1 */
	unsigned int queue_size;   /* power of two; 0: 256 */
	unsigned int max_inflight; /* slots per queue; 0: queue_size / 3 */
	uint32_t max_io;           /* data bytes per slot; 0: 1 MiB */
	unsigned int mem_regions;  /* split guest memory in 1..8 regions */
	uint64_t gpa_base;         /* guest-physical address of memory; page aligned */
	uint64_t mem_size;         /* guest memory at least this big (a guest's
				    * RAM); 0: what the queues need */
	unsigned int mem_seals;    /* F_SEAL_* put on guest memory's memfds
				    * (QEMU's memfd backend seals against
				    * shrinking); 0: unsealed */
	bool no_event_idx;         /* do not accept EVENT_IDX */
	bool indirect;             /* one indirect descriptor per request, if offered */
	bool mem_table;            /* SET_MEM_TABLE even if ADD_MEM_REG is offered */
	bool want_irq;             /* ask for a call per completion (as a guest) */
	bool dirty_log;            /* then turn dirty logging on, as QEMU does
				    * while a live migration runs */
	bool packed;               /* packed virtqueues (VIRTIO_F_RING_PACKED);
				    * the raw calls need split rings */
};

/* What the target answered at connect time. */
struct vufront_info {
	uint64_t features;          /* accepted (offered & understood) */
	uint64_t offered_features;
	uint64_t protocol_features; /* accepted */
	uint64_t offered_protocol_features;
	uint64_t capacity;          /* 512-byte sectors */
	uint32_t blk_size;
	uint32_t max_mem_slots;     /* 0 unless CONFIGURE_MEM_SLOTS */
	uint16_t num_queues;        /* the target's maximum */
	bool ro;
	struct virtio_blk_config config; /* as read (config_len bytes) */
	uint32_t config_len;
};

/* ---- set-up ---- */

/* Connects to a vhost-user-blk socket and sets everything up. Returns 0 or
 * -errno with a message for a person in err. A target that closes the
 * connection before answering anything (it still serves a previous
 * front-end that just left) is retried for up to 2 s. */
int vufront_connect(const char *path, const struct vufront_opts *o,
		    struct vufront **out, char *err, size_t errlen);
/* The two halves of vufront_connect: attach only connects the socket (so
 * a test can send anything from the first byte), setup negotiates, maps
 * memory and starts the queues. */
int vufront_attach(const char *path, struct vufront **out, char *err,
		   size_t errlen);
int vufront_setup(struct vufront *f, const struct vufront_opts *o, char *err,
		  size_t errlen);
/* Closes the socket (the target sees a disconnect) and frees everything. */
void vufront_close(struct vufront *f);

const struct vufront_info *vufront_info(const struct vufront *f);
struct vufront_queue *vufront_queue(struct vufront *f, unsigned int i);
unsigned int vufront_queues(const struct vufront *f);

/* ---- requests ---- */

/* A slot's data buffer (max_io bytes in shared guest memory). */
void *vufront_buf(struct vufront_queue *q, unsigned int slot);
unsigned int vufront_slots(const struct vufront_queue *q);
bool vufront_slot_busy(const struct vufront_queue *q, unsigned int slot);

/* Queues a request in slot (which must be free) and makes it available;
 * the target hears of it at the next vufront_kick. type is a
 * VIRTIO_BLK_T_* value; the first len bytes of the slot's buffer are the
 * data (device-writable for IN and GET_ID, readable otherwise; 0: no data
 * descriptor, as for FLUSH). */
void vufront_submit(struct vufront_queue *q, unsigned int slot, uint32_t type,
		    uint64_t sector, uint32_t len);
/* DISCARD or WRITE_ZEROES of nsectors from sector, as one segment written
 * into the slot's buffer (flags: VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP). */
void vufront_submit_range(struct vufront_queue *q, unsigned int slot,
			  uint32_t type, uint64_t sector, uint32_t nsectors,
			  uint32_t flags);
/* Notifies the target if it asked to hear (EVENT_IDX / NO_NOTIFY). */
void vufront_kick(struct vufront_queue *q);

struct vufront_completion {
	unsigned int slot;
	uint8_t status;            /* VIRTIO_BLK_S_* */
	uint32_t used_len;
};

/* Collects up to max completions of slot requests. Returns how many (0:
 * none yet), or -EPROTO once the target wrote something impossible (see
 * vufront_last_error; the queue stays broken: every later call fails). */
int vufront_reap(struct vufront_queue *q, struct vufront_completion *out,
		 unsigned int max);
/* Blocks until the target signals a completion or timeout_ns passes
 * (needs want_irq, else it sleeps the whole timeout unless a completion
 * is already there). Returns 1 when there may be completions, 0 on
 * timeout, -errno on error. */
int vufront_wait(struct vufront_queue *q, uint64_t timeout_ns);
/* Submits one request, kicks and waits up to timeout_ns for it (no other
 * request may be in flight on q). Returns its status byte (>= 0),
 * -ETIMEDOUT, or -EPROTO after a wrong answer. */
int vufront_io(struct vufront_queue *q, unsigned int slot, uint32_t type,
	       uint64_t sector, uint32_t len, uint64_t timeout_ns);

/* Keeps qd requests (type, bs bytes at sequential sectors, wrapping at
 * 512 MiB) in flight in slots 0..qd-1 for seconds, polling for
 * completions as a guest under load does. Returns how many completed,
 * -EINVAL when qd or bs do not fit the slots, -ETIMEDOUT when nothing
 * completed for 2 s, -EIO for a status other than OK, or -EPROTO after
 * a wrong answer. Waits for the last requests before it returns. */
long vufront_closed_loop(struct vufront_queue *q, unsigned int qd,
			 uint32_t type, uint32_t bs, double seconds);

/* Sends the queue's ring addresses again, with the used ring to be
 * logged or not, as QEMU does on a running ring when a live migration
 * starts or ends (the target must keep every request in flight). */
int vufront_set_ring_log(struct vufront_queue *q, bool log);

const char *vufront_last_error(const struct vufront_queue *q);
uint64_t vufront_target_errors(const struct vufront_queue *q);

/* Takes completions only when the target has called: nothing unless the
 * call eventfd was signalled since the last look; then, as Linux's
 * virtio_ring does, calls off, every completion reaped, calls on again
 * (used_event or the packed driver event area with EVENT_IDX, the flags
 * without) and one more look for what came meanwhile. out must hold
 * vufront_slots(q) completions. Needs want_irq. Returns as vufront_reap. */
int vufront_reap_irq(struct vufront_queue *q, struct vufront_completion *out,
		     unsigned int max);
/* Whether the target has completions the driver has not reaped. */
bool vufront_used_pending(const struct vufront_queue *q);

/* Where the driver is on the ring, as vhost-user's GET_VRING_BASE of a
 * target that took everything made available should say: split, the
 * avail index; packed, the avail position and wrap counter (bit 15) in
 * bits 0-15, the used ones reaped in bits 16-31. */
uint32_t vufront_ring_state(const struct vufront_queue *q);
/* Split rings: used->idx as the target last published it (the base QEMU
 * restarts a ring from when a back-end died). */
uint16_t vufront_used_idx(const struct vufront_queue *q);

/* ---- detached: rings without a connection ---- */

/* Builds guest memory, rings, slots and kick/call eventfds as
 * vufront_setup would, but connects nothing and sends nothing: a test
 * that negotiates with a device itself (in-process) drives the requests
 * with the calls above. The rings are driven with VERSION_1, EVENT_IDX
 * (unless no_event_idx), INDIRECT_DESC (indirect) and RING_PACKED
 * (packed): vufront_info()->features, for the test's SET_FEATURES. scsi:
 * virtio-scsi's slots and vrings (0 control, 1 event, requests from 2;
 * vufront_scsi_queue), with QEMU's default config space. dirty_log and
 * mem_table need a connection. The rings start at their beginning:
 * SET_VRING_BASE is vufront_ring_state() of a fresh queue. */
int vufront_detached(const struct vufront_opts *o, bool scsi,
		     struct vufront **out, char *err, size_t errlen);
/* What SET_MEM_TABLE or ADD_MEM_REG would send for region i (the user
 * address is where this process maps it), and its fd: vufront_memfd. */
unsigned int vufront_regions(const struct vufront *f);
struct vhost_user_mem_region vufront_region(const struct vufront *f,
					   unsigned int i);
/* What SET_VRING_ADDR would send for q (its vring index; the descriptor
 * ring, and avail ring or driver event area, used ring or device event
 * area, as user addresses); its size is vufront_queue_size, its fds
 * vufront_kick_fd and vufront_call_fd. */
struct vhost_user_vring_addr vufront_ring_addr(const struct vufront_queue *q);

/* ---- raw access, for hostile-input tests ---- */

/* The vhost-user socket, and messages with any header, payload and fds. */
int vufront_socket(const struct vufront *f);
int vufront_raw_send(struct vufront *f, const void *bytes, size_t len,
		     const int *fds, unsigned int nfds);
int vufront_send_msg(struct vufront *f, uint32_t request, uint32_t flags,
		     const void *payload, uint32_t size, const int *fds,
		     unsigned int nfds);
/* Receives one message (header and payload); returns the payload size,
 * -ETIMEDOUT, -ECONNRESET when the target closed the connection, or
 * -EPROTO for a payload larger than struct vhost_user_msg holds. */
int vufront_recv_msg(struct vufront *f, struct vhost_user_msg *m,
		     int timeout_ms);
/* True when the target has closed the connection (waits up to
 * timeout_ms for that to happen). */
bool vufront_peer_closed(struct vufront *f, int timeout_ms);
/* Sends req without payload and reads its u64 reply (GET_FEATURES and
 * the like); 0, or -errno (-EPROTO for a reply that is not req's). */
int vufront_get_u64(struct vufront *f, uint32_t req, uint64_t *out);
/* Reads the ack of req (sent with VHOST_USER_NEED_REPLY_MASK): 0 with
 * its status in *status (0: done), -ETIMEDOUT after timeout_ms,
 * -ECONNRESET, or -EPROTO for anything but an 8-byte reply to req. */
int vufront_recv_ack(struct vufront *f, uint32_t req, int timeout_ms,
		     uint64_t *status);
/* Restarts vring q with fresh, zeroed rings and new kick and call fds,
 * as a driver does after a device reset (RESET_DEVICE keeps memory and
 * features); nothing may be in flight. The used ring is not logged: a
 * migration's ring asks again with vufront_set_ring_log. */
int vufront_restart_queue(struct vufront_queue *q);

/* Guest memory: translate between addresses, or NULL/-1 outside. */
uint64_t vufront_gpa(const struct vufront *f, const void *p);
void *vufront_ptr(struct vufront *f, uint64_t gpa, uint64_t len);
uint64_t vufront_mem_size(const struct vufront *f);
/* The memfd behind region i of guest memory (tests truncate it), or -1. */
int vufront_memfd(const struct vufront *f, unsigned int i);

/* The ring itself: tests write descriptors from vufront_raw_first(q) up
 * to vufront_queue_size(q) - 1 with any content (loops, addresses out of
 * range, lengths that overflow), then publish a head with
 * vufront_raw_avail and kick. A raw head's completion, if the target
 * produces one, is returned by vufront_raw_reap and is not an error. */
struct vring_desc *vufront_desc(struct vufront_queue *q);
uint16_t vufront_queue_size(const struct vufront_queue *q);
unsigned int vufront_raw_first(const struct vufront_queue *q);
/* A page of guest memory per queue that slots never touch (headers,
 * indirect tables, status bytes for raw requests). */
void *vufront_scratch(struct vufront_queue *q, size_t *len);
void vufront_raw_avail(struct vufront_queue *q, uint16_t head);
/* Sets avail->idx to idx without publishing any head (an index that
 * runs past the ring's entries is the test). */
void vufront_raw_set_avail_idx(struct vufront_queue *q, uint16_t idx);
/* Where the target writes besides the slots' buffers: the used ring, and
 * the slots' metadata (status bytes), each on pages of their own. */
struct vring_used *vufront_used(struct vufront_queue *q);
void *vufront_meta(struct vufront_queue *q);
int vufront_raw_reap(struct vufront_queue *q, struct vring_used_elem *out,
		     unsigned int max);
/* Waits up to timeout_ms for the next raw completion: 1 with it in
 * *out, 0 on timeout, -EPROTO once the queue is broken. */
int vufront_raw_wait(struct vufront_queue *q, struct vring_used_elem *out,
		     int timeout_ms);
/* Writes the kick eventfd whatever the target asked for. */
void vufront_kick_force(struct vufront_queue *q);
int vufront_kick_fd(const struct vufront_queue *q);
int vufront_call_fd(const struct vufront_queue *q);

#endif
