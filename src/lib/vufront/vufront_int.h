/* SPDX-License-Identifier: MIT */
/* vufront internals shared by its files. */
#ifndef VMIO_VUFRONT_INT_H
#define VMIO_VUFRONT_INT_H

#include <linux/virtio_scsi.h>

#include "vufront/vufront.h"

#define VUF_PAGE 4096u
/* Per slot: header at 0, status byte at 16, indirect table at 32 for
 * virtio-blk; virtio-scsi lays out its bigger headers in the same 256
 * bytes (vufront_scsi.c), so the offsets live in struct vufront. */
#define VUF_META 256u
#define VUF_META_STATUS 16u
#define VUF_META_TABLE 32u
/* virtio-scsi: request header at 0 (51 bytes), response at 64 (108),
 * indirect table at 176 (3 descriptors). */
#define VUF_SCSI_REQ_OFF 0u
#define VUF_SCSI_RESP_OFF 64u
#define VUF_SCSI_TABLE_OFF 176u
/* vrings 0 and 1 are the control and event queues. */
#define VUF_SCSI_FIRST_REQ_Q 2u
#define VUF_STATUS_UNSET 0xff
#define VUF_MAX_REGIONS 8

struct vufront_queue {
	struct vufront *f;
	unsigned int index;
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint8_t *meta;         /* slot 0's meta */
	uint8_t *data;         /* slot 0's buffer */
	uint8_t *scratch;      /* one page for raw requests */
	uint16_t avail_idx, kicked_idx, used_seen;
	/* Packed rings (VIRTIO_F_RING_PACKED): desc holds vring_packed_desc,
	 * avail the driver event area, used the device event area. The
	 * next position to fill and to reap, with their wrap counters;
	 * avail_idx and kicked_idx count descriptors made available. */
	bool packed;
	uint16_t avail_pos, used_pos;
	bool avail_wrap, used_wrap;
	uint16_t *ndescs;      /* per slot: ring descriptors its chain took */
	unsigned int nslots;
	uint32_t *writable;    /* per slot: bytes the target may write */
	bool *busy;
	uint8_t *raw_pending;  /* per descriptor: raw heads not yet used */
	struct vring_used_elem *raw_done;
	unsigned int raw_head, raw_count;
	bool broken;
	int kick, call;
	uint64_t errors;
	char err[200];
};

enum vuf_device { VUF_DEV_BLK, VUF_DEV_SCSI };

struct vufront {
	enum vuf_device dev;
	/* Where in a slot's meta the byte the target must write (blk status,
	 * scsi response) and the indirect table are; 0xff until written. */
	uint32_t status_off, table_off;
	unsigned int first_req_q; /* scsi: vrings 0 and 1 are control, event */
	struct virtio_scsi_config *scsi_config; /* scsi only */
	int sock;
	bool answered;         /* the target has replied to something */
	int memfd[VUF_MAX_REGIONS];
	unsigned int nregions;
	uint8_t *mem;
	size_t mem_size, region_size;
	struct vufront_opts o;
	struct vufront_info info;
	struct vufront_queue *q;
	unsigned int nq;
	uint8_t *log;          /* the dirty log (opts.dirty_log), or NULL */
	size_t log_len;
};

/* Messages (vufront_msg.c). */
int vuf_send_acked(struct vufront *f, uint32_t req, const void *payload,
		   uint32_t len, const int *fds, unsigned int nfds);
int vuf_recv_reply(struct vufront *f, uint32_t req, struct vhost_user_msg *m);

/* Set-up steps shared with the detached mode (vufront.c): a fresh
 * front-end with no socket, options checked and defaulted, queues
 * allocated, guest memory laid out and mapped (not sent), a queue's
 * eventfds made and its rings readied for the features. */
struct vufront *vuf_alloc(enum vuf_device dev);
int vuf_check_opts(struct vufront *f, const struct vufront_opts *o,
		   char *err, size_t errlen);
int vuf_alloc_queues(struct vufront *f);
int vuf_map_memory(struct vufront *f);
int vuf_prepare_queue(struct vufront_queue *q);

/* Connects and sets up a device of either kind (vufront.c). */
int vuf_connect(const char *path, const struct vufront_opts *o,
		enum vuf_device dev, struct vufront **out, char *err,
		size_t errlen);
/* virtio-scsi's part of set-up (vufront_scsi.c): features understood,
 * config space read or defaulted and checked. */
extern const uint64_t vuf_scsi_features;
int vuf_scsi_read_config(struct vufront *f, char *err, size_t errlen);

/* Data path helpers (vufront_ring.c). */
static inline uint8_t *vuf_meta(struct vufront_queue *q, unsigned int slot)
{
	return q->meta + (size_t)slot * VUF_META;
}
/* Puts the chain d[0..n) of slot on the ring (through the slot's
 * indirect table when negotiated) and makes it available; writable is
 * what the target may report as written. */
void vuf_publish(struct vufront_queue *q, unsigned int slot,
		 const struct vring_desc *d, uint16_t n, uint32_t writable);
/* Counts a wrong answer, breaks the queue and returns -EPROTO. */
__attribute__((format(printf, 2, 3)))
int vuf_target_error(struct vufront_queue *q, const char *fmt, ...);

/* Checks a completion of slot with used length len into *c: 1, or
 * -EPROTO for one the target should not have written (vufront_ring.c). */
int vuf_complete(struct vufront_queue *q, unsigned int slot, uint32_t len,
		 struct vufront_completion *c);

/* Packed rings (vufront_packed.c). */
void vuf_packed_reset(struct vufront_queue *q);
void vuf_packed_publish(struct vufront_queue *q, unsigned int slot,
			const struct vring_desc *d, uint16_t n);
bool vuf_packed_need_kick(struct vufront_queue *q);
int vuf_packed_reap(struct vufront_queue *q, struct vufront_completion *out,
		    unsigned int max);
bool vuf_packed_used_pending(const struct vufront_queue *q);
/* Turns calls off, or on at the next used descriptor (vufront_irq.c). */
void vuf_packed_calls(struct vufront_queue *q, bool on);
/* The driver's position in vhost-user's packed vring state form. */
uint32_t vuf_packed_base(const struct vufront_queue *q);

/* Keeps a raw head's completion for vufront_raw_reap (vufront_ring.c). */
void vuf_stash_raw(struct vufront_queue *q, struct vring_used_elem e);

static inline bool vuf_has(const struct vufront *f, unsigned int bit)
{
	return f->info.features & (1ull << bit);
}

static inline bool vuf_has_proto(const struct vufront *f, unsigned int bit)
{
	return f->info.protocol_features & (1ull << bit);
}

#endif
