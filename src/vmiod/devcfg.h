/* SPDX-License-Identifier: MIT */
/*
 * What a disk and a virtio-scsi target are made of, as vmiod takes them
 * from `--disk`/`--scsi`, from disk_add/scsi_add over the RPC and from the
 * config file, and gives them back in config_get: one typed schema each
 * (cfg/cfg.h), the QoS keys included.
 *
 *   --disk id=NAME,socket=SOCK,path=FILE[,queues=N][,ro=on][,size=BYTES]
 *          [,direct=off][,blk-size=512|4096][,backend=null][,delay-us=N]
 *          [,incoming=on]
 *          [,QoS keys: iops=, bps=, ... see docs/qos.md]
 *   --disk id=NAME,socket=SOCK,backend=rbd,pool=POOL,image=IMAGE
 *          [,namespace=NS][,conf=CEPH_CONF][,user=CEPHX_USER]
 *          [,rbd-timeout=SECONDS][,size=BYTES][, the other keys]
 *   --scsi id=NAME,socket=SOCK,lun0=FILE[,lunN=FILE|null:SIZE|rbd:POOL/IMAGE]
 *          [,queues=N][,ro=on][,direct=off][,blk-size=512|4096][,QoS keys]
 *          [,conf=CEPH_CONF][,user=CEPHX_USER][,rbd-timeout=SECONDS]
 *          [,incoming=on][,delay-us=N]
 *
 * SOCK is a path vmiod binds, or a listening socket handed in:
 * fd:N (inherited descriptor N) or systemd (the one systemd's socket
 * activation names after id); see util/listen_fds.h.
 *
 * In JSON the same keys, with numbers and booleans as such; a target's
 * LUNs as "luns": [{"lun": 0, "path": "/img"}, {"lun": 1, "null": SIZE},
 * {"lun": 2, "rbd": "pool/image"}] (lunN keys are read too).
 */
#ifndef VMIOD_DEVCFG_H
#define VMIOD_DEVCFG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "qos/qos.h"

enum disk_backend { DISK_BACKEND_URING, DISK_BACKEND_NULL, DISK_BACKEND_RBD };

/* Where a disk's or a target's RBD images are: the cluster and how long a
 * request may wait for it. */
struct rbd_config {
	char *conf;          /* ceph.conf; NULL: librados' usual places */
	char *user;          /* cephx user (no "client."); NULL: admin */
	uint32_t timeout_s;  /* rbd-timeout; 0: wait as long as it takes */
};

struct disk_config {
	char *id;
	char *socket;
	char *path;          /* NULL for a null backend */
	unsigned int backend; /* enum disk_backend */
	uint32_t queues;
	bool ro;
	uint32_t blk_size;   /* 0: pick from the backend */
	uint32_t discard_segs; /* 0: as many as vmiod takes */
	uint64_t size;       /* 0: as the image is */
	bool direct;
	uint64_t delay_us;   /* hold completions this long (a slow device) */
	/* The destination of a live migration: the image is opened without
	 * its locks, which the source holds until its guest stops, and
	 * locked when the guest starts here. */
	bool incoming;
	/* backend=rbd: the image (namespace may be NULL), and its cluster. */
	char *pool, *ns, *image;
	struct rbd_config rbd;
	bool has_qos;        /* a QoS key was given */
	struct qos_limits qos;
	/* Not a key: the --image-dir the RPC found path under; the image is
	 * opened beneath it (backend.h). NULL: the operator's own path. */
	char *beneath;
};

/* virtio-scsi LUNs: 0 to 255. */
#define SCSI_CFG_MAX_LUNS 256

struct scsi_lun_config {
	uint16_t lun;
	char *path;          /* an image file; NULL with rbd: null backend */
	char *rbd;           /* "pool/image" or "pool/namespace/image" */
	uint64_t null_size;
	char *beneath;       /* as disk_config's */
};

struct scsi_config {
	char *id;
	char *socket;
	uint32_t queues;
	bool ro;
	bool direct;
	uint32_t blk_size;   /* 0: 4096 if O_DIRECT needs it, else 512 */
	uint64_t delay_us;   /* as a disk's, for every LUN */
	struct scsi_lun_config *luns; /* sorted by number */
	unsigned int nluns;
	struct rbd_config rbd;       /* for its rbd: LUNs */
	bool incoming;               /* as a disk's */
	bool has_qos;
	struct qos_limits qos;
};

/* From a --disk string or a JSON object. 0, or -EINVAL/-ENOMEM with a
 * sentence for a person in err; d is then empty. */
int disk_config_from_opts(const char *s, struct disk_config *d, char *err,
			  size_t errlen);
int disk_config_from_json(json_t *obj, struct disk_config *d, char *err,
			  size_t errlen);
/* The disk as disk_add takes it back (a new object, or NULL). */
json_t *disk_config_to_json(const struct disk_config *d);
int disk_config_copy(struct disk_config *dst, const struct disk_config *src);
void disk_config_free(struct disk_config *d);

int scsi_config_from_opts(const char *s, struct scsi_config *c, char *err,
			  size_t errlen);
int scsi_config_from_json(json_t *obj, struct scsi_config *c, char *err,
			  size_t errlen);
json_t *scsi_config_to_json(const struct scsi_config *c);
int scsi_config_copy(struct scsi_config *dst, const struct scsi_config *src);
void scsi_config_free(struct scsi_config *c);

#endif
