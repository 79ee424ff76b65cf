/* SPDX-License-Identifier: MIT */
/*
 * The devices vmiod serves — virtio-blk disks and virtio-scsi targets —
 * in one registry, each behind one ops table: the control plane lists,
 * finds, reconfigures and removes either kind the same way. Names and
 * sockets are unique across kinds. Removal is asynchronous: a device
 * leaves the registry at once and is destroyed once its requests in
 * flight are done.
 */
#ifndef VMIOD_DEVICES_H
#define VMIOD_DEVICES_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "endpoint.h"
#include "placement.h"
#include "qos/qos.h"

struct device;
struct device_registry;

struct device_ops {
	const char *kind;   /* "disk", "scsi target": for messages */
	/* Its configuration as the RPC's *_add takes it back. */
	json_t *(*config)(const struct device *dev);
	int (*qos_set)(struct device *dev, const struct qos_limits *lim,
		       char *err, size_t errlen);
	bool (*qos_get)(const struct device *dev, struct qos_limits *out);
	void (*qos_stats)(const struct device *dev, struct qos_stats *out);
	/* Frees it (its rings are quiet). */
	void (*destroy)(struct device *dev);
};

struct device {
	const struct device_ops *ops;
	const char *id;        /* in its configuration */
	const char *socket;
	struct endpoint ep;
	struct queue_place place;
	struct device_registry *reg;
	struct device *next_retiring;
};

struct device_registry {
	pthread_mutex_t lock;  /* held by readers on other threads */
	struct device **devs;
	unsigned int n, cap;
	struct device *retiring;
	struct loop *loop;
	struct placement *placement;
};

int registry_init(struct device_registry *r, struct loop *l,
		  struct placement *placement);
/* Stops every device, waiting for what is in flight (shutdown). */
void registry_fini(struct device_registry *r);
/* -EEXIST (with err) when its name or socket is taken. */
int registry_check_unique(const struct device_registry *r, const char *id,
			  const char *socket, char *err, size_t errlen);
/* Serves dev (its vu_dev made): watches its sockets, lists it. */
int registry_add(struct device_registry *r, struct device *dev,
		 struct vu_dev *vu);
/* 0 when gone, -EINPROGRESS while its requests drain, -ENOENT. */
int registry_remove(struct device_registry *r, struct device *dev);
/* kind NULL: any. */
struct device *registry_find(const struct device_registry *r, const char *id,
			     const struct device_ops *kind);
unsigned int registry_count(const struct device_registry *r,
			    const struct device_ops *kind);
struct device *registry_at(const struct device_registry *r,
			   const struct device_ops *kind, unsigned int i);
/* Housekeeping, once a second. */
void registry_tick(void *registry);

#endif
