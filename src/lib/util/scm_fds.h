/* SPDX-License-Identifier: MIT */
/* File descriptors over a unix socket (SCM_RIGHTS): one place for the
 * control-message arithmetic every vhost-user sender repeats. */
#ifndef VMIO_UTIL_SCM_FDS_H
#define VMIO_UTIL_SCM_FDS_H

#include <string.h>
#include <sys/socket.h>

/* Room for n fds in a control buffer. */
#define SCM_FDS_SPACE(n) CMSG_SPACE((n) * sizeof(int))

/* Attaches nfds fds to mh, in control (at least SCM_FDS_SPACE(nfds)
 * bytes); nothing when nfds is 0. */
static inline void scm_fds_attach(struct msghdr *mh, void *control,
				  const int *fds, unsigned int nfds)
{
	struct cmsghdr *cm;

	if (!nfds)
		return;
	memset(control, 0, SCM_FDS_SPACE(nfds));
	mh->msg_control = control;
	mh->msg_controllen = SCM_FDS_SPACE(nfds);
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
}

#endif
