/* SPDX-License-Identifier: MIT */
#include "inproc_front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/scm_fds.h"

/* How long a ring may take to stop (its requests in flight to finish). */
#define INPROC_STOP_MS 10000

static void fail(const char *what)
{
	fprintf(stderr, "inproc_front: %s\n", what);
	abort();
}

void inproc_connect(struct inproc_front *f, struct vu_dev *vu)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		fail("socketpair");
	/* What vu_dev_accept does with a fresh connection. */
	vu->conn_fd = sv[0];
	vu->rx.have = 0;
	vu->rx.nfds = 0;
	vu->rx.reply_fd = -1;
	f->vu = vu;
	f->sock = sv[1];
}

void inproc_request(struct inproc_front *f, uint32_t req, const void *payload,
		    uint32_t len, const int *fds, unsigned int nfds,
		    struct vhost_user_msg *reply)
{
	char control[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))] = { 0 };
	struct vhost_user_msg msg = { .hdr = { req, VHOST_USER_VERSION, len } };
	struct iovec iov = { &msg, VHOST_USER_HDR_SIZE + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct vhost_user_msg answer;
	int got = 0;

	if (len)
		memcpy(&msg.payload, payload, len);
	scm_fds_attach(&mh, control, fds, nfds);
	if (sendmsg(f->sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		fail("sendmsg");
	if (vu_dev_conn_readable(f->vu))
		fail("the device closed the connection");
	/* Held for a ring to stop: wait, as the owner's loop would for the
	 * wake eventfd, then let it go on. */
	while (vu_dev_waiting(f->vu))
		if (vu_dev_wait(f->vu, INPROC_STOP_MS) ||
		    vu_dev_conn_readable(f->vu))
			fail("a ring did not stop");
	while (recv(f->sock, &answer, sizeof(answer), MSG_DONTWAIT) > 0) {
		if (reply)
			*reply = answer;
		got = 1;
	}
	if (reply && !got)
		fail("no reply");
}

void inproc_u64(struct inproc_front *f, uint32_t req, uint64_t v, int fd)
{
	inproc_request(f, req, &v, sizeof(v), &fd, fd >= 0 ? 1 : 0, NULL);
}

void inproc_state(struct inproc_front *f, uint32_t req, uint32_t idx,
		  uint32_t num)
{
	struct vhost_user_vring_state s = { idx, num };

	inproc_request(f, req, &s, sizeof(s), NULL, 0, NULL);
}

void inproc_hang_up(struct inproc_front *f)
{
	vu_dev_disconnect(f->vu, "the test hung up");
	if (vu_dev_wait(f->vu, INPROC_STOP_MS) || vu_dev_waiting(f->vu))
		fail("the device did not finish the disconnect");
	for (unsigned int i = 0; i < f->vu->num_queues; i++)
		if (f->vu->vrings[i].started)
			fail("a ring still runs after the disconnect");
	close(f->sock);
	f->sock = -1;
}
