/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <linux/virtio_config.h>

#include "blk/blk_internal.h"
#include "util/log.h"

static uint64_t blk_features(const struct blk_dev *d)
{
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) |
		     (1ull << VIRTIO_RING_F_EVENT_IDX) |
		     (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
		     (1ull << VIRTIO_BLK_F_SIZE_MAX) |
		     (1ull << VIRTIO_BLK_F_SEG_MAX) |
		     (1ull << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ull << VIRTIO_BLK_F_TOPOLOGY) |
		     (1ull << VIRTIO_BLK_F_MQ) |
		     (1ull << VIRTIO_BLK_F_FLUSH) |
		     (1ull << VIRTIO_BLK_F_CONFIG_WCE);

	if (d->ro)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else
		f |= (1ull << VIRTIO_BLK_F_DISCARD) |
		     (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

static void blk_fill_config(const struct blk_dev *d, struct virtio_blk_config *c)
{
	uint32_t sectors_per_block = d->blk_size / 512;

	memset(c, 0, sizeof(*c));
	c->capacity = d->capacity;
	c->size_max = BLK_SIZE_MAX;
	c->seg_max = BLK_SEG_MAX;
	c->blk_size = d->blk_size;
	c->physical_block_exp = 0;
	c->alignment_offset = 0;
	c->min_io_size = 1;
	c->opt_io_size = 0;
	c->wce = d->writeback;
	c->num_queues = (uint16_t)d->vu->num_queues;
	c->max_discard_sectors = BLK_MAX_DISCARD_SECTORS;
	c->max_discard_seg = d->discard_segs;
	c->discard_sector_alignment = sectors_per_block;
	c->max_write_zeroes_sectors = BLK_MAX_DISCARD_SECTORS;
	c->max_write_zeroes_seg = d->discard_segs;
	c->write_zeroes_may_unmap = 1;
}

static int blk_get_config(struct vu_dev *vu, uint8_t *buf, uint32_t offset,
			  uint32_t len)
{
	struct blk_dev *d = vu->priv;
	struct virtio_blk_config c;

	blk_fill_config(d, &c);
	/* Bytes past our struct read as zero (the caller zeroed buf). */
	if (offset < sizeof(c))
		memcpy(buf, (uint8_t *)&c + offset,
		       len < sizeof(c) - offset ? len : sizeof(c) - offset);
	return 0;
}

static int blk_set_config(struct vu_dev *vu, const uint8_t *buf,
			  uint32_t offset, uint32_t len)
{
	struct blk_dev *d = vu->priv;

	/* Only the write-cache flag is writable (VIRTIO_BLK_F_CONFIG_WCE). */
	if (offset != offsetof(struct virtio_blk_config, wce) || len != 1 ||
	    buf[0] > 1)
		return -EINVAL;
	d->writeback = buf[0];
	log_info("disk %s: guest set write cache to %s", d->id,
		 d->writeback ? "writeback" : "writethrough");
	return 0;
}

static int blk_vu_queue_start(struct vu_dev *vu, unsigned int idx)
{
	return blk_queue_start(vu->priv, idx);
}

static int blk_vu_queue_stop(struct vu_dev *vu, unsigned int idx)
{
	return blk_queue_stop(vu->priv, idx);
}

static void blk_vu_queue_stopped(struct vu_dev *vu, unsigned int idx)
{
	blk_queue_stopped(vu->priv, idx);
}

static unsigned int blk_vu_queue_inflight(struct vu_dev *vu, unsigned int idx)
{
	struct blk_dev *d = vu->priv;

	return vdev_queue_inflight(&d->queues[idx].vdev);
}

int blk_dev_create(const struct blk_dev_opts *o, struct blk_dev **out,
		   char *err, size_t errlen)
{
	char dummy[8];
	struct vu_dev_ops *ops;
	struct blk_dev *d;
	int ret = -ENOMEM;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (o->blk_size != 512 && o->blk_size != 4096)
		return -EINVAL;
	if (o->discard_segs > BLK_MAX_DISCARD_SEG)
		return -EINVAL;
	if (o->bdev->size < o->blk_size) {
		log_error("disk %s: the image holds %llu bytes, less than one "
			  "%u-byte block; give size=", o->id,
			  (unsigned long long)o->bdev->size, o->blk_size);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	ops = calloc(1, sizeof(*ops));
	if (!d || !ops)
		goto err;
	d->id = strdup(o->id);
	d->queues = calloc(o->num_queues, sizeof(*d->queues));
	d->reactors = calloc(o->nreactors, sizeof(*d->reactors));
	if (!d->id || !d->queues || !d->reactors)
		goto err;
	memcpy(d->reactors, o->reactors, o->nreactors * sizeof(*d->reactors));
	d->nreactors = o->nreactors;
	d->first_reactor = o->first_reactor;
	d->bdev = o->bdev;
	d->blk_size = o->blk_size;
	d->discard_segs = o->discard_segs ? o->discard_segs : BLK_MAX_DISCARD_SEG;
	d->ro = o->ro || o->bdev->ro;
	d->writeback = true;
	/* Only whole logical blocks are addressable. */
	d->capacity = (o->bdev->size / o->blk_size) * (o->blk_size / 512);
	if (o->bdev->size % o->blk_size)
		log_warn("disk %s: image size is not a multiple of %u; the last "
			 "%llu bytes are not visible to the guest", o->id,
			 o->blk_size,
			 (unsigned long long)(o->bdev->size % o->blk_size));

	if (o->qos) {
		ret = vdev_qos_contract_init(&d->qos, o->qos, "disk", o->id,
					     o->num_queues, o->qos_limits, err,
					     errlen);
		if (ret)
			goto err;
		d->has_qos = true;
	}
	ops->features = blk_features(d);
	ops->protocol_features = (1ull << VHOST_USER_PROTOCOL_F_CONFIG);
	ops->get_config = blk_get_config;
	ops->set_config = blk_set_config;
	ops->queue_start = blk_vu_queue_start;
	ops->queue_stop = blk_vu_queue_stop;
	ops->queue_stopped = blk_vu_queue_stopped;
	ops->queue_inflight = blk_vu_queue_inflight;
	ret = vu_dev_create(&d->vu, o->id, o->socket, o->num_queues, ops, d);
	if (ret)
		goto err;
	*out = d;
	return 0;
err:
	if (d) {
		free(d->reactors);
		free(d->queues);
		free(d->id);
	}
	free(d);
	free(ops);
	return ret;
}

void blk_dev_destroy(struct blk_dev *d)
{
	const struct vu_dev_ops *ops;
	unsigned int nqueues;

	if (!d)
		return;
	ops = d->vu->ops;
	nqueues = d->vu->num_queues;
	/* Stops every queue first, so no reactor still uses what we free. */
	vu_dev_destroy(d->vu);
	free((void *)ops);
	for (unsigned int i = 0; i < nqueues; i++)
		vdev_queue_free(&d->queues[i].vdev);
	bdev_destroy(d->bdev);
	free(d->reactors);
	free(d->queues);
	free(d->id);
	free(d);
}

struct vu_dev *blk_dev_vu(struct blk_dev *d)
{
	return d->vu;
}

struct bdev *blk_dev_bdev(struct blk_dev *d)
{
	return d->bdev;
}

const char *blk_dev_id(const struct blk_dev *d)
{
	return d->id;
}

uint64_t blk_dev_capacity_sectors(const struct blk_dev *d)
{
	return d->capacity;
}

uint32_t blk_dev_blk_size(const struct blk_dev *d)
{
	return d->blk_size;
}

int blk_dev_resize(struct blk_dev *d, uint64_t bytes, char *err, size_t errlen)
{
	uint64_t sectors = (bytes / d->blk_size) * (d->blk_size / 512);
	int ret;

	if (sectors < d->capacity) {
		snprintf(err, errlen, "disk %s: shrinking (to %llu bytes) would "
			 "destroy guest data; only growing is supported", d->id,
			 (unsigned long long)bytes);
		return -EINVAL;
	}
	ret = bdev_resize(d->bdev, sectors * 512);
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot grow the backend: %s", d->id,
			 strerror(-ret));
		return ret;
	}
	/* Growing only, one aligned store: the reactors' range checks see
	 * either size, both of which are valid. */
	__atomic_store_n(&d->capacity, sectors, __ATOMIC_RELEASE);
	if (d->vu->conn_fd >= 0) {
		ret = vu_dev_notify_config_change(d->vu);
		if (ret)
			log_warn("disk %s: grown, but the front-end could not be "
				 "told (%s); the guest sees the new size after a "
				 "rescan or reboot", d->id, strerror(-ret));
	}
	log_info("disk %s: grown to %llu bytes", d->id,
		 (unsigned long long)(sectors * 512));
	return 0;
}

/* Its request queues, for vdev's QoS calls. */
static struct vdev_queue *request_queue_at(const void *dev, unsigned int i)
{
	struct blk_dev *d = (struct blk_dev *)dev;

	return i < d->vu->num_queues ? &d->queues[i].vdev : NULL;
}

int blk_dev_qos_set(struct blk_dev *d, const struct qos_limits *lim,
		     char *err, size_t errlen)
{
	return vdev_qos_set(d->has_qos ? &d->qos : NULL, "disk", d->id,
			    request_queue_at, d, lim, err, errlen);
}

bool blk_dev_qos_get(const struct blk_dev *d, struct qos_limits *out)
{
	return vdev_qos_get(d->has_qos ? &d->qos : NULL, out);
}

void blk_dev_qos_stats(const struct blk_dev *d, struct qos_stats *out)
{
	vdev_qos_stats(request_queue_at, d, out);
}

void blk_dev_get_stats(const struct blk_dev *d, struct blk_queue_stats *out)
{
	struct vdev_queue_stats v = { 0 };

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < d->vu->num_queues; i++) {
		const struct blk_queue_stats *s = &d->queues[i].stats;

		for (int k = 0; k < BLK_STAT_NR; k++)
			out->ops[k] += __atomic_load_n(&s->ops[k], __ATOMIC_RELAXED);
		out->bytes_read += __atomic_load_n(&s->bytes_read, __ATOMIC_RELAXED);
		out->bytes_written += __atomic_load_n(&s->bytes_written, __ATOMIC_RELAXED);
		out->errors += __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
		out->unsupported += __atomic_load_n(&s->unsupported, __ATOMIC_RELAXED);
		out->fixed_buffer_ios += __atomic_load_n(&s->fixed_buffer_ios,
							 __ATOMIC_RELAXED);
		vdev_queue_stats_add(&d->queues[i].vdev, &v);
		out->inflight += vdev_queue_inflight(&d->queues[i].vdev);
	}
	out->bad_chains = v.bad_chains;
	out->lat_ns_sum = v.lat_ns_sum;
	memcpy(out->lat_hist, v.lat_hist, sizeof(out->lat_hist));
}
