/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes descriptor-chain walking and guest address translation against a
 * fake guest memory of four memfd regions: two adjacent ones (a buffer may
 * straddle them), one beyond a hole, one at the very top of the 64-bit
 * guest-physical space (sums overflow there).
 *
 * The input is the guest:
 *   byte 0  bits 0-3: ring size 2^min(n, 8); bit 4: INDIRECT_DESC; bit 5:
 *           EVENT_IDX; bit 6: inflight tracking (a region left by an
 *           earlier back-end, its bytes those the input puts at 0x3000);
 *           bit 7: chains may use only 3 iovecs (-E2BIG paths)
 *   byte 1  completions published every (n % 64) + 1 pushes, as a reactor
 *           pass does (the blk data path pops at most 64 per pass)
 *   byte 2-3  the base (first avail index) the front-end set
 *   rest    laid over guest memory from gpa 0: the descriptor table at
 *           0, avail ring at 0x1000, used ring at 0x2000, then whatever
 *           indirect tables and data the chains point at; past 64 KiB it
 *           continues into the adjacent region.
 *
 * Oracles: every popped head is inside the ring; every iovec of a usable
 * chain lies wholly inside one mapped region and there are no more than
 * max_iov of them; a head popped with inflight tracking is flagged (non-zero)
 * in the inflight region; a broken ring stays broken.
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

#define MAX_IOV 264 /* what the blk data path gives a chain */
#define DESC_OFF 0x0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define INFLIGHT_OFF 0x3000
#define R0_QVA FUZZ_GUEST_QVA

static struct guest_mem *mem;

static void check_chain(const struct virtq *vq, const struct virtq_chain *c)
{
	FUZZ_CHECK(c->head < vq->size);
	if (vq->inflight)
		FUZZ_CHECK(vq->inflight->desc[c->head].inflight != 0);
	if (c->error)
		return;
	FUZZ_CHECK(c->n_out + c->n_in <= c->max_iov);
	for (unsigned int i = 0; i < c->n_out + c->n_in; i++)
		FUZZ_CHECK(fuzz_guest_holds(&c->iov[i]));
}

/* Pops until the ring is empty or broken, completing every chain. */
static void drain_ring(struct virtq *vq, unsigned int max_iov,
		       unsigned int per_pass)
{
	static struct iovec iov[MAX_IOV];
	unsigned int pushed = 0;

	for (int n = 0; n < 4 * VIRTQ_MAX_SIZE; n++) {
		struct virtq_chain c = { .iov = iov, .max_iov = max_iov };
		int ret = virtq_pop(vq, &c);

		if (ret <= 0) {
			FUZZ_CHECK(ret == 0 || (ret == -EIO && vq->broken));
			break;
		}
		check_chain(vq, &c);
		virtq_push(vq, c.head, c.error ? 0 : 1);
		if (++pushed % per_pass == 0) {
			virtq_publish(vq);
			(void)virtq_should_notify(vq);
		}
	}
	virtq_publish(vq);
	(void)virtq_should_notify(vq);
	if (vq->broken)
		FUZZ_CHECK(virtq_pop(vq, &(struct virtq_chain){ .iov = iov,
					.max_iov = max_iov }) == -EIO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct inflight_queue *inflight = NULL;
	uint8_t flags, per_pass;
	struct virtq vq;
	uint16_t qsize, base;

	mem = fuzz_guest_setup();
	flags = fuzz_u8(&in);
	per_pass = fuzz_u8(&in) % 64 + 1;
	base = fuzz_u16(&in);
	qsize = (uint16_t)(1u << ((flags & 15) < 8 ? (flags & 15) : 8));
	fuzz_guest_fill(&in);

	memset(&vq, 0, sizeof(vq));
	if (virtq_map(&vq, mem, qsize, R0_QVA + DESC_OFF, R0_QVA + AVAIL_OFF,
		      R0_QVA + USED_OFF))
		return 0;
	vq.indirect = flags & 0x10;
	vq.event_idx = flags & 0x20;
	/* As vu_vring_start does with a fresh base. */
	vq.last_avail_idx = base;
	vq.used_idx = vq.used->idx;
	if (flags & 0x40) {
		size_t len = inflight_queue_bytes(qsize);

		inflight = aligned_alloc(INFLIGHT_ALIGN, len);
		FUZZ_CHECK(inflight);
		memcpy(inflight, fuzz_guest_hva(0) + INFLIGHT_OFF, len);
		if (virtq_inflight_attach(&vq, inflight)) {
			free(inflight);
			return 0;
		}
		FUZZ_CHECK(vq.nresubmit <= qsize);
		for (unsigned int i = 0; i < vq.nresubmit; i++)
			FUZZ_CHECK(vq.resubmit[i] < qsize);
	}
	drain_ring(&vq, (flags & 0x80) ? 3 : MAX_IOV, per_pass);
	virtq_kicks_enable(&vq);
	(void)virtq_has_work(&vq);
	virtq_kicks_disable(&vq);
	virtq_inflight_detach(&vq);
	free(inflight);
	return 0;
}
