/* SPDX-License-Identifier: MIT */
/*
 * A backend wrapper that holds every completion for a fixed time: a slow
 * device on demand, so tests can catch requests in flight (a restart with
 * in-flight I/O, QoS under a device of known service time).
 */
#include <errno.h>
#include <stdlib.h>

#include "bdev/bdev.h"
#include "util/clock.h"
#include "util/compiler.h"

struct delay_bdev {
	struct bdev b;
	struct bdev *inner;
	uint64_t delay_ns;
};

struct delay_channel {
	struct bdev_channel ch;
	struct bdev_channel *inner;
	struct reactor_poller poller;
	struct delay_held *head, *tail; /* completed below, held here */
	unsigned int nheld;
};

/* Per request, in the context after the inner backend's: the original
 * callback and when the completion may be released. */
struct delay_held {
	struct delay_channel *dc;
	int status;
	uint64_t release_ns;
	void (*cb)(struct bdev_io *io, int status);
	struct delay_held *next;
};

/* Where our part of io's context starts: after the inner backend's. */
static size_t held_offset(const struct bdev *inner)
{
	return (bdev_io_ctx_size(inner) + BDEV_IO_CTX_ALIGN - 1) &
	       ~(size_t)(BDEV_IO_CTX_ALIGN - 1);
}

static struct delay_held *held_of(struct bdev_io *io, const struct bdev *inner)
{
	return (struct delay_held *)((unsigned char *)bdev_io_ctx(io) +
				     held_offset(inner));
}

static struct bdev_io *io_of_held(struct delay_held *h, const struct bdev *inner)
{
	return bdev_io_of_ctx((unsigned char *)h - held_offset(inner));
}

static int delay_poll(struct reactor_poller *p)
{
	struct delay_channel *dc = container_of(p, struct delay_channel, poller);
	const struct bdev *inner = dc->inner->bdev;
	uint64_t now = clock_now_ns();
	int released = 0;

	while (dc->head && dc->head->release_ns <= now) {
		struct delay_held *h = dc->head;
		struct bdev_io *io = io_of_held(h, inner);

		dc->head = h->next;
		if (!dc->head)
			dc->tail = NULL;
		dc->nheld--;
		io->cb = h->cb;
		io->ch = &dc->ch;
		bdev_io_complete(io, h->status);
		released++;
	}
	/* Anything still held keeps the reactor polling (no sleep). */
	return released + (dc->nheld ? 1 : 0);
}

static void delay_inner_done(struct bdev_io *io, int status)
{
	/* Below us the io belongs to the inner channel. */
	struct delay_held *h = held_of(io, io->ch->bdev);
	struct delay_channel *dc = h->dc;
	struct delay_bdev *db = (struct delay_bdev *)dc->ch.bdev;

	h->status = status;
	h->release_ns = clock_now_ns() + db->delay_ns;
	h->next = NULL;
	if (dc->tail)
		dc->tail->next = h;
	else
		dc->head = h;
	dc->tail = h;
	dc->nheld++;
}

static void delay_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	struct delay_channel *dc = (struct delay_channel *)ch;
	struct delay_held *h = held_of(io, dc->inner->bdev);

	h->dc = dc;
	h->cb = io->cb;
	io->cb = delay_inner_done;
	/* delay_poll hands it back to our channel when it releases it. */
	bdev_submit(dc->inner, io);
}

static int delay_channel_open(struct bdev *b, struct reactor *r,
			      struct bdev_mem *mem, struct bdev_channel **out)
{
	struct delay_bdev *db = (struct delay_bdev *)b;
	struct delay_channel *dc = calloc(1, sizeof(*dc));
	int ret;

	if (!dc)
		return -ENOMEM;
	ret = bdev_channel_open(db->inner, r, mem, &dc->inner);
	if (ret) {
		free(dc);
		return ret;
	}
	dc->poller.poll = delay_poll;
	dc->poller.wake_fd = -1;
	reactor_add_poller(r, &dc->poller);
	*out = &dc->ch;
	return 0;
}

static void delay_channel_close(struct bdev_channel *ch)
{
	struct delay_channel *dc = (struct delay_channel *)ch;

	reactor_remove_poller(ch->reactor, &dc->poller);
	bdev_channel_close(dc->inner);
	free(dc);
}

static int delay_resize(struct bdev *b, uint64_t size)
{
	struct delay_bdev *db = (struct delay_bdev *)b;
	int ret = bdev_resize(db->inner, size);

	if (!ret)
		b->size = db->inner->size;
	return ret;
}

static void delay_destroy(struct bdev *b)
{
	struct delay_bdev *db = (struct delay_bdev *)b;

	bdev_destroy(db->inner);
	free(db);
}

static const struct bdev_ops delay_ops = {
	.name = "delay",
	.channel_open = delay_channel_open,
	.channel_close = delay_channel_close,
	.submit = delay_submit,
	.resize = delay_resize,
	.destroy = delay_destroy,
};

int bdev_delay_wrap(struct bdev *inner, uint64_t delay_ns, struct bdev **out)
{
	struct delay_bdev *db = calloc(1, sizeof(*db));

	if (!db)
		return -ENOMEM;
	db->b = *inner;
	db->b.ops = &delay_ops;
	db->b.io_ctx_size = held_offset(inner) + sizeof(struct delay_held);
	db->inner = inner;
	db->delay_ns = delay_ns;
	*out = &db->b;
	return 0;
}
