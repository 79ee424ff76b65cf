/* SPDX-License-Identifier: MIT */
/*
 * vufront for virtio-scsi: the same user-space frontend (shared memfd
 * memory, split rings, kick/call eventfds; see vufront.h) talking to a
 * vhost-user-scsi target the way QEMU's vhost-user-scsi-pci does:
 *
 * - features: VERSION_1, RING_EVENT_IDX, RING_INDIRECT_DESC (if asked),
 *   VIRTIO_SCSI_F_HOTPLUG and VIRTIO_SCSI_F_CHANGE; never INOUT or T10_PI;
 * - config space from GET_CONFIG when the target serves it, else QEMU's
 *   own defaults (num_queues as asked, seg_max 126, max_sectors 0xffff,
 *   cmd_per_lun 128, sense 96, cdb 32, max_target 255, max_lun 16383);
 * - vring 0 control, vring 1 event, vrings 2.. request queues. The
 *   vufront_opts' queues are request queues; vufront_queue(f, i) is vring
 *   i, vufront_scsi_queue(f, i) request queue i.
 *
 * A request is the 51-byte virtio_scsi_cmd_req (LUN in single-level
 * format: 01 00 40|(lun>>8) lun&0xff, as Linux's virtio_scsi sends it),
 * then data-out; the device writes the 108-byte virtio_scsi_cmd_resp,
 * then data-in. Besides what vufront checks for any device (unknown or
 * duplicate id, used length, used index), a completion whose response
 * byte was left unwritten, whose response code is unknown, whose sense
 * length exceeds sense_size or whose residual exceeds the transfer is a
 * wrong answer: counted, reported by vufront_last_error, never success.
 *
 *	struct vufront_opts o = { .queues = 2, .want_irq = true };
 *	if (vufront_scsi_connect(sock, &o, 0, &f, err, sizeof(err)))  // LUN 0
 *		die(err);
 *	q = vufront_scsi_queue(f, 0);
 *	vufront_scsi_submit_rw(q, slot, 0, false, lba, nblocks, len);
 *	vufront_kick(q);
 *	n = vufront_scsi_reap(q, c, 16);   // c[i].response, .status, .sense_key...
 */
#ifndef VMIO_VUFRONT_VUFRONT_SCSI_H
#define VMIO_VUFRONT_VUFRONT_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_scsi.h>

#include "vufront/vufront.h"

/* Single-level LUN addressing reaches LUNs 0..16383. */
#define VUFRONT_SCSI_MAX_LUN 16383

/* SAM status codes and sense keys the callers look at. */
#define VUFRONT_SCSI_GOOD 0x00
#define VUFRONT_SCSI_CHECK_CONDITION 0x02
#define VUFRONT_SCSI_KEY_ILLEGAL_REQUEST 0x5
#define VUFRONT_SCSI_ASC_LBA_OUT_OF_RANGE 0x21

/* What TEST UNIT READY, INQUIRY and READ CAPACITY(16) said about a LUN. */
struct vufront_scsi_lun {
	uint16_t lun;
	uint8_t type;           /* peripheral device type (0: disk) */
	uint64_t nblocks;
	uint32_t block_size;
	bool thin;              /* LBPME: UNMAP may deallocate */
	char vendor[9], product[17];
};

/* Connects to a vhost-user-scsi socket, sets up o->queues request queues
 * (plus control and event) and probes lun (vufront_scsi_probe); its size
 * becomes vufront_info()'s capacity (512-byte units) and blk_size.
 * Returns 0 or -errno with a message for a person in err. */
int vufront_scsi_connect(const char *path, const struct vufront_opts *o,
			 uint16_t lun, struct vufront **out, char *err,
			 size_t errlen);
bool vufront_is_scsi(const struct vufront *f);
/* The config space as read (or as QEMU would have built it). */
const struct virtio_scsi_config *vufront_scsi_config(const struct vufront *f);
/* Request queue i (vring 2 + i), or NULL. */
struct vufront_queue *vufront_scsi_queue(struct vufront *f, unsigned int i);
/* TEST UNIT READY (through a start-up UNIT ATTENTION), INQUIRY and READ
 * CAPACITY(16) on request queue 0, slot 0 (nothing may be in flight
 * there). Returns 0, -ENODEV when no disk is at that LUN, -EIO for a
 * command that failed, -EPROTO after a wrong answer; err says which. */
int vufront_scsi_probe(struct vufront *f, uint16_t lun,
		       struct vufront_scsi_lun *out, char *err, size_t errlen);

/* ---- requests (slots as in vufront.h) ---- */

enum vufront_scsi_dir {
	VUFRONT_SCSI_NONE,      /* no data */
	VUFRONT_SCSI_TO_DEV,    /* data-out: the slot's first len bytes */
	VUFRONT_SCSI_FROM_DEV,  /* data-in into the slot's buffer */
};

/* Any CDB (up to the config's cdb_size, at most 32 bytes). */
void vufront_scsi_submit(struct vufront_queue *q, unsigned int slot,
			 uint16_t lun, const uint8_t *cdb, unsigned int cdb_len,
			 enum vufront_scsi_dir dir, uint32_t len);
/* READ(16) or WRITE(16) of nblocks at lba; len bytes of the slot buffer. */
void vufront_scsi_submit_rw(struct vufront_queue *q, unsigned int slot,
			    uint16_t lun, bool write, uint64_t lba,
			    uint32_t nblocks, uint32_t len);
/* SYNCHRONIZE CACHE(16) of the whole LUN. */
void vufront_scsi_submit_sync(struct vufront_queue *q, unsigned int slot,
			      uint16_t lun);
/* UNMAP of one range; the parameter list goes in the slot's buffer. */
void vufront_scsi_submit_unmap(struct vufront_queue *q, unsigned int slot,
			       uint16_t lun, uint64_t lba, uint32_t nblocks);

struct vufront_scsi_completion {
	unsigned int slot;
	uint8_t response;       /* VIRTIO_SCSI_S_* */
	uint8_t status;         /* SAM status, meaningful when response is OK */
	uint8_t sense_key, asc, ascq; /* from the sense data, 0 without */
	uint32_t sense_len, resid, used_len;
};

static inline bool vufront_scsi_good(const struct vufront_scsi_completion *c)
{
	return c->response == VIRTIO_SCSI_S_OK && c->status == VUFRONT_SCSI_GOOD;
}

/* As vufront_reap, for virtio-scsi requests. Returns how many, or
 * -EPROTO once the target answered wrongly (the queue stays broken). */
int vufront_scsi_reap(struct vufront_queue *q,
		      struct vufront_scsi_completion *out, unsigned int max);
/* As vufront_reap_irq: only after a call, calls re-enabled as Linux does. */
int vufront_scsi_reap_irq(struct vufront_queue *q,
			  struct vufront_scsi_completion *out, unsigned int max);
/* Submits one command, kicks and waits up to timeout_ns for it (nothing
 * else in flight on q). Returns 0 with *c filled, -ETIMEDOUT or -EPROTO. */
int vufront_scsi_cmd(struct vufront_queue *q, unsigned int slot, uint16_t lun,
		     const uint8_t *cdb, unsigned int cdb_len,
		     enum vufront_scsi_dir dir, uint32_t len,
		     uint64_t timeout_ns, struct vufront_scsi_completion *c);
/* The LUN field of a request header for lun. */
void vufront_scsi_lun_bytes(uint16_t lun, uint8_t out[8]);

#endif
