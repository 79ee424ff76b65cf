/* SPDX-License-Identifier: MIT */
/* Shared between vu_dev.c (lifecycle) and vu_msg.c (message handlers). */
#ifndef VMIO_VHOST_VU_INTERNAL_H
#define VMIO_VHOST_VU_INTERNAL_H

#include "vhost/vu_dev.h"

/* Handles one whole message in rx (its fds included). Returns 0, or a
 * negative errno when the front-end broke the protocol and must be
 * disconnected. */
int vu_msg_handle(struct vu_dev *dev, struct vu_rx *rx);

/* What vu_msg_handle returns for a message it holds until the rings it
 * needs stopped have stopped (never a protocol error). */
#define VU_HELD 1

#define VU_ALL_RINGS UINT64_MAX

bool vu_vring_ready(const struct vu_dev *dev, const struct vu_vring *v);
void vu_vring_start(struct vu_dev *dev, unsigned int idx);
/* Rings in mask that run: asks them to stop, and finishes the stops that
 * are done. True once none in mask runs or is stopping. */
bool vu_dev_quiesce(struct vu_dev *dev, uint64_t mask);
/* Rings in mask that are started now. */
uint64_t vu_dev_started(const struct vu_dev *dev, uint64_t mask);
/* Starts the rings in mask that are ready. */
void vu_dev_start_all(struct vu_dev *dev, uint64_t mask);
/* Points vring idx at its part of the inflight region (recovering what a
 * previous back-end left in flight). */
int vu_vring_attach_inflight(struct vu_dev *dev, unsigned int idx);
void vu_dev_inflight_unmap(struct vu_dev *dev);
/* Forgets every vring (RESET_DEVICE: a virtio reset); the connection's
 * memory, features and channels stay. The rings are stopped already. */
void vu_dev_reset_vrings(struct vu_dev *dev);
/* Publishes dev->log as the log in force when the front-end acked
 * VHOST_F_LOG_ALL, or none. */
void vu_dev_log_update(struct vu_dev *dev);
/* Gives up the owner's claim (a migration handed the device over). */
void vu_dev_release_claim(struct vu_dev *dev);
/* Back to the state of a fresh connection (rings stopped already). */
void vu_dev_reset_state(struct vu_dev *dev);

#endif
