/* SPDX-License-Identifier: MIT */
#include "backend.h"

static int slowed(struct bdev *b, uint64_t delay_us, struct bdev **out)
{
	int ret;

	if (!delay_us) {
		*out = b;
		return 0;
	}
	ret = bdev_delay_wrap(b, delay_us * 1000, out);
	if (ret)
		bdev_destroy(b);
	return ret;
}

int backend_open_disk(const struct disk_config *c, struct bdev **out)
{
	struct bdev_open_opts o = {
		.path = c->path,
		.size = c->size,
		.ro = c->ro,
		.direct = c->direct,
	};
	struct bdev *b;
	int ret;

	if (c->backend == DISK_BACKEND_NULL)
		ret = bdev_null_open(c->size, &b);
	else
		ret = bdev_uring_open(&o, &b);
	return ret ? ret : slowed(b, c->delay_us, out);
}

int backend_open_lun(const struct scsi_config *c,
		     const struct scsi_lun_config *l, struct bdev **out)
{
	struct bdev_open_opts o = {
		.path = l->path,
		.ro = c->ro,
		.direct = c->direct,
	};

	if (!l->path)
		return bdev_null_open(l->null_size, out);
	return bdev_uring_open(&o, out);
}
