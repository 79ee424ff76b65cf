/* SPDX-License-Identifier: MIT */
/*
 * vufront without a connection: guest memory, rings, slots and eventfds
 * built as vufront_setup builds them, for a test that plays the
 * front-end's vhost-user side itself (in-process, towards a device it
 * steps) and wants vufront only as the guest's driver.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "vufront/vufront_int.h"

/* The virtio features the rings are driven with, from the options. */
static uint64_t ring_features(const struct vufront_opts *o)
{
	uint64_t f = 1ull << VIRTIO_F_VERSION_1;

	if (!o->no_event_idx)
		f |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (o->indirect)
		f |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (o->packed)
		f |= 1ull << VIRTIO_F_RING_PACKED;
	return f;
}

int vufront_detached(const struct vufront_opts *o, bool scsi,
		     struct vufront **out, char *err, size_t errlen)
{
	struct vufront *f = vuf_alloc(scsi ? VUF_DEV_SCSI : VUF_DEV_BLK);
	int ret;

	err[0] = '\0';
	if (!f)
		return -ENOMEM;
	if (o->dirty_log || o->mem_table) {
		snprintf(err, errlen, "dirty_log and mem_table need a "
			 "connection");
		vufront_close(f);
		return -EINVAL;
	}
	ret = vuf_check_opts(f, o, err, errlen);
	ret = ret ?: vuf_alloc_queues(f);
	if (!ret) {
		f->info.features = f->info.offered_features = ring_features(o);
		f->info.num_queues = (uint16_t)(f->nq - f->first_req_q);
		f->info.blk_size = 512;
	}
	/* No protocol features: the config space is QEMU's default. */
	if (!ret && scsi)
		ret = vuf_scsi_read_config(f, err, errlen);
	ret = ret ?: vuf_map_memory(f);
	for (unsigned int i = 0; i < f->nq && !ret; i++)
		ret = vuf_prepare_queue(&f->q[i]);
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "building guest memory and rings "
				 "failed: %s", strerror(-ret));
		vufront_close(f);
		return ret;
	}
	*out = f;
	return 0;
}

unsigned int vufront_regions(const struct vufront *f)
{
	return f->nregions;
}
