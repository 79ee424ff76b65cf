/* SPDX-License-Identifier: MIT */
/*
 * The data-path harnesses' guest: it plays QEMU towards a vu_dev
 * in-process (tests/common/inproc_front.h), shares two adjacent regions
 * of guest memory (tests/common/guest_regions.h), and starts one vring
 * whose rings sit at fixed places: descriptors at gpa 0, avail at 0x1000,
 * used at 0x2000.
 */
#ifndef VMIO_TESTS_FUZZ_FRONT_H
#define VMIO_TESTS_FUZZ_FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_regions.h"
#include "inproc_front.h"
#include "vhost/vu_dev.h"

#define FRONT_R0_SIZE 0x10000
#define FRONT_R1_SIZE 0x4000
#define FRONT_AVAIL_OFF 0x1000
#define FRONT_USED_OFF 0x2000
/* Where the inputs put the bytes of an inflight region. */
#define FRONT_INFLIGHT_OFF 0x3000

struct fuzz_front {
	struct vu_dev *vu;
	struct inproc_front link; /* the connection to vu */
	struct guest_regions mem; /* the two regions, shared with vu */
	uint8_t *guest[2]; /* mem.hva: our mapping of the two regions */
	int kick;
};

/* Once per process: maps the guest memory. */
void front_init(struct fuzz_front *f, struct vu_dev *vu);
/* Connects, sets the owner, protocol features (INFLIGHT_SHMFD when
 * inflight), the features and the memory table. */
void front_connect(struct fuzz_front *f, uint64_t features, bool inflight);
/* Turns dirty logging on, as QEMU does when a migration starts: a log
 * covering guest memory (SET_LOG_BASE), then the features again with
 * VHOST_F_LOG_ALL. The log is leaked (benchmarks and harnesses only). */
void front_log_start(struct fuzz_front *f, uint64_t features);
/* Hands over an inflight region for vrings 0..idx whose part for vring idx
 * holds the bytes at FRONT_INFLIGHT_OFF of guest memory. */
void front_inflight(struct fuzz_front *f, unsigned int idx, uint16_t qsize);
/* Starts vring idx (base 0) and kicks it. */
void front_ring_start(struct fuzz_front *f, unsigned int idx, uint16_t qsize,
		      bool call);
/* Waits until the device popped everything available or found the ring
 * broken; a stall (2 s) fails the oracle. */
void front_wait_consumed(struct fuzz_front *f, unsigned int idx);
/* GET_VRING_BASE: stops the ring once its requests are done. */
void front_ring_stop(struct fuzz_front *f, unsigned int idx);
/* Every used entry since used_before names a head inside the ring. */
void front_check_used(struct fuzz_front *f, uint16_t qsize, uint16_t used_before);
uint16_t front_used_idx(const struct fuzz_front *f);
/* Disconnects and closes everything this connection had. */
void front_hang_up(struct fuzz_front *f);

#endif
