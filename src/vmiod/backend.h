/* SPDX-License-Identifier: MIT */
/*
 * Backends made from configurations: what a disk or a LUN is served from
 * (an image file or block device through io_uring, a Ceph RBD image, a
 * null device, any of them slowed down for tests).
 *
 * Images are opened so that nobody can point vmiod, which runs as root,
 * at a file it should not serve: an image under an --image-dir is opened
 * beneath that directory (openat2 RESOLVE_BENEATH: a symlink swapped in
 * after the path was checked cannot lead out of it), without blocking on
 * whatever the name turns out to be (a FIFO), and kept only if it is a
 * regular file or a block device. Images are locked as QEMU locks them
 * (image_lock.h), so a disk and QEMU, or two disks, never both write one.
 */
#ifndef VMIOD_BACKEND_H
#define VMIOD_BACKEND_H

#include <stdbool.h>

#include "bdev/bdev.h"
#include "devcfg.h"
#include "image_lock.h"

/* What an open created, so that a failed add can take it back. */
struct backend_created {
	bool created;       /* the image file did not exist before */
	int dirfd;          /* where it was created */
	char *name;
	dev_t dev;
	ino_t ino;
};

/* Opens a disk's backend. -errno, with the reason logged. claim gets
 * the image's locks (fd -1: none); an incoming disk's image is opened
 * without them: the migration's source holds them until its guest
 * stops. */
int backend_open_disk(const struct disk_config *c, struct bdev **out,
		      struct backend_created *made, struct image_claim *claim);
/* Opens LUN l of scsi target c; claim and unlocked as for a disk. */
int backend_open_lun(const struct scsi_config *c,
		     const struct scsi_lun_config *l, struct bdev **out,
		     struct backend_created *made, struct image_claim *claim,
		     bool unlocked);
/* After a failed add: removes the image the open created (only if it is
 * still that file). Then, or on success, forgets it. */
void backend_undo_create(struct backend_created *made);
void backend_created_free(struct backend_created *made);

#endif
