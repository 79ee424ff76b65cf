/* SPDX-License-Identifier: MIT */
/*
 * The virtio-scsi device: features, config space, its logical units and
 * their lifecycle (including hotplug), and the mapping of vrings onto the
 * control, event and request queues.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "engine/numa_alloc.h"
#include "scsi/scsi_internal.h"
#include "util/log.h"

/* Commands the guest may queue per LUN (config cmd_per_lun). */
#define SCSI_CMD_PER_LUN 128

static const uint64_t scsi_features =
	(1ull << VIRTIO_F_VERSION_1) |
	(1ull << VIRTIO_RING_F_EVENT_IDX) |
	(1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_SCSI_F_HOTPLUG) |
	/* QEMU offers CHANGE itself; we may send PARAM_CHANGE but never do. */
	(1ull << VIRTIO_SCSI_F_CHANGE);

static void fill_config(const struct scsi_dev *d, struct virtio_scsi_config *c)
{
	memset(c, 0, sizeof(*c));
	c->num_queues = d->nqueues - SCSI_VQ_REQ0;
	c->seg_max = SCSI_MAX_IOV - 10;
	c->max_sectors = SCSI_MAX_XFER_BYTES / 512;
	c->cmd_per_lun = SCSI_CMD_PER_LUN;
	c->event_info_size = sizeof(struct virtio_scsi_event);
	c->sense_size = VIRTIO_SCSI_SENSE_SIZE;
	c->cdb_size = VIRTIO_SCSI_CDB_SIZE;
	c->max_channel = 0;
	c->max_target = 0;      /* one target */
	c->max_lun = SCSI_MAX_LUNS - 1;
}

static int scsi_get_config(struct vu_dev *vu, uint8_t *buf, uint32_t offset,
			   uint32_t len)
{
	struct virtio_scsi_config c;

	fill_config(vu->priv, &c);
	/* Bytes past our struct read as zero (the caller zeroed buf). */
	if (offset < sizeof(c))
		memcpy(buf, (uint8_t *)&c + offset,
		       len < sizeof(c) - offset ? len : sizeof(c) - offset);
	return 0;
}

/* The driver writes sense_size and cdb_size; we keep the defaults, so it
 * may only write them back unchanged. */
static int scsi_set_config(struct vu_dev *vu, const uint8_t *buf,
			   uint32_t offset, uint32_t len)
{
	struct virtio_scsi_config c;
	uint32_t first = offsetof(struct virtio_scsi_config, sense_size);
	uint32_t end = offsetof(struct virtio_scsi_config, max_channel);

	fill_config(vu->priv, &c);
	if (offset < first || offset > end || len > end - offset ||
	    memcmp(buf, (uint8_t *)&c + offset, len))
		return -EINVAL;
	return 0;
}

static int scsi_vu_queue_start(struct vu_dev *vu, unsigned int idx)
{
	return scsi_queue_start(vu->priv, idx);
}

static int scsi_vu_queue_stop(struct vu_dev *vu, unsigned int idx)
{
	return scsi_queue_stop(vu->priv, idx);
}

static void scsi_vu_queue_stopped(struct vu_dev *vu, unsigned int idx)
{
	struct scsi_dev *d = vu->priv;

	vdev_queue_stopped(&d->queues[idx].vdev);
}

static unsigned int scsi_vu_queue_inflight(struct vu_dev *vu, unsigned int idx)
{
	struct scsi_dev *d = vu->priv;

	return vdev_queue_inflight(&d->queues[idx].vdev);
}

static void scsi_vu_woken(struct vu_dev *vu)
{
	scsi_dev_reap(vu->priv);
}

static const struct vu_dev_ops scsi_vu_ops = {
	.features = scsi_features,
	.protocol_features = 1ull << VHOST_USER_PROTOCOL_F_CONFIG,
	.get_config = scsi_get_config,
	.set_config = scsi_set_config,
	.queue_start = scsi_vu_queue_start,
	.queue_stop = scsi_vu_queue_stop,
	.queue_stopped = scsi_vu_queue_stopped,
	.queue_inflight = scsi_vu_queue_inflight,
	.woken = scsi_vu_woken,
};

/* Builds a LUN around its bdev (which it does not yet own). */
int scsi_lun_create(const struct scsi_dev *d, const struct scsi_lun_opts *o,
		    struct scsi_lun **out)
{
	const struct bdev *b = o->bdev;
	uint32_t bs = o->block_size ? o->block_size :
				      (b->align > 512 ? 4096 : 512);
	struct scsi_lun *l;

	if (o->lun >= SCSI_MAX_LUNS) {
		log_error("scsi %s: LUN %u is out of range; use 0 to %u", d->id,
			  o->lun, SCSI_MAX_LUNS - 1);
		return -EINVAL;
	}
	if ((bs != 512 && bs != 4096) || bs < b->align) {
		log_error("scsi %s: LUN %u: %u-byte blocks do not suit a "
			  "backend that needs %u-byte alignment; use 4096",
			  d->id, o->lun, bs, b->align);
		return -EINVAL;
	}
	if (b->size < bs) {
		log_error("scsi %s: LUN %u: the image holds %llu bytes, less "
			  "than one block", d->id, o->lun,
			  (unsigned long long)b->size);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->bdev = o->bdev;
	snprintf(l->name, sizeof(l->name), "%.48s-lun%u", d->id, o->lun);
	l->props = (struct scsi_lun_props){
		.nblocks = b->size / bs,
		.block_size = bs,
		.lun = o->lun,
		.ro = o->ro || b->ro,
		/* Holes are how a file backend deallocates. */
		.thin = !(o->ro || b->ro),
		.writeback = true,
		.name = l->name,
	};
	*out = l;
	return 0;
}

static void lun_free(struct scsi_lun *l)
{
	if (!l)
		return;
	bdev_destroy(l->bdev);
	free(l);
}

static void free_dev(struct scsi_dev *d)
{
	for (unsigned int i = 0; d->queues && i < d->nqueues; i++) {
		vdev_queue_free(&d->queues[i].vdev);
	}
	free(d->queues);
	free(d->reactors);
	free(d->id);
	free(d);
}

static int add_initial_luns(struct scsi_dev *d, const struct scsi_dev_opts *o)
{
	for (unsigned int i = 0; i < o->nluns; i++) {
		struct scsi_lun *l;
		int ret;

		if (o->luns[i].lun < SCSI_MAX_LUNS && d->luns[o->luns[i].lun]) {
			log_error("scsi %s: LUN %u is given twice", d->id,
				  o->luns[i].lun);
			return -EEXIST;
		}
		ret = scsi_lun_create(d, &o->luns[i], &l);
		if (ret)
			return ret;
		d->luns[l->props.lun] = l;
	}
	return 0;
}

/* Takes the LUNs back out without destroying their bdevs: on a failed
 * create the caller still owns them. */
static void drop_initial_luns(struct scsi_dev *d)
{
	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		free(d->luns[i]);
		d->luns[i] = NULL;
	}
}

int scsi_dev_create(const struct scsi_dev_opts *o, struct scsi_dev **out)
{
	struct scsi_dev *d;
	int ret = -ENOMEM;

	if (o->num_queues == 0 || o->num_queues > SCSI_MAX_REQ_QUEUES ||
	    o->nreactors == 0) {
		log_error("scsi %s: %u request queues asked; use 1 to %u",
			  o->id, o->num_queues, SCSI_MAX_REQ_QUEUES);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nqueues = o->num_queues + SCSI_VQ_REQ0;
	d->id = strdup(o->id);
	d->queues = calloc(d->nqueues, sizeof(*d->queues));
	d->reactors = calloc(o->nreactors, sizeof(*d->reactors));
	if (!d->id || !d->queues || !d->reactors)
		goto err;
	memcpy(d->reactors, o->reactors, o->nreactors * sizeof(*d->reactors));
	d->nreactors = o->nreactors;
	d->first_reactor = o->first_reactor;
	d->lun_gone = o->lun_gone;
	d->lun_gone_arg = o->lun_gone_arg;
	ret = add_initial_luns(d, o);
	if (ret)
		goto err_luns;
	if (o->qos) {
		char err[256];

		ret = vdev_qos_contract_init(&d->qos, o->qos, "scsi", o->id,
					     o->num_queues, o->qos_limits, err,
					     sizeof(err));
		if (ret) {
			log_error("scsi %s: %s", o->id, err);
			goto err_luns;
		}
		d->has_qos = true;
		for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++)
			if (d->luns[i]) {
				d->qos_dev_id = d->luns[i]->bdev->dev_id;
				break;
			}
	}
	ret = vu_dev_create(&d->vu, o->id, o->socket, d->nqueues, &scsi_vu_ops, d);
	if (ret)
		goto err_luns;
	*out = d;
	return 0;
err_luns:
	drop_initial_luns(d);
err:
	free_dev(d);
	return ret;
}

void scsi_dev_destroy(struct scsi_dev *d)
{
	if (!d)
		return;
	/* Stops every queue first, so no reactor still uses what we free. */
	vu_dev_destroy(d->vu);
	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++)
		lun_free(d->luns[i]);
	free_dev(d);
}

struct vu_dev *scsi_dev_vu(struct scsi_dev *d)
{
	return d->vu;
}

const char *scsi_dev_id(const struct scsi_dev *d)
{
	return d->id;
}

unsigned int scsi_dev_nluns(const struct scsi_dev *d)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++)
		n += d->luns[i] != NULL;
	return n;
}

unsigned int scsi_dev_luns(const struct scsi_dev *d, struct scsi_lun_info *out)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < SCSI_MAX_LUNS; i++) {
		const struct scsi_lun *l = __atomic_load_n(&d->luns[i],
							   __ATOMIC_ACQUIRE);

		if (!l || __atomic_load_n(&l->removed, __ATOMIC_ACQUIRE))
			continue;
		out[n++] = (struct scsi_lun_info){
			.lun = (uint16_t)i, .backend = l->bdev->ops->name,
			.path = l->bdev->path,
			.size = l->props.nblocks * l->props.block_size,
			.block_size = l->props.block_size,
			.ro = l->props.ro, .thin = l->props.thin };
	}
	return n;
}

void scsi_dev_get_stats(const struct scsi_dev *d, struct scsi_dev_stats *out)
{
	struct vdev_queue_stats v = { 0 };

	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < d->nqueues; i++) {
		const struct scsi_dev_stats *s = &d->queues[i].stats;

#define SUM(f) (out->f += __atomic_load_n(&s->f, __ATOMIC_RELAXED))
		SUM(cmds); SUM(reads); SUM(writes); SUM(flushes); SUM(unmaps);
		SUM(bytes_read); SUM(bytes_written); SUM(check_conditions);
		SUM(bad_requests); SUM(tmfs); SUM(events); SUM(events_dropped);
#undef SUM
		out->inflight += vdev_queue_inflight(&d->queues[i].vdev);
		vdev_queue_stats_add(&d->queues[i].vdev, &v);
	}
	out->lat_ns_sum = v.lat_ns_sum;
	memcpy(out->lat_hist, v.lat_hist, sizeof(out->lat_hist));
}

/* Its request queues, for vdev's QoS calls. */
static struct vdev_queue *request_queue_at(const void *dev, unsigned int i)
{
	struct scsi_dev *d = (struct scsi_dev *)dev;

	return SCSI_VQ_REQ0 + i < d->nqueues ? &d->queues[SCSI_VQ_REQ0 + i].vdev : NULL;
}

int scsi_dev_qos_set(struct scsi_dev *d, const struct qos_limits *lim,
		      char *err, size_t errlen)
{
	return vdev_qos_set(d->has_qos ? &d->qos : NULL, "scsi", d->id,
			    request_queue_at, d, lim, err, errlen);
}

bool scsi_dev_qos_get(const struct scsi_dev *d, struct qos_limits *out)
{
	return vdev_qos_get(d->has_qos ? &d->qos : NULL, out);
}

void scsi_dev_qos_stats(const struct scsi_dev *d, struct qos_stats *out)
{
	vdev_qos_stats(request_queue_at, d, out);
}
