/* SPDX-License-Identifier: MIT */
/* A virtio-scsi target as a device of the registry (devices.h): its LUNs
 * can be plugged in and out while it runs. */
#ifndef VMIOD_SCSI_TARGET_H
#define VMIOD_SCSI_TARGET_H

#include "backend.h"
#include "devcfg.h"
#include "devices.h"
#include "env.h"
#include "scsi/scsi_dev.h"

struct scsi_target {
	struct device dev;
	struct scsi_config cfg;
	struct scsi_dev *sd;
	/* Its LUNs' image locks, by LUN number (fd -1: none), taken and
	 * given up together (vu_dev's claim: live migration). */
	struct image_claim claims[SCSI_CFG_MAX_LUNS];
};

extern const struct device_ops scsi_target_ops;

static inline struct scsi_target *scsi_target_of(struct device *dev)
{
	return dev && dev->ops == &scsi_target_ops ? (struct scsi_target *)dev
						   : NULL;
}

/* Opens its LUNs and serves the target c describes. On failure returns
 * -errno with a sentence for a person in err. */
int scsi_target_create(struct device_env *env, const struct scsi_config *c,
		       char *err, size_t errlen);
/* Hot-plugs LUN l (the guest is told to rescan); -EEXIST, -EBUSY (that
 * number is still being removed), -EINVAL. */
int scsi_target_lun_add(struct scsi_target *t, const struct scsi_lun_config *l,
			bool ro, char *err, size_t errlen);
/* Unplugs it: new commands are refused at once; 0 when it is gone, or
 * -EINPROGRESS when it goes once its commands in flight are done (the
 * control thread does not wait for them); -ENOENT. */
int scsi_target_lun_remove(struct scsi_target *t, unsigned int lun, char *err,
			   size_t errlen);

struct scsi_target_info {
	const char *id;
	const char *socket;
	const char *socket_path;     /* handed in: the path it is bound to */
	unsigned int queues;         /* request queues */
	bool connected;
	uint64_t features;           /* negotiated, 0 when not connected */
	struct scsi_dev *dev;
	struct queue_place *place;   /* request queues' reactors, device node */
	struct guest_mem *guest_mem; /* the connected guest's memory table */
};
void scsi_target_get_info(struct scsi_target *t, struct scsi_target_info *out);

#endif
