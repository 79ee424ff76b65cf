/* SPDX-License-Identifier: MIT */
/*
 * io_uring backend on a regular file or a block device. Reads and writes go
 * from guest memory straight to the file (readv/writev, O_DIRECT by
 * default; read/write_fixed when the data lies in one registered buffer);
 * FLUSH is fdatasync; DISCARD and WRITE_ZEROES are fallocate.
 * Every operation is queued on the channel's reactor ring and submitted
 * with the rest of the pass in one io_uring_enter.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bdev/bdev_mem.h"
#include "engine/reactor_uring.h"
#include "util/compiler.h"
#include "util/log.h"

static const char *fs_name(long type)
{
	switch (type) {
	case TMPFS_MAGIC: return "tmpfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case EXT4_SUPER_MAGIC: return "ext4";
	case XFS_SUPER_MAGIC: return "xfs";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case NFS_SUPER_MAGIC: return "nfs";
	case 0x65735546: return "fuse";
	case 0x01021997: return "9p";
	default: return "this file system";
	}
}

/* What is left of iov[0..cnt) after its first n bytes, in a new array
 * (*left entries), or NULL when out of memory. The caller's array stays
 * as it is: the device model reads it again once the request is done. */
static struct iovec *iov_rest(const struct iovec *iov, unsigned int cnt,
			      uint64_t n, unsigned int *left)
{
	struct iovec *rest;

	while (cnt && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		cnt--;
	}
	rest = malloc((cnt ? cnt : 1) * sizeof(*rest));
	if (!rest)
		return NULL;
	memcpy(rest, iov, cnt * sizeof(*rest));
	if (cnt) {
		rest[0].iov_base = (char *)rest[0].iov_base + n;
		rest[0].iov_len -= n;
	}
	*left = cnt;
	return rest;
}

/* The image: the bdev, and the file behind it. */
struct uring_bdev {
	struct bdev b;
	int fd;
	bool is_blockdev;
};

/* A channel: the file as a slot of its reactor ring's fixed-file table,
 * when it has one (-1: the plain fd), and the queue's memory as the
 * ring's fixed buffers, when it is registered. */
struct uring_channel {
	struct bdev_channel base;
	int slot;
	int fd;                        /* slot, or the plain fd */
	const struct fixed_mem *fixed; /* NULL: plain reads and writes */
};

/* Per request (bdev_io_ctx): the CQE's way back, and how far it got. */
struct uring_io {
	struct uring_op op;
	uint64_t done;       /* bytes transferred so far */
	/* After a short transfer: the rest of io->iov (a copy), or NULL. */
	struct iovec *rest;
	unsigned int nrest;
};

_Static_assert(sizeof(struct uring_io) <= BDEV_IO_CTX_MAX,
	       "the io_uring context must fit every device model's slots");

static inline struct uring_bdev *uring_bdev_of(struct bdev *b)
{
	return container_of(b, struct uring_bdev, b);
}

static void uring_queue(struct bdev_io *io);

static void uring_complete(struct bdev_io *io, struct uring_io *u, int res)
{
	free(u->rest);
	u->rest = NULL;
	bdev_io_complete(io, res);
}

static void uring_done(struct uring_op *op, int res)
{
	struct uring_io *u = container_of(op, struct uring_io, op);
	struct bdev_io *io = bdev_io_of_ctx(u);
	struct iovec *rest;

	if (res < 0) {
		/* Some file systems cannot zero a range in place; punching a
		 * hole reads back as zeroes too. */
		if (res == -EOPNOTSUPP && io->op == BDEV_OP_WRITE_ZEROES &&
		    !io->may_unmap) {
			io->may_unmap = true;
			uring_queue(io);
			return;
		}
		uring_complete(io, u, res);
		return;
	}
	if (io->op != BDEV_OP_READ && io->op != BDEV_OP_WRITE) {
		uring_complete(io, u, 0);
		return;
	}
	if (res == 0) {
		/* End of file inside the disk: the image was truncated under
		 * us. Never report a short read as success. */
		uring_complete(io, u, -EIO);
		return;
	}
	u->done += (uint64_t)res;
	if (u->done >= io->len) {
		uring_complete(io, u, 0);
		return;
	}
	/* Short: the rest goes again, from a copy of what is left. */
	rest = iov_rest(io->iov, io->iovcnt, u->done, &u->nrest);
	if (!rest) {
		uring_complete(io, u, -ENOMEM);
		return;
	}
	free(u->rest);
	u->rest = rest;
	uring_queue(io);
}

/* The registered buffer holding all of a one-piece transfer: 1 + its
 * slot, or 0. */
static inline unsigned int fixed_buf_of(const struct uring_channel *uc,
					const struct bdev_io *io,
					const struct uring_io *u)
{
	if (!uc->fixed || io->iovcnt != 1 || u->rest)
		return 0;
	return fixed_mem_lookup(uc->fixed, io->iov->iov_base,
				io->iov->iov_len);
}

static void uring_prep_rw(struct io_uring_sqe *sqe,
			  const struct uring_channel *uc, struct bdev_io *io,
			  uint64_t off)
{
	const struct uring_io *u = bdev_io_ctx(io);
	unsigned int buf = fixed_buf_of(uc, io, u);
	bool rd = io->op == BDEV_OP_READ;
	const struct iovec *iov = u->rest ? u->rest : io->iov;
	unsigned int cnt = u->rest ? u->nrest : io->iovcnt;

	if (buf) {
		io->registered = true;
		if (rd)
			io_uring_prep_read_fixed(sqe, uc->fd, io->iov->iov_base,
						 (unsigned int)io->iov->iov_len,
						 off, (int)buf - 1);
		else
			io_uring_prep_write_fixed(sqe, uc->fd, io->iov->iov_base,
						  (unsigned int)io->iov->iov_len,
						  off, (int)buf - 1);
	} else if (rd) {
		io_uring_prep_readv(sqe, uc->fd, iov, cnt, off);
	} else {
		io_uring_prep_writev(sqe, uc->fd, iov, cnt, off);
	}
	if (!rd && io->fua)
		sqe->rw_flags = RWF_DSYNC;
}

static void uring_queue(struct bdev_io *io)
{
	struct uring_channel *uc = (struct uring_channel *)io->ch;
	struct uring_io *u = bdev_io_ctx(io);
	struct io_uring_sqe *sqe = reactor_get_sqe(uc->base.reactor);
	int fd = uc->fd;

	if (unlikely(!sqe)) {
		/* The ring is full even after submitting: try again next
		 * pass, never failing (or completing) from here. */
		bdev_io_later(io, uring_queue);
		return;
	}
	switch (io->op) {
	case BDEV_OP_READ:
	case BDEV_OP_WRITE:
		uring_prep_rw(sqe, uc, io, io->offset + u->done);
		break;
	case BDEV_OP_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BDEV_OP_DISCARD:
		io_uring_prep_fallocate(sqe, fd,
					FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					io->offset, io->len);
		break;
	case BDEV_OP_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, fd,
					(io->may_unmap ? FALLOC_FL_PUNCH_HOLE
						       : FALLOC_FL_ZERO_RANGE) |
						FALLOC_FL_KEEP_SIZE,
					io->offset, io->len);
		break;
	}
	if (uc->slot >= 0)
		sqe->flags |= IOSQE_FIXED_FILE; /* after prep, which clears it */
	u->op.done = uring_done;
	io_uring_sqe_set_data(sqe, &u->op);
}

static void uring_submit(struct bdev_channel *ch, struct bdev_io *io)
{
	struct uring_io *u = bdev_io_ctx(io);

	u->done = 0;
	u->rest = NULL;
	uring_queue(io);
}

static int uring_channel_open(struct bdev *b, struct reactor *r,
			      struct bdev_mem *mem, struct bdev_channel **out)
{
	struct uring_channel *ch = calloc(1, sizeof(*ch));
	int fd = uring_bdev_of(b)->fd;

	if (!ch)
		return -ENOMEM;
	ch->slot = reactor_fixed_file_add(r, fd);
	if (ch->slot < 0 && ch->slot != -ENOSPC)
		ch->slot = -1; /* no table on this ring: plain fds */
	else if (ch->slot < 0) {
		log_warn("%s: the reactor's fixed-file table is full; this "
			 "channel uses a plain fd (a little more kernel work "
			 "per I/O)", b->path);
		ch->slot = -1;
	}
	ch->fd = ch->slot >= 0 ? ch->slot : fd;
	ch->fixed = bdev_mem_fixed(mem);
	*out = &ch->base;
	return 0;
}

static void uring_channel_close(struct bdev_channel *ch)
{
	struct uring_channel *uc = (struct uring_channel *)ch;

	reactor_fixed_file_remove(ch->reactor, uc->slot);
	free(uc);
}

static int uring_resize(struct bdev *b, uint64_t size)
{
	struct uring_bdev *ub = uring_bdev_of(b);

	if (ub->is_blockdev)
		return -EOPNOTSUPP;
	if (size < b->size)
		return -EINVAL; /* shrinking would destroy guest data */
	if (ftruncate(ub->fd, (off_t)size) < 0)
		return -errno;
	b->size = size;
	return 0;
}

static void uring_destroy(struct bdev *b)
{
	struct uring_bdev *ub = uring_bdev_of(b);

	if (ub->fd >= 0)
		close(ub->fd);
	free(b->path);
	free(ub);
}

static const struct bdev_ops uring_ops = {
	.name = "uring",
	.io_ctx_size = sizeof(struct uring_io),
	.channel_open = uring_channel_open,
	.channel_close = uring_channel_close,
	.submit = uring_submit,
	.resize = uring_resize,
	.destroy = uring_destroy,
};

/* Opens the image; explains O_DIRECT refusals by naming the file system. */
static int open_image(const struct bdev_open_opts *o)
{
	int flags = (o->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (o->direct ? O_DIRECT : 0);
	int fd;

	if (o->size && !o->ro)
		flags |= O_CREAT;
	fd = open(o->path, flags, 0600);
	if (fd >= 0)
		return fd;
	if (errno == EINVAL && o->direct) {
		struct statfs sfs;
		char dir[4096];
		char *slash;

		snprintf(dir, sizeof(dir), "%s", o->path);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			strcpy(dir, ".");
		if (statfs(dir, &sfs) == 0)
			log_error("%s: %s refuses O_DIRECT; put the image on a "
				  "file system that supports it, or pass "
				  "direct=off (the host page cache then holds "
				  "guest data)", o->path, fs_name(sfs.f_type));
		else
			log_error("%s: O_DIRECT refused; pass direct=off",
				  o->path);
		return -EINVAL;
	}
	log_error("cannot open disk image %s: %s", o->path, strerror(errno));
	return -errno;
}

static int size_image(struct uring_bdev *ub, const struct bdev_open_opts *o)
{
	struct bdev *b = &ub->b;
	struct stat st;

	if (fstat(ub->fd, &st) < 0)
		return -errno;
	b->dev_id = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	if (S_ISBLK(st.st_mode)) {
		int lbs = 512;

		ub->is_blockdev = true;
		if (ioctl(ub->fd, BLKGETSIZE64, &b->size) < 0)
			return -errno;
		if (o->direct && ioctl(ub->fd, BLKSSZGET, &lbs) == 0)
			b->align = (uint32_t)lbs;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s is neither a regular file nor a block device",
			  o->path);
		return -EINVAL;
	}
	b->size = (uint64_t)st.st_size;
	if (o->size > b->size) {
		if (ftruncate(ub->fd, (off_t)o->size) < 0) {
			log_error("cannot grow %s to %llu bytes: %s", o->path,
				  (unsigned long long)o->size, strerror(errno));
			return -errno;
		}
		b->size = o->size;
	}
	return 0;
}

int bdev_uring_open(const struct bdev_open_opts *opts, struct bdev **out)
{
	struct uring_bdev *ub;
	struct bdev *b;
	int ret;

	ub = calloc(1, sizeof(*ub));
	if (!ub)
		return -ENOMEM;
	b = &ub->b;
	b->ops = &uring_ops;
	b->io_ctx_size = uring_ops.io_ctx_size;
	b->ro = opts->ro;
	b->align = opts->direct ? 512 : 1;
	b->path = strdup(opts->path);
	ub->fd = opts->have_fd ? opts->fd : open_image(opts);
	if (ub->fd < 0) {
		ret = ub->fd;
		goto err;
	}
	ret = size_image(ub, opts);
	if (ret)
		goto err;
	*out = b;
	return 0;
err:
	uring_destroy(b);
	return ret;
}
