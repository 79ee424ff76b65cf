/* SPDX-License-Identifier: MIT */
/* vufront for virtio-scsi: features, config space, probing a LUN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "util/clock.h"
#include "vufront/vufront_int.h"
#include "vufront/vufront_scsi.h"

#define OP_TEST_UNIT_READY 0x00
#define OP_INQUIRY 0x12
#define OP_SERVICE_ACTION_IN_16 0x9e
#define SA_READ_CAPACITY_16 0x10
#define KEY_UNIT_ATTENTION 0x6
#define KEY_ILLEGAL_REQUEST 0x5
#define ASC_LUN_NOT_SUPPORTED 0x25
#define PROBE_TIMEOUT_NS (5 * NSEC_PER_SEC)
/* Room in slot 0 for INQUIRY and READ CAPACITY data. */
#define PROBE_LEN 96u

/* What QEMU's vhost-user-scsi-pci passes on to the back-end: its own
 * virtio-scsi features (HOTPLUG and CHANGE on by default, T10_PI off)
 * and the ring features; INOUT never. */
const uint64_t vuf_scsi_features =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
	(1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_SCSI_F_HOTPLUG) | (1ull << VIRTIO_SCSI_F_CHANGE) |
	(1ull << VHOST_USER_F_PROTOCOL_FEATURES);

/* QEMU's config space for vhost-user-scsi when the target serves none. */
static void qemu_defaults(struct virtio_scsi_config *c, unsigned int queues,
			  unsigned int queue_size)
{
	memset(c, 0, sizeof(*c));
	c->num_queues = queues;
	c->seg_max = queue_size > 2 ? queue_size - 2 : 1;
	c->max_sectors = 0xffff;
	c->cmd_per_lun = 128;
	c->event_info_size = sizeof(struct virtio_scsi_event);
	c->sense_size = VIRTIO_SCSI_SENSE_SIZE;
	c->cdb_size = VIRTIO_SCSI_CDB_SIZE;
	c->max_channel = 0;
	c->max_target = 255;
	c->max_lun = VUFRONT_SCSI_MAX_LUN;
}

/* The driver sets the CDB and sense sizes it uses (Linux writes 32 and
 * 96 at probe); only needed when the target's differ. */
static int set_sizes(struct vufront *f)
{
	struct vhost_user_config c = {
		.offset = offsetof(struct virtio_scsi_config, sense_size),
		.size = 8,
		.flags = VHOST_SET_CONFIG_TYPE_FRONTEND,
	};
	uint32_t sizes[2] = { VIRTIO_SCSI_SENSE_SIZE, VIRTIO_SCSI_CDB_SIZE };

	memcpy(c.payload, sizes, sizeof(sizes));
	f->scsi_config->sense_size = sizes[0];
	f->scsi_config->cdb_size = sizes[1];
	return vuf_send_acked(f, VHOST_USER_SET_CONFIG, &c,
			      VHOST_USER_CONFIG_HDR_SIZE + c.size, NULL, 0);
}

int vuf_scsi_read_config(struct vufront *f, char *err, size_t errlen)
{
	struct vhost_user_config c = { .size = sizeof(struct virtio_scsi_config) };
	struct virtio_scsi_config *cfg;
	unsigned int want = f->nq - f->first_req_q;
	struct vhost_user_msg m;
	int ret;

	cfg = f->scsi_config = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	qemu_defaults(cfg, want, f->o.queue_size);
	if (vuf_has_proto(f, VHOST_USER_PROTOCOL_F_CONFIG)) {
		ret = vufront_send_msg(f, VHOST_USER_GET_CONFIG, 0, &c,
				       VHOST_USER_CONFIG_HDR_SIZE + c.size,
				       NULL, 0);
		if (!ret)
			ret = vuf_recv_reply(f, VHOST_USER_GET_CONFIG, &m);
		if (ret < 0)
			return ret;
		if ((uint32_t)ret != VHOST_USER_CONFIG_HDR_SIZE + c.size ||
		    m.payload.config.size != c.size) {
			snprintf(err, errlen, "GET_CONFIG answered %d bytes for "
				 "the %u-byte virtio-scsi config space", ret,
				 c.size);
			return -EPROTO;
		}
		memcpy(cfg, m.payload.config.payload, c.size);
	}
	if (cfg->num_queues < want) {
		snprintf(err, errlen, "asked for %u request queues; the target's "
			 "config space says %u", want, cfg->num_queues);
		return -EINVAL;
	}
	if (cfg->sense_size != VIRTIO_SCSI_SENSE_SIZE ||
	    cfg->cdb_size != VIRTIO_SCSI_CDB_SIZE) {
		if (!vuf_has_proto(f, VHOST_USER_PROTOCOL_F_CONFIG))
			return 0;
		ret = set_sizes(f);
		if (ret) {
			snprintf(err, errlen, "the target refused the CDB and "
				 "sense sizes 32 and 96 (SET_CONFIG): %s",
				 strerror(-ret));
			return ret;
		}
	}
	f->info.blk_size = 512;
	return 0;
}

bool vufront_is_scsi(const struct vufront *f)
{
	return f->dev == VUF_DEV_SCSI;
}

const struct virtio_scsi_config *vufront_scsi_config(const struct vufront *f)
{
	return f->scsi_config;
}

struct vufront_queue *vufront_scsi_queue(struct vufront *f, unsigned int i)
{
	if (f->dev != VUF_DEV_SCSI || i >= f->nq - f->first_req_q)
		return NULL;
	return vufront_queue(f, f->first_req_q + i);
}

static uint64_t get_be(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Copies an INQUIRY text field without its trailing blanks. */
static void text(char *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	while (len && (dst[len - 1] == ' ' || dst[len - 1] == '\0'))
		dst[--len] = '\0';
}

/* Runs one probing command; 0 GOOD, -EIO failed (err says how). */
static int probe_cmd(struct vufront_queue *q, uint16_t lun, const uint8_t *cdb,
		     unsigned int cdb_len, uint32_t len, const char *what,
		     struct vufront_scsi_completion *c, char *err, size_t errlen)
{
	int ret = vufront_scsi_cmd(q, 0, lun, cdb, cdb_len,
				   len ? VUFRONT_SCSI_FROM_DEV : VUFRONT_SCSI_NONE,
				   len, PROBE_TIMEOUT_NS, c);

	if (ret == -EPROTO)
		snprintf(err, errlen, "%s on LUN %u: %s", what, lun,
			 vufront_last_error(q));
	else if (ret)
		snprintf(err, errlen, "%s on LUN %u: no answer within 5 s", what,
			 lun);
	else if (!vufront_scsi_good(c)) {
		snprintf(err, errlen, "%s on LUN %u failed: response %u, status "
			 "0x%02x, sense key 0x%x ASC 0x%02x ASCQ 0x%02x", what,
			 lun, c->response, c->status, c->sense_key, c->asc,
			 c->ascq);
		ret = -EIO;
	}
	return ret;
}

int vufront_scsi_probe(struct vufront *f, uint16_t lun,
		       struct vufront_scsi_lun *out, char *err, size_t errlen)
{
	struct vufront_queue *q = vufront_scsi_queue(f, 0);
	const uint8_t tur[6] = { OP_TEST_UNIT_READY };
	const uint8_t inq[6] = { OP_INQUIRY, 0, 0, 0, PROBE_LEN, 0 };
	const uint8_t cap[16] = { OP_SERVICE_ACTION_IN_16, SA_READ_CAPACITY_16,
				  [13] = 32 };
	struct vufront_scsi_completion c;
	uint8_t *buf;
	int ret;

	if (!q || vufront_slot_busy(q, 0) || f->o.max_io < PROBE_LEN) {
		snprintf(err, errlen, "probing needs request queue 0's slot 0 "
			 "free and %u bytes in it", PROBE_LEN);
		return -EINVAL;
	}
	buf = vufront_buf(q, 0);
	memset(out, 0, sizeof(*out));
	out->lun = lun;
	/* A real target reports UNIT ATTENTION (power on, reset) once. */
	for (int tries = 0;; tries++) {
		ret = probe_cmd(q, lun, tur, sizeof(tur), 0, "TEST UNIT READY",
				&c, err, errlen);
		if (ret != -EIO || c.response != VIRTIO_SCSI_S_OK ||
		    c.sense_key != KEY_UNIT_ATTENTION || tries == 3)
			break;
	}
	if (ret == -EIO && (c.response == VIRTIO_SCSI_S_BAD_TARGET ||
			    c.response == VIRTIO_SCSI_S_INCORRECT_LUN ||
			    (c.sense_key == KEY_ILLEGAL_REQUEST &&
			     c.asc == ASC_LUN_NOT_SUPPORTED))) {
		snprintf(err, errlen, "LUN %u: the target serves no logical unit "
			 "there (TEST UNIT READY: LOGICAL UNIT NOT SUPPORTED)", lun);
		ret = -ENODEV;
	}
	if (ret)
		return ret;
	memset(buf, 0, PROBE_LEN);
	ret = probe_cmd(q, lun, inq, sizeof(inq), PROBE_LEN, "INQUIRY", &c,
			err, errlen);
	if (ret)
		return ret;
	if (PROBE_LEN - c.resid < 36 || (buf[0] >> 5) != 0) {
		snprintf(err, errlen, "LUN %u: INQUIRY says no logical unit is "
			 "there (peripheral qualifier %u)", lun, buf[0] >> 5);
		return -ENODEV;
	}
	out->type = buf[0] & 0x1f;
	text(out->vendor, buf + 8, 8);
	text(out->product, buf + 16, 16);
	if (out->type != 0) {
		snprintf(err, errlen, "LUN %u is a SCSI device of type 0x%02x, "
			 "not a disk", lun, out->type);
		return -ENODEV;
	}
	memset(buf, 0, 32);
	ret = probe_cmd(q, lun, cap, sizeof(cap), 32, "READ CAPACITY(16)", &c,
			err, errlen);
	if (ret)
		return ret;
	out->nblocks = get_be(buf, 8) + 1;
	out->block_size = (uint32_t)get_be(buf + 8, 4);
	out->thin = buf[14] & 0x80;
	if (32 - c.resid < 16 || out->block_size < 512 ||
	    out->block_size % 512 || out->nblocks == 0) {
		snprintf(err, errlen, "LUN %u: READ CAPACITY(16) gave %llu blocks "
			 "of %u bytes, which is not a usable disk", lun,
			 (unsigned long long)out->nblocks, out->block_size);
		return -EIO;
	}
	return 0;
}

int vufront_scsi_connect(const char *path, const struct vufront_opts *o,
			 uint16_t lun, struct vufront **out, char *err,
			 size_t errlen)
{
	struct vufront_opts po = *o;
	struct vufront_scsi_lun l;
	struct vufront *f;
	int ret;

	if (lun > VUFRONT_SCSI_MAX_LUN) {
		snprintf(err, errlen, "LUN %u is beyond single-level addressing "
			 "(0-%u)", lun, VUFRONT_SCSI_MAX_LUN);
		return -EINVAL;
	}
	/* Probing reads up to PROBE_LEN bytes into slot 0. */
	if (po.max_io && po.max_io < PROBE_LEN)
		po.max_io = PROBE_LEN;
	ret = vuf_connect(path, &po, VUF_DEV_SCSI, &f, err, errlen);
	if (ret)
		return ret;
	ret = vufront_scsi_probe(f, lun, &l, err, errlen);
	if (ret) {
		char tail[200];

		snprintf(tail, sizeof(tail), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tail);
		vufront_close(f);
		return ret;
	}
	f->info.capacity = l.nblocks * (l.block_size / 512);
	f->info.blk_size = l.block_size;
	*out = f;
	return 0;
}
