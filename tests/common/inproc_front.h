/* SPDX-License-Identifier: MIT */
/*
 * A vhost-user front-end inside the test's own process: it plays QEMU
 * towards a vu_dev over a socketpair and has each message handled at
 * once, as vmiod's control thread would, with no loop and no thread of
 * its own. The fuzz harnesses (thousands of runs a second),
 * tests/perf/hotpath and crash_points drive their devices with it; the
 * guest side (memory, rings) is theirs. Anything unexpected aborts with
 * a message: none of them has a better answer.
 */
#ifndef VMIO_TESTS_INPROC_FRONT_H
#define VMIO_TESTS_INPROC_FRONT_H

#include <stdint.h>

#include "vhost/vhost_user_proto.h"
#include "vhost/vu_dev.h"

struct inproc_front {
	struct vu_dev *vu;
	int sock;              /* our end of the connection, or -1 */
};

/* Connects to vu as a freshly accepted front-end. */
void inproc_connect(struct inproc_front *f, struct vu_dev *vu);
/* Sends one message with its fds and has the device handle it, waiting
 * while the device holds it for a ring to stop; the device's answer, if
 * reply is given, goes there (one is then required). */
void inproc_request(struct inproc_front *f, uint32_t req, const void *payload,
		    uint32_t len, const int *fds, unsigned int nfds,
		    struct vhost_user_msg *reply);
/* A u64 message (with an fd, or -1). */
void inproc_u64(struct inproc_front *f, uint32_t req, uint64_t v, int fd);
/* A vring state message (index, num). */
void inproc_state(struct inproc_front *f, uint32_t req, uint32_t idx,
		  uint32_t num);
/* Drops the connection on the device's side and waits until its rings
 * stopped; closes ours. */
void inproc_hang_up(struct inproc_front *f);

#endif
