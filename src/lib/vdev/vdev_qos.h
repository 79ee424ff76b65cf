/* SPDX-License-Identifier: MIT */
/*
 * QoS for virtio queues, whatever the device: the glue between the data
 * path and the scheduler in src/lib/qos. A QoS domain holds one scheduler
 * per (reactor, physical device) — the devices whose I/O lands on the same
 * disk compete for it — and each started queue of a device under QoS is an
 * entity of the scheduler of its reactor and physical device.
 *
 * A device (a virtio-blk disk, a virtio-scsi target) has a contract. With
 * one queue, that queue's entity carries it. With several queues
 * (possibly on several reactors) an implicit group holds it, so its caps
 * hold in total; such a device cannot also name a group of its own (one
 * level of groups).
 */
#ifndef VMIO_VDEV_VDEV_QOS_H
#define VMIO_VDEV_VDEV_QOS_H

#include <stddef.h>

#include "engine/reactor.h"
#include "qos/qos.h"

struct vdev_qos_domain;
struct vdev_qos_sched; /* one scheduler on one reactor for one device */

int vdev_qos_domain_create(const struct qos_sched_config *cfg,
			  struct vdev_qos_domain **out);
void vdev_qos_domain_destroy(struct vdev_qos_domain *d);

/* Finds or creates the named group (lim applies when it is created, or
 * replaces the group's contract when lim is non-NULL and it exists). */
int vdev_qos_group_get(struct vdev_qos_domain *d, const char *name,
		      const struct qos_limits *lim, struct qos_group **out,
		      char *err, size_t errlen);
struct qos_group *vdev_qos_group_find(struct vdev_qos_domain *d,
				     const char *name);

/* On the control thread: the scheduler for device dev_id on reactor r
 * (created and its poller attached on first use), and its release. */
struct vdev_qos_sched *vdev_qos_sched_get(struct vdev_qos_domain *d,
					struct reactor *r, uint64_t dev_id,
					qos_dispatch_fn dispatch);
void vdev_qos_sched_put(struct vdev_qos_sched *s);
struct qos_sched *vdev_qos_sched_raw(struct vdev_qos_sched *s);

/* A device's contract and how it is split over its queues. */
struct vdev_qos_contract {
	struct vdev_qos_domain *dom;
	struct qos_limits lim;        /* as the operator gave it */
	struct qos_limits entity_lim; /* what each queue's entity carries */
	struct qos_group *group;      /* named, implicit, or NULL */
	bool implicit_group;
};

/* Sets up the contract of device id ("disk" or "scsi" kind) with nqueues
 * queues (lim NULL: no limits, scheduled all the same). On failure err
 * says why. */
int vdev_qos_contract_init(struct vdev_qos_contract *c,
			   struct vdev_qos_domain *dom, const char *kind,
			   const char *id, unsigned int nqueues,
			   const struct qos_limits *lim, char *err, size_t errlen);
/* Checks lim as a replacement and works out the new split (ent: the
 * entities' part); applies the group's part. The caller then sets ent on
 * every running queue's entity and commits with vdev_qos_contract_commit. */
int vdev_qos_contract_prepare(struct vdev_qos_contract *c, const char *kind,
			      const char *id, const struct qos_limits *lim,
			      struct qos_limits *ent, char *err, size_t errlen);
void vdev_qos_contract_commit(struct vdev_qos_contract *c,
			      const struct qos_limits *lim,
			      const struct qos_limits *ent);

#endif
