/* SPDX-License-Identifier: MIT */
/* What every backend shares: channels, the calls device models make, and
 * work put off to the reactor's next pass. */
#include "bdev/bdev.h"

#include "util/compiler.h"

static int later_poll(struct reactor_poller *p)
{
	struct bdev_channel *ch = container_of(p, struct bdev_channel,
					       later_poller);
	struct bdev_io *io = ch->later_head;
	int n = 0;

	/* What this runs may put off more: that waits for the next pass. */
	ch->later_head = ch->later_tail = NULL;
	while (io) {
		struct bdev_io *next = io->next;

		io->next = NULL;
		io->later(io);
		io = next;
		n++;
	}
	if (!ch->later_head) {
		/* The reactor saved its next poller before calling us. */
		reactor_remove_poller(ch->reactor, &ch->later_poller);
		ch->later_polling = false;
	}
	return n;
}

void bdev_io_later(struct bdev_io *io, void (*fn)(struct bdev_io *io))
{
	struct bdev_channel *ch = io->ch;

	io->later = fn;
	io->next = NULL;
	if (ch->later_tail)
		ch->later_tail->next = io;
	else
		ch->later_head = io;
	ch->later_tail = io;
	if (!ch->later_polling) {
		/* Polled, never slept on: the work is due at once. */
		ch->later_poller = (struct reactor_poller){
			.poll = later_poll,
			.wake_fd = -1,
			.must_poll = true,
		};
		reactor_add_poller(ch->reactor, &ch->later_poller);
		ch->later_polling = true;
	}
}

static void complete_now(struct bdev_io *io)
{
	bdev_io_complete(io, io->later_status);
}

void bdev_io_complete_later(struct bdev_io *io, int status)
{
	io->later_status = status;
	bdev_io_later(io, complete_now);
}

int bdev_channel_open(struct bdev *b, struct reactor *r, struct bdev_mem *mem,
		      struct bdev_channel **out)
{
	struct bdev_channel *ch;
	int ret = b->ops->channel_open(b, r, mem, &ch);

	if (ret)
		return ret;
	ch->bdev = b;
	ch->reactor = r;
	ch->inflight = 0;
	ch->later_head = ch->later_tail = NULL;
	ch->later_polling = false;
	*out = ch;
	return 0;
}

void bdev_channel_close(struct bdev_channel *ch)
{
	if (!ch)
		return;
	/* Deferred work counts as in flight: none is left by now. */
	if (ch->later_polling)
		reactor_remove_poller(ch->reactor, &ch->later_poller);
	ch->bdev->ops->channel_close(ch);
}

int bdev_resize(struct bdev *b, uint64_t size)
{
	return b->ops->resize(b, size);
}

void bdev_destroy(struct bdev *b)
{
	if (b)
		b->ops->destroy(b);
}

const char *bdev_op_name(enum bdev_op op)
{
	static const char *const names[] = {
		[BDEV_OP_READ] = "read",
		[BDEV_OP_WRITE] = "write",
		[BDEV_OP_FLUSH] = "flush",
		[BDEV_OP_DISCARD] = "discard",
		[BDEV_OP_WRITE_ZEROES] = "write-zeroes",
	};

	return (unsigned int)op < sizeof(names) / sizeof(names[0]) ? names[op]
								       : "unknown";
}
