/* SPDX-License-Identifier: MIT */
/*
 * Ceph RBD images through librbd's asynchronous API. One cluster
 * connection per conf file, user and timeout, shared by every image
 * opened through it; one image handle per bdev. librbd completes requests
 * on its own threads: each channel takes them back on its reactor through
 * a lock-free list and an eventfd the reactor sleeps on, so no reactor
 * ever waits for the cluster.
 */
#ifndef VMIO_BDEV_BDEV_RBD_H
#define VMIO_BDEV_BDEV_RBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdev/bdev.h"

/* Waits for the monitors when connecting, in seconds, when no timeout is
 * given: a wrong conf must not hold the caller for librados' 5 minutes. */
#define BDEV_RBD_CONNECT_TIMEOUT 30

struct bdev_rbd_opts {
	const char *pool;
	const char *ns;       /* RADOS namespace; NULL or "": the default */
	const char *image;
	const char *conf;     /* ceph.conf; NULL: librados' usual places */
	const char *user;     /* cephx user without "client."; NULL: admin */
	uint64_t size;        /* create the image if missing, grow if smaller */
	bool ro;
	/* Seconds after which a request the cluster does not answer fails
	 * with an I/O error (and connecting gives up); 0: requests wait for
	 * the cluster as long as it takes, as librbd does by default. */
	unsigned int timeout_s;
	/* librbd's client-side cache (rbd_cache). Off by default, as an
	 * image file is opened O_DIRECT: acknowledged writes are in the
	 * cluster, where another client (a live migration's destination)
	 * reads them. */
	bool cache;
};

/* Opens (creating or growing when size says so) the image. -errno, with
 * the reason logged as a sentence saying what to do. Not on a reactor:
 * it waits for the cluster. Returns -ENOTSUP, logged, when vmiod was
 * built without librbd. */
int bdev_rbd_open(const struct bdev_rbd_opts *opts, struct bdev **out);

/* What went wrong at each step, for a person (bdev_rbd_err.c). */
enum bdev_rbd_stage {
	RBD_STAGE_CONF,       /* reading the conf file */
	RBD_STAGE_CONNECT,    /* reaching the monitors, authenticating */
	RBD_STAGE_POOL,       /* the pool (and namespace) */
	RBD_STAGE_OPEN,       /* the image */
	RBD_STAGE_CREATE,     /* creating it (size=) */
	RBD_STAGE_RESIZE,     /* growing it */
	RBD_STAGE_IO,         /* a request of the data path */
};

/* Writes the sentence for err (-errno) at stage into buf; returns buf. */
const char *bdev_rbd_explain(enum bdev_rbd_stage stage, int err,
			     const struct bdev_rbd_opts *o, char *buf,
			     size_t len);
/* "pool/image" or "pool/namespace/image", as messages and configs name
 * an image. */
int bdev_rbd_name(const struct bdev_rbd_opts *o, char *buf, size_t len);
/* Parses "pool/image" or "pool/namespace/image" (a scsi LUN's rbd:SPEC)
 * into the three parts, each a name RBD accepts; they point into buf, a
 * copy of spec. 0, or -EINVAL. */
int bdev_rbd_parse_spec(const char *spec, char *buf, size_t len,
			const char **pool, const char **ns, const char **image);

#endif
