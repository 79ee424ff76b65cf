/* SPDX-License-Identifier: MIT */
/*
 * Block backends behind a small ops table. A backend is opened once; each
 * reactor that submits to it opens a channel (its own io_uring, its own
 * queue), so submission never takes a lock. Requests carry host iovecs that
 * point straight into guest memory: the backend reads and writes them in
 * place, no copy.
 *
 * Completion contract: io->cb(io, status) runs later on the channel's
 * reactor, never from inside submit(), with status 0 or -errno. A write or
 * read completes only when every byte is done (short transfers are
 * resubmitted); a FLUSH completes only when earlier completed writes are
 * durable.
 */
#ifndef VMIO_BDEV_BDEV_H
#define VMIO_BDEV_BDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "engine/reactor.h"

enum bdev_op {
	BDEV_OP_READ,
	BDEV_OP_WRITE,
	BDEV_OP_FLUSH,
	BDEV_OP_DISCARD,      /* contents of the range become unspecified */
	BDEV_OP_WRITE_ZEROES, /* range reads back as zeroes */
};

struct bdev;
struct bdev_channel;

struct bdev_io {
	struct uring_op uop; /* for io_uring backends */
	enum bdev_op op;
	bool fua;            /* WRITE: durable before completion */
	bool may_unmap;      /* WRITE_ZEROES: deallocating is fine */
	uint64_t offset;     /* bytes */
	uint64_t len;        /* bytes (READ/WRITE: sum of iov) */
	struct iovec *iov;   /* READ/WRITE; the backend may consume it */
	unsigned int iovcnt;
	/* 1 + the slot of a buffer registered with the channel's reactor
	 * ring that holds all of a one-entry iov, or 0: io_uring backends
	 * then use READ_FIXED/WRITE_FIXED (engine/fixed_mem.h). */
	unsigned int fixed_buf;
	uint64_t done;       /* bytes transferred so far */
	void (*cb)(struct bdev_io *io, int status);
	struct bdev_channel *ch;
	struct bdev_io *next; /* for a backend's own queues */
	void *wrap;           /* for a backend that wraps another */
};

struct bdev_ops {
	const char *name;
	int (*channel_open)(struct bdev *b, struct reactor *r,
			    struct bdev_channel **out);
	void (*channel_close)(struct bdev_channel *ch);
	void (*submit)(struct bdev_channel *ch, struct bdev_io *io);
	/* Grows the backing store to size bytes. */
	int (*resize)(struct bdev *b, uint64_t size);
	void (*destroy)(struct bdev *b);
};

struct bdev {
	const struct bdev_ops *ops;
	char *path;          /* NULL for null */
	uint64_t size;       /* bytes */
	uint32_t align;      /* buffers/offsets must align to this (O_DIRECT) */
	bool ro;
	bool direct;
	bool is_blockdev;
	int fd;
	/* Which physical device the I/O lands on (st_dev of a file, st_rdev
	 * of a block device; unique per null bdev): disks with the same id
	 * share one QoS scheduler per reactor. */
	uint64_t dev_id;
};

struct bdev_channel {
	struct bdev *bdev;
	struct reactor *reactor;
	unsigned int inflight;
};

struct bdev_open_opts {
	const char *path;
	uint64_t size;     /* 0: use the existing size; else create or grow */
	bool ro;
	bool direct;       /* O_DIRECT */
	/* An image the caller opened (with the flags above; the bdev owns
	 * it from now on): path is then only its name in messages. */
	bool have_fd;
	int fd;
};

/* io_uring on a regular file or a block device. Errors are logged with
 * what to do about them. */
int bdev_uring_open(const struct bdev_open_opts *opts, struct bdev **out);
/* Completes everything at once, touching no data: a data-path cost probe. */
int bdev_null_open(uint64_t size, struct bdev **out);

/* Wraps inner so every completion is held delay_ns longer (a slow device
 * for tests). Takes ownership of inner. */
int bdev_delay_wrap(struct bdev *inner, uint64_t delay_ns, struct bdev **out);

static inline void bdev_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	io->ch = ch;
	io->done = 0;
	ch->inflight++;
	ch->bdev->ops->submit(ch, io);
}

/* Backends call this to finish an io. */
static inline void bdev_io_complete(struct bdev_io *io, int status)
{
	io->ch->inflight--;
	io->cb(io, status);
}

void bdev_destroy(struct bdev *b);
const char *bdev_op_name(enum bdev_op op);

#endif
