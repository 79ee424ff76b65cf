/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the whole virtio-blk data path: a blk_dev on a null bdev with a
 * real reactor thread serves one vring that the input fills. The harness
 * plays QEMU (fuzz_front.c): it connects over a socketpair, negotiates,
 * shares two memfd regions (adjacent, so buffers may straddle them), starts
 * the ring, kicks it, waits until the device has consumed every available
 * entry (or declared the ring broken), stops the ring with GET_VRING_BASE
 * (which waits for requests in flight) and disconnects.
 *
 * The input is the guest:
 *   byte 0  bits 0-2: ring size 2^n (1..128); bit 3: INDIRECT_DESC;
 *           bit 4: EVENT_IDX; bit 5: no call eventfd; bit 6: an inflight
 *           region (SET_INFLIGHT_FD) as a previous back-end left it, its
 *           bytes those the input puts at 0x3000 (requests to resubmit);
 *           bit 7: hang up right after the kick, mid-I/O (the device must
 *           stop the ring, wait for what is in flight, and unmap)
 *   rest    laid over guest memory from gpa 0: descriptor table at 0,
 *           avail ring at 0x1000, used ring at 0x2000; request headers,
 *           indirect tables and buffers anywhere else (64 KiB, then the
 *           adjacent 16 KiB region)
 *
 * Oracles, beyond the sanitizers: the queue never stalls (everything
 * available is consumed within 2 s, or the ring is declared broken); every
 * used entry names a head inside the ring; nothing is left in flight after
 * the stop or the hang-up; every fd and mapping the connection had is
 * released.
 */
#include <stdio.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "blk/blk_dev.h"
#include "fuzz.h"
#include "fuzz_front.h"

#define DISK_BYTES (1 << 20)

static struct blk_dev *disk;
static struct fuzz_front front;

static void setup_once(void)
{
	static struct reactor *r;
	struct blk_dev_opts o = { 0 };
	struct bdev *b;
	char path[64], err[256];

	if (disk)
		return;
	fuzz_quiet_log();
	FUZZ_CHECK(reactor_create(0, -1, 50, &r) == 0 && reactor_start(r) == 0);
	FUZZ_CHECK(bdev_null_open(DISK_BYTES, &b) == 0);
	snprintf(path, sizeof(path), "/tmp/vmio-fuzz-blkq-%d.sock", (int)getpid());
	o.id = "fuzz";
	o.socket = path;
	o.num_queues = 1;
	o.blk_size = 512;
	o.bdev = b;
	o.reactors = &r;
	o.nreactors = 1;
	FUZZ_CHECK(blk_dev_create(&o, &disk, err, sizeof(err)) == 0);
	unlink(path); /* connections are socketpairs */
	front_init(&front, blk_dev_vu(disk));
}

static uint64_t features_of(uint8_t flags)
{
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH) |
		     (1ull << VIRTIO_BLK_F_DISCARD) |
		     (1ull << VIRTIO_BLK_F_WRITE_ZEROES);

	if (flags & 0x08)
		f |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (flags & 0x10)
		f |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct blk_queue_stats st;
	uint16_t qsize, used_before;
	uint8_t flags;
	int fds_before;

	setup_once();
	flags = fuzz_u8(&in);
	qsize = (uint16_t)(1u << (flags & 7));
	fuzz_bytes(&in, front.guest[0], FRONT_R0_SIZE);
	fuzz_bytes(&in, front.guest[1], FRONT_R1_SIZE);
	used_before = front_used_idx(&front);

	fds_before = fuzz_count_fds();
	front_connect(&front, features_of(flags), flags & 0x40);
	if (flags & 0x40)
		front_inflight(&front, 0, qsize);
	front_ring_start(&front, 0, qsize, !(flags & 0x20));
	if (!(flags & 0x80)) {
		front_wait_consumed(&front, 0);
		front_ring_stop(&front, 0);
	}
	front_hang_up(&front);
	blk_dev_get_stats(disk, &st);
	FUZZ_CHECK(st.inflight == 0);
	front_check_used(&front, qsize, used_before);
	FUZZ_CHECK(fuzz_count_fds() == fds_before);
	FUZZ_CHECK(fuzz_count_maps("memfd:fuzz-inflight") == 0);
	return 0;
}
