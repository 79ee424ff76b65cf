/* SPDX-License-Identifier: MIT */
#include "guest_driver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_scsi.h>

/* Per queue: rings, then one header and one status/response area per slot,
 * then one 512-byte data buffer per slot. */
#define DESC_OFF 0x0000
#define AVAIL_OFF 0x1000  /* split avail ring / packed driver event area */
#define USED_OFF 0x2000   /* split used ring / packed device event area */
#define HDR_OFF(s) (0x3000 + (s) * 0x100)
#define RESP_OFF(s) (0x3000 + (s) * 0x100 + 0x80)
#define DATA_OFF(s) (0x4000 + (s) * 0x200)
#define DATA_LEN 512
#define GET_ID_LEN 20

#define F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define F_USED (1u << VRING_PACKED_DESC_F_USED)
#define WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

_Static_assert(DATA_OFF(GD_SLOTS) <= GD_QUEUE_BYTES, "slots fit a queue");
_Static_assert(3 * GD_SLOTS <= GD_QSIZE, "chains fit the ring");

static int fail(struct guest_driver *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->error[0]) {
		va_start(ap, fmt);
		vsnprintf(g->error, sizeof(g->error), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int gd_init(struct guest_driver *g, enum gd_kind kind, bool packed,
	    bool event_idx, unsigned int nqueues, unsigned int first_vring,
	    unsigned int maxtags)
{
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->packed = packed;
	g->event_idx = event_idx;
	g->nqueues = nqueues;
	g->ntags = maxtags;
	g->done = calloc(maxtags, 1);
	g->memfd = memfd_create("guest", MFD_CLOEXEC);
	if (!g->done || g->memfd < 0 || ftruncate(g->memfd, GD_MEM_BYTES))
		return -errno;
	g->mem = mmap(NULL, GD_MEM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->memfd, 0);
	if (g->mem == MAP_FAILED)
		return -errno;
	for (unsigned int i = 0; i < nqueues; i++) {
		struct gd_queue *q = &g->q[i];

		q->vring = first_vring + i;
		q->gpa = (uint64_t)i * GD_QUEUE_BYTES;
		q->mem = g->mem + q->gpa;
		q->avail_wrap = q->used_wrap = true; /* packed: both start at 1 */
		for (unsigned int s = 0; s < GD_SLOTS; s++)
			q->tag[s] = -1;
		q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->call_fd < 0 || q->kick_fd < 0)
			return -errno;
		if (packed) {
			struct vring_packed_desc_event *e =
				(void *)(q->mem + AVAIL_OFF);

			e->flags = event_idx ? VRING_PACKED_EVENT_FLAG_DESC
					     : VRING_PACKED_EVENT_FLAG_ENABLE;
			e->off_wrap = WRAP;
		}
	}
	return 0;
}

void gd_destroy(struct guest_driver *g)
{
	for (unsigned int i = 0; i < g->nqueues; i++) {
		close(g->q[i].call_fd);
		close(g->q[i].kick_fd);
	}
	if (g->mem && g->mem != MAP_FAILED)
		munmap(g->mem, GD_MEM_BYTES);
	if (g->memfd >= 0)
		close(g->memfd);
	free(g->done);
}

/* The chain of a request in slot s: addresses, lengths, writable flags. */
static unsigned int build_chain(struct guest_driver *g, struct gd_queue *q,
				unsigned int s, enum gd_op op, int tag,
				uint64_t addr[3], uint32_t len[3], bool wr[3])
{
	uint8_t *hdr = q->mem + HDR_OFF(s);
	uint32_t data_len = op == GD_READ || op == GD_WRITE ? DATA_LEN : 0;
	unsigned int n = 0;

	memset(hdr, 0, 0x80);
	memset(q->mem + RESP_OFF(s), 0xff, 0x80);
	if (g->kind == GD_BLK) {
		struct virtio_blk_outhdr *h = (void *)hdr;
		static const uint32_t type[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
						 VIRTIO_BLK_T_FLUSH,
						 VIRTIO_BLK_T_GET_ID };

		h->type = type[op];
		h->sector = (uint64_t)tag % 1024;
		if (op == GD_SYNC)
			data_len = GET_ID_LEN;
		addr[n] = q->gpa + HDR_OFF(s), len[n] = sizeof(*h), wr[n++] = false;
	} else {
		struct virtio_scsi_cmd_req *h = (void *)hdr;
		uint32_t lba = (uint32_t)tag % 1024;

		h->lun[0] = 1; /* target 0, LUN 0 */
		h->tag = (uint64_t)tag;
		switch (op) {
		case GD_READ:
		case GD_WRITE:
			h->cdb[0] = op == GD_READ ? 0x28 : 0x2a; /* READ/WRITE(10) */
			h->cdb[2] = (uint8_t)(lba >> 24);
			h->cdb[3] = (uint8_t)(lba >> 16);
			h->cdb[4] = (uint8_t)(lba >> 8);
			h->cdb[5] = (uint8_t)lba;
			h->cdb[8] = 1; /* one block */
			break;
		case GD_FLUSH:
			h->cdb[0] = 0x35; /* SYNCHRONIZE CACHE(10) */
			break;
		case GD_SYNC:
			h->cdb[0] = 0x00; /* TEST UNIT READY */
			break;
		}
		addr[n] = q->gpa + HDR_OFF(s), len[n] = sizeof(*h), wr[n++] = false;
	}
	if (data_len && op == GD_WRITE) {
		memset(q->mem + DATA_OFF(s), tag & 0xff, DATA_LEN);
		addr[n] = q->gpa + DATA_OFF(s), len[n] = data_len, wr[n++] = false;
	}
	/* Responses go first in virtio-scsi, the status byte last in blk. */
	if (g->kind == GD_SCSI)
		addr[n] = q->gpa + RESP_OFF(s),
		len[n] = sizeof(struct virtio_scsi_cmd_resp), wr[n++] = true;
	if (data_len && op != GD_WRITE)
		addr[n] = q->gpa + DATA_OFF(s), len[n] = data_len, wr[n++] = true;
	if (g->kind == GD_BLK)
		addr[n] = q->gpa + RESP_OFF(s), len[n] = 1, wr[n++] = true;
	return n;
}

bool gd_post(struct guest_driver *g, unsigned int qi, enum gd_op op, int tag)
{
	struct gd_queue *q = &g->q[qi];
	uint64_t addr[3];
	uint32_t len[3];
	bool wr[3];
	unsigned int s, n;

	for (s = 0; s < GD_SLOTS && q->tag[s] >= 0; s++)
		;
	if (s == GD_SLOTS || tag < 0 || (unsigned int)tag >= g->ntags)
		return false;
	n = build_chain(g, q, s, op, tag, addr, len, wr);
	q->op[s] = op;
	q->ndescs[s] = (uint16_t)n;
	q->tag[s] = tag;
	q->posted++;
	if (!g->packed) {
		struct vring_desc *d = (void *)(q->mem + DESC_OFF);
		struct vring_avail *a = (void *)(q->mem + AVAIL_OFF);

		for (unsigned int i = 0; i < n; i++)
			d[3 * s + i] = (struct vring_desc){
				.addr = addr[i], .len = len[i],
				.flags = (uint16_t)((wr[i] ? VRING_DESC_F_WRITE : 0) |
						    (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
				.next = (uint16_t)(3 * s + i + 1) };
		a->ring[q->avail_pos % GD_QSIZE] = (uint16_t)(3 * s);
		q->avail_pos++;
		__atomic_store_n(&a->idx, q->avail_pos, __ATOMIC_RELEASE);
	} else {
		struct vring_packed_desc *ring = (void *)(q->mem + DESC_OFF);
		uint16_t head = q->avail_pos, head_flags = 0;

		for (unsigned int i = 0; i < n; i++) {
			struct vring_packed_desc *x = &ring[q->avail_pos];
			uint16_t f = (uint16_t)((wr[i] ? VRING_DESC_F_WRITE : 0) |
						(i + 1 < n ? VRING_DESC_F_NEXT : 0) |
						(q->avail_wrap ? F_AVAIL : F_USED));

			x->addr = addr[i];
			x->len = len[i];
			x->id = (uint16_t)s;
			if (i == 0)
				head_flags = f;
			else
				x->flags = f;
			if (++q->avail_pos == GD_QSIZE) {
				q->avail_pos = 0;
				q->avail_wrap = !q->avail_wrap;
			}
		}
		__atomic_store_n(&ring[head].flags, head_flags, __ATOMIC_RELEASE);
	}
	return true;
}

/* Checks one completion of slot s with used length len. */
static int complete(struct guest_driver *g, unsigned int qi, unsigned int s,
		    uint32_t len)
{
	struct gd_queue *q = &g->q[qi];
	enum gd_op op = q->op[s];
	int tag = q->tag[s];
	uint32_t want;

	if (tag < 0)
		return fail(g, "queue %u: completion for slot %u, which has no "
			       "request out (completed twice?)", qi, s);
	if (g->done[tag]++)
		return fail(g, "queue %u: request %d completed twice", qi, tag);
	if (g->kind == GD_BLK) {
		uint8_t status = q->mem[RESP_OFF(s)];

		want = 1 + (op == GD_READ ? DATA_LEN :
			    op == GD_SYNC ? GET_ID_LEN : 0);
		if (status != VIRTIO_BLK_S_OK)
			return fail(g, "queue %u: request %d: status %u", qi, tag,
				    status);
	} else {
		const struct virtio_scsi_cmd_resp *resp =
			(const void *)(q->mem + RESP_OFF(s));

		want = (uint32_t)sizeof(*resp) + (op == GD_READ ? DATA_LEN : 0);
		if (resp->response != VIRTIO_SCSI_S_OK || resp->status != 0)
			return fail(g, "queue %u: request %d: response %u status "
				       "%u", qi, tag, resp->response, resp->status);
	}
	if (len != want)
		return fail(g, "queue %u: request %d: used length %u, want %u",
			    qi, tag, len, want);
	q->tag[s] = -1;
	q->completed++;
	return 0;
}

/* Takes what the used ring holds; returns how many, or -1. */
static int take_used(struct guest_driver *g, unsigned int qi)
{
	struct gd_queue *q = &g->q[qi];
	int n = 0;

	if (!g->packed) {
		struct vring_used *u = (void *)(q->mem + USED_OFF);
		uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);

		if ((uint16_t)(idx - q->used_pos) > GD_QSIZE)
			return fail(g, "queue %u: used index jumped from %u to %u",
				    qi, q->used_pos, idx);
		for (; q->used_pos != idx; q->used_pos++, n++) {
			struct vring_used_elem e = u->ring[q->used_pos % GD_QSIZE];

			if (e.id % 3 || e.id / 3 >= GD_SLOTS)
				return fail(g, "queue %u: used entry names head %u",
					    qi, e.id);
			if (complete(g, qi, e.id / 3, e.len))
				return -1;
		}
		return n;
	}
	for (;;) {
		struct vring_packed_desc *ring = (void *)(q->mem + DESC_OFF);
		struct vring_packed_desc *x = &ring[q->used_pos];
		uint16_t f = __atomic_load_n(&x->flags, __ATOMIC_ACQUIRE);
		unsigned int s;

		if (!!(f & F_AVAIL) != q->used_wrap || !!(f & F_USED) != q->used_wrap)
			return n;
		s = x->id;
		if (s >= GD_SLOTS)
			return fail(g, "queue %u: used buffer id %u", qi, s);
		q->used_pos += q->ndescs[s];
		if (q->used_pos >= GD_QSIZE) {
			q->used_pos -= GD_QSIZE;
			q->used_wrap = !q->used_wrap;
		}
		if (complete(g, qi, s, x->len))
			return -1;
		n++;
	}
}

/* Asks for the next interrupt as Linux's virtqueue_enable_cb does. */
static void enable_interrupts(struct guest_driver *g, struct gd_queue *q)
{
	if (!g->event_idx)
		return; /* flags stay "interrupt me" */
	if (!g->packed) {
		struct vring_avail *a = (void *)(q->mem + AVAIL_OFF);

		/* used_event lives just past the avail ring. */
		__atomic_store_n(&a->ring[GD_QSIZE], q->used_pos, __ATOMIC_RELAXED);
	} else {
		struct vring_packed_desc_event *e = (void *)(q->mem + AVAIL_OFF);

		__atomic_store_n(&e->off_wrap,
				 (uint16_t)(q->used_pos | (q->used_wrap ? WRAP : 0)),
				 __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int gd_service(struct guest_driver *g)
{
	int total = 0;

	for (unsigned int i = 0; i < g->nqueues; i++) {
		uint64_t v;
		int n;

		if (read(g->q[i].call_fd, &v, sizeof(v)) != sizeof(v))
			continue; /* no interrupt */
		do {
			n = take_used(g, i);
			if (n < 0)
				return -1;
			total += n;
			enable_interrupts(g, &g->q[i]);
			/* What arrived while interrupts were off. */
			n = take_used(g, i);
			if (n < 0)
				return -1;
			total += n;
		} while (n > 0);
	}
	return total;
}

unsigned int gd_unseen(const struct guest_driver *g)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < g->nqueues; i++) {
		const struct gd_queue *q = &g->q[i];

		if (!g->packed) {
			const struct vring_used *u = (const void *)(q->mem + USED_OFF);

			n += (uint16_t)(u->idx - q->used_pos);
		} else {
			const struct vring_packed_desc *x =
				(const void *)(q->mem + DESC_OFF + 16 * q->used_pos);

			n += !!(x->flags & F_AVAIL) == q->used_wrap &&
			     !!(x->flags & F_USED) == q->used_wrap;
		}
	}
	return n;
}

unsigned int gd_outstanding(const struct guest_driver *g)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < g->nqueues; i++)
		n += g->q[i].posted - g->q[i].completed;
	return n;
}

uint16_t gd_split_used_idx(const struct guest_driver *g, unsigned int qi)
{
	const struct vring_used *u = (const void *)(g->q[qi].mem + USED_OFF);

	return __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
}

uint32_t gd_ring_state(const struct guest_driver *g, unsigned int qi)
{
	const struct gd_queue *q = &g->q[qi];
	uint32_t avail;

	if (!g->packed)
		return q->avail_pos;
	avail = q->avail_pos | (q->avail_wrap ? WRAP : 0);
	return avail | avail << 16;
}
