/* SPDX-License-Identifier: MIT */
/*
 * A deliberately wrong vhost-user-blk (or, with --scsi, vhost-user-scsi)
 * target, for checking that the frontend (vufront, vmio bench) notices a
 * target's wrong answers.
 *
 *   bad_target [--scsi] SOCKET MODE [AFTER]
 *
 * It serves one connection: negotiates like a plain target (VERSION_1,
 * CONFIG, REPLY_ACK; no EVENT_IDX, no indirect), completes reads and
 * writes against nothing (reads return zeros), and from request AFTER on
 * (default 100) answers per MODE:
 *   ok      always right (the control case)
 *   len     a used length larger than the request's writable bytes
 *   id      a used id that was never made available
 *   dup     the same request completed twice
 *   status  completes without writing the status byte
 *   idx     moves used->idx far past what it wrote
 * and, with --scsi (one request queue, vring 2; a 64 MiB disk of 512-byte
 * blocks at LUN 0 that answers TEST UNIT READY, INQUIRY, READ CAPACITY(16),
 * READ(16) and WRITE(16)), where "status" leaves the response unwritten:
 *   response  a response code virtio-scsi does not define
 *   sense     a sense length beyond sense_size
 *   resid     a residual larger than the transfer
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_scsi.h>

#include "vhost/vhost_user_proto.h"

#define CAPACITY_SECTORS (64ull << 11) /* 64 MiB */
#define MAX_VRINGS 3

struct region {
	uint64_t gpa, size, uva;
	uint8_t *map;
};

/* One vring as set up by the frontend. */
struct vring_state {
	uint16_t num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick, call;
};

static struct {
	const char *mode;
	bool scsi;
	unsigned long after, served;
	struct region r[VHOST_USER_MEM_TABLE_MAX_REGIONS];
	unsigned int nr;
	struct vring_state v[MAX_VRINGS];
	unsigned int req_vring; /* the one request queue served */
	/* The request vring's state, for short. */
	uint16_t num, last_avail, used_idx;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick, call;
} t = { .kick = -1, .call = -1,
	.v = { { .kick = -1, .call = -1 }, { .kick = -1, .call = -1 },
	       { .kick = -1, .call = -1 } } };

/* A vring index from a message, kept in range. */
static struct vring_state *vring(uint64_t index)
{
	return &t.v[(index & 0xff) % MAX_VRINGS];
}

/* Points the short names at the request vring once it is complete. */
static void sync_req_vring(void)
{
	struct vring_state *v = &t.v[t.req_vring];

	t.num = v->num;
	t.desc = v->desc;
	t.avail = v->avail;
	t.used = v->used;
	t.kick = v->kick;
	t.call = v->call;
}

static void *gpa_ptr(uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < t.nr; i++)
		if (gpa >= t.r[i].gpa && gpa - t.r[i].gpa + len <= t.r[i].size)
			return t.r[i].map + (gpa - t.r[i].gpa);
	return NULL;
}

static void *uva_ptr(uint64_t uva)
{
	for (unsigned int i = 0; i < t.nr; i++)
		if (uva >= t.r[i].uva && uva - t.r[i].uva < t.r[i].size)
			return t.r[i].map + (uva - t.r[i].uva);
	return NULL;
}

static int recv_msg(int s, struct vhost_user_msg *m, int *fds, int *nfds)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
	struct iovec iov = { &m->hdr, sizeof(m->hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;

	*nfds = 0;
	if (recvmsg(s, &mh, MSG_WAITALL) != sizeof(m->hdr))
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), (size_t)*nfds * sizeof(int));
		}
	if (m->hdr.size > sizeof(m->payload))
		return -1;
	if (m->hdr.size &&
	    recv(s, &m->payload, m->hdr.size, MSG_WAITALL) != (ssize_t)m->hdr.size)
		return -1;
	return 0;
}

static void reply(int s, struct vhost_user_msg *m, uint32_t size)
{
	m->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	m->hdr.size = size;
	if (send(s, m, sizeof(m->hdr) + size, MSG_NOSIGNAL) < 0)
		exit(3);
}

static void reply_u64(int s, struct vhost_user_msg *m, uint64_t v)
{
	m->payload.u64 = v;
	reply(s, m, 8);
}

static void add_region(const struct vhost_user_mem_region *r, int fd)
{
	struct region *x = &t.r[t.nr++];
	uint8_t *p = mmap(NULL, r->memory_size + r->mmap_offset,
			  PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED) {
		perror("bad_target: mmap");
		exit(3);
	}
	*x = (struct region){ r->guest_phys_addr, r->memory_size,
			      r->userspace_addr, p + r->mmap_offset };
	close(fd);
}

static void get_config(int s, struct vhost_user_msg *m)
{
	struct virtio_blk_config c = { .capacity = CAPACITY_SECTORS,
				       .blk_size = 512 };
	struct virtio_scsi_config sc = { .num_queues = 1, .seg_max = 126,
					 .max_sectors = 0xffff,
					 .cmd_per_lun = 128,
					 .sense_size = VIRTIO_SCSI_SENSE_SIZE,
					 .cdb_size = VIRTIO_SCSI_CDB_SIZE };
	uint32_t n = m->payload.config.size, have = t.scsi ? sizeof(sc) : sizeof(c);

	if (n > have)
		n = have;
	memcpy(m->payload.config.payload, t.scsi ? (void *)&sc : (void *)&c, n);
	m->payload.config.size = n;
	reply(s, m, VHOST_USER_CONFIG_HDR_SIZE + n);
}

/* Handles one set-up message; returns -1 when the connection ends. */
static int handle(int s)
{
	const uint64_t features = (1ull << VIRTIO_F_VERSION_1) |
				  (1ull << VHOST_USER_F_PROTOCOL_FEATURES) |
				  (1ull << VIRTIO_BLK_F_BLK_SIZE) |
				  (1ull << VIRTIO_BLK_F_FLUSH);
	const uint64_t scsi_features = (1ull << VIRTIO_F_VERSION_1) |
				       (1ull << VHOST_USER_F_PROTOCOL_FEATURES) |
				       (1ull << VIRTIO_SCSI_F_HOTPLUG);
	const uint64_t proto = (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |
			       (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
			       (t.scsi ? 1ull << VHOST_USER_PROTOCOL_F_MQ : 0);
	struct vhost_user_msg m;
	int fds[VHOST_USER_MAX_FDS], nfds;

	if (recv_msg(s, &m, fds, &nfds))
		return -1;
	switch (m.hdr.request) {
	case VHOST_USER_GET_FEATURES:
		reply_u64(s, &m, t.scsi ? scsi_features : features);
		return 0;
	case VHOST_USER_GET_QUEUE_NUM:
		reply_u64(s, &m, MAX_VRINGS);
		return 0;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		reply_u64(s, &m, proto);
		return 0;
	case VHOST_USER_GET_CONFIG:
		get_config(s, &m);
		return 0;
	case VHOST_USER_SET_MEM_TABLE:
		for (unsigned int i = 0; i < m.payload.mem.nregions && (int)i < nfds; i++)
			add_region(&m.payload.mem.regions[i], fds[i]);
		break;
	case VHOST_USER_SET_VRING_NUM:
		vring(m.payload.state.index)->num = (uint16_t)m.payload.state.num;
		break;
	case VHOST_USER_SET_VRING_ADDR: {
		struct vring_state *v = vring(m.payload.addr.index);

		v->desc = uva_ptr(m.payload.addr.desc_user_addr);
		v->avail = uva_ptr(m.payload.addr.avail_user_addr);
		v->used = uva_ptr(m.payload.addr.used_user_addr);
		break;
	}
	case VHOST_USER_SET_VRING_KICK:
		vring(m.payload.u64)->kick = nfds ? fds[0] : -1;
		break;
	case VHOST_USER_SET_VRING_CALL:
		vring(m.payload.u64)->call = nfds ? fds[0] : -1;
		break;
	default:
		break;
	}
	if (m.hdr.flags & VHOST_USER_NEED_REPLY_MASK)
		reply_u64(s, &m, 0);
	sync_req_vring();
	return 0;
}

static bool misbehave(const char *mode)
{
	return !strcmp(t.mode, mode) && t.served >= t.after;
}

static void push_used(uint32_t id, uint32_t len)
{
	t.used->ring[t.used_idx % t.num] = (struct vring_used_elem){ id, len };
	t.used_idx++;
}

/* Serves one chain: header, optional data, status (direct only). */
static void serve(uint16_t head)
{
	struct vring_desc *d = &t.desc[head % t.num];
	struct virtio_blk_outhdr *h = gpa_ptr(d->addr, sizeof(*h));
	uint32_t written = 0;
	uint8_t *status = NULL;

	while (d->flags & VRING_DESC_F_NEXT) {
		d = &t.desc[d->next % t.num];
		if (d->flags & VRING_DESC_F_WRITE) {
			uint8_t *p = gpa_ptr(d->addr, d->len);

			if (p && d->len > 1)
				memset(p, 0, d->len);
			written += d->len;
			status = p + d->len - 1;
		}
	}
	if (!h || !status)
		exit(4);
	if (!misbehave("status"))
		*status = h->type == VIRTIO_BLK_T_IN || h->type == VIRTIO_BLK_T_OUT ||
			  h->type == VIRTIO_BLK_T_FLUSH ? VIRTIO_BLK_S_OK
							 : VIRTIO_BLK_S_UNSUPP;
	if (misbehave("len"))
		written += 4096;
	push_used(misbehave("id") ? (uint32_t)(head + 1) % t.num : head, written);
	if (misbehave("dup"))
		push_used(head, written);
	t.served++;
}

static void put_be(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Answers one CDB: fills data-in (up to din_len) and the response. */
static uint32_t scsi_answer(const uint8_t *cdb, uint8_t *din, uint32_t din_len,
			    struct virtio_scsi_cmd_resp *r)
{
	uint8_t data[36] = { 0 };
	uint32_t n = 0;

	r->response = VIRTIO_SCSI_S_OK;
	r->status = 0;
	switch (cdb[0]) {
	case 0x00: /* TEST UNIT READY */
	case 0x8a: /* WRITE(16): into nothing */
		break;
	case 0x12: /* INQUIRY: a disk */
		data[2] = 6;
		data[4] = 31;
		memcpy(data + 8, "BAD     TARGET          ", 24);
		n = sizeof(data);
		break;
	case 0x9e: /* READ CAPACITY(16) */
		put_be(data, CAPACITY_SECTORS - 1, 8);
		put_be(data + 8, 512, 4);
		n = 32;
		break;
	case 0x88: /* READ(16): zeros, inside the disk only */
		if (get_be(cdb + 2, 8) + get_be(cdb + 10, 4) > CAPACITY_SECTORS) {
			r->status = 2;
			r->sense_len = 18;
			r->sense[0] = 0x70;
			r->sense[2] = 0x5;
			r->sense[7] = 10;
			r->sense[12] = 0x21;
			return 0;
		}
		n = din_len;
		break;
	default: /* INVALID COMMAND OPERATION CODE */
		r->status = 2;
		r->sense_len = 18;
		r->sense[0] = 0x70;
		r->sense[2] = 0x5;
		r->sense[7] = 10;
		r->sense[12] = 0x20;
		return 0;
	}
	if (n > din_len)
		n = din_len;
	if (din && cdb[0] != 0x88)
		memcpy(din, data, n < sizeof(data) ? n : sizeof(data));
	return n;
}

/* Serves one virtio-scsi chain (direct descriptors): request header,
 * data-out, response header, data-in. */
static void serve_scsi(uint16_t head)
{
	struct vring_desc *d = &t.desc[head % t.num];
	struct virtio_scsi_cmd_req *h = gpa_ptr(d->addr, sizeof(*h));
	struct virtio_scsi_cmd_resp *resp = NULL, r = { 0 };
	uint8_t *din = NULL;
	uint32_t din_len = 0, n;

	while (d->flags & VRING_DESC_F_NEXT) {
		d = &t.desc[d->next % t.num];
		if (!(d->flags & VRING_DESC_F_WRITE))
			continue;
		if (!resp) {
			resp = gpa_ptr(d->addr, sizeof(*resp));
		} else {
			din = gpa_ptr(d->addr, d->len);
			din_len = d->len;
		}
	}
	if (!h || !resp)
		exit(4);
	if (din)
		memset(din, 0, din_len);
	n = scsi_answer(h->cdb, din, din_len, &r);
	r.resid = din_len - n;
	if (misbehave("response"))
		r.response = 0x42;
	if (misbehave("sense"))
		r.sense_len = 200;
	if (misbehave("resid"))
		r.resid = din_len + (1u << 20);
	if (!misbehave("status"))
		memcpy(resp, &r, sizeof(r));
	n += sizeof(r);
	if (misbehave("len"))
		n += 4096;
	push_used(misbehave("id") ? (uint32_t)(head + 1) % t.num : head, n);
	if (misbehave("dup"))
		push_used(head, n);
	t.served++;
}

static void process(void)
{
	uint16_t avail = __atomic_load_n(&t.avail->idx, __ATOMIC_ACQUIRE);
	uint64_t one = 1;

	while (t.last_avail != avail) {
		uint16_t head = t.avail->ring[t.last_avail++ % t.num];

		if (t.scsi)
			serve_scsi(head);
		else
			serve(head);
	}
	if (misbehave("idx"))
		t.used_idx = (uint16_t)(t.used_idx + 1000);
	__atomic_store_n(&t.used->idx, t.used_idx, __ATOMIC_RELEASE);
	if (t.call >= 0 && write(t.call, &one, sizeof(one)) < 0)
		exit(3);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l, s;

	if (argc > 1 && !strcmp(argv[1], "--scsi")) {
		t.scsi = true;
		t.req_vring = 2;
		argc--;
		argv++;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: bad_target [--scsi] SOCKET ok|len|id|dup|"
			"status|idx|response|sense|resid [AFTER]\n");
		return 2;
	}
	t.mode = argv[2];
	t.after = argc > 3 ? strtoul(argv[3], NULL, 0) : 100;
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1)) {
		perror("bad_target: bind");
		return 3;
	}
	for (;;) {
		struct pollfd p[2];
		uint64_t v;

		s = accept(l, NULL, NULL);
		if (s < 0)
			return 3;
		/* A probe that connects and leaves is not the frontend. */
		for (;;) {
			p[0] = (struct pollfd){ s, POLLIN, 0 };
			p[1] = (struct pollfd){ t.kick, POLLIN, 0 };
			if (poll(p, t.kick >= 0 ? 2 : 1, 1000) < 0)
				return 3;
			if ((p[0].revents & (POLLIN | POLLHUP)) && handle(s))
				break;
			if (t.kick >= 0 && (p[1].revents & POLLIN) &&
			    read(t.kick, &v, sizeof(v)) == sizeof(v) && t.used)
				process();
		}
		close(s);
		if (t.used)
			return 0;
	}
}
