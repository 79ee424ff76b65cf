/* SPDX-License-Identifier: MIT */
/*
 * QoS for virtio-blk queues: the glue between the data path and the
 * scheduler in src/lib/qos. A QoS domain holds one scheduler per (reactor,
 * physical device) — the disks whose I/O lands on the same device compete
 * for it — and each started queue of a disk under QoS is an entity of the
 * scheduler of its reactor and device.
 *
 * A disk with one queue carries its contract on that queue's entity. A
 * disk with several queues (possibly on several reactors) gets an implicit
 * group holding its contract, so its caps hold in total; such a disk cannot
 * also name a group of its own (one level of groups).
 */
#ifndef VMIO_BLK_BLK_QOS_H
#define VMIO_BLK_BLK_QOS_H

#include "engine/reactor.h"
#include "qos/qos.h"

struct blk_qos_domain;
struct blk_qos_sched; /* one scheduler on one reactor for one device */

int blk_qos_domain_create(const struct qos_sched_config *cfg,
			  struct blk_qos_domain **out);
void blk_qos_domain_destroy(struct blk_qos_domain *d);

/* Finds or creates the named group (lim applies when it is created, or
 * replaces the group's contract when lim is non-NULL and it exists). */
int blk_qos_group_get(struct blk_qos_domain *d, const char *name,
		      const struct qos_limits *lim, struct qos_group **out,
		      char *err, size_t errlen);
struct qos_group *blk_qos_group_find(struct blk_qos_domain *d,
				     const char *name);

/* On the control thread: the scheduler for device dev_id on reactor r
 * (created and its poller attached on first use), and its release. */
struct blk_qos_sched *blk_qos_sched_get(struct blk_qos_domain *d,
					struct reactor *r, uint64_t dev_id,
					qos_dispatch_fn dispatch);
void blk_qos_sched_put(struct blk_qos_sched *s);
struct qos_sched *blk_qos_sched_raw(struct blk_qos_sched *s);

#endif
