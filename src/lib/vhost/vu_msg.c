/* SPDX-License-Identifier: MIT */
/*
 * vhost-user message handlers: one function per message, each reached only
 * after the dispatcher has checked the payload size and the number of fds
 * against the handler table, so handlers see well-formed messages and only
 * judge their meaning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "util/log.h"
#include "vhost/dirty_log.h"
#include "vhost/mem_guard.h"
#include "vhost/shm.h"
#include "vhost/vu_internal.h"
#include "vhost/vu_socket.h"

#define VU_SIZE_ANY UINT32_MAX

/* Protocol features vu_dev implements for every device model. */
#define VU_BASE_PROTOCOL_FEATURES                                              \
	((1ull << VHOST_USER_PROTOCOL_F_MQ) |                                  \
	 (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                           \
	 (1ull << VHOST_USER_PROTOCOL_F_BACKEND_REQ) |                         \
	 (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS) |                 \
	 (1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD) |                      \
	 (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE) |                        \
	 (1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD))

/* What a handler tells the dispatcher. */
enum {
	VU_OK = 0,       /* done; ack success if asked */
	VU_REPLY = 1,    /* msg now holds the reply payload: send it */
};

/* Every device model gets packed rings (they live entirely in virtq) and
 * live migration (dirty logging is done for all of them by vdev). */
static uint64_t offered_features(const struct vu_dev *dev)
{
	return dev->ops->features | (1ull << VHOST_USER_F_PROTOCOL_FEATURES) |
	       (1ull << VIRTIO_F_RING_PACKED) | (1ull << VHOST_F_LOG_ALL);
}

static uint64_t offered_protocol_features(const struct vu_dev *dev)
{
	return VU_BASE_PROTOCOL_FEATURES | dev->ops->protocol_features;
}

/* Takes ownership of fd i of the message (the rest are closed later). */
static int take_fd(struct vu_rx *rx, unsigned int i)
{
	int fd = rx->fds[i];

	rx->fds[i] = -1;
	return fd;
}

static int reply_u64(struct vhost_user_msg *msg, uint64_t value)
{
	msg->payload.u64 = value;
	msg->hdr.size = sizeof(uint64_t);
	return VU_REPLY;
}

static int h_get_features(struct vu_dev *dev, struct vhost_user_msg *msg,
			  struct vu_rx *rx)
{
	return reply_u64(msg, offered_features(dev));
}

static int h_set_features(struct vu_dev *dev, struct vhost_user_msg *msg,
			  struct vu_rx *rx)
{
	uint64_t want = msg->payload.u64;

	if (want & ~offered_features(dev)) {
		log_error("disk %s: front-end acked features 0x%llx that were "
			  "never offered (offered 0x%llx)", dev->name,
			  (unsigned long long)want,
			  (unsigned long long)offered_features(dev));
		return -EINVAL;
	}
	if ((want & ~dev->features) & (1ull << VIRTIO_F_RING_PACKED))
		log_info("disk %s: the front-end chose packed virtqueues",
			 dev->name);
	dev->features = want;
	/* QEMU turns logging on and off with this message while the rings
	 * run (migration start, end or cancel). */
	vu_dev_log_update(dev);
	return VU_OK;
}

static int h_set_owner(struct vu_dev *dev, struct vhost_user_msg *msg,
		       struct vu_rx *rx)
{
	dev->owner_set = true;
	return VU_OK;
}

static int h_reset(struct vu_dev *dev, struct vhost_user_msg *msg,
		   struct vu_rx *rx)
{
	vu_dev_reset_state(dev);
	return VU_OK;
}

/* RESET_DEVICE is a virtio reset: QEMU sends it on every guest reset of a
 * vhost-user-scsi device and does not send memory or protocol features
 * again, so only the rings go. */
static int h_reset_device(struct vu_dev *dev, struct vhost_user_msg *msg,
			  struct vu_rx *rx)
{
	vu_dev_reset_vrings(dev);
	/* Nothing is in flight after a reset, and the driver starts its
	 * rings afresh: a packed ring's positions live only in the region,
	 * so it must not outlive the reset (version 0: initialised anew). */
	if (dev->inflight_base)
		shm_zero(dev->inflight_base, dev->inflight_size);
	return VU_OK;
}

static int h_get_protocol_features(struct vu_dev *dev,
				   struct vhost_user_msg *msg, struct vu_rx *rx)
{
	return reply_u64(msg, offered_protocol_features(dev));
}

static int h_set_protocol_features(struct vu_dev *dev,
				   struct vhost_user_msg *msg, struct vu_rx *rx)
{
	uint64_t want = msg->payload.u64;

	if (want & ~offered_protocol_features(dev))
		return -EINVAL;
	dev->protocol_features = want;
	return VU_OK;
}

static int add_region(struct vu_dev *dev, const struct vhost_user_mem_region *r,
		      int fd)
{
	int ret = guest_mem_add(dev->mem, r->guest_phys_addr, r->memory_size,
				r->userspace_addr, r->mmap_offset, fd);

	if (ret) {
		log_error("disk %s: cannot map guest memory region gpa 0x%llx "
			  "size 0x%llx: %s", dev->name,
			  (unsigned long long)r->guest_phys_addr,
			  (unsigned long long)r->memory_size, strerror(-ret));
		close(fd);
	}
	return ret;
}

static int h_set_mem_table(struct vu_dev *dev, struct vhost_user_msg *msg,
			   struct vu_rx *rx)
{
	const struct vhost_user_mem_table *t = &msg->payload.mem;
	int ret = 0;

	if (msg->hdr.size < 8 || t->nregions == 0 ||
	    t->nregions > VHOST_USER_MEM_TABLE_MAX_REGIONS ||
	    msg->hdr.size != 8 + t->nregions * sizeof(t->regions[0]) ||
	    rx->nfds != t->nregions)
		return -EPROTO;

	/* Running rings pointed into the old table: the dispatcher stopped
	 * them, and they restart on the new one. */
	guest_mem_clear(dev->mem);
	for (unsigned int i = 0; i < t->nregions && !ret; i++)
		ret = add_region(dev, &t->regions[i], take_fd(rx, i));
	if (ret)
		guest_mem_clear(dev->mem);
	vu_dev_start_all(dev, dev->restart);
	return ret;
}

static int h_get_max_mem_slots(struct vu_dev *dev, struct vhost_user_msg *msg,
			       struct vu_rx *rx)
{
	return reply_u64(msg, GUEST_MEM_MAX_REGIONS);
}

static int h_add_mem_reg(struct vu_dev *dev, struct vhost_user_msg *msg,
			 struct vu_rx *rx)
{
	int ret;

	ret = add_region(dev, &msg->payload.mem_reg.region, take_fd(rx, 0));
	vu_dev_start_all(dev, dev->restart);
	return ret;
}

static int h_rem_mem_reg(struct vu_dev *dev, struct vhost_user_msg *msg,
			 struct vu_rx *rx)
{
	const struct vhost_user_mem_region *r = &msg->payload.mem_reg.region;
	int ret;

	ret = guest_mem_remove(dev->mem, r->guest_phys_addr, r->memory_size);
	/* A ring that lived in the removed region will not map again and
	 * stays stopped, with a logged reason. */
	vu_dev_start_all(dev, dev->restart);
	if (ret)
		log_warn("disk %s: front-end removed a memory region it never "
			 "added (gpa 0x%llx)", dev->name,
			 (unsigned long long)r->guest_phys_addr);
	return ret;
}

/* The vring a state/addr message names, or NULL (logged) if out of range. */
static struct vu_vring *msg_vring(struct vu_dev *dev, uint32_t index)
{
	if (index >= dev->num_queues) {
		log_error("disk %s: front-end named vring %u; the device has %u",
			  dev->name, index, dev->num_queues);
		return NULL;
	}
	return &dev->vrings[index];
}

static int h_set_vring_num(struct vu_dev *dev, struct vhost_user_msg *msg,
			   struct vu_rx *rx)
{
	struct vu_vring *v = msg_vring(dev, msg->payload.state.index);
	uint32_t num = msg->payload.state.num;

	if (!v)
		return -EPROTO;
	/* Packed rings may have any size (virtio 2.8.10.1); split rings a
	 * power of two. The features are set before the rings. */
	if (num == 0 || num > VIRTQ_MAX_SIZE ||
	    ((num & (num - 1)) &&
	     !vu_dev_has_feature(dev, VIRTIO_F_RING_PACKED))) {
		log_error("disk %s: vring size %u is not a power of two up to %u",
			  dev->name, num, VIRTQ_MAX_SIZE);
		return -EPROTO;
	}
	if (v->started)
		return -EBUSY;
	v->num = (uint16_t)num;
	return VU_OK;
}

static int h_set_vring_addr(struct vu_dev *dev, struct vhost_user_msg *msg,
			    struct vu_rx *rx)
{
	const struct vhost_user_vring_addr *a = &msg->payload.addr;
	struct vu_vring *v = msg_vring(dev, a->index);
	unsigned int idx = a->index;
	bool restart;

	if (!v)
		return -EPROTO;
	/* QEMU re-sends addresses on a running ring (e.g. to toggle dirty
	 * logging): stopped by the dispatcher, restarted where it was. */
	restart = dev->restart & (1ull << idx);
	v->desc_qva = a->desc_user_addr;
	v->avail_qva = a->avail_user_addr;
	v->used_qva = a->used_user_addr;
	v->addr_set = true;
	if (restart)
		vu_vring_start(dev, idx);
	return VU_OK;
}

static int h_set_vring_base(struct vu_dev *dev, struct vhost_user_msg *msg,
			    struct vu_rx *rx)
{
	struct vu_vring *v = msg_vring(dev, msg->payload.state.index);

	if (!v)
		return -EPROTO;
	if (v->started)
		return -EBUSY;
	/* Split: the avail index (16 bits). Packed: avail position and wrap
	 * counter in bits 0-15, used ones in 16-31 (vhost-user.rst);
	 * checked against the ring when it starts. */
	v->base = msg->payload.state.num;
	v->base_pending = true;
	return VU_OK;
}

static int h_get_vring_base(struct vu_dev *dev, struct vhost_user_msg *msg,
			    struct vu_rx *rx)
{
	unsigned int idx = msg->payload.state.index;
	struct vu_vring *v = msg_vring(dev, idx);

	if (!v)
		return -EPROTO;
	/* The dispatcher stopped the ring once its requests in flight were
	 * done, so the index we return covers everything completed. */
	if (!v->vq.size)
		msg->payload.state.num = v->base;
	else if (v->vq.packed)
		msg->payload.state.num = virtq_packed_get_base(&v->vq);
	else
		msg->payload.state.num = v->vq.last_avail_idx;
	msg->hdr.size = sizeof(msg->payload.state);
	v->base = msg->payload.state.num;
	v->base_pending = true;
	v->kick_set = false;
	if (v->kick_fd >= 0)
		close(v->kick_fd);
	v->kick_fd = -1;
	/* A migration's switch-over: hand the image to the destination
	 * before QEMU hears that the last ring stopped. */
	if (vu_dev_has_feature(dev, VHOST_F_LOG_ALL) &&
	    !vu_dev_started(dev, VU_ALL_RINGS))
		vu_dev_release_claim(dev);
	return VU_REPLY;
}

/* SET_LOG_BASE: a new dirty log. The rings were stopped for it (see
 * rings_to_stop): QEMU reads the old log one last time as soon as we
 * answer, so no reactor may still be marking it then. */
static int h_set_log_base(struct vu_dev *dev, struct vhost_user_msg *msg,
			  struct vu_rx *rx)
{
	const struct vhost_user_log *l = &msg->payload.log;
	struct dirty_log *log, *old = dev->log;
	int ret;

	ret = dirty_log_map(&log, take_fd(rx, 0), l->mmap_size, l->mmap_offset,
			    &dev->log_broken, dev->wake_fd);
	if (ret) {
		log_error("disk %s: dirty log refused (%llu bytes at offset "
			  "%llu): %s", dev->name,
			  (unsigned long long)l->mmap_size,
			  (unsigned long long)l->mmap_offset,
			  ret == -EINVAL ? "empty, past the end of its file, or "
			  "larger than 256 MiB (8 TiB of guest)" : strerror(-ret));
		if (ret == -EINVAL)
			return -EPROTO; /* the connection goes */
		vu_dev_start_all(dev, dev->restart);
		return ret;
	}
	dev->log = log;
	vu_dev_log_update(dev);
	dirty_log_free(old);
	log_debug("disk %s: dirty log of %llu bytes (%llu MiB of guest)",
		  dev->name, (unsigned long long)l->mmap_size,
		  (unsigned long long)(l->mmap_size >> 5));
	vu_dev_start_all(dev, dev->restart);
	/* With LOG_SHMFD, QEMU waits for an answer. */
	return reply_u64(msg, 0);
}

/* SET_LOG_FD: an eventfd to tell the front-end the log changed. QEMU
 * reads the log when it syncs, so nothing is sent there; the fd is
 * closed with the message. */
static int h_set_log_fd(struct vu_dev *dev, struct vhost_user_msg *msg,
			struct vu_rx *rx)
{
	return VU_OK;
}

/* What fd is, for a log line: its /proc link (a path, "pipe:[n]",
 * "anon_inode:[timerfd]"), printable characters only (a file name is
 * the front-end's to choose). */
static void fd_describe(int fd, char *buf, size_t len)
{
	char path[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n < 0) {
		snprintf(buf, len, "unknown: %s", strerror(errno));
		return;
	}
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
			buf[i] = '?';
}

/*
 * A vring's kick, call and err fds are eventfds, used non-blocking: a
 * read or write on anything else (a pipe, a FIFO, a file, a socket, an
 * eventfd left blocking with a full or empty counter) could block the
 * control thread or a reactor for good, or fill a disk. The kernel names
 * an eventfd's anonymous inode in its /proc link, which no path can
 * imitate (a file's link is its absolute path).
 */
static int vring_fd_check(struct vu_dev *dev, int fd, const char *what,
			  unsigned int idx)
{
	char desc[80];
	int flags;

	fd_describe(fd, desc, sizeof(desc));
	if (strcmp(desc, "anon_inode:[eventfd]") != 0) {
		log_error("disk %s: vring %u %s fd refused: it is not an eventfd "
			  "(%s); the front-end must send an eventfd", dev->name,
			  idx, what, desc);
		return -EINVAL;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_error("disk %s: vring %u %s fd refused: cannot make it "
			  "non-blocking: %s", dev->name, idx, what,
			  strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* SET_VRING_KICK/CALL/ERR: index and "no fd" flag in the u64. -EPROTO
 * for a malformed message, -EINVAL for an fd refused (logged). */
static int vring_fd_msg(struct vu_dev *dev, struct vhost_user_msg *msg,
			struct vu_rx *rx, const char *what,
			struct vu_vring **v, int *fd)
{
	uint64_t u = msg->payload.u64;
	bool nofd = u & VHOST_USER_VRING_NOFD_MASK;
	unsigned int idx = u & VHOST_USER_VRING_IDX_MASK;

	if (u & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD_MASK))
		return -EPROTO;
	*v = msg_vring(dev, idx);
	if (!*v || rx->nfds != (nofd ? 0u : 1u))
		return -EPROTO;
	*fd = -1;
	if (nofd)
		return 0;
	if (vring_fd_check(dev, rx->fds[0], what, idx))
		return -EINVAL; /* the fd is closed with the message */
	*fd = take_fd(rx, 0);
	return 0;
}

/* A ring the dispatcher stopped for a message that failed runs again as
 * it was. */
static void restart_unchanged(struct vu_dev *dev, unsigned int idx)
{
	if (dev->restart & (1ull << idx))
		vu_vring_start(dev, idx);
}

static int h_set_vring_kick(struct vu_dev *dev, struct vhost_user_msg *msg,
			    struct vu_rx *rx)
{
	unsigned int idx = msg->payload.u64 & VHOST_USER_VRING_IDX_MASK;
	struct vu_vring *v;
	int fd, ret;

	ret = vring_fd_msg(dev, msg, rx, "kick", &v, &fd);
	if (ret == -EINVAL)
		restart_unchanged(dev, idx);
	if (ret)
		return ret;
	if (v->kick_fd >= 0)
		close(v->kick_fd);
	v->kick_fd = fd;
	v->kick_set = true;
	/* A kick fd starts the ring (vhost-user.rst, "Starting and stopping
	 * rings"); SET_VRING_ENABLE 0 can still hold it. */
	vu_vring_start(dev, idx);
	return VU_OK;
}

static int h_set_vring_call(struct vu_dev *dev, struct vhost_user_msg *msg,
			    struct vu_rx *rx)
{
	unsigned int idx = msg->payload.u64 & VHOST_USER_VRING_IDX_MASK;
	struct vu_vring *v;
	bool restart;
	int fd, ret;

	ret = vring_fd_msg(dev, msg, rx, "call", &v, &fd);
	if (ret == -EINVAL)
		restart_unchanged(dev, idx);
	if (ret)
		return ret;
	/* QEMU swaps call fds on running rings (MSI-X masking). The reactor
	 * must never write to a closed fd number, so the dispatcher stopped
	 * the ring for the swap. */
	restart = dev->restart & (1ull << idx);
	if (v->call_fd >= 0)
		close(v->call_fd);
	v->call_fd = fd;
	if (restart)
		vu_vring_start(dev, idx);
	/* One interrupt on the new fd: a completion published while the old
	 * fd was in place (or none was) may never have reached the guest,
	 * which then waits forever (seen: a virtio-scsi guest's first
	 * INQUIRY completed in the used ring, no interrupt, boot hung). A
	 * spurious interrupt only makes the driver look at its used ring. */
	if (fd >= 0 && (ret = vu_call(fd)))
		log_debug("disk %s: vring %u: call eventfd: %s", dev->name, idx,
			  strerror(-ret));
	return VU_OK;
}

static int h_set_vring_err(struct vu_dev *dev, struct vhost_user_msg *msg,
			   struct vu_rx *rx)
{
	struct vu_vring *v;
	int fd, ret;

	ret = vring_fd_msg(dev, msg, rx, "err", &v, &fd);
	if (ret)
		return ret;
	if (v->err_fd >= 0)
		close(v->err_fd);
	v->err_fd = fd;
	return VU_OK;
}

static int h_get_queue_num(struct vu_dev *dev, struct vhost_user_msg *msg,
			   struct vu_rx *rx)
{
	return reply_u64(msg, dev->num_queues);
}

static int h_set_vring_enable(struct vu_dev *dev, struct vhost_user_msg *msg,
			      struct vu_rx *rx)
{
	unsigned int idx = msg->payload.state.index;
	struct vu_vring *v = msg_vring(dev, idx);

	if (!v || msg->payload.state.num > 1)
		return -EPROTO;
	/* Disabling: the dispatcher stopped it. */
	v->disabled = !msg->payload.state.num;
	if (!v->disabled)
		vu_vring_start(dev, idx);
	return VU_OK;
}

static bool config_range_ok(const struct vhost_user_msg *msg)
{
	const struct vhost_user_config *c = &msg->payload.config;

	return msg->hdr.size >= VHOST_USER_CONFIG_HDR_SIZE &&
	       c->size <= VHOST_USER_MAX_CONFIG_SIZE &&
	       msg->hdr.size == VHOST_USER_CONFIG_HDR_SIZE + c->size &&
	       c->offset <= VHOST_USER_MAX_CONFIG_SIZE - c->size;
}

static int h_get_config(struct vu_dev *dev, struct vhost_user_msg *msg,
			struct vu_rx *rx)
{
	struct vhost_user_config *c = &msg->payload.config;

	if (!config_range_ok(msg))
		return -EPROTO;
	memset(c->payload, 0, c->size);
	/* A failed read answers with no payload: QEMU reports the error. */
	if (!dev->ops->get_config ||
	    dev->ops->get_config(dev, c->payload, c->offset, c->size))
		msg->hdr.size = 0;
	return VU_REPLY;
}

static int h_set_config(struct vu_dev *dev, struct vhost_user_msg *msg,
			struct vu_rx *rx)
{
	struct vhost_user_config *c = &msg->payload.config;

	if (!config_range_ok(msg))
		return -EPROTO;
	if (!dev->ops->set_config)
		return -ENOTSUP;
	return dev->ops->set_config(dev, c->payload, c->offset, c->size);
}

static int h_set_backend_req_fd(struct vu_dev *dev, struct vhost_user_msg *msg,
				struct vu_rx *rx)
{
	struct stat st;

	/* Messages go out with sendmsg(MSG_DONTWAIT), which only a socket
	 * honours whatever its flags: anything else could block. */
	if (fstat(rx->fds[0], &st) < 0 || !S_ISSOCK(st.st_mode)) {
		char desc[80];

		fd_describe(rx->fds[0], desc, sizeof(desc));
		log_error("disk %s: back-end request fd refused: it is not a "
			  "socket (%s); the front-end must send a unix socket",
			  dev->name, desc);
		return -EINVAL;
	}
	if (dev->backend_req_fd >= 0)
		close(dev->backend_req_fd);
	dev->backend_req_fd = take_fd(rx, 0);
	return VU_OK;
}

static bool inflight_geometry_ok(struct vu_dev *dev,
				 const struct vhost_user_inflight *in)
{
	uint16_t qs = in->queue_size;

	if (in->num_queues == 0 || in->num_queues > dev->num_queues || qs == 0 ||
	    qs > VIRTQ_MAX_SIZE || (qs & (qs - 1))) {
		log_error("disk %s: inflight region for %u queues of %u entries "
			  "does not match the device (%u queues, power-of-two "
			  "sizes)", dev->name, in->num_queues, qs,
			  dev->num_queues);
		return false;
	}
	return true;
}

/* Maps fd as the inflight region. Takes ownership of fd. */
static int map_inflight(struct vu_dev *dev, int fd, uint64_t size,
			uint64_t offset, const struct vhost_user_inflight *in)
{
	int guard = -1;
	struct stat st;
	bool sealed;
	void *base;

	if (size < in->num_queues * inflight_queue_bytes(in->queue_size) ||
	    offset + size < offset || size > (1ull << 30) ||
	    /* Past the file's end it would map, then SIGBUS a reactor. */
	    (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     (uint64_t)st.st_size < offset + size)) {
		close(fd);
		return -EINVAL;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)offset);
	sealed = mem_guard_fd_sealed(fd);
	close(fd);
	if (base == MAP_FAILED)
		return -errno;
	/* The front-end may truncate a file it did not seal, and the
	 * reactors write this region on every request. */
	if (!sealed) {
		guard = mem_guard_watch(base, size, &dev->inflight_broken,
					dev->wake_fd);
		if (guard < 0) {
			log_error("disk %s: cannot watch the inflight region for "
				  "truncation (%s); seal it against shrinking",
				  dev->name, strerror(-guard));
			munmap(base, size);
			return guard;
		}
	}
	vu_dev_inflight_unmap(dev);
	dev->inflight_guard = guard;
	dev->inflight_base = base;
	dev->inflight_size = size;
	dev->inflight_num_queues = in->num_queues;
	dev->inflight_queue_size = in->queue_size;
	return 0;
}

static int h_get_inflight_fd(struct vu_dev *dev, struct vhost_user_msg *msg,
			     struct vu_rx *rx)
{
	struct vhost_user_inflight *in = &msg->payload.inflight;
	uint64_t size;
	int fd, ret;

	if (!inflight_geometry_ok(dev, in))
		return -EPROTO;
	/* QEMU sets the features before it asks, so the layout is known:
	 * packed rings need room for descriptor copies. */
	size = in->num_queues *
	       (vu_dev_has_feature(dev, VIRTIO_F_RING_PACKED)
			? inflight_packed_queue_bytes(in->queue_size)
			: inflight_queue_bytes(in->queue_size));
	/* Sealed at its size: the front-end maps it and keeps it across our
	 * restarts, but can never shrink it under a reactor. */
	fd = memfd_create("vmio-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	rx->reply_fd = dup(fd);
	/* Running rings wrote into the old region: the dispatcher stopped
	 * them while it is replaced (found by fuzzing: GET_INFLIGHT_FD on a
	 * running ring). */
	ret = map_inflight(dev, fd, size, 0, in);
	vu_dev_start_all(dev, dev->restart);
	if (ret || rx->reply_fd < 0)
		return ret ? ret : -EMFILE;
	in->mmap_size = size;
	in->mmap_offset = 0;
	msg->hdr.size = sizeof(*in);
	return VU_REPLY;
}

static int h_set_inflight_fd(struct vu_dev *dev, struct vhost_user_msg *msg,
			     struct vu_rx *rx)
{
	struct vhost_user_inflight *in = &msg->payload.inflight;
	int ret;

	if (!inflight_geometry_ok(dev, in))
		return -EPROTO;
	ret = map_inflight(dev, take_fd(rx, 0), in->mmap_size, in->mmap_offset,
			   in);
	vu_dev_start_all(dev, dev->restart);
	return ret;
}

struct vu_handler {
	const char *name;
	int (*fn)(struct vu_dev *dev, struct vhost_user_msg *msg,
		  struct vu_rx *rx);
	uint32_t size;   /* exact payload size, or VU_SIZE_ANY (checked by fn) */
	uint8_t min_fds; /* fds the message must carry */
	uint8_t max_fds;
};

#define U64 sizeof(uint64_t)
#define STATE sizeof(struct vhost_user_vring_state)

static const struct vu_handler handlers[VHOST_USER_MAX_REQUEST] = {
	[VHOST_USER_GET_FEATURES] = { "GET_FEATURES", h_get_features, 0, 0, 0 },
	[VHOST_USER_SET_FEATURES] = { "SET_FEATURES", h_set_features, U64, 0, 0 },
	[VHOST_USER_SET_OWNER] = { "SET_OWNER", h_set_owner, 0, 0, 0 },
	[VHOST_USER_RESET_OWNER] = { "RESET_OWNER", h_reset, 0, 0, 0 },
	[VHOST_USER_SET_MEM_TABLE] = { "SET_MEM_TABLE", h_set_mem_table,
				       VU_SIZE_ANY, 1, VHOST_USER_MAX_FDS },
	[VHOST_USER_SET_VRING_NUM] = { "SET_VRING_NUM", h_set_vring_num, STATE, 0, 0 },
	[VHOST_USER_SET_VRING_ADDR] = { "SET_VRING_ADDR", h_set_vring_addr,
					sizeof(struct vhost_user_vring_addr), 0, 0 },
	[VHOST_USER_SET_VRING_BASE] = { "SET_VRING_BASE", h_set_vring_base, STATE, 0, 0 },
	[VHOST_USER_GET_VRING_BASE] = { "GET_VRING_BASE", h_get_vring_base, STATE, 0, 0 },
	[VHOST_USER_SET_VRING_KICK] = { "SET_VRING_KICK", h_set_vring_kick, U64, 0, 1 },
	[VHOST_USER_SET_VRING_CALL] = { "SET_VRING_CALL", h_set_vring_call, U64, 0, 1 },
	[VHOST_USER_SET_VRING_ERR] = { "SET_VRING_ERR", h_set_vring_err, U64, 0, 1 },
	[VHOST_USER_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES",
					       h_get_protocol_features, 0, 0, 0 },
	[VHOST_USER_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES",
					       h_set_protocol_features, U64, 0, 0 },
	[VHOST_USER_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", h_get_queue_num, 0, 0, 0 },
	[VHOST_USER_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", h_set_vring_enable,
					  STATE, 0, 0 },
	[VHOST_USER_SET_BACKEND_REQ_FD] = { "SET_BACKEND_REQ_FD",
					    h_set_backend_req_fd, 0, 1, 1 },
	[VHOST_USER_GET_CONFIG] = { "GET_CONFIG", h_get_config, VU_SIZE_ANY, 0, 0 },
	[VHOST_USER_SET_CONFIG] = { "SET_CONFIG", h_set_config, VU_SIZE_ANY, 0, 0 },
	[VHOST_USER_RESET_DEVICE] = { "RESET_DEVICE", h_reset_device, 0, 0, 0 },
	[VHOST_USER_GET_MAX_MEM_SLOTS] = { "GET_MAX_MEM_SLOTS",
					   h_get_max_mem_slots, 0, 0, 0 },
	[VHOST_USER_ADD_MEM_REG] = { "ADD_MEM_REG", h_add_mem_reg,
				     sizeof(struct vhost_user_single_mem_region), 1, 1 },
	[VHOST_USER_GET_INFLIGHT_FD] = { "GET_INFLIGHT_FD", h_get_inflight_fd,
					 sizeof(struct vhost_user_inflight), 0, 0 },
	[VHOST_USER_SET_INFLIGHT_FD] = { "SET_INFLIGHT_FD", h_set_inflight_fd,
					 sizeof(struct vhost_user_inflight), 1, 1 },
	[VHOST_USER_SET_LOG_BASE] = { "SET_LOG_BASE", h_set_log_base,
				      sizeof(struct vhost_user_log), 1, 1 },
	[VHOST_USER_SET_LOG_FD] = { "SET_LOG_FD", h_set_log_fd, 0, 1, 1 },
	[VHOST_USER_REM_MEM_REG] = { "REM_MEM_REG", h_rem_mem_reg,
				     sizeof(struct vhost_user_single_mem_region), 0, 1 },
};

const char *vu_request_name(uint32_t request)
{
	if (request < VHOST_USER_MAX_REQUEST && handlers[request].name)
		return handlers[request].name;
	return "UNKNOWN";
}

/*
 * The rings a message needs stopped before its handler runs, because it
 * changes what they use: guest memory, the inflight region, the ring's
 * addresses, fds or base, or everything (a reset). A ring index out of
 * range stops nothing; the handler rejects the message.
 */
static uint64_t rings_to_stop(const struct vu_dev *dev,
			      const struct vhost_user_msg *msg)
{
	uint64_t idx;

	switch (msg->hdr.request) {
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_RESET_DEVICE:
	case VHOST_USER_SET_MEM_TABLE:
	case VHOST_USER_ADD_MEM_REG:
	case VHOST_USER_REM_MEM_REG:
	case VHOST_USER_GET_INFLIGHT_FD:
	case VHOST_USER_SET_INFLIGHT_FD:
	/* A reactor that loaded the old log may mark it after QEMU read it
	 * for the last time: that page would never be sent again. */
	case VHOST_USER_SET_LOG_BASE:
		return VU_ALL_RINGS;
	case VHOST_USER_SET_VRING_ADDR:
		idx = msg->payload.addr.index;
		break;
	case VHOST_USER_GET_VRING_BASE:
		idx = msg->payload.state.index;
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		if (msg->payload.state.num)
			return 0;
		idx = msg->payload.state.index;
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
		idx = msg->payload.u64 & VHOST_USER_VRING_IDX_MASK;
		break;
	default:
		return 0;
	}
	return idx < dev->num_queues ? 1ull << idx : 0;
}

/* REPLY_ACK: a message that has no reply of its own may ask for a status. */
static int send_ack(struct vu_dev *dev, struct vhost_user_msg *msg, int status)
{
	msg->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	msg->hdr.size = sizeof(uint64_t);
	msg->payload.u64 = status ? 1 : 0;
	return vu_socket_send(dev->conn_fd, msg, NULL, 0);
}

int vu_msg_handle(struct vu_dev *dev, struct vu_rx *rx)
{
	struct vhost_user_msg *msg = &rx->msg;
	uint32_t req = msg->hdr.request;
	bool need_reply = (msg->hdr.flags & VHOST_USER_NEED_REPLY_MASK) &&
			  vu_dev_has_protocol_feature(dev, VHOST_USER_PROTOCOL_F_REPLY_ACK);
	const struct vu_handler *h;
	uint64_t stop;
	int ret;

	if (req >= VHOST_USER_MAX_REQUEST || !handlers[req].fn) {
		/* Unknown or unoffered: refuse it, keep the connection. */
		dev->msgs_rejected++;
		log_warn("disk %s: unsupported vhost-user request %u (%s)",
			 dev->name, req, vu_request_name(req));
		return need_reply ? send_ack(dev, msg, -ENOTSUP) : 0;
	}
	h = &handlers[req];
	if ((h->size != VU_SIZE_ANY && msg->hdr.size != h->size) ||
	    rx->nfds < h->min_fds || rx->nfds > h->max_fds) {
		dev->msgs_rejected++;
		log_error("disk %s: malformed %s: %u payload bytes, %u fds",
			  dev->name, h->name, msg->hdr.size, rx->nfds);
		return -EPROTO;
	}
	stop = rings_to_stop(dev, msg);
	if (stop) {
		if (!dev->held) {
			log_debug("disk %s: %s", dev->name, h->name);
			dev->restart = vu_dev_started(dev, stop);
		}
		/* Held, fds and all, until the rings are quiet: the
		 * connection is not read meanwhile, so order is kept. */
		dev->held = !vu_dev_quiesce(dev, stop);
		if (dev->held)
			return VU_HELD;
	} else {
		log_debug("disk %s: %s", dev->name, h->name);
	}
	ret = h->fn(dev, msg, rx);
	dev->msgs_handled++;
	if (ret == -EPROTO) {
		dev->msgs_rejected++;
		log_error("disk %s: rejected %s from the front-end", dev->name,
			  h->name);
		return ret;
	}
	if (ret == VU_REPLY) {
		int fd = rx->reply_fd;

		msg->hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
		return vu_socket_send(dev->conn_fd, msg, fd >= 0 ? &fd : NULL,
				      fd >= 0 ? 1 : 0);
	}
	if (ret < 0) {
		dev->msgs_rejected++;
		log_warn("disk %s: %s failed: %s", dev->name, h->name,
			 strerror(-ret));
	}
	return need_reply ? send_ack(dev, msg, ret) : 0;
}
