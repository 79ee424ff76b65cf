/* SPDX-License-Identifier: MIT */
#include "disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "util/log.h"

static json_t *disk_config_of(const struct device *dev)
{
	return disk_config_to_json(&((const struct disk *)dev)->cfg);
}

static int disk_qos_set(struct device *dev, const struct qos_limits *lim,
			char *err, size_t errlen)
{
	struct disk *k = disk_of(dev);
	int ret = blk_dev_qos_set(k->blk, lim, err, errlen);

	if (ret)
		return ret;
	k->cfg.qos = *lim;
	k->cfg.has_qos = true;
	return 0;
}

static bool disk_qos_get(const struct device *dev, struct qos_limits *out)
{
	return blk_dev_qos_get(((const struct disk *)dev)->blk, out);
}

static void disk_qos_stats(const struct device *dev, struct qos_stats *out)
{
	blk_dev_qos_stats(((const struct disk *)dev)->blk, out);
}

static void disk_destroy(struct device *dev)
{
	struct disk *k = disk_of(dev);

	blk_dev_destroy(k->blk);
	image_claim_free(&k->claim);
	queue_place_free(&k->dev.place);
	disk_config_free(&k->cfg);
	free(k);
}

const struct device_ops disk_ops = {
	.kind = "disk",
	.config = disk_config_of,
	.qos_set = disk_qos_set,
	.qos_get = disk_qos_get,
	.qos_stats = disk_qos_stats,
	.destroy = disk_destroy,
};

/* The blk device on its backend, its queues on the reactors of its
 * storage's NUMA node (placement.h). */
static int disk_open(struct device_env *env, struct disk *k)
{
	const struct disk_config *c = &k->cfg;
	struct blk_dev_opts o = {
		.id = c->id,
		.socket = c->socket,
		.num_queues = c->queues,
		.ro = c->ro,
	};
	/* Null and RBD disks have no local device to be near. */
	struct place_store store = {
		.path = c->backend == DISK_BACKEND_URING ? c->path : NULL,
	};
	struct backend_created made;
	struct bdev *b;
	char err[256], who[96];
	int ret;

	snprintf(who, sizeof(who), "disk %s", c->id);
	ret = placement_queues(env->placement, who, &store, 1, c->queues,
			       env->next_reactor, &k->dev.place);
	if (ret)
		return ret;
	/* blk_dev maps queue q to reactors[(first_reactor + q) % nreactors]. */
	o.reactors = k->dev.place.queue_reactor;
	o.nreactors = c->queues;
	if (c->has_qos && !env->qos) {
		log_error("disk %s: QoS options need QoS on; start vmiod with --qos",
			  c->id);
		return -EINVAL;
	}
	if (env->qos) {
		o.qos = env->qos;
		o.qos_limits = c->has_qos ? &c->qos : NULL;
	}
	ret = backend_open_disk(c, &b, &made, &k->claim);
	if (ret)
		return ret;
	o.bdev = b;
	o.discard_segs = c->discard_segs;
	o.blk_size = c->blk_size ? c->blk_size : (b->align > 512 ? 4096 : 512);
	if (o.blk_size < b->align) {
		log_error("disk %s: blk-size=%u is smaller than the %u bytes "
			  "O_DIRECT needs on %s; use blk-size=4096 or direct=off",
			  c->id, o.blk_size, b->align, c->path);
		ret = -EINVAL;
		goto err;
	}
	ret = blk_dev_create(&o, &k->blk, err, sizeof(err));
	if (ret) {
		if (err[0])
			log_error("disk %s: %s", c->id, err);
		goto err;
	}
	k->made = made;
	k->vu = blk_dev_vu(k->blk);
	/* The image goes to a migration's destination once the guest has
	 * stopped here; an incoming disk's is taken when its guest runs. */
	vu_dev_set_claim(k->vu, image_claim_cb, &k->claim, !c->incoming);
	if (c->incoming)
		log_info("disk %s: waiting for an incoming live migration: the "
			 "image is locked when the guest starts here", c->id);
	env->next_reactor++;
	log_info("disk %s: %s%s%s, %llu MiB, %u-byte blocks, %u queue%s%s, "
		 "listening on %s", c->id,
		 c->backend == DISK_BACKEND_NULL ? "null backend" :
		 c->backend == DISK_BACKEND_RBD ? "RBD image " : "",
		 c->backend == DISK_BACKEND_NULL ? "" : b->path,
		 c->backend != DISK_BACKEND_URING ? "" :
		 (c->direct ? " (O_DIRECT)" : " (cached)"),
		 (unsigned long long)(b->size >> 20), o.blk_size, c->queues,
		 c->queues == 1 ? "" : "s", o.ro || b->ro ? ", read-only" : "",
		 c->socket);
	if (c->has_qos) {
		char q[512];

		if (qos_limits_format(&c->qos, q, sizeof(q)) >= 0)
			log_info("disk %s: QoS contract %s", c->id, q);
	}
	return 0;
err:
	bdev_destroy(b);
	image_claim_free(&k->claim);
	/* A failed add leaves no image it created behind. */
	backend_undo_create(&made);
	return ret;
}

int disk_create(struct device_env *env, const struct disk_config *c,
		char *err, size_t errlen)
{
	struct disk *k;
	int ret;

	ret = registry_check_unique(&env->devices, c->id, c->socket, err, errlen);
	if (ret)
		return ret;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->dev.ops = &disk_ops;
	k->claim.fd = -1;
	ret = disk_config_copy(&k->cfg, c);
	if (ret) {
		free(k);
		return ret;
	}
	k->dev.id = k->cfg.id;
	k->dev.socket = k->cfg.socket;
	log_capture_begin(err, errlen);
	ret = disk_open(env, k);
	log_capture_end();
	if (!ret)
		ret = registry_add(&env->devices, &k->dev, k->vu);
	if (ret) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", strerror(-ret));
		if (k->blk) {
			blk_dev_destroy(k->blk);
			backend_undo_create(&k->made);
		}
		image_claim_free(&k->claim);
		queue_place_free(&k->dev.place);
		disk_config_free(&k->cfg);
		free(k);
		return ret;
	}
	/* Served: the image stays, whoever made it. */
	backend_created_free(&k->made);
	return 0;
}

int disk_resize(struct disk *k, uint64_t bytes, char *err, size_t errlen)
{
	int ret = blk_dev_resize(k->blk, bytes, err, errlen);

	if (!ret)
		k->cfg.size = bytes;
	return ret;
}

void disk_get_info(struct disk *k, struct disk_info *out)
{
	struct bdev *b = blk_dev_bdev(k->blk);

	out->id = k->cfg.id;
	out->path = k->cfg.path;
	out->image = k->cfg.backend == DISK_BACKEND_RBD ? b->path : NULL;
	out->socket = k->cfg.socket;
	out->socket_path = k->vu->listener.bound;
	out->backend = k->cfg.backend == DISK_BACKEND_NULL ? "null" :
		       k->cfg.backend == DISK_BACKEND_RBD ? "rbd" : "uring";
	out->size = b->size;
	out->blk_size = blk_dev_blk_size(k->blk);
	out->queues = k->cfg.queues;
	out->ro = k->cfg.ro || b->ro;
	out->direct = k->cfg.direct && k->cfg.backend == DISK_BACKEND_URING;
	out->connected = k->vu->conn_fd >= 0;
	out->features = out->connected ? k->vu->features : 0;
	out->protocol_features = out->connected ? k->vu->protocol_features : 0;
	out->has_qos = k->cfg.has_qos;
	out->qos = &k->cfg.qos;
	out->place = &k->dev.place;
	out->guest_mem = k->vu->mem;
}
