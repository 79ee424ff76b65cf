/* SPDX-License-Identifier: MIT */
/* One-shot cross-thread signal on an eventfd: cheap, and usable from any
 * thread without sharing a lock. */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine/reactor.h"

int completion_init(struct completion *c)
{
	c->fd = eventfd(0, EFD_CLOEXEC);
	return c->fd < 0 ? -errno : 0;
}

void completion_signal(struct completion *c)
{
	uint64_t one = 1;

	while (write(c->fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void completion_wait(struct completion *c)
{
	uint64_t v;

	while (read(c->fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

void completion_destroy(struct completion *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
