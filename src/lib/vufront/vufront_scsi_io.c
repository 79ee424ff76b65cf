/* SPDX-License-Identifier: MIT */
/* vufront for virtio-scsi: building requests, checking responses. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/clock.h"
#include "vufront/vufront_int.h"
#include "vufront/vufront_scsi.h"

#define OP_SYNCHRONIZE_CACHE_16 0x91
#define OP_UNMAP 0x42
#define OP_READ_16 0x88
#define OP_WRITE_16 0x8a
#define UNMAP_PARAM_LEN 24u
/* Between the request and the response headers in a slot's meta: the
 * transfer length, to hold the residual against. */
#define XFER_OFF 56u

_Static_assert(sizeof(struct virtio_scsi_cmd_req) == 51,
	       "virtio_scsi_cmd_req is 51 bytes on the wire");
_Static_assert(sizeof(struct virtio_scsi_cmd_resp) == 108,
	       "virtio_scsi_cmd_resp is 108 bytes on the wire");
_Static_assert(VUF_SCSI_RESP_OFF >= XFER_OFF + 4 &&
	       XFER_OFF >= sizeof(struct virtio_scsi_cmd_req) &&
	       VUF_SCSI_TABLE_OFF >= VUF_SCSI_RESP_OFF +
				     sizeof(struct virtio_scsi_cmd_resp) &&
	       VUF_SCSI_TABLE_OFF + 3 * sizeof(struct vring_desc) <= VUF_META,
	       "the scsi slot layout overlaps");

static void put_be(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

void vufront_scsi_lun_bytes(uint16_t lun, uint8_t out[8])
{
	/* SAM single-level LUN, flat space addressing (what Linux's
	 * virtio_scsi sends): byte 0 = 1, byte 1 = target 0. */
	memset(out, 0, 8);
	out[0] = 1;
	out[1] = 0;
	out[2] = (uint8_t)(0x40 | ((lun >> 8) & 0x3f));
	out[3] = (uint8_t)(lun & 0xff);
}

static struct virtio_scsi_cmd_resp *resp_of(struct vufront_queue *q,
					    unsigned int slot)
{
	return (struct virtio_scsi_cmd_resp *)(vuf_meta(q, slot) +
					       VUF_SCSI_RESP_OFF);
}

void vufront_scsi_submit(struct vufront_queue *q, unsigned int slot,
			 uint16_t lun, const uint8_t *cdb, unsigned int cdb_len,
			 enum vufront_scsi_dir dir, uint32_t len)
{
	struct vufront *f = q->f;
	uint8_t *meta = vuf_meta(q, slot);
	struct virtio_scsi_cmd_req *h = (void *)(meta + VUF_SCSI_REQ_OFF);
	struct virtio_scsi_cmd_resp *r = resp_of(q, slot);
	uint64_t data = vufront_gpa(f, vufront_buf(q, slot));
	struct vring_desc d[3];
	uint16_t n = 0;

	memset(h, 0, sizeof(*h));
	vufront_scsi_lun_bytes(lun, h->lun);
	/* Unique among requests in flight on this device: queue and slot. */
	h->tag = (uint64_t)q->index << 32 | slot;
	h->task_attr = VIRTIO_SCSI_S_SIMPLE;
	memcpy(h->cdb, cdb, cdb_len < sizeof(h->cdb) ? cdb_len : sizeof(h->cdb));
	/* Poisoned, so a response the target never wrote shows. */
	memset(r, 0, sizeof(*r));
	r->response = VUF_STATUS_UNSET;
	if (dir == VUFRONT_SCSI_NONE)
		len = 0;
	memcpy(meta + XFER_OFF, &len, sizeof(len));
	/* Device-readable parts first, then device-writable ones. */
	d[n++] = (struct vring_desc){ vufront_gpa(f, h), sizeof(*h),
				      VRING_DESC_F_NEXT, 0 };
	if (len && dir == VUFRONT_SCSI_TO_DEV)
		d[n++] = (struct vring_desc){ data, len, VRING_DESC_F_NEXT, 0 };
	d[n++] = (struct vring_desc){ vufront_gpa(f, r), sizeof(*r),
				      VRING_DESC_F_WRITE, 0 };
	if (len && dir == VUFRONT_SCSI_FROM_DEV) {
		d[n - 1].flags |= VRING_DESC_F_NEXT;
		d[n++] = (struct vring_desc){ data, len, VRING_DESC_F_WRITE, 0 };
	}
	vuf_publish(q, slot, d, n, (uint32_t)sizeof(*r) +
		    (dir == VUFRONT_SCSI_FROM_DEV ? len : 0));
}

void vufront_scsi_submit_rw(struct vufront_queue *q, unsigned int slot,
			    uint16_t lun, bool write, uint64_t lba,
			    uint32_t nblocks, uint32_t len)
{
	uint8_t cdb[16] = { write ? OP_WRITE_16 : OP_READ_16 };

	put_be(cdb + 2, lba, 8);
	put_be(cdb + 10, nblocks, 4);
	vufront_scsi_submit(q, slot, lun, cdb, sizeof(cdb),
			    write ? VUFRONT_SCSI_TO_DEV : VUFRONT_SCSI_FROM_DEV,
			    len);
}

void vufront_scsi_submit_sync(struct vufront_queue *q, unsigned int slot,
			      uint16_t lun)
{
	/* LBA 0, 0 blocks: the whole medium. */
	uint8_t cdb[16] = { OP_SYNCHRONIZE_CACHE_16 };

	vufront_scsi_submit(q, slot, lun, cdb, sizeof(cdb), VUFRONT_SCSI_NONE, 0);
}

void vufront_scsi_submit_unmap(struct vufront_queue *q, unsigned int slot,
			       uint16_t lun, uint64_t lba, uint32_t nblocks)
{
	uint8_t cdb[10] = { OP_UNMAP }, *p = vufront_buf(q, slot);

	/* SBC-3 5.28: an 8-byte header, then one 16-byte descriptor. */
	memset(p, 0, UNMAP_PARAM_LEN);
	put_be(p, UNMAP_PARAM_LEN - 2, 2);
	put_be(p + 2, 16, 2);
	put_be(p + 8, lba, 8);
	put_be(p + 16, nblocks, 4);
	put_be(cdb + 7, UNMAP_PARAM_LEN, 2);
	vufront_scsi_submit(q, slot, lun, cdb, sizeof(cdb), VUFRONT_SCSI_TO_DEV,
			    UNMAP_PARAM_LEN);
}

/* Sense key, ASC and ASCQ of fixed (70h/71h) or descriptor (72h/73h)
 * format sense data; zeros for anything else. */
static void decode_sense(const uint8_t *s, uint32_t len,
			 struct vufront_scsi_completion *c)
{
	uint8_t code = len ? s[0] & 0x7f : 0;

	if ((code == 0x70 || code == 0x71) && len >= 14) {
		c->sense_key = s[2] & 0xf;
		c->asc = s[12];
		c->ascq = s[13];
	} else if ((code == 0x72 || code == 0x73) && len >= 4) {
		c->sense_key = s[1] & 0xf;
		c->asc = s[2];
		c->ascq = s[3];
	}
}

/* Checks what vufront_reap cannot know about a scsi response. */
static int check_resp(struct vufront_queue *q, unsigned int slot,
		      uint32_t used_len, struct vufront_scsi_completion *c)
{
	const struct virtio_scsi_cmd_resp *r = resp_of(q, slot);
	uint32_t sense_size = q->f->scsi_config->sense_size;
	uint32_t xfer, sense_len, resid;

	memcpy(&xfer, vuf_meta(q, slot) + XFER_OFF, sizeof(xfer));
	if (sense_size > VIRTIO_SCSI_SENSE_SIZE)
		sense_size = VIRTIO_SCSI_SENSE_SIZE;
	*c = (struct vufront_scsi_completion){ .slot = slot,
					       .response = r->response,
					       .used_len = used_len };
	if (r->response > VIRTIO_SCSI_S_INCORRECT_LUN)
		return vuf_target_error(q, "the target answered request %u with "
					"response code %u, which virtio-scsi "
					"does not define", slot, r->response);
	sense_len = __atomic_load_n(&r->sense_len, __ATOMIC_RELAXED);
	resid = __atomic_load_n(&r->resid, __ATOMIC_RELAXED);
	if (sense_len > sense_size)
		return vuf_target_error(q, "the target reported %u bytes of sense "
					"for request %u; sense_size is %u (bad "
					"sense length)", sense_len, slot,
					sense_size);
	if (resid > xfer)
		return vuf_target_error(q, "the target reported a residual of %u "
					"bytes for request %u, which transfers "
					"%u (bad residual)", resid, slot, xfer);
	c->status = r->status;
	c->sense_len = sense_len;
	c->resid = resid;
	if (r->response == VIRTIO_SCSI_S_OK)
		decode_sense(r->sense, sense_len, c);
	return 0;
}

/* Reaps with reap (polled or on a call), then checks each response. */
static int scsi_reap(struct vufront_queue *q,
		     struct vufront_scsi_completion *out, unsigned int max,
		     int (*reap)(struct vufront_queue *,
				 struct vufront_completion *, unsigned int))
{
	struct vufront_completion c[64];
	int n, done = 0;

	if (max > 64)
		max = 64;
	n = reap(q, c, max);
	for (int i = 0; i < n; i++) {
		if (check_resp(q, c[i].slot, c[i].used_len, &out[done]) < 0)
			return done ? done : -EPROTO;
		done++;
	}
	return n < 0 ? n : done;
}

int vufront_scsi_reap(struct vufront_queue *q,
		      struct vufront_scsi_completion *out, unsigned int max)
{
	return scsi_reap(q, out, max, vufront_reap);
}

int vufront_scsi_reap_irq(struct vufront_queue *q,
			  struct vufront_scsi_completion *out, unsigned int max)
{
	return scsi_reap(q, out, max, vufront_reap_irq);
}

int vufront_scsi_cmd(struct vufront_queue *q, unsigned int slot, uint16_t lun,
		     const uint8_t *cdb, unsigned int cdb_len,
		     enum vufront_scsi_dir dir, uint32_t len,
		     uint64_t timeout_ns, struct vufront_scsi_completion *c)
{
	uint64_t deadline = clock_now_ns() + timeout_ns;

	vufront_scsi_submit(q, slot, lun, cdb, cdb_len, dir, len);
	vufront_kick(q);
	for (;;) {
		int ret = vufront_scsi_reap(q, c, 1);
		uint64_t now;

		if (ret < 0)
			return ret;
		if (ret == 1 && c->slot == slot)
			return 0;
		now = clock_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		if (ret == 0)
			vufront_wait(q, deadline - now < NSEC_PER_MSEC ?
					 deadline - now : NSEC_PER_MSEC);
	}
}
