/* SPDX-License-Identifier: MIT */
/*
 * Block backends behind a small ops table: an image file through io_uring,
 * a Ceph RBD image through librbd, a null device. A backend is opened
 * once; each reactor that submits to it opens a channel (its own queue on
 * that reactor), so submission never takes a lock. Requests carry host
 * iovecs that point straight into guest memory: the backend reads and
 * writes them in place, no copy.
 *
 * What a device model sees is this header and nothing of how a backend
 * works: it opens channels, submits bdev_ios and gets callbacks. A
 * backend's own state per request lives in a context right after the
 * bdev_io (bdev_io_ctx), bdev_io_ctx_size() bytes that the device model
 * allocates with its request slot, so a submission allocates nothing.
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
#include <stddef.h>
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

/* Alignment of the backend context after a bdev_io. */
#define BDEV_IO_CTX_ALIGN 16
/* The largest context any backend declares: what a device model reserves
 * when the backends behind a slot may change (hot-plugged LUNs). */
#define BDEV_IO_CTX_MAX 64

struct bdev_io {
	enum bdev_op op;
	bool fua;            /* WRITE: durable before completion */
	bool may_unmap;      /* WRITE_ZEROES: deallocating is fine */
	/* Set by the backend: the data went through memory registered with
	 * it ahead of time (bdev_mem), the cheap path. */
	bool registered;
	uint64_t offset;     /* bytes */
	uint64_t len;        /* bytes (READ/WRITE: sum of iov) */
	/* READ/WRITE. The backend leaves the array as it found it: the device
	 * model logs the pages a read filled from it (live migration). */
	struct iovec *iov;
	unsigned int iovcnt;
	int later_status;    /* bdev_io_complete_later's */
	void (*cb)(struct bdev_io *io, int status);
	struct bdev_channel *ch;
	/* A backend's own queue, or the channel's list of deferred work:
	 * an io is on one at a time. */
	struct bdev_io *next;
	void (*later)(struct bdev_io *io);
	/* The backend's context: bdev_io_ctx_size() bytes that the device
	 * model allocates right after the struct (bdev_io_slot_size). */
	unsigned char ctx[] __attribute__((aligned(BDEV_IO_CTX_ALIGN)));
};

/* Guest memory a device model's requests point into, offered to every
 * channel of one queue: a backend that can register memory ahead of time
 * (io_uring's fixed buffers) does so once for the set, the first time one
 * of its channels is opened with it, and sends a request's data that way
 * when it lies in one registered piece; other backends ignore it. */
struct bdev_mem;

struct bdev_ops {
	const char *name;
	/* Bytes of per-request context (bdev_io_ctx) the backend uses. */
	size_t io_ctx_size;
	/* Allocates the channel; bdev_channel_open fills in its base. */
	int (*channel_open)(struct bdev *b, struct reactor *r,
			    struct bdev_mem *mem, struct bdev_channel **out);
	void (*channel_close)(struct bdev_channel *ch);
	void (*submit)(struct bdev_channel *ch, struct bdev_io *io);
	/* Grows the backing store to size bytes. */
	int (*resize)(struct bdev *b, uint64_t size);
	void (*destroy)(struct bdev *b);
};

struct bdev {
	const struct bdev_ops *ops;
	char *path;          /* what to call it: a file, pool/image; NULL: null */
	uint64_t size;       /* bytes */
	uint32_t align;      /* buffers/offsets must align to this (O_DIRECT) */
	bool ro;
	size_t io_ctx_size;  /* ops->io_ctx_size, or more for a wrapper */
	/* Which physical device the I/O lands on (st_dev of a file, st_rdev
	 * of a block device; one per cluster and pool for RBD; unique per
	 * null bdev): disks with the same id share one QoS scheduler per
	 * reactor. */
	uint64_t dev_id;
};

struct bdev_channel {
	struct bdev *bdev;
	struct reactor *reactor;
	unsigned int inflight;
	/* Work put off to the reactor's next pass (bdev_io_later). */
	struct reactor_poller later_poller;
	struct bdev_io *later_head, *later_tail;
	bool later_polling;
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

/* --- for device models -------------------------------------------------- */

/* A channel of b on reactor r (on r's thread, or before it starts); mem
 * (may be NULL) is the memory the queue's requests point into. Close it
 * once nothing submitted to it is in flight. */
int bdev_channel_open(struct bdev *b, struct reactor *r, struct bdev_mem *mem,
		      struct bdev_channel **out);
void bdev_channel_close(struct bdev_channel *ch);
/* Grows b to size bytes (control thread). */
int bdev_resize(struct bdev *b, uint64_t size);
void bdev_destroy(struct bdev *b);
const char *bdev_op_name(enum bdev_op op);

static inline size_t bdev_io_ctx_size(const struct bdev *b)
{
	return b->io_ctx_size;
}

/* The bytes of a request slot whose bdev_io sits at io_offset (its last
 * member) with ctx_size bytes of backend context after it. */
static inline size_t bdev_io_slot_size(size_t io_offset, size_t ctx_size)
{
	size_t n = io_offset + sizeof(struct bdev_io) + ctx_size;

	return (n + BDEV_IO_CTX_ALIGN - 1) & ~(size_t)(BDEV_IO_CTX_ALIGN - 1);
}

/* The memory of one queue (on its reactor): regions copied, nothing
 * registered until a backend wants it. NULL when out of memory (the
 * queue then goes without). who names it in logs. */
struct bdev_mem *bdev_mem_create(struct reactor *r, const struct iovec *regions,
				 unsigned int n, const char *who);
/* Once every channel opened with it is closed. */
void bdev_mem_destroy(struct bdev_mem *m);

static inline void bdev_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	io->ch = ch;
	ch->inflight++;
	ch->bdev->ops->submit(ch, io);
}

/* --- for backends --------------------------------------------------------- */

static inline void *bdev_io_ctx(struct bdev_io *io)
{
	return io->ctx;
}

static inline struct bdev_io *bdev_io_of_ctx(void *ctx)
{
	return (struct bdev_io *)((unsigned char *)ctx - offsetof(struct bdev_io, ctx));
}

/* Finishes an io (on the channel's reactor, never inside submit). */
static inline void bdev_io_complete(struct bdev_io *io, int status)
{
	io->ch->inflight--;
	io->cb(io, status);
}

/* Runs fn(io) at the channel reactor's next pass: what a backend does
 * when it cannot go on inside submit (no room to queue it now). */
void bdev_io_later(struct bdev_io *io, void (*fn)(struct bdev_io *io));
/* Completes io with status at the next pass: an error found in submit. */
void bdev_io_complete_later(struct bdev_io *io, int status);

#endif
