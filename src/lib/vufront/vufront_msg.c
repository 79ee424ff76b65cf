/* SPDX-License-Identifier: MIT */
/* vufront: vhost-user messages on the socket, well-formed or raw. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vufront/vufront_int.h"
#include "util/scm_fds.h"

/* How long a set-up reply may take before the target counts as hung. */
#define REPLY_TIMEOUT_MS 5000
/* More fds than a message may carry (VHOST_USER_MAX_FDS), so a test can
 * check that a target refuses them. */
#define SEND_MAX_FDS 16

int vufront_socket(const struct vufront *f)
{
	return f->sock;
}

static int send_iov(struct vufront *f, struct iovec *iov, int niov,
		    const int *fds, unsigned int nfds)
{
	char control[SCM_FDS_SPACE(SEND_MAX_FDS)];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
	ssize_t n;

	if (nfds > SEND_MAX_FDS)
		return -EINVAL;
	scm_fds_attach(&mh, control, fds, nfds);
	n = sendmsg(f->sock, &mh, MSG_NOSIGNAL);
	return n < 0 ? -errno : 0;
}

int vufront_raw_send(struct vufront *f, const void *bytes, size_t len,
		     const int *fds, unsigned int nfds)
{
	struct iovec iov = { (void *)bytes, len };

	return send_iov(f, &iov, 1, fds, nfds);
}

int vufront_send_msg(struct vufront *f, uint32_t request, uint32_t flags,
		     const void *payload, uint32_t size, const int *fds,
		     unsigned int nfds)
{
	struct vhost_user_header h = { request, VHOST_USER_VERSION | flags, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };

	return send_iov(f, iov, size ? 2 : 1, fds, nfds);
}

static int recv_all(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		int ret = poll(&p, 1, timeout_ms);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return ret < 0 ? -errno : -ETIMEDOUT;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int vufront_recv_msg(struct vufront *f, struct vhost_user_msg *m,
		     int timeout_ms)
{
	int ret = recv_all(f->sock, &m->hdr, sizeof(m->hdr), timeout_ms);

	if (ret)
		return ret;
	if (m->hdr.size > sizeof(m->payload))
		return -EPROTO;
	ret = recv_all(f->sock, &m->payload, m->hdr.size, timeout_ms);
	return ret ? ret : (int)m->hdr.size;
}

bool vufront_peer_closed(struct vufront *f, int timeout_ms)
{
	struct pollfd p = { f->sock, POLLRDHUP, 0 };

	return poll(&p, 1, timeout_ms) > 0 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Receives the reply to req; returns the payload size or -errno. */
int vuf_recv_reply(struct vufront *f, uint32_t req, struct vhost_user_msg *m)
{
	int ret = vufront_recv_msg(f, m, REPLY_TIMEOUT_MS);

	if (ret < 0)
		return ret;
	if (m->hdr.request != req || !(m->hdr.flags & VHOST_USER_REPLY_MASK))
		return -EPROTO;
	f->answered = true;
	return ret;
}

int vufront_get_u64(struct vufront *f, uint32_t req, uint64_t *out)
{
	struct vhost_user_msg m;
	int ret = vufront_send_msg(f, req, 0, NULL, 0, NULL, 0);

	if (!ret)
		ret = vuf_recv_reply(f, req, &m);
	if (ret < 0)
		return ret;
	if (ret != 8)
		return -EPROTO;
	*out = m.payload.u64;
	return 0;
}

int vufront_recv_ack(struct vufront *f, uint32_t req, int timeout_ms,
		     uint64_t *status)
{
	struct vhost_user_msg m;
	int ret = vufront_recv_msg(f, &m, timeout_ms);

	if (ret < 0)
		return ret;
	if (ret != 8 || m.hdr.request != req ||
	    !(m.hdr.flags & VHOST_USER_REPLY_MASK))
		return -EPROTO;
	f->answered = true;
	*status = m.payload.u64;
	return 0;
}

/* Sends req and, when REPLY_ACK was negotiated, waits for its status. */
int vuf_send_acked(struct vufront *f, uint32_t req, const void *payload,
		   uint32_t len, const int *fds, unsigned int nfds)
{
	bool ack = vuf_has_proto(f, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	uint64_t status;
	int ret;

	ret = vufront_send_msg(f, req, ack ? VHOST_USER_NEED_REPLY_MASK : 0,
			       payload, len, fds, nfds);
	if (ret || !ack)
		return ret;
	ret = vufront_recv_ack(f, req, REPLY_TIMEOUT_MS, &status);
	if (ret)
		return ret;
	return status == 0 ? 0 : -EIO;
}
