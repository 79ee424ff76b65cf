/* SPDX-License-Identifier: MIT */
#include "scsi_target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "util/log.h"

static json_t *target_config_of(const struct device *dev)
{
	return scsi_config_to_json(&((const struct scsi_target *)dev)->cfg);
}

static int target_qos_set(struct device *dev, const struct qos_limits *lim,
			  char *err, size_t errlen)
{
	struct scsi_target *t = scsi_target_of(dev);
	int ret = scsi_dev_qos_set(t->sd, lim, err, errlen);

	if (ret)
		return ret;
	t->cfg.qos = *lim;
	t->cfg.has_qos = true;
	return 0;
}

static bool target_qos_get(const struct device *dev, struct qos_limits *out)
{
	return scsi_dev_qos_get(((const struct scsi_target *)dev)->sd, out);
}

static void target_qos_stats(const struct device *dev, struct qos_stats *out)
{
	scsi_dev_qos_stats(((const struct scsi_target *)dev)->sd, out);
}

static void claims_free(struct scsi_target *t)
{
	for (unsigned int i = 0; i < SCSI_CFG_MAX_LUNS; i++)
		image_claim_free(&t->claims[i]);
}

/* vu_dev's claim for the whole target: every LUN's image, or none. */
static int target_claim(void *arg, bool take)
{
	struct scsi_target *t = arg;
	int ret = 0;
	unsigned int i;

	for (i = 0; i < SCSI_CFG_MAX_LUNS && !ret; i++)
		ret = image_claim_cb(&t->claims[i], take);
	if (ret)
		while (i-- > 0)
			image_claim_cb(&t->claims[i], false);
	return ret;
}

static void target_destroy(struct device *dev)
{
	struct scsi_target *t = scsi_target_of(dev);

	scsi_dev_destroy(t->sd);
	claims_free(t);
	queue_place_free(&t->dev.place);
	scsi_config_free(&t->cfg);
	free(t);
}

const struct device_ops scsi_target_ops = {
	.kind = "scsi target",
	.config = target_config_of,
	.qos_set = target_qos_set,
	.qos_get = target_qos_get,
	.qos_stats = target_qos_stats,
	.destroy = target_destroy,
};

/* The request queues go where its LUNs' storage is, like a disk's queues
 * (placement.h); null LUNs have no device and do not count. */
static int target_place(struct device_env *env, struct scsi_target *t)
{
	const struct scsi_config *c = &t->cfg;
	struct place_store *stores = calloc(c->nluns, sizeof(*stores));
	char (*names)[16] = calloc(c->nluns, sizeof(*names)), who[96];
	int ret = -ENOMEM;

	if (stores && names) {
		for (unsigned int i = 0; i < c->nluns; i++) {
			snprintf(names[i], sizeof(names[i]), "LUN %u",
				 c->luns[i].lun);
			stores[i] = (struct place_store){ .name = names[i],
							  .path = c->luns[i].path };
		}
		snprintf(who, sizeof(who), "scsi target %s", c->id);
		ret = placement_queues(env->placement, who, stores, c->nluns,
				       c->queues, env->next_reactor, &t->dev.place);
	}
	free(stores);
	free(names);
	return ret;
}

static void close_luns(struct scsi_lun_opts *luns, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		bdev_destroy(luns[i].bdev);
}

/* A removed LUN's image is closed: its claim goes with it. */
static void lun_gone(void *arg, uint16_t lun)
{
	struct scsi_target *t = arg;

	image_claim_free(&t->claims[lun]);
}

static int target_open(struct device_env *env, struct scsi_target *t)
{
	const struct scsi_config *c = &t->cfg;
	struct scsi_lun_opts *luns = calloc(c->nluns, sizeof(*luns));
	int ret = luns ? target_place(env, t) : -ENOMEM;
	unsigned int opened = 0;

	for (unsigned int i = 0; !ret && i < c->nluns; i++) {
		struct backend_created made;

		ret = backend_open_lun(c, &c->luns[i], &luns[i].bdev, &made,
				       &t->claims[c->luns[i].lun], c->incoming);
		backend_created_free(&made);
		opened += !ret;
		luns[i].lun = c->luns[i].lun;
		luns[i].ro = c->ro;
		luns[i].block_size = c->blk_size;
	}
	if (!ret) {
		/* scsi_dev maps request queue q to reactors[q] (control and
		 * events share request queue 0's). */
		struct scsi_dev_opts o = {
			.id = c->id,
			.socket = c->socket,
			.num_queues = c->queues,
			.luns = luns,
			.nluns = c->nluns,
			.reactors = t->dev.place.queue_reactor,
			.nreactors = t->dev.place.nqueues,
			.qos = env->qos,
			.qos_limits = c->has_qos ? &c->qos : NULL,
			.lun_gone = lun_gone,
			.lun_gone_arg = t,
		};

		if (c->has_qos && !env->qos) {
			log_error("scsi target %s: QoS options need QoS on; start "
				  "vmiod with --qos", c->id);
			ret = -EINVAL;
		} else {
			ret = scsi_dev_create(&o, &t->sd);
		}
	}
	if (ret && luns)
		close_luns(luns, opened);
	free(luns);
	if (ret)
		return ret;
	/* As a disk's: the images go to a migration's destination once the
	 * guest stopped here, an incoming target's are locked when it runs. */
	vu_dev_set_claim(scsi_dev_vu(t->sd), target_claim, t, !c->incoming);
	if (c->incoming)
		log_info("scsi target %s: waiting for an incoming live migration: "
			 "its images are locked when the guest starts here", c->id);
	env->next_reactor++;
	log_info("scsi target %s: %u LUN%s, %u request queue%s, listening on %s",
		 c->id, c->nluns, c->nluns == 1 ? "" : "s", c->queues,
		 c->queues == 1 ? "" : "s", c->socket);
	return 0;
}

int scsi_target_create(struct device_env *env, const struct scsi_config *c,
		       char *err, size_t errlen)
{
	struct scsi_target *t;
	int ret;

	ret = registry_check_unique(&env->devices, c->id, c->socket, err, errlen);
	if (ret)
		return ret;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->dev.ops = &scsi_target_ops;
	for (unsigned int i = 0; i < SCSI_CFG_MAX_LUNS; i++)
		t->claims[i].fd = -1;
	ret = scsi_config_copy(&t->cfg, c);
	if (ret) {
		free(t);
		return ret;
	}
	t->dev.id = t->cfg.id;
	t->dev.socket = t->cfg.socket;
	log_capture_begin(err, errlen);
	ret = target_open(env, t);
	log_capture_end();
	if (!ret)
		ret = registry_add(&env->devices, &t->dev, scsi_dev_vu(t->sd));
	if (ret) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", strerror(-ret));
		scsi_dev_destroy(t->sd);
		claims_free(t);
		queue_place_free(&t->dev.place);
		scsi_config_free(&t->cfg);
		free(t);
	}
	return ret;
}

/* The LUN list in the configuration follows the running target. */
static int config_add_lun(struct scsi_config *c, const struct scsi_lun_config *l)
{
	struct scsi_lun_config *luns = realloc(c->luns, (c->nluns + 1) * sizeof(*luns));
	unsigned int at = c->nluns;

	if (!luns)
		return -ENOMEM;
	c->luns = luns;
	while (at && luns[at - 1].lun > l->lun) {
		luns[at] = luns[at - 1];
		at--;
	}
	luns[at] = *l;
	luns[at].path = l->path ? strdup(l->path) : NULL;
	luns[at].rbd = l->rbd ? strdup(l->rbd) : NULL;
	luns[at].beneath = NULL;
	c->nluns++;
	return (l->path && !luns[at].path) || (l->rbd && !luns[at].rbd)
	       ? -ENOMEM : 0;
}

int scsi_target_lun_add(struct scsi_target *t, const struct scsi_lun_config *l,
			bool ro, char *err, size_t errlen)
{
	struct scsi_config c = t->cfg;
	struct scsi_lun_opts lo = { .lun = l->lun, .ro = ro };
	struct vu_dev *vu = scsi_dev_vu(t->sd);
	struct backend_created made;
	struct image_claim claim;
	int ret;

	if (l->lun >= SCSI_MAX_LUNS) {
		snprintf(err, errlen, "LUN %u: LUNs are 0 to %d", l->lun,
			 SCSI_MAX_LUNS - 1);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < t->cfg.nluns; i++)
		if (t->cfg.luns[i].lun == l->lun) {
			snprintf(err, errlen, "scsi target '%s' already has LUN "
				 "%u; remove it first", t->cfg.id, l->lun);
			return -EEXIST;
		}
	if (scsi_dev_lun_removing(t->sd, (uint16_t)l->lun)) {
		snprintf(err, errlen, "LUN %u of '%s' is still being removed: "
			 "its commands in flight are finishing; add it again "
			 "once scsi_info no longer shows it removing", l->lun,
			 t->cfg.id);
		return -EBUSY;
	}
	c.ro = ro;
	c.direct = true;
	err[0] = '\0';
	log_capture_begin(err, errlen);
	/* While the target's images are given up (a migration moved its
	 * guest away, or has not brought it here yet), so is this one's. */
	ret = backend_open_lun(&c, l, &lo.bdev, &made, &claim, !vu->claimed);
	log_capture_end();
	backend_created_free(&made);
	if (ret) {
		/* The backend's own sentence, when it logged one. */
		if (!err[0])
			snprintf(err, errlen, "cannot open %s: %s",
				 l->path ? l->path : l->rbd ? l->rbd
							    : "a null backend",
				 strerror(-ret));
		return ret;
	}
	ret = scsi_dev_lun_add(t->sd, &lo);
	if (ret) {
		bdev_destroy(lo.bdev);
		image_claim_free(&claim);
		if (ret == -EEXIST)
			snprintf(err, errlen, "scsi target '%s' already has LUN "
				 "%u; remove it first", t->cfg.id, l->lun);
		else
			snprintf(err, errlen, "cannot add LUN %u to '%s': %s",
				 l->lun, t->cfg.id, strerror(-ret));
		return ret;
	}
	t->claims[l->lun] = claim;
	return config_add_lun(&t->cfg, l);
}

int scsi_target_lun_remove(struct scsi_target *t, unsigned int lun, char *err,
			   size_t errlen)
{
	/* Asked again while it drains: -EINPROGRESS again. */
	int ret = lun < SCSI_MAX_LUNS ? scsi_dev_lun_remove(t->sd, (uint16_t)lun)
				      : -ENOENT;
	if (ret == -ENOENT) {
		snprintf(err, errlen, "scsi target '%s' has no LUN %u", t->cfg.id,
			 lun);
		return ret;
	}
	if (ret && ret != -EINPROGRESS) {
		snprintf(err, errlen, "cannot remove LUN %u from '%s': %s", lun,
			 t->cfg.id, strerror(-ret));
		return ret;
	}
	/* Removing is as good as removed for the configuration; the image's
	 * claim goes once it is closed (lun_gone). */
	for (unsigned int i = 0; i < t->cfg.nluns; i++)
		if (t->cfg.luns[i].lun == lun) {
			free(t->cfg.luns[i].path);
			free(t->cfg.luns[i].rbd);
			memmove(&t->cfg.luns[i], &t->cfg.luns[i + 1],
				(t->cfg.nluns - i - 1) * sizeof(t->cfg.luns[0]));
			t->cfg.nluns--;
			break;
		}
	return ret;
}

void scsi_target_get_info(struct scsi_target *t, struct scsi_target_info *out)
{
	struct vu_dev *vu = scsi_dev_vu(t->sd);

	out->id = t->cfg.id;
	out->socket = t->cfg.socket;
	out->socket_path = vu->listener.bound;
	out->queues = t->dev.place.nqueues;
	out->connected = vu->conn_fd >= 0;
	out->features = out->connected ? vu->features : 0;
	out->dev = t->sd;
	out->place = &t->dev.place;
	out->guest_mem = vu->mem;
}
