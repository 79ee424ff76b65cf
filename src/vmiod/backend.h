/* SPDX-License-Identifier: MIT */
/* Backends made from configurations: what a disk or a LUN is served
 * from (an image file or block device through io_uring, a null device,
 * either one slowed down for tests). */
#ifndef VMIOD_BACKEND_H
#define VMIOD_BACKEND_H

#include "bdev/bdev.h"
#include "devcfg.h"

/* Opens a disk's backend. -errno, with the reason logged. */
int backend_open_disk(const struct disk_config *c, struct bdev **out);
/* Opens LUN l of scsi target c. */
int backend_open_lun(const struct scsi_config *c,
		     const struct scsi_lun_config *l, struct bdev **out);

#endif
