/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes vhost-user message handling through the real receive path: a
 * vu_dev with stub device ops reads each message, with its fds, from one end
 * of a socketpair (vu_dev_conn_readable, as the control thread does) while
 * the harness plays the front-end on the other end.
 *
 * The input is a sequence of messages, each:
 *   ctl    bits 0-2: fds to attach; bit 3: attach 9 (one more than any
 *          message may carry); bits 4-5: their kind (memfd, eventfd,
 *          alternating, unmappable pipe); bit 6: raw chunk instead of a
 *          message (the next byte is its length); bit 7: NEED_REPLY
 *   pages  memfd size in 4 KiB pages, minus one
 *   req    request number, modulo VHOST_USER_MAX_REQUEST + 2
 *   size   payload size (u16) the header announces
 *   bytes  the payload: min(size, VHOST_USER_MAX_PAYLOAD) bytes,
 *          zero-padded past the end of the input
 * A device that hangs up is reconnected (as QEMU does) up to 4 times.
 *
 * Oracles, beyond the sanitizers: the stubs see queue_start only for a
 * stopped ring whose desc/avail/used lie inside mapped guest memory and
 * queue_stop only for a started one; after every message each started
 * ring still lies inside guest memory (and its inflight area, split or
 * packed layout, inside the inflight mapping), and the memory table is sorted and non-overlapping;
 * after each input every fd and every memfd mapping is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "vhost/vu_dev.h"
#include "util/scm_fds.h"

#define NQ 4
#define MAX_CONNECTIONS 4
#define TOO_MANY_FDS (VHOST_USER_MAX_FDS + 1)

static struct vu_dev *dev;
static bool running[NQ];

static bool inside_guest(const struct vu_dev *d, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (unsigned int i = 0; i < d->mem->nregions; i++) {
		const struct guest_mem_region *r = &d->mem->regions[i];

		if (b >= r->hva && len <= r->size &&
		    (size_t)(b - r->hva) <= r->size - len)
			return true;
	}
	return false;
}

static void check_ring(const struct vu_dev *d, const struct vu_vring *v)
{
	const struct virtq *vq = &v->vq;
	const uint8_t *inflight = vq->packed ? (const uint8_t *)vq->pinflight
					     : (const uint8_t *)vq->inflight;
	const uint8_t *base = d->inflight_base;

	FUZZ_CHECK(vq->size == v->num && vq->size > 0);
	if (vq->packed) {
		/* One descriptor ring and two 4-byte event areas. */
		FUZZ_CHECK(inside_guest(d, vq->pdesc,
					vq->size * sizeof(*vq->pdesc)));
		FUZZ_CHECK(inside_guest(d, vq->driver_event, 4));
		FUZZ_CHECK(inside_guest(d, vq->device_event, 4));
	} else {
		FUZZ_CHECK(inside_guest(d, vq->desc, vq->size * sizeof(*vq->desc)));
		FUZZ_CHECK(inside_guest(d, vq->avail, 6 + 2 * (size_t)vq->size));
		FUZZ_CHECK(inside_guest(d, vq->used, 6 + 8 * (size_t)vq->size));
	}
	if (!inflight)
		return;
	FUZZ_CHECK(base && inflight >= base);
	FUZZ_CHECK(inflight + (vq->packed ? inflight_packed_queue_bytes(vq->size)
					  : inflight_queue_bytes(vq->size)) <=
		   base + d->inflight_size);
}

static int stub_start(struct vu_dev *d, unsigned int idx)
{
	FUZZ_CHECK(idx < NQ && !running[idx] && !d->vrings[idx].started);
	check_ring(d, &d->vrings[idx]);
	/* The last queue's model refuses to start: exercises the unwinding. */
	if (idx == NQ - 1)
		return -EIO;
	running[idx] = true;
	return 0;
}

/* Odd rings stop the way a reactor's do, reporting later (here: at once,
 * through the same call); even ones are stopped on return. */
static int stub_stop(struct vu_dev *d, unsigned int idx)
{
	FUZZ_CHECK(idx < NQ && running[idx] && d->vrings[idx].started);
	running[idx] = false;
	if (!(idx & 1))
		return 0;
	vu_dev_queue_stopped(d, idx);
	return -EINPROGRESS;
}

static int stub_get_config(struct vu_dev *d, uint8_t *buf, uint32_t off,
			   uint32_t len)
{
	FUZZ_CHECK(off <= VHOST_USER_MAX_CONFIG_SIZE &&
		   len <= VHOST_USER_MAX_CONFIG_SIZE - off);
	memset(buf, 0x5a, len);
	return 0;
}

static int stub_set_config(struct vu_dev *d, const uint8_t *buf, uint32_t off,
			   uint32_t len)
{
	FUZZ_CHECK(off <= VHOST_USER_MAX_CONFIG_SIZE &&
		   len <= VHOST_USER_MAX_CONFIG_SIZE - off);
	return len ? -EINVAL : 0;
}

static const struct vu_dev_ops ops = {
	/* VERSION_1, EVENT_IDX, INDIRECT_DESC, as virtio-blk offers them */
	.features = (1ull << 32) | (1ull << 29) | (1ull << 28),
	.get_config = stub_get_config,
	.set_config = stub_set_config,
	.queue_start = stub_start,
	.queue_stop = stub_stop,
};

static void setup_once(void)
{
	char path[64];
	int ret;

	if (dev)
		return;
	fuzz_quiet_log();
	snprintf(path, sizeof(path), "/tmp/vmio-fuzz-vu-%d.sock", (int)getpid());
	ret = vu_dev_create(&dev, "fuzz", path, NQ, &ops, NULL);
	FUZZ_CHECK(ret == 0);
	/* The listening socket is not needed: connections are socketpairs. */
	unlink(path);
}

static void check_state(const struct vu_dev *d)
{
	const struct guest_mem *m = d->mem;

	FUZZ_CHECK(m->nregions <= GUEST_MEM_MAX_REGIONS);
	for (unsigned int i = 1; i < m->nregions; i++)
		FUZZ_CHECK(m->regions[i - 1].gpa + m->regions[i - 1].size <=
			   m->regions[i].gpa);
	for (unsigned int i = 0; i < NQ; i++) {
		FUZZ_CHECK(running[i] == d->vrings[i].started);
		if (running[i])
			check_ring(d, &d->vrings[i]);
	}
}

/* Makes one fd of the kind ctl asks for; -1 if the system is out. */
static int make_fd(unsigned int kind, unsigned int i, size_t bytes)
{
	int fd, p[2];

	if (kind == 2)
		kind = i & 1;
	switch (kind) {
	case 0:
		fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, (off_t)bytes) < 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	case 1:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	default:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	}
}

static void send_with_fds(int sock, const void *buf, size_t len,
			  unsigned int nfds, unsigned int kind, size_t bytes)
{
	char control[CMSG_SPACE(TOO_MANY_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[TOO_MANY_FDS];
	unsigned int n = 0;

	while (n < nfds) {
		fds[n] = make_fd(kind, n, bytes);
		if (fds[n] < 0)
			break;
		n++;
	}
	scm_fds_attach(&mh, control, fds, n);
	/* A full buffer or a closed peer is the device's business. */
	if (sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;
	while (n)
		close(fds[--n]);
}

/* Reads the device's replies, closing any fd one carries (GET_INFLIGHT_FD). */
static void drain(int sock)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
	char buf[4096];

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control,
				     .msg_controllen = sizeof(control) };
		struct cmsghdr *cm;

		if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			int *fds = (int *)CMSG_DATA(cm);
			size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < n; i++)
				close(fds[i]);
		}
	}
}

/* Sends the next message (or raw chunk) of the input. */
static void send_next(struct fuzz_in *in, int sock)
{
	uint8_t ctl = fuzz_u8(in);
	size_t bytes = ((size_t)fuzz_u8(in) + 1) * 4096;
	unsigned int nfds = (ctl & 8) ? TOO_MANY_FDS : (ctl & 7);
	unsigned int kind = (ctl >> 4) & 3;
	struct vhost_user_msg msg = { 0 };
	size_t len;

	if (ctl & 0x40) {
		uint8_t raw[256];

		len = fuzz_u8(in);
		fuzz_bytes(in, raw, len);
		send_with_fds(sock, raw, len, nfds, kind, bytes);
		return;
	}
	msg.hdr.request = fuzz_u8(in) % (VHOST_USER_MAX_REQUEST + 2);
	msg.hdr.flags = VHOST_USER_VERSION |
			((ctl & 0x80) ? VHOST_USER_NEED_REPLY_MASK : 0);
	msg.hdr.size = fuzz_u16(in);
	len = msg.hdr.size <= VHOST_USER_MAX_PAYLOAD ? msg.hdr.size : 0;
	fuzz_bytes(in, &msg.payload, len);
	send_with_fds(sock, &msg, VHOST_USER_HDR_SIZE + len, nfds, kind, bytes);
}

static int connect_dev(int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		return -1;
	/* What vu_dev_accept does with a fresh connection. */
	dev->conn_fd = sv[0];
	dev->rx.have = 0;
	dev->rx.nfds = 0;
	dev->rx.reply_fd = -1;
	*peer = sv[1];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int fds_before, peer;

	setup_once();
	fds_before = fuzz_count_fds();
	if (connect_dev(&peer))
		return 0;
	for (int conns = 1; in.left > 0;) {
		int ret;

		send_next(&in, peer);
		ret = vu_dev_conn_readable(dev);
		/* A message held for a stop: the owner's loop would see the
		 * wake eventfd and go on. */
		while (!ret && vu_dev_waiting(dev)) {
			ret = vu_dev_wake(dev);
			if (!ret && vu_dev_reading(dev))
				ret = vu_dev_conn_readable(dev);
		}
		if (ret < 0) {
			/* The device hung up: the owner's loop finishes the
			 * close on the wake eventfd (rings that report their
			 * stop later), then QEMU reconnects. */
			FUZZ_CHECK(dev->conn_fd < 0);
			for (int spins = 0; vu_dev_waiting(dev); spins++) {
				FUZZ_CHECK(spins < 1000);
				vu_dev_wake(dev);
			}
			close(peer);
			peer = -1;
			if (++conns > MAX_CONNECTIONS || connect_dev(&peer))
				break;
		}
		check_state(dev);
		drain(peer);
	}
	if (dev->conn_fd >= 0)
		vu_dev_disconnect(dev, "fuzz input done");
	FUZZ_CHECK(vu_dev_wait(dev, 2000) == 0 && !vu_dev_waiting(dev));
	if (peer >= 0)
		close(peer);
	for (unsigned int i = 0; i < NQ; i++)
		FUZZ_CHECK(!running[i]);
	FUZZ_CHECK(dev->mem->nregions == 0 && !dev->inflight_base);
	FUZZ_CHECK(fuzz_count_fds() == fds_before);
	FUZZ_CHECK(fuzz_count_maps("memfd:") == 0);
	return 0;
}
