/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes packed virtqueues (virtq_packed.c): descriptor-ring walking, buffer
 * ids, indirect tables, used writes, event suppression, against the same
 * four-region fake guest memory as fuzz_virtq (two adjacent regions, one
 * past a hole, one at the top of the 64-bit guest-physical space).
 *
 * The input is the guest:
 *   byte 0  bits 0-5: ring size n + 1 (1..64, any size: packed rings need
 *           not be powers of two); bit 6: INDIRECT_DESC; bit 7: EVENT_IDX
 *   byte 1  bits 0-5: completions published every (n % 64) + 1 pushes;
 *           bit 6: chains may use only 3 iovecs (-E2BIG paths); bit 7:
 *           hold completions and finish them newest first (out of order)
 *   byte 2-5  the base the front-end set (vhost-user's packed form: avail
 *           position and wrap, used position and wrap), little endian
 *   rest    laid over guest memory from gpa 0: descriptor ring at 0,
 *           driver event area at 0x1000, device event area at 0x1004, then
 *           indirect tables and data; past 64 KiB the adjacent region.
 *           Byte 0x7fff bit 0: track in flight with a packed inflight
 *           region whose starting contents are the bytes from 0x8000 (a
 *           region a front-end could hand a restarted back-end).
 *
 * Oracles: every popped id is below the ring size and not one we still
 * hold (an id in flight twice must break the ring instead); every iovec of
 * a usable chain lies inside one mapped region, never more than max_iov;
 * our avail and used positions stay inside the ring; the pending batch
 * never reaches the ring size; a broken ring stays broken. With a region:
 * once every chain completed and was published, a back-end restarted on
 * that region resubmits nothing and finds the ring where we left it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_guest.h"
#include "vhost/guest_mem.h"
#include "vhost/virtq.h"

#define MAX_IOV 264
#define DESC_OFF 0x0
#define DRIVER_OFF 0x1000
#define DEVICE_OFF 0x1004
#define R0_QVA FUZZ_GUEST_QVA
#define MAX_RING 64

static struct guest_mem *mem;

static void check_state(const struct virtq *vq)
{
	FUZZ_CHECK(vq->last_avail_idx < vq->size);
	FUZZ_CHECK(vq->used_idx < vq->size);
	FUZZ_CHECK(vq->npending < vq->size);
}

struct held {
	uint16_t ids[MAX_RING];
	bool busy[MAX_RING];
	unsigned int n;
};

static void complete(struct virtq *vq, struct held *h, unsigned int *pushed,
		     unsigned int per_pass)
{
	uint16_t id = h->ids[--h->n];

	h->busy[id] = false;
	virtq_push(vq, id, 1);
	check_state(vq);
	if (++*pushed % per_pass == 0) {
		virtq_publish(vq);
		(void)virtq_should_notify(vq);
	}
}

static void drain_ring(struct virtq *vq, unsigned int max_iov,
		       unsigned int per_pass, bool hold)
{
	static struct iovec iov[MAX_IOV];
	struct held h = { .n = 0 };
	unsigned int pushed = 0;

	for (int n = 0; n < 8 * MAX_RING; n++) {
		struct virtq_chain c = { .iov = iov, .max_iov = max_iov };
		int ret = virtq_pop(vq, &c);

		check_state(vq);
		if (ret <= 0) {
			FUZZ_CHECK(ret == 0 || (ret == -EIO && vq->broken));
			break;
		}
		FUZZ_CHECK(c.head < vq->size);
		FUZZ_CHECK(!h.busy[c.head]);
		if (!c.error) {
			FUZZ_CHECK(c.n_out + c.n_in <= c.max_iov);
			for (unsigned int i = 0; i < c.n_out + c.n_in; i++)
				FUZZ_CHECK(fuzz_guest_holds(&c.iov[i]));
		}
		h.busy[c.head] = true;
		h.ids[h.n++] = c.head;
		/* Held ones finish newest first, once half the ring waits. */
		while (h.n && (!hold || h.n > vq->size / 2))
			complete(vq, &h, &pushed, per_pass);
	}
	while (h.n)
		complete(vq, &h, &pushed, per_pass);
	virtq_publish(vq);
	(void)virtq_should_notify(vq);
	check_state(vq);
	if (vq->broken)
		FUZZ_CHECK(virtq_pop(vq, &(struct virtq_chain){ .iov = iov,
					.max_iov = max_iov }) == -EIO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags, opts;
	struct inflight_packed_queue *region = NULL;
	size_t region_bytes;
	struct virtq vq;
	uint16_t qsize;
	uint32_t base;
	bool track;

	mem = fuzz_guest_setup();
	flags = fuzz_u8(&in);
	opts = fuzz_u8(&in);
	base = fuzz_u16(&in);
	base |= (uint32_t)fuzz_u16(&in) << 16;
	qsize = (flags & 63) + 1;
	fuzz_guest_fill(&in);

	memset(&vq, 0, sizeof(vq));
	FUZZ_CHECK(virtq_map_packed(&vq, mem, qsize, R0_QVA + DESC_OFF,
				    R0_QVA + DRIVER_OFF, R0_QVA + DEVICE_OFF) == 0);
	vq.indirect = flags & 0x40;
	vq.event_idx = flags & 0x80;
	/* As vu_vring_start does: a base past the ring is refused. */
	if (virtq_packed_set_base(&vq, base)) {
		FUZZ_CHECK(((base & 0x7fff) >= qsize) ||
			   (base >> 16 && ((base >> 16) & 0x7fff) >= qsize));
		virtq_release(&vq);
		return 0;
	}
	FUZZ_CHECK(virtq_packed_get_base(&vq) == (base >> 16 ? base :
						  (base | base << 16)));
	track = *(uint8_t *)guest_mem_gpa_to_hva(mem, 0x7fff, 1) & 1;
	if (track) {
		region_bytes = inflight_packed_queue_bytes(qsize);
		region = aligned_alloc(INFLIGHT_ALIGN, region_bytes);
		FUZZ_CHECK(region);
		memcpy(region, guest_mem_gpa_to_hva(mem, 0x8000, region_bytes),
		       region_bytes);
		FUZZ_CHECK(virtq_packed_inflight_attach(&vq, region) == 0);
		check_state(&vq);
	}
	virtq_kicks_disable(&vq);
	drain_ring(&vq, (opts & 0x40) ? 3 : MAX_IOV, (opts & 63) + 1,
		   opts & 0x80);
	virtq_kicks_enable(&vq);
	(void)virtq_has_work(&vq);
	virtq_kicks_disable(&vq);
	if (track && vq.pinflight) {
		/* Everything completed and published: a back-end restarted on
		 * this region (with the front-end's stale base) must find
		 * nothing in flight and the ring where we left it. */
		uint32_t left_at = virtq_packed_get_base(&vq);

		virtq_inflight_detach(&vq);
		virtq_release(&vq);
		memset(&vq, 0, sizeof(vq));
		FUZZ_CHECK(virtq_map_packed(&vq, mem, qsize, R0_QVA + DESC_OFF,
					    R0_QVA + DRIVER_OFF,
					    R0_QVA + DEVICE_OFF) == 0);
		FUZZ_CHECK(virtq_packed_set_base(&vq, base) == 0);
		FUZZ_CHECK(virtq_packed_inflight_attach(&vq, region) == 0);
		FUZZ_CHECK(vq.nresubmit == 0);
		/* A base whose used half is not its avail half (never what
		 * QEMU sends) leaves the halves apart for good; the region
		 * restores the used half, and avail only when they agreed. */
		if ((base >> 16) == 0 || (base >> 16) == (base & 0xffff))
			FUZZ_CHECK(virtq_packed_get_base(&vq) == left_at);
		else
			FUZZ_CHECK(virtq_packed_get_base(&vq) >> 16 == left_at >> 16);
	}
	virtq_inflight_detach(&vq);
	virtq_release(&vq);
	free(region);
	return 0;
}
