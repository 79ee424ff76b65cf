/* SPDX-License-Identifier: MIT */
#include "vu_client.h"
#include "util/scm_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int try_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	close(fd);
	return -1;
}

static bool socket_listening(const char *sock)
{
	/* A probe that connects and closes at once: vmiod sees a front-end
	 * come and go, which it must handle anyway. */
	int fd = try_connect(sock);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

pid_t vc_spawn_vmiod(const char *const *args, const char *const *wait_socks)
{
	const char *bin = getenv("VMIOD");
	const char *argv[64];
	int n = 0;
	pid_t pid;

	argv[n++] = bin ? bin : "vmiod";
	for (; *args && n < 62; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int tries = 0; tries < 500; tries++) {
		bool all = true;

		for (const char *const *s = wait_socks; *s; s++)
			all = all && socket_listening(*s);
		if (all) {
			usleep(20000); /* let vmiod see the probes go away */
			return pid;
		}
		if (!vc_alive(pid))
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return -1;
}

bool vc_alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

int vc_stop_vmiod(pid_t pid)
{
	int status;

	/* A vmiod that never started: kill(-1) would signal every process
	 * we may signal. */
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int vc_connect(struct vc *c, const char *sock)
{
	memset(c, 0, sizeof(*c));
	c->memfd = -1;
	c->fd = try_connect(sock);
	return c->fd < 0 ? -errno : 0;
}

void vc_close(struct vc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->mem)
		munmap(c->mem, VC_MEM_SIZE);
	if (c->memfd >= 0)
		close(c->memfd);
	for (int i = 0; i < 4; i++) {
		if (c->q[i].kick > 0)
			close(c->q[i].kick);
		if (c->q[i].call > 0)
			close(c->q[i].call);
	}
	memset(c, 0, sizeof(*c));
	c->fd = c->memfd = -1;
}

int vc_send_raw(struct vc *c, uint32_t req, uint32_t flags, uint32_t size,
		const void *payload, uint32_t payload_len, const int *fds,
		int nfds)
{
	char control[CMSG_SPACE(16 * sizeof(int))] = { 0 };
	struct vhost_user_header h = { req, flags, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, payload_len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = payload_len ? 2 : 1 };

	scm_fds_attach(&mh, control, fds, nfds);
	return sendmsg(c->fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int vc_send(struct vc *c, uint32_t req, const void *payload, uint32_t len,
	    const int *fds, int nfds)
{
	return vc_send_raw(c, req, VHOST_USER_VERSION, len, payload, len, fds,
			   nfds);
}

static int recv_full(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int vc_recv(struct vc *c, struct vhost_user_msg *m, int timeout_ms)
{
	int ret = recv_full(c->fd, &m->hdr, sizeof(m->hdr), timeout_ms);

	if (ret)
		return ret;
	if (m->hdr.size > sizeof(m->payload))
		return -EPROTO;
	ret = recv_full(c->fd, &m->payload, m->hdr.size, timeout_ms);
	return ret ? ret : (int)m->hdr.size;
}

int vc_get_u64(struct vc *c, uint32_t req, uint64_t *out)
{
	struct vhost_user_msg m;
	int ret = vc_send(c, req, NULL, 0, NULL, 0);

	if (ret)
		return ret;
	ret = vc_recv(c, &m, 2000);
	if (ret < 0)
		return ret;
	if (ret != 8 || m.hdr.request != req)
		return -EPROTO;
	*out = m.payload.u64;
	return 0;
}

bool vc_closed_by_peer(struct vc *c, int timeout_ms)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	char b;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	return recv(c->fd, &b, 1, MSG_DONTWAIT) == 0;
}

static int setup_memory(struct vc *c)
{
	struct vhost_user_mem_table t = { .nregions = 1 };

	c->memfd = memfd_create("vc-guest", MFD_CLOEXEC |
				(c->seals ? MFD_ALLOW_SEALING : 0));
	if (c->memfd < 0 || ftruncate(c->memfd, VC_MEM_SIZE) < 0)
		return -errno;
	if (c->seals && fcntl(c->memfd, F_ADD_SEALS, (int)c->seals) < 0)
		return -errno;
	c->mem = mmap(NULL, VC_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->memfd, 0);
	if (c->mem == MAP_FAILED)
		return -errno;
	t.regions[0] = (struct vhost_user_mem_region){ VC_GPA, VC_MEM_SIZE,
						       VC_QVA, 0 };
	return vc_send(c, VHOST_USER_SET_MEM_TABLE, &t, 8 + sizeof(t.regions[0]),
		       &c->memfd, 1);
}

int vc_start_queue(struct vc *c, unsigned int i)
{
	struct vc_queue *q = &c->q[i];
	struct vhost_user_vring_state st = { i, VC_RING };
	struct vhost_user_vring_addr a = { 0 };
	uint64_t u = i;
	int ret = 0;

	q->ring_off = 0x10000 * (i + 1);
	q->desc = vc_ptr(c, q->ring_off);
	q->avail = vc_ptr(c, q->ring_off + 0x1000);
	q->used = vc_ptr(c, q->ring_off + 0x2000);
	if (q->kick > 0)
		close(q->kick);
	if (q->call > 0)
		close(q->call);
	q->avail_idx = q->used_seen = 0;
	memset(vc_ptr(c, q->ring_off), 0, 0x3000);
	q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a.index = i;
	a.desc_user_addr = VC_QVA + q->ring_off;
	a.avail_user_addr = VC_QVA + q->ring_off + 0x1000;
	a.used_user_addr = VC_QVA + q->ring_off + 0x2000;
	ret |= vc_send(c, VHOST_USER_SET_VRING_NUM, &st, sizeof(st), NULL, 0);
	st.num = 0;
	ret |= vc_send(c, VHOST_USER_SET_VRING_BASE, &st, sizeof(st), NULL, 0);
	ret |= vc_send(c, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	ret |= vc_send(c, VHOST_USER_SET_VRING_CALL, &u, 8, &q->call, 1);
	ret |= vc_send(c, VHOST_USER_SET_VRING_KICK, &u, 8, &q->kick, 1);
	st.num = 1;
	ret |= vc_send(c, VHOST_USER_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0);
	return ret;
}

int vc_setup(struct vc *c, unsigned int nq)
{
	uint64_t f;
	int ret;

	ret = vc_get_u64(c, VHOST_USER_GET_FEATURES, &c->features);
	if (ret)
		return ret;
	ret = vc_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES,
			 &c->protocol_features);
	if (ret)
		return ret;
	f = c->protocol_features & ((1ull << VHOST_USER_PROTOCOL_F_MQ) |
				    (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
				    (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	ret = vc_send(c, VHOST_USER_SET_PROTOCOL_FEATURES, &f, 8, NULL, 0);
	ret |= vc_send(c, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	/* Split rings only: this client lays them out (vmiod offers
	 * packed rings too, VIRTIO_F_RING_PACKED, for drivers that ask). */
	f = c->features & ~(1ull << VIRTIO_RING_F_EVENT_IDX) &
	    ~(1ull << VIRTIO_F_RING_PACKED);
	ret |= vc_send(c, VHOST_USER_SET_FEATURES, &f, 8, NULL, 0);
	if (ret)
		return -EIO;
	ret = setup_memory(c);
	for (unsigned int i = 0; i < nq && !ret; i++)
		ret = vc_start_queue(c, i);
	return ret;
}

void vc_desc(struct vc *c, unsigned int q, uint16_t i, uint64_t gpa,
	     uint32_t len, uint16_t flags, uint16_t next)
{
	c->q[q].desc[i] = (struct vring_desc){ gpa, len, flags, next };
}

void vc_avail(struct vc *c, unsigned int qi, uint16_t head)
{
	struct vc_queue *q = &c->q[qi];
	uint64_t one = 1;

	q->avail->ring[q->avail_idx % VC_RING] = head;
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	if (write(q->kick, &one, 8) < 0)
		perror("kick");
}

void vc_kick(struct vc *c, unsigned int qi)
{
	uint64_t one = 1;

	if (write(c->q[qi].kick, &one, 8) < 0)
		perror("kick");
}

void vc_set_avail_idx(struct vc *c, unsigned int qi, uint16_t idx)
{
	uint64_t one = 1;

	c->q[qi].avail_idx = idx;
	__atomic_store_n(&c->q[qi].avail->idx, idx, __ATOMIC_RELEASE);
	if (write(c->q[qi].kick, &one, 8) < 0)
		perror("kick");
}

int vc_wait_used(struct vc *c, unsigned int qi, uint32_t *id, uint32_t *len,
		 int timeout_ms)
{
	struct vc_queue *q = &c->q[qi];

	for (int waited = 0; waited <= timeout_ms; waited++) {
		uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);

		if (idx != q->used_seen) {
			struct vring_used_elem *e = &q->used->ring[q->used_seen % VC_RING];

			*id = e->id;
			*len = e->len;
			q->used_seen++;
			return 1;
		}
		usleep(1000);
	}
	return 0;
}

int vc_blk_rw(struct vc *c, unsigned int q, uint16_t base, uint32_t type,
	      uint64_t sector, uint64_t data_off, uint32_t len)
{
	uint64_t hdr_off = 0x100000 + base * 64;
	struct virtio_blk_outhdr *h = vc_ptr(c, hdr_off);
	uint8_t *status = vc_ptr(c, hdr_off + 32);
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	uint32_t id, used_len;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*status = 0xff;
	vc_desc(c, q, base, vc_gpa(hdr_off), 16, VRING_DESC_F_NEXT, base + 1);
	if (len) {
		vc_desc(c, q, base + 1, vc_gpa(data_off), len,
			VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0), base + 2);
		vc_desc(c, q, base + 2, vc_gpa(hdr_off + 32), 1, VRING_DESC_F_WRITE, 0);
	} else {
		vc_desc(c, q, base, vc_gpa(hdr_off), 16, VRING_DESC_F_NEXT, base + 2);
		vc_desc(c, q, base + 2, vc_gpa(hdr_off + 32), 1, VRING_DESC_F_WRITE, 0);
	}
	vc_avail(c, q, base);
	if (!vc_wait_used(c, q, &id, &used_len, 3000) || id != base)
		return -1;
	return *status;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Request slot i uses descriptors 3i..3i+2, a header and status at
 * 0x180000 + 64i and data at 0x200000 + i * 64K. */
static void loop_submit(struct vc *c, unsigned int q, unsigned int i,
			uint32_t type, uint32_t bs, uint64_t sector)
{
	uint64_t hdr = 0x180000 + 64 * i, data = 0x200000 + 0x10000ull * i;
	struct virtio_blk_outhdr *h = vc_ptr(c, hdr);
	uint16_t d = (uint16_t)(3 * i);

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(uint8_t *)vc_ptr(c, hdr + 32) = 0xff;
	vc_desc(c, q, d, vc_gpa(hdr), 16, VRING_DESC_F_NEXT, d + 1);
	vc_desc(c, q, d + 1, vc_gpa(data), bs,
		VRING_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0),
		d + 2);
	vc_desc(c, q, d + 2, vc_gpa(hdr + 32), 1, VRING_DESC_F_WRITE, 0);
	vc_avail(c, q, d);
}

long vc_closed_loop(struct vc *c, unsigned int q, unsigned int qd,
		    uint32_t type, uint32_t bs, double seconds)
{
	struct vc_queue *vq = &c->q[q];
	uint64_t sector = 0;
	long done = 0;
	double end, last;

	if (qd > 16 || bs > 0x10000)
		return -1;
	for (unsigned int i = 0; i < qd; i++, sector += bs / 512)
		loop_submit(c, q, i, type, bs, sector % (1 << 20));
	last = now_s();
	end = last + seconds;
	while (now_s() < end) {
		uint16_t idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);

		if (idx == vq->used_seen) {
			if (now_s() - last > 2.0)
				return -1; /* nothing completes */
			continue;
		}
		while (vq->used_seen != idx) {
			uint32_t id = vq->used->ring[vq->used_seen % VC_RING].id;
			unsigned int i = id / 3;

			vq->used_seen++;
			if (id % 3 || i >= qd ||
			    *(uint8_t *)vc_ptr(c, 0x180000 + 64 * i + 32) != VIRTIO_BLK_S_OK)
				return -1;
			done++;
			loop_submit(c, q, i, type, bs, sector % (1 << 20));
			sector += bs / 512;
		}
		last = now_s();
	}
	/* Let what is still in flight finish before the caller moves on. */
	for (double t = now_s(); vq->used_seen != vq->avail_idx && now_s() - t < 2;)
		vq->used_seen = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	return done;
}
