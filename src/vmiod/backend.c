/* SPDX-License-Identifier: MIT */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bdev/bdev_rbd.h"
#include "image_lock.h"
#include "util/log.h"

/* openat, -errno on failure; beneath: never resolving outside dirfd. */
static int open_at(int dirfd, const char *rel, int flags, mode_t mode,
		   bool beneath)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.mode = mode,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!beneath)
		fd = openat(dirfd, rel, flags, mode);
	else if ((fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how))) < 0 &&
		 errno == ENOSYS)
		/* Before Linux 5.6: at least no symlink as the last step. */
		fd = openat(dirfd, rel, flags | O_NOFOLLOW, mode);
	return fd < 0 ? -errno : (int)fd;
}

/* Whether rel names a regular file or block device (an O_PATH open:
 * never blocks, opens nothing's data). */
static bool is_file_or_blk(int dirfd, const char *rel, const char *dir)
{
	struct stat st;
	int fd = open_at(dirfd, rel, O_PATH | O_CLOEXEC, 0, dir);
	bool ok = fd >= 0 && fstat(fd, &st) == 0 &&
		  (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Opens path (beneath dir when dir is set: the part of path below it),
 * creating it when create says so; never blocks on a FIFO; keeps only
 * regular files and block devices. */
static int open_image(const char *path, const char *dir, bool ro, bool direct,
		      bool create, struct backend_created *made)
{
	int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		    (direct ? O_DIRECT : 0);
	const char *rel = path;
	int dirfd = AT_FDCWD, fd;
	struct stat st;

	if (dir) {
		size_t n = strlen(dir);

		if (strncmp(path, dir, n) || path[n] != '/')
			return -EACCES;
		rel = path + n + 1;
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return -errno;
	}
	fd = open_at(dirfd, rel, flags, 0, dir);
	if (fd == -ENOENT && create) {
		fd = open_at(dirfd, rel, flags | O_CREAT | O_EXCL, 0600, dir);
		made->created = fd >= 0;
	}
	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		fd = -errno;
	}
	if (fd >= 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_error("%s is neither a regular file nor a block device; vmiod "
			  "serves only those", path);
		close(fd);
		fd = -EINVAL;
	} else if (fd >= 0) {
		/* Reads and writes go through io_uring; blocking is fine now. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		if (made->created) {
			made->dirfd = dir ? dirfd : open(".", O_PATH | O_CLOEXEC);
			made->name = strdup(rel);
			made->dev = st.st_dev;
			made->ino = st.st_ino;
			if (dir)
				dirfd = AT_FDCWD; /* kept in made */
		}
	} else if (fd == -EXDEV || fd == -ELOOP) {
		log_error("%s leads outside its --image-dir (a symlink); vmiod will "
			  "not follow it", path);
		fd = -EACCES;
	} else if (fd == -EINVAL && direct && !is_file_or_blk(dirfd, rel, dir)) {
		/* O_DIRECT on a FIFO or socket fails first: name the real reason. */
		log_error("%s is neither a regular file nor a block device; vmiod "
			  "serves only those", path);
	} else if (fd == -EINVAL && direct) {
		log_error("%s: O_DIRECT refused by its file system; pass direct=off "
			  "(the host page cache then holds guest data)", path);
	} else {
		log_error("cannot open disk image %s: %s", path, strerror(-fd));
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

static int slowed(struct bdev *b, uint64_t delay_us, struct bdev **out)
{
	int ret;

	if (!delay_us) {
		*out = b;
		return 0;
	}
	ret = bdev_delay_wrap(b, delay_us * 1000, out);
	if (ret)
		bdev_destroy(b);
	return ret;
}

/* An image file: opened safely, locked, handed to the io_uring backend. */
static int open_file(const char *path, const char *beneath, uint64_t size,
		     bool ro, bool direct, struct bdev **out,
		     struct backend_created *made, struct image_claim *claim,
		     bool unlocked)
{
	struct bdev_open_opts o = {
		.path = path, .size = size, .ro = ro, .direct = direct,
		.have_fd = true,
	};
	char err[768];
	int ret;

	o.fd = open_image(path, beneath, ro, direct, size && !ro, made);
	if (o.fd < 0)
		return o.fd;
	ret = unlocked ? 0 : image_lock(o.fd, !ro, path, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		close(o.fd);
		backend_undo_create(made);
		return ret;
	}
	if (claim) {
		claim->fd = fcntl(o.fd, F_DUPFD_CLOEXEC, 0);
		claim->rw = !ro;
		claim->path = strdup(path);
		if (claim->fd < 0 || !claim->path) {
			image_claim_free(claim);
			close(o.fd);
			backend_undo_create(made);
			return -ENOMEM;
		}
	}
	ret = bdev_uring_open(&o, out);
	if (ret) {
		if (claim)
			image_claim_free(claim);
		backend_undo_create(made);
	}
	return ret;
}

/* An RBD image (created when size says so, in the cluster: nothing to
 * take back here on a failed add). */
static int open_rbd(const char *pool, const char *ns, const char *image,
		    const struct rbd_config *rc, uint64_t size, bool ro,
		    bool direct, struct bdev **out)
{
	struct bdev_rbd_opts o = {
		.pool = pool, .ns = ns, .image = image, .conf = rc->conf,
		.user = rc->user, .size = size, .ro = ro,
		.timeout_s = rc->timeout_s, .cache = !direct,
	};

	return bdev_rbd_open(&o, out);
}

/* Nothing created or claimed yet (what a failed open leaves). */
static void nothing_yet(struct backend_created *made, struct image_claim *claim)
{
	memset(made, 0, sizeof(*made));
	made->dirfd = -1;
	claim->fd = -1;
	claim->path = NULL;
}

int backend_open_disk(const struct disk_config *c, struct bdev **out,
		      struct backend_created *made, struct image_claim *claim)
{
	struct bdev *b;
	int ret;

	nothing_yet(made, claim);
	if (c->backend == DISK_BACKEND_NULL)
		ret = bdev_null_open(c->size, &b);
	else if (c->backend == DISK_BACKEND_RBD)
		ret = open_rbd(c->pool, c->ns, c->image, &c->rbd, c->size, c->ro,
			       c->direct, &b);
	else
		ret = open_file(c->path, c->beneath, c->size, c->ro, c->direct, &b,
				made, claim, c->incoming);
	return ret ? ret : slowed(b, c->delay_us, out);
}

int backend_open_lun(const struct scsi_config *c,
		     const struct scsi_lun_config *l, struct bdev **out,
		     struct backend_created *made, struct image_claim *claim,
		     bool unlocked)
{
	struct bdev *b;
	int ret;

	nothing_yet(made, claim);
	if (l->rbd) {
		const char *pool, *ns, *image;
		char spec[256];

		if (bdev_rbd_parse_spec(l->rbd, spec, sizeof(spec), &pool, &ns,
					&image))
			return -EINVAL;
		ret = open_rbd(pool, ns, image, &c->rbd, 0, c->ro, c->direct,
			       &b);
	} else if (!l->path) {
		ret = bdev_null_open(l->null_size, &b);
	} else {
		ret = open_file(l->path, l->beneath, 0, c->ro, c->direct, &b,
				made, claim, unlocked);
	}
	return ret ? ret : slowed(b, c->delay_us, out);
}

void backend_undo_create(struct backend_created *made)
{
	struct stat st;

	/* Only the file this open made, found where it was made. */
	if (made->created && made->dirfd >= 0 &&
	    fstatat(made->dirfd, made->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == made->dev && st.st_ino == made->ino)
		unlinkat(made->dirfd, made->name, 0);
	backend_created_free(made);
}

void backend_created_free(struct backend_created *made)
{
	if (made->dirfd >= 0)
		close(made->dirfd);
	free(made->name);
	memset(made, 0, sizeof(*made));
	made->dirfd = -1;
}
