/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the whole virtio-scsi data path: a scsi_dev with two LUNs on null
 * bdevs (LUN 0 writable, LUN 1 read-only) and a real reactor thread serves
 * one of its vrings (control, event or request), which the input fills.
 * The harness plays QEMU (fuzz_front.c) as for blk_queue: connect, share
 * memory, start and kick the ring, wait until it is consumed, stop or hang
 * up.
 *
 * The input is the guest:
 *   byte 0  bits 0-2: ring size 2^n (1..128); bit 3: INDIRECT_DESC;
 *           bit 4: EVENT_IDX; bit 5: no call eventfd; bit 6: an inflight
 *           region to resubmit from (bytes at 0x3000); bit 7: hang up right
 *           after the kick, mid-I/O
 *   byte 1  the vring: 0 control, 1 event, 2 request (modulo 3)
 *   rest    guest memory from gpa 0, as for blk_queue: descriptors at 0,
 *           avail at 0x1000, used at 0x2000, virtio-scsi request headers
 *           (8-byte LUN, tag, attributes, 32-byte CDB), TMF and AN
 *           requests and buffers anywhere else
 *
 * Oracles, beyond the sanitizers: no stall (2 s), used entries name heads
 * inside the ring, nothing in flight after the stop or hang-up, no fd or
 * inflight mapping leaked.
 */
#include <stdio.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_scsi.h>

#include "fuzz.h"
#include "fuzz_front.h"
#include "scsi/scsi_dev.h"

#define LUN_BYTES (1 << 20)
#define NQUEUES 3 /* control, event, one request queue */

static struct scsi_dev *dev;
static struct fuzz_front front;

static void setup_once(void)
{
	static struct reactor *r;
	struct scsi_lun_opts luns[2] = {
		{ .lun = 0, .block_size = 512 },
		{ .lun = 1, .block_size = 4096, .ro = true },
	};
	struct scsi_dev_opts o = { 0 };
	char path[64];

	if (dev)
		return;
	fuzz_quiet_log();
	FUZZ_CHECK(reactor_create(0, -1, 50, &r) == 0 && reactor_start(r) == 0);
	FUZZ_CHECK(bdev_null_open(LUN_BYTES, &luns[0].bdev) == 0);
	FUZZ_CHECK(bdev_null_open(LUN_BYTES, &luns[1].bdev) == 0);
	snprintf(path, sizeof(path), "/tmp/vmio-fuzz-scsiq-%d.sock", (int)getpid());
	o.id = "fuzz";
	o.socket = path;
	o.num_queues = NQUEUES - 2;
	o.luns = luns;
	o.nluns = 2;
	o.reactors = &r;
	o.nreactors = 1;
	FUZZ_CHECK(scsi_dev_create(&o, &dev) == 0);
	unlink(path); /* connections are socketpairs */
	front_init(&front, scsi_dev_vu(dev));
}

static uint64_t features_of(uint8_t flags)
{
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) |
		     (1ull << VIRTIO_SCSI_F_HOTPLUG) |
		     (1ull << VIRTIO_SCSI_F_CHANGE);

	if (flags & 0x08)
		f |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (flags & 0x10)
		f |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	return f & front.vu->ops->features;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct scsi_dev_stats st;
	uint16_t qsize, used_before;
	unsigned int idx;
	uint8_t flags;
	int fds_before;

	setup_once();
	flags = fuzz_u8(&in);
	idx = fuzz_u8(&in) % NQUEUES;
	qsize = (uint16_t)(1u << (flags & 7));
	fuzz_bytes(&in, front.guest[0], FRONT_R0_SIZE);
	fuzz_bytes(&in, front.guest[1], FRONT_R1_SIZE);
	used_before = front_used_idx(&front);

	fds_before = fuzz_count_fds();
	front_connect(&front, features_of(flags), flags & 0x40);
	if (flags & 0x40)
		front_inflight(&front, idx, qsize);
	front_ring_start(&front, idx, qsize, !(flags & 0x20));
	if (!(flags & 0x80)) {
		/* The event queue keeps buffers until there is an event. */
		if (idx != 1)
			front_wait_consumed(&front, idx);
		front_ring_stop(&front, idx);
	}
	front_hang_up(&front);
	scsi_dev_get_stats(dev, &st);
	FUZZ_CHECK(st.inflight == 0);
	front_check_used(&front, qsize, used_before);
	FUZZ_CHECK(fuzz_count_fds() == fds_before);
	FUZZ_CHECK(fuzz_count_maps("memfd:fuzz-inflight") == 0);
	return 0;
}
