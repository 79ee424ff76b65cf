/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk data path, stepped by hand on one thread so its cost can
 * be counted exactly: a blk_dev on a null bdev, a reactor that is never
 * started (reactor_poll_once), and a driver in this file that plays the
 * guest: batches of 4K reads, each a 3-descriptor chain (header, data,
 * status), published at once, then the reactor is stepped until every
 * request is back in the used ring with VIRTIO_BLK_S_OK.
 *
 * Under callgrind (scripts/callgrind.sh) with collection toggled on
 * reactor_poll_once, the instruction count divided by the requests is the
 * device side's user-space cost per request, free of the scheduling noise
 * that timing on a shared machine has. As a test it checks the path is
 * whole: every request completes once, OK, in a bounded number of passes.
 *
 * With "log", dirty logging is on (a live migration under way): the
 * difference is what logging costs per request.
 *
 *   hotpath [REQUESTS [BATCH [log]]]   (defaults 20000, 32, logging off)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "bdev/bdev.h"
#include "blk/blk_dev.h"
#include "engine/reactor.h"
#include "fuzz.h"
#include "fuzz_front.h"

#define QSIZE 128
#define HDR_OFF 0x4000    /* request headers, 16 bytes each */
#define STATUS_OFF 0x5000 /* status bytes */
#define DATA_OFF 0x8000   /* one 4K buffer all reads share (null: no data) */

static struct fuzz_front front;
static uint16_t avail_idx, used_seen;

static void fail(const char *what)
{
	fprintf(stderr, "hotpath: %s\n", what);
	exit(1);
}

/* Driver side: one read of 4K at sector per chain, heads 3i. */
static void post_batch(unsigned int n, uint64_t first_sector)
{
	struct vring_desc *desc = (struct vring_desc *)front.guest[0];
	struct vring_avail *avail =
		(struct vring_avail *)(front.guest[0] + FRONT_AVAIL_OFF);

	for (unsigned int i = 0; i < n; i++) {
		uint16_t head = (uint16_t)(3 * i);
		struct virtio_blk_outhdr *h =
			(void *)(front.guest[0] + HDR_OFF + 16 * i);

		h->type = VIRTIO_BLK_T_IN;
		h->ioprio = 0;
		h->sector = first_sector + 8 * i;
		front.guest[0][STATUS_OFF + i] = 0xff;
		desc[head] = (struct vring_desc){ HDR_OFF + 16 * i, 16,
						  VRING_DESC_F_NEXT, head + 1 };
		desc[head + 1] = (struct vring_desc){
			DATA_OFF, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
			head + 2 };
		desc[head + 2] = (struct vring_desc){ STATUS_OFF + i, 1,
						      VRING_DESC_F_WRITE, 0 };
		avail->ring[(avail_idx + i) & (QSIZE - 1)] = head;
	}
	avail_idx = (uint16_t)(avail_idx + n);
	__atomic_store_n(&avail->idx, avail_idx, __ATOMIC_RELEASE);
}

/* Steps the reactor until the batch is back; checks every completion. */
static void complete_batch(struct reactor *r, unsigned int n)
{
	struct vring_used *used =
		(struct vring_used *)(front.guest[0] + FRONT_USED_OFF);
	unsigned int passes = 0;

	while ((uint16_t)(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) -
			  used_seen) < n) {
		if (reactor_poll_once(r) < 0)
			fail("the reactor cannot be stepped");
		if (++passes > 1000)
			fail("requests did not complete within 1000 passes");
	}
	if ((uint16_t)(used->idx - used_seen) != n)
		fail("more completions than requests");
	for (unsigned int i = 0; i < n; i++) {
		struct vring_used_elem e = used->ring[(used_seen + i) & (QSIZE - 1)];

		if (e.id % 3 || e.id / 3 >= n || e.len != 4096 + 1)
			fail("a used entry names a wrong head or length");
		if (front.guest[0][STATUS_OFF + e.id / 3] != VIRTIO_BLK_S_OK)
			fail("a request's status is not OK");
	}
	used_seen = (uint16_t)(used_seen + n);
}

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long batch = argc > 2 ? strtoul(argv[2], NULL, 0) : 32;
	struct blk_dev_opts o = { 0 };
	struct blk_dev *disk;
	struct reactor *r;
	struct bdev *b;
	char path[64], err[256];
	uint64_t features = (1ull << VIRTIO_F_VERSION_1) |
			    (1ull << VIRTIO_RING_F_EVENT_IDX) |
			    (1ull << VIRTIO_BLK_F_FLUSH);

	if (!total || !batch || batch > QSIZE / 3) {
		fprintf(stderr, "usage: hotpath [REQUESTS [BATCH 1-%d]]\n",
			QSIZE / 3);
		return 2;
	}
	fuzz_quiet_log();
	if (reactor_create(0, -1, 0, &r) || bdev_null_open(1ull << 30, &b))
		fail("cannot create a reactor and a null bdev");
	snprintf(path, sizeof(path), "/tmp/vmio-hotpath-%d.sock", (int)getpid());
	o.id = "hotpath";
	o.socket = path;
	o.num_queues = 1;
	o.blk_size = 512;
	o.bdev = b;
	o.reactors = &r;
	o.nreactors = 1;
	if (blk_dev_create(&o, &disk, err, sizeof(err)))
		fail(err);
	unlink(path);
	front_init(&front, blk_dev_vu(disk));
	front_connect(&front, features, false);
	/* The log before the ring: a log sent to a running ring waits for
	 * it to stop, and nothing steps this reactor until the loop below. */
	if (argc > 3 && !strcmp(argv[3], "log"))
		front_log_start(&front, features);
	front_ring_start(&front, 0, QSIZE, true);

	for (unsigned long done = 0; done < total;) {
		unsigned int n = (unsigned int)(total - done < batch ? total - done
								   : batch);

		post_batch(n, (done * 8) % ((1ull << 30) / 512 - 8 * QSIZE));
		complete_batch(r, n);
		done += n;
	}
	printf("hotpath: %lu requests of 4K in batches of %lu completed OK\n",
	       total, batch);
	return 0;
}
