/* SPDX-License-Identifier: MIT */
#include "vhost/vu_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/scm_fds.h"

static int sock_uid = -1, sock_gid = -1;

void vu_socket_set_owner(int uid, int gid)
{
	sock_uid = uid;
	sock_gid = gid;
}

int vu_socket_listen(struct unix_listener *l, const char *path,
		     const char *name)
{
	/* Owner and group may connect (QEMU usually runs as another user in
	 * the same group); nobody else. A socket handed in under systemd
	 * carries the device's name. */
	struct unix_listen_opts o = { 0660, sock_uid, sock_gid, 4, name, name };

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		log_error("socket path '%s' is longer than the %zu bytes a unix "
			  "socket allows; use a shorter path", path,
			  sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	return unix_listen(l, path, &o);
}

void vu_rx_reset(struct vu_rx *rx)
{
	for (unsigned int i = 0; i < rx->nfds; i++)
		if (rx->fds[i] >= 0)
			close(rx->fds[i]);
	rx->nfds = 0;
	rx->have = 0;
	if (rx->reply_fd >= 0)
		close(rx->reply_fd);
	rx->reply_fd = -1;
}

/* Keeps the fds that came with this chunk. Fds are only legal with the
 * header's first bytes; more than VHOST_USER_MAX_FDS is a broken client. */
static int take_fds(struct vu_rx *rx, struct msghdr *mh, const char **why)
{
	struct cmsghdr *cm;
	int ret = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		unsigned int n;
		int *fds;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(cm);
		for (unsigned int i = 0; i < n; i++) {
			if (rx->nfds < VHOST_USER_MAX_FDS) {
				rx->fds[rx->nfds++] = fds[i];
			} else {
				close(fds[i]);
				*why = "more file descriptors than any message carries";
				ret = -EPROTO;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC) {
		*why = "file descriptors truncated";
		ret = -EPROTO;
	}
	return ret;
}

int vu_socket_recv(int fd, struct vu_rx *rx, const char **why)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
	uint8_t *buf = (uint8_t *)&rx->msg;

	for (;;) {
		uint32_t want = rx->have < VHOST_USER_HDR_SIZE
					? VHOST_USER_HDR_SIZE
					: VHOST_USER_HDR_SIZE + rx->msg.hdr.size;
		struct iovec iov = { buf + rx->have, want - rx->have };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n;
		int ret;

		if (rx->have == want)
			return 1;
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -ECONNRESET;
		}
		if (n == 0)
			return -ECONNRESET;
		ret = take_fds(rx, &mh, why);
		if (ret)
			return ret;
		rx->have += (uint32_t)n;
		if (rx->have == VHOST_USER_HDR_SIZE) {
			if (rx->msg.hdr.size > VHOST_USER_MAX_PAYLOAD) {
				*why = "payload larger than any message has";
				return -EPROTO;
			}
			if ((rx->msg.hdr.flags & VHOST_USER_VERSION_MASK) !=
			    VHOST_USER_VERSION) {
				*why = "unsupported protocol version";
				return -EPROTO;
			}
		}
	}
}

int vu_socket_send(int fd, const struct vhost_user_msg *msg, const int *fds,
		   unsigned int nfds)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { (void *)msg, VHOST_USER_HDR_SIZE + msg->hdr.size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > VHOST_USER_MAX_FDS)
		return -EINVAL;
	scm_fds_attach(&mh, control, fds, nfds);
	/* Replies are small; a peer that does not read them for a second is
	 * treated as gone rather than allowed to stall the control thread.
	 * MSG_DONTWAIT: the back-end request socket is the front-end's, and
	 * may have been handed to us blocking. */
	for (int waits = 0; iov.iov_len > 0;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			struct timespec ms = { 0, 1000000 };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (++waits > 1000)
				return -ETIMEDOUT;
			nanosleep(&ms, NULL);
			continue;
		}
		iov.iov_base = (uint8_t *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
		mh.msg_control = NULL; /* fds go with the first bytes only */
		mh.msg_controllen = 0;
	}
	return 0;
}
