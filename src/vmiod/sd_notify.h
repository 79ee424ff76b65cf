/* SPDX-License-Identifier: MIT */
/* Tells systemd (Type=notify) that vmiod is ready or stopping. */
#ifndef VMIOD_SD_NOTIFY_H
#define VMIOD_SD_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET; does nothing
 * when vmiod was not started by systemd. */
void sd_notify_state(const char *state);

#endif
