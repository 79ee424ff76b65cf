/* SPDX-License-Identifier: MIT */
/*
 * The guest memory of the ring harnesses (fuzz_virtq, fuzz_virtq_packed):
 * tests/common/guest_regions.h laid out as four regions, two adjacent ones
 * (a buffer may straddle them), one beyond a hole and at an mmap offset,
 * one at the very top of the 64-bit guest-physical space (sums overflow
 * there). Region 0 starts at gpa 0 and
 * front-end address FUZZ_GUEST_QVA, where the harnesses put their rings.
 */
#ifndef VMIO_TESTS_FUZZ_GUEST_H
#define VMIO_TESTS_FUZZ_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fuzz.h"
#include "vhost/guest_mem.h"

#define FUZZ_GUEST_QVA 0x7f0000000000ull
#define FUZZ_GUEST_REGIONS 4

/* Maps the regions once per process; returns the table. */
struct guest_mem *fuzz_guest_setup(void);
/* Our address of region i's first byte. */
uint8_t *fuzz_guest_hva(unsigned int i);
/* Lays the input over every region, in order (zeroes past its end). */
void fuzz_guest_fill(struct fuzz_in *in);
/* Does iov lie wholly inside one region? */
bool fuzz_guest_holds(const struct iovec *iov);

#endif
