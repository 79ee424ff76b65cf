/* SPDX-License-Identifier: MIT */
/* Shared between vu_dev.c (lifecycle) and vu_msg.c (message handlers). */
#ifndef VMIO_VHOST_VU_INTERNAL_H
#define VMIO_VHOST_VU_INTERNAL_H

#include "vhost/vu_dev.h"

/* Handles one whole message in rx (its fds included). Returns 0, or a
 * negative errno when the front-end broke the protocol and must be
 * disconnected. */
int vu_msg_handle(struct vu_dev *dev, struct vu_rx *rx);

bool vu_vring_ready(const struct vu_dev *dev, const struct vu_vring *v);
void vu_vring_start(struct vu_dev *dev, unsigned int idx);
void vu_vring_stop(struct vu_dev *dev, unsigned int idx);
/* Stops every started vring, remembering which were (was_started may be
 * NULL), and later restarts those. */
void vu_dev_stop_all(struct vu_dev *dev, bool *was_started);
void vu_dev_start_all(struct vu_dev *dev, const bool *was_started);
/* Points vring idx at its part of the inflight region (recovering what a
 * previous back-end left in flight). */
int vu_vring_attach_inflight(struct vu_dev *dev, unsigned int idx);
void vu_dev_inflight_unmap(struct vu_dev *dev);
/* Stops and forgets every vring (RESET_DEVICE: a virtio reset); the
 * connection's memory, features and channels stay. */
void vu_dev_reset_vrings(struct vu_dev *dev);
/* Back to the state of a fresh connection. */
void vu_dev_reset_state(struct vu_dev *dev);

#endif
