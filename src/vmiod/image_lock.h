/* SPDX-License-Identifier: MIT */
/*
 * Image locking as QEMU does it (its file driver's byte-range locks), so
 * that vmiod, QEMU and qemu-storage-daemon all see each other: open file
 * description locks on one byte per permission at 100 + bit ("I use it")
 * and at 200 + bit ("nobody else may"), with QEMU's permission bits
 * (consistent read 0, write 1, write unchanged 2, resize 3). A writer
 * takes read, write and resize and shares only reads; a reader takes read
 * and lets nobody write or resize. The locks go with the file descriptor.
 */
#ifndef VMIOD_IMAGE_LOCK_H
#define VMIOD_IMAGE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

/* Locks the image open at fd for writing (rw) or reading. 0, or -EBUSY
 * with err naming who holds it (the processes that have it open). */
int image_lock(int fd, bool rw, const char *path, char *err, size_t errlen);

/* Gives up every lock fd's open file description holds on the image. */
void image_unlock(int fd);

/* An image's locks as a disk holds them: given up while a live migration
 * hands the image to the destination's vmiod, taken again when the guest
 * runs here (vu_dev's claim). fd is a dup of the image's descriptor (the
 * same open file description, so the same locks), or -1 for a backend
 * with nothing to lock (null, RBD). */
struct image_claim {
	int fd;
	bool rw;
	char *path;
};

/* The vu_dev claim callback: takes (0, or -EBUSY logged with who holds
 * it) or gives up the locks of arg, a struct image_claim. */
int image_claim_cb(void *arg, bool take);
void image_claim_free(struct image_claim *c);

#endif
