/* SPDX-License-Identifier: MIT */
/* What the device factories (disk.c, scsi_target.c) build devices with:
 * the daemon's reactors, its NUMA placement and its QoS domain. */
#ifndef VMIOD_ENV_H
#define VMIOD_ENV_H

#include "devices.h"
#include "engine/reactor.h"
#include "placement.h"
#include "vdev/vdev_qos.h"

struct device_env {
	struct reactor **reactors;
	unsigned int nreactors;
	unsigned int next_reactor;    /* where the next device's queue 0 goes */
	struct placement *placement;
	struct vdev_qos_domain *qos;  /* NULL: QoS off */
	struct device_registry devices;
};

#endif
