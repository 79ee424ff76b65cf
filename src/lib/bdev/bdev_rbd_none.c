/* SPDX-License-Identifier: MIT */
/* vmiod built without librbd: RBD disks are refused with what to do. */
#include <errno.h>

#include "bdev/bdev_rbd.h"
#include "util/log.h"

int bdev_rbd_open(const struct bdev_rbd_opts *opts, struct bdev **out)
{
	log_error("this vmiod was built without the RBD backend: install "
		  "librbd-dev (scripts/deps.sh) and rebuild; meson's summary "
		  "says whether it is in");
	return -ENOTSUP;
}
