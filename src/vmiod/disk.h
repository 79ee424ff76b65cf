/* SPDX-License-Identifier: MIT */
/* A virtio-blk disk as a device of the registry (devices.h). */
#ifndef VMIOD_DISK_H
#define VMIOD_DISK_H

#include "backend.h"
#include "blk/blk_dev.h"
#include "devcfg.h"
#include "devices.h"
#include "env.h"

struct disk {
	struct device dev;
	struct disk_config cfg;
	struct blk_dev *blk;
	struct vu_dev *vu;
	struct backend_created made; /* while it is being added */
	struct image_claim claim;    /* its image's locks */
};

extern const struct device_ops disk_ops;

static inline struct disk *disk_of(struct device *dev)
{
	return dev && dev->ops == &disk_ops ? (struct disk *)dev : NULL;
}

/* Opens the backend and serves the disk c describes. On failure returns
 * -errno with a sentence for a person in err. */
int disk_create(struct device_env *env, const struct disk_config *c,
		char *err, size_t errlen);
/* Grows it (and its image), telling a connected guest. */
int disk_resize(struct disk *k, uint64_t bytes, char *err, size_t errlen);

struct disk_info {
	const char *id;
	const char *path;    /* an image file, or NULL */
	const char *image;   /* an RBD image ("pool/image"), or NULL */
	const char *socket;  /* as given: a path, fd:N or systemd */
	const char *socket_path; /* handed in: the path it is bound to */
	const char *backend; /* "uring", "null" or "rbd" */
	uint64_t size;       /* bytes */
	uint32_t blk_size;
	unsigned int queues;
	bool ro;
	bool direct;
	bool connected;
	uint64_t features;          /* negotiated, 0 when not connected */
	uint64_t protocol_features;
	bool has_qos;
	const struct qos_limits *qos; /* the contract, when has_qos */
	struct queue_place *place;   /* queues' reactors, device node */
	struct guest_mem *guest_mem; /* the connected guest's memory table */
};
void disk_get_info(struct disk *k, struct disk_info *out);

#endif
