/* SPDX-License-Identifier: MIT */
/* vufront internals shared by its files. */
#ifndef VMIO_VUFRONT_INT_H
#define VMIO_VUFRONT_INT_H

#include "vufront/vufront.h"

#define VUF_PAGE 4096u
/* Per slot: header at 0, status byte at 16, indirect table at 32. */
#define VUF_META 128u
#define VUF_META_STATUS 16u
#define VUF_META_TABLE 32u
#define VUF_STATUS_UNSET 0xff
#define VUF_MAX_REGIONS 8

struct vufront_queue {
	struct vufront *f;
	unsigned int index;
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint8_t *meta;         /* slot 0's meta */
	uint8_t *data;         /* slot 0's buffer */
	uint8_t *scratch;      /* one page for raw requests */
	uint16_t avail_idx, kicked_idx, used_seen;
	unsigned int nslots;
	uint32_t *writable;    /* per slot: bytes the target may write */
	bool *busy;
	uint8_t *raw_pending;  /* per descriptor: raw heads not yet used */
	struct vring_used_elem *raw_done;
	unsigned int raw_head, raw_count;
	bool broken;
	int kick, call;
	uint64_t errors;
	char err[200];
};

struct vufront {
	int sock;
	bool answered;         /* the target has replied to something */
	int memfd[VUF_MAX_REGIONS];
	unsigned int nregions;
	uint8_t *mem;
	size_t mem_size, region_size;
	struct vufront_opts o;
	struct vufront_info info;
	struct vufront_queue *q;
	unsigned int nq;
};

/* Messages (vufront_msg.c). */
int vuf_get_u64(struct vufront *f, uint32_t req, uint64_t *out);
int vuf_send_acked(struct vufront *f, uint32_t req, const void *payload,
		   uint32_t len, const int *fds, unsigned int nfds);
int vuf_recv_reply(struct vufront *f, uint32_t req, struct vhost_user_msg *m);

/* Keeps a raw head's completion for vufront_raw_reap (vufront_ring.c). */
void vuf_stash_raw(struct vufront_queue *q, struct vring_used_elem e);

static inline bool vuf_has(const struct vufront *f, unsigned int bit)
{
	return f->info.features & (1ull << bit);
}

static inline bool vuf_has_proto(const struct vufront *f, unsigned int bit)
{
	return f->info.protocol_features & (1ull << bit);
}

#endif
