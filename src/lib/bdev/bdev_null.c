/* SPDX-License-Identifier: MIT */
/* The null backend: every request succeeds at the next reactor pass without
 * touching data, so a benchmark on it measures the data path alone. */
#include <errno.h>
#include <stdlib.h>

#include "bdev/bdev.h"
#include "util/compiler.h"

struct null_channel {
	struct bdev_channel ch;
	struct reactor_poller poller;
	struct bdev_io *head, *tail; /* submitted, to complete next pass */
};

static int null_poll(struct reactor_poller *p)
{
	struct null_channel *nc = container_of(p, struct null_channel, poller);
	struct bdev_io *io = nc->head;
	int n = 0;

	nc->head = nc->tail = NULL;
	while (io) {
		struct bdev_io *next = io->next;

		bdev_io_complete(io, 0);
		io = next;
		n++;
	}
	return n;
}

static void null_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	struct null_channel *nc = (struct null_channel *)ch;

	io->next = NULL;
	if (nc->tail)
		nc->tail->next = io;
	else
		nc->head = io;
	nc->tail = io;
}

static int null_channel_open(struct bdev *b, struct reactor *r,
			     struct bdev_mem *mem, struct bdev_channel **out)
{
	struct null_channel *nc = calloc(1, sizeof(*nc));

	if (!nc)
		return -ENOMEM;
	nc->poller.poll = null_poll;
	nc->poller.wake_fd = -1;
	reactor_add_poller(r, &nc->poller);
	*out = &nc->ch;
	return 0;
}

static void null_channel_close(struct bdev_channel *ch)
{
	struct null_channel *nc = (struct null_channel *)ch;

	reactor_remove_poller(ch->reactor, &nc->poller);
	free(nc);
}

static int null_resize(struct bdev *b, uint64_t size)
{
	b->size = size;
	return 0;
}

static void null_destroy(struct bdev *b)
{
	free(b);
}

static const struct bdev_ops null_ops = {
	.name = "null",
	.channel_open = null_channel_open,
	.channel_close = null_channel_close,
	.submit = null_submit,
	.resize = null_resize,
	.destroy = null_destroy,
};

int bdev_null_open(uint64_t size, struct bdev **out)
{
	struct bdev *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->ops = &null_ops;
	b->size = size;
	b->align = 1;
	b->dev_id = (uintptr_t)b;
	*out = b;
	return 0;
}
