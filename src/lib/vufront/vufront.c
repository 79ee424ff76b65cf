/* SPDX-License-Identifier: MIT */
/* vufront: connecting, negotiating, guest memory and queue set-up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "vufront/vufront_int.h"

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* ---- negotiation ---- */

static const uint64_t want_proto =
	(1ull << VHOST_USER_PROTOCOL_F_MQ) |
	(1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
	(1ull << VHOST_USER_PROTOCOL_F_CONFIG) |
	(1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS);

static const uint64_t understood =
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
	(1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
	(1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_TOPOLOGY) |
	(1ull << VIRTIO_BLK_F_MQ) | (1ull << VIRTIO_BLK_F_FLUSH) |
	(1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_DISCARD) |
	(1ull << VIRTIO_BLK_F_WRITE_ZEROES) |
	(1ull << VIRTIO_BLK_F_CONFIG_WCE) |
	(1ull << VHOST_USER_F_PROTOCOL_FEATURES);

static int negotiate_protocol(struct vufront *f, char *err, size_t errlen)
{
	uint64_t proto = 0, n;
	int ret;

	if (!(f->info.offered_features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES)))
		return 0;
	ret = vufront_get_u64(f, VHOST_USER_GET_PROTOCOL_FEATURES, &proto);
	if (ret)
		return ret;
	f->info.offered_protocol_features = proto;
	proto &= want_proto | (f->o.dirty_log ?
			       1ull << VHOST_USER_PROTOCOL_F_LOG_SHMFD : 0);
	if (f->o.mem_table)
		proto &= ~(1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS);
	ret = vufront_send_msg(f, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &proto,
			       8, NULL, 0);
	if (ret)
		return ret;
	f->info.protocol_features = proto;
	if (vuf_has_proto(f, VHOST_USER_PROTOCOL_F_MQ)) {
		ret = vufront_get_u64(f, VHOST_USER_GET_QUEUE_NUM, &n);
		if (ret)
			return ret;
		f->info.num_queues = (uint16_t)n;
	}
	if (vuf_has_proto(f, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
		ret = vufront_get_u64(f, VHOST_USER_GET_MAX_MEM_SLOTS, &n);
		if (ret)
			return ret;
		f->info.max_mem_slots = (uint32_t)n;
		if (n < f->nregions) {
			snprintf(err, errlen, "the target takes %u memory slots; "
				 "%u were asked for", (unsigned int)n, f->nregions);
			return -EINVAL;
		}
	}
	return 0;
}

static int negotiate(struct vufront *f, char *err, size_t errlen)
{
	uint64_t ack;
	int ret;

	ret = vufront_get_u64(f, VHOST_USER_GET_FEATURES, &f->info.offered_features);
	if (ret) {
		snprintf(err, errlen, "GET_FEATURES failed: %s", strerror(-ret));
		return ret;
	}
	if (!(f->info.offered_features & (1ull << VIRTIO_F_VERSION_1))) {
		snprintf(err, errlen, "the target does not offer VIRTIO_F_VERSION_1");
		return -ENOTSUP;
	}
	f->info.num_queues = 1;
	ret = negotiate_protocol(f, err, errlen);
	if (ret)
		return ret;
	if (f->nq > f->info.num_queues) {
		snprintf(err, errlen, "asked for %u queues; the target serves %u",
			 f->nq, f->info.num_queues);
		return -EINVAL;
	}
	ret = vufront_send_msg(f, VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	if (ret)
		return ret;
	ack = f->info.offered_features &
	      (f->dev == VUF_DEV_SCSI ? vuf_scsi_features : understood);
	if (f->o.no_event_idx)
		ack &= ~(1ull << VIRTIO_RING_F_EVENT_IDX);
	if (!f->o.indirect)
		ack &= ~(1ull << VIRTIO_RING_F_INDIRECT_DESC);
	if (f->o.packed) {
		if (!(f->info.offered_features &
		      (1ull << VIRTIO_F_RING_PACKED))) {
			snprintf(err, errlen, "the target does not offer "
				 "VIRTIO_F_RING_PACKED");
			return -ENOTSUP;
		}
		ack |= 1ull << VIRTIO_F_RING_PACKED;
	}
	f->info.features = ack;
	f->info.ro = ack & (1ull << VIRTIO_BLK_F_RO);
	return vufront_send_msg(f, VHOST_USER_SET_FEATURES, 0, &ack, 8, NULL, 0);
}

static int read_config(struct vufront *f)
{
	/* Up to the write-zeroes fields (60 bytes): older targets (QEMU 7.2's
	 * qemu-storage-daemon) refuse reads past the struct they know. */
	struct vhost_user_config c = {
		.offset = 0,
		.size = offsetof(struct virtio_blk_config, unused1) + 3,
	};
	struct vhost_user_msg m;
	int ret;

	f->info.blk_size = 512;
	if (!vuf_has_proto(f, VHOST_USER_PROTOCOL_F_CONFIG))
		return -ENOTSUP;
	ret = vufront_send_msg(f, VHOST_USER_GET_CONFIG, 0, &c,
			       VHOST_USER_CONFIG_HDR_SIZE + c.size, NULL, 0);
	if (!ret)
		ret = vuf_recv_reply(f, VHOST_USER_GET_CONFIG, &m);
	if (ret < 0)
		return ret;
	if ((uint32_t)ret != VHOST_USER_CONFIG_HDR_SIZE + c.size ||
	    m.payload.config.size != c.size)
		return -EPROTO;
	memcpy(&f->info.config, m.payload.config.payload, c.size);
	f->info.config_len = c.size;
	f->info.capacity = f->info.config.capacity;
	if (vuf_has(f, VIRTIO_BLK_F_BLK_SIZE) && f->info.config.blk_size)
		f->info.blk_size = f->info.config.blk_size;
	return 0;
}

/* ---- guest memory ---- */

/* Lays out each queue (rings, scratch page, slot metadata, slot buffers)
 * as offsets into guest memory; returns the total size. */
static size_t layout(struct vufront *f)
{
	size_t off = 0, stride = round_up(f->o.max_io, VUF_PAGE);

	for (unsigned int i = 0; i < f->nq; i++) {
		struct vufront_queue *q = &f->q[i];
		size_t avail = off + 16u * q->size;
		size_t used = round_up(avail + 6 + 2u * q->size, VUF_PAGE);
		size_t scratch = round_up(used + 6 + 8u * q->size, VUF_PAGE);
		size_t meta = scratch + VUF_PAGE;
		size_t data = meta + round_up((size_t)q->nslots * VUF_META, VUF_PAGE);

		q->desc = (void *)(uintptr_t)off;
		q->avail = (void *)(uintptr_t)avail;
		q->used = (void *)(uintptr_t)used;
		q->scratch = (void *)(uintptr_t)scratch;
		q->meta = (void *)(uintptr_t)meta;
		q->data = (void *)(uintptr_t)data;
		off = data + q->nslots * stride;
	}
	return off;
}

/* Maps the regions back to back so guest memory is one range for us,
 * while the target sees nregions separate fds. */
static int map_regions(struct vufront *f, size_t total)
{
	unsigned int sealable = f->o.mem_seals ? MFD_ALLOW_SEALING : 0;
	uint8_t *p;

	if (total < f->o.mem_size)
		total = f->o.mem_size;
	f->region_size = round_up((total + f->nregions - 1) / f->nregions, VUF_PAGE);
	f->mem_size = f->region_size * f->nregions;
	f->mem = mmap(NULL, f->mem_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (f->mem == MAP_FAILED) {
		f->mem = NULL;
		return -errno;
	}
	for (unsigned int i = 0; i < f->nregions; i++) {
		f->memfd[i] = memfd_create("vufront-guest", MFD_CLOEXEC | sealable);
		if (f->memfd[i] < 0 ||
		    ftruncate(f->memfd[i], (off_t)f->region_size) < 0)
			return -errno;
		if (sealable &&
		    fcntl(f->memfd[i], F_ADD_SEALS, (int)f->o.mem_seals) < 0)
			return -errno;
		p = mmap(f->mem + i * f->region_size, f->region_size,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 f->memfd[i], 0);
		if (p == MAP_FAILED)
			return -errno;
	}
	return 0;
}

struct vhost_user_mem_region vufront_region(const struct vufront *f,
					   unsigned int i)
{
	return (struct vhost_user_mem_region){
		.guest_phys_addr = f->o.gpa_base + i * f->region_size,
		.memory_size = f->region_size,
		.userspace_addr = (uint64_t)(uintptr_t)(f->mem + i * f->region_size),
		.mmap_offset = 0,
	};
}

static int send_memory(struct vufront *f)
{
	struct vhost_user_mem_table t = { .nregions = f->nregions };
	int ret = 0;

	if (vuf_has_proto(f, VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS)) {
		for (unsigned int i = 0; i < f->nregions && !ret; i++) {
			struct vhost_user_single_mem_region r = {
				.region = vufront_region(f, i) };

			ret = vuf_send_acked(f, VHOST_USER_ADD_MEM_REG, &r,
					     sizeof(r), &f->memfd[i], 1);
		}
		return ret;
	}
	for (unsigned int i = 0; i < f->nregions; i++)
		t.regions[i] = vufront_region(f, i);
	return vuf_send_acked(f, VHOST_USER_SET_MEM_TABLE, &t,
			      8 + f->nregions * sizeof(t.regions[0]), f->memfd,
			      f->nregions);
}

int vuf_map_memory(struct vufront *f)
{
	int ret = map_regions(f, layout(f));

	if (ret)
		return ret;
	for (unsigned int i = 0; i < f->nq; i++) {
		struct vufront_queue *q = &f->q[i];

		q->desc = (void *)(f->mem + (uintptr_t)q->desc);
		q->avail = (void *)(f->mem + (uintptr_t)q->avail);
		q->used = (void *)(f->mem + (uintptr_t)q->used);
		q->scratch = f->mem + (uintptr_t)q->scratch;
		q->meta = f->mem + (uintptr_t)q->meta;
		q->data = f->mem + (uintptr_t)q->data;
	}
	return 0;
}

/* ---- queues ---- */

/* The ring's addresses as SET_VRING_ADDR gives them: front-end virtual
 * addresses, and with log the used ring's guest address to log into. */
static struct vhost_user_vring_addr ring_addr(const struct vufront_queue *q,
					      bool log)
{
	struct vhost_user_vring_addr a = {
		.index = q->index,
		.desc_user_addr = (uint64_t)(uintptr_t)q->desc,
		.used_user_addr = (uint64_t)(uintptr_t)q->used,
		.avail_user_addr = (uint64_t)(uintptr_t)q->avail,
	};

	if (log) {
		a.flags = 1u << VHOST_VRING_F_LOG;
		a.log_guest_addr = vufront_gpa(q->f, q->used);
	}
	return a;
}

struct vhost_user_vring_addr vufront_ring_addr(const struct vufront_queue *q)
{
	return ring_addr(q, false);
}

int vufront_set_ring_log(struct vufront_queue *q, bool log)
{
	struct vhost_user_vring_addr a = ring_addr(q, log);

	return vuf_send_acked(q->f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a),
			      NULL, 0);
}

int vuf_prepare_queue(struct vufront_queue *q)
{
	struct vufront *f = q->f;

	q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick < 0 || q->call < 0)
		return -errno;
	q->packed = vuf_has(f, VIRTIO_F_RING_PACKED);
	if (q->packed) {
		vuf_packed_reset(q);
	} else if (!f->o.want_irq) {
		/* Polling the used ring: no interrupts wanted. */
		q->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		q->avail->ring[q->size] = 0x8000;
	}
	return 0;
}

static int start_queue(struct vufront *f, struct vufront_queue *q)
{
	struct vhost_user_vring_state st = { q->index, q->size };
	struct vhost_user_vring_addr a = ring_addr(q, false);
	uint64_t u = q->index;
	int ret = vuf_prepare_queue(q);

	if (ret)
		return ret;
	ret = vufront_send_msg(f, VHOST_USER_SET_VRING_NUM, 0, &st, sizeof(st), NULL, 0);
	/* Where the driver starts: split, avail index 0; packed, position
	 * 0 with wrap counter 1 for both avail and used. */
	st.num = q->packed ? vuf_packed_base(q) : 0;
	ret = ret ?: vufront_send_msg(f, VHOST_USER_SET_VRING_BASE, 0, &st,
				      sizeof(st), NULL, 0);
	ret = ret ?: vufront_send_msg(f, VHOST_USER_SET_VRING_ADDR, 0, &a,
				      sizeof(a), NULL, 0);
	ret = ret ?: vufront_send_msg(f, VHOST_USER_SET_VRING_CALL, 0, &u, 8,
				      &q->call, 1);
	ret = ret ?: vufront_send_msg(f, VHOST_USER_SET_VRING_KICK, 0, &u, 8,
				      &q->kick, 1);
	if (!ret && vuf_has(f, VHOST_USER_F_PROTOCOL_FEATURES)) {
		st.num = 1;
		ret = vuf_send_acked(f, VHOST_USER_SET_VRING_ENABLE, &st,
				     sizeof(st), NULL, 0);
	}
	return ret;
}

/* Forgets all the ring held: zeroed rings, no slot or raw head in
 * flight, indexes at 0 (where SET_VRING_BASE starts the target). */
static void reset_ring(struct vufront_queue *q)
{
	memset(q->desc, 0, (size_t)(q->scratch - (uint8_t *)q->desc));
	memset(q->busy, 0, q->nslots * sizeof(*q->busy));
	memset(q->raw_pending, 0, q->size);
	q->raw_head = q->raw_count = 0;
	q->avail_idx = q->kicked_idx = q->used_seen = 0;
	q->broken = false;
}

static void close_eventfds(struct vufront_queue *q)
{
	if (q->kick >= 0)
		close(q->kick);
	if (q->call >= 0)
		close(q->call);
	q->kick = q->call = -1;
}

int vufront_restart_queue(struct vufront_queue *q)
{
	reset_ring(q);
	/* New eventfds: the target may still hold the old ones. */
	close_eventfds(q);
	return start_queue(q->f, q);
}

int vuf_alloc_queues(struct vufront *f)
{
	f->q = calloc(f->nq, sizeof(*f->q));
	if (!f->q)
		return -ENOMEM;
	for (unsigned int i = 0; i < f->nq; i++) {
		struct vufront_queue *q = &f->q[i];

		q->f = f;
		q->index = i;
		q->size = (uint16_t)f->o.queue_size;
		q->nslots = f->o.max_inflight;
		q->kick = q->call = -1;
		q->writable = calloc(q->nslots, sizeof(*q->writable));
		q->busy = calloc(q->nslots, sizeof(*q->busy));
		q->raw_pending = calloc(q->size, 1);
		q->raw_done = calloc(q->size, sizeof(*q->raw_done));
		q->ndescs = calloc(q->nslots, sizeof(*q->ndescs));
		if (!q->writable || !q->busy || !q->raw_pending ||
		    !q->raw_done || !q->ndescs)
			return -ENOMEM;
	}
	return 0;
}

int vuf_check_opts(struct vufront *f, const struct vufront_opts *o,
		   char *err, size_t errlen)
{
	f->o = *o;
	if (!f->o.queue_size)
		f->o.queue_size = 256;
	if (!f->o.max_inflight)
		f->o.max_inflight = f->o.queue_size / 3;
	if (!f->o.max_io)
		f->o.max_io = 1u << 20;
	f->nq = (o->queues ? o->queues : 1) + f->first_req_q;
	f->nregions = o->mem_regions ? o->mem_regions : 1;
	if (f->o.queue_size > 32768 || (f->o.queue_size & (f->o.queue_size - 1)) ||
	    f->o.max_inflight * 3 > f->o.queue_size) {
		snprintf(err, errlen, "queue size %u cannot hold %u requests of 3 "
			 "descriptors", f->o.queue_size, f->o.max_inflight);
		return -EINVAL;
	}
	if (f->nregions > VUF_MAX_REGIONS || f->o.gpa_base % VUF_PAGE) {
		snprintf(err, errlen, "memory takes 1-%d regions at a page-aligned "
			 "address", VUF_MAX_REGIONS);
		return -EINVAL;
	}
	return 0;
}

int vufront_attach(const char *path, struct vufront **out, char *err,
		   size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vufront *f;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	f = vuf_alloc(VUF_DEV_BLK);
	if (!f)
		return -ENOMEM;
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sa.sun_path, path);
	if (f->sock < 0 || connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot connect to %s: %s (is the target "
			 "running and serving that socket?)", path, strerror(-ret));
		vufront_close(f);
		return ret;
	}
	*out = f;
	return 0;
}

/* What QEMU does when a live migration starts: a log covering guest
 * memory (SET_LOG_BASE, answered), then VHOST_F_LOG_ALL acked, then each
 * running ring's addresses again with its used ring to log. */
static int start_dirty_log(struct vufront *f, char *err, size_t errlen)
{
	struct vhost_user_log l = { .mmap_size = f->mem_size / 4096 / 8 + 1 };
	struct vhost_user_msg m;
	uint64_t feat = f->info.features | (1ull << VHOST_F_LOG_ALL);
	int fd, ret;

	if (!(f->info.offered_features & (1ull << VHOST_F_LOG_ALL)) ||
	    !vuf_has_proto(f, VHOST_USER_PROTOCOL_F_LOG_SHMFD)) {
		snprintf(err, errlen, "the target cannot log its writes for a "
			 "live migration (no VHOST_F_LOG_ALL or LOG_SHMFD)");
		return -ENOTSUP;
	}
	fd = memfd_create("vufront-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)l.mmap_size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
	    (f->log = mmap(NULL, l.mmap_size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0)) == MAP_FAILED) {
		ret = -errno;
		f->log = NULL;
		close(fd);
		return ret;
	}
	f->log_len = l.mmap_size;
	ret = vufront_send_msg(f, VHOST_USER_SET_LOG_BASE, 0, &l, sizeof(l),
			       &fd, 1);
	close(fd);
	if (!ret && (ret = vuf_recv_reply(f, VHOST_USER_SET_LOG_BASE, &m)) > 0)
		ret = 0;
	ret = ret ?: vuf_send_acked(f, VHOST_USER_SET_FEATURES, &feat,
				    sizeof(feat), NULL, 0);
	for (unsigned int i = 0; i < f->nq && !ret; i++)
		ret = vufront_set_ring_log(&f->q[i], true);
	return ret;
}

int vufront_setup(struct vufront *f, const struct vufront_opts *o, char *err,
		  size_t errlen)
{
	int ret;

	err[0] = '\0';
	ret = vuf_check_opts(f, o, err, errlen);
	ret = ret ?: vuf_alloc_queues(f);
	ret = ret ?: negotiate(f, err, errlen);
	if (!ret && f->dev == VUF_DEV_SCSI) {
		/* QEMU's vhost-user-scsi builds the config space itself when
		 * the target does not serve it; so does vuf_scsi_read_config. */
		ret = vuf_scsi_read_config(f, err, errlen);
	} else if (!ret && !vuf_has_proto(f, VHOST_USER_PROTOCOL_F_CONFIG)) {
		snprintf(err, errlen, "the target does not offer the CONFIG "
			 "protocol feature, needed to learn the disk's size");
		ret = -ENOTSUP;
	}
	else if (!ret)
		ret = read_config(f);
	ret = ret ?: vuf_map_memory(f);
	ret = ret ?: send_memory(f);
	for (unsigned int i = 0; i < f->nq && !ret; i++)
		ret = start_queue(f, &f->q[i]);
	if (!ret && o->dirty_log)
		ret = start_dirty_log(f, err, errlen);
	if (ret && !err[0])
		snprintf(err, errlen, "setting up the device failed: %s%s",
			 strerror(-ret), ret == -ECONNRESET ?
			 " (the target closed the connection; see its log)" : "");
	return ret;
}

/* A target serves one front-end per socket; one that has not yet noticed
 * the previous front-end (or a probe) leave closes a new connection at
 * once. Such a reset before anything was set up is retried for a while. */
#define CONNECT_RETRIES 100
#define CONNECT_RETRY_US 20000

/* The slot layout of a request (see vufront_scsi.c for virtio-scsi's). */
static void set_device(struct vufront *f, enum vuf_device dev)
{
	f->dev = dev;
	f->status_off = VUF_META_STATUS;
	f->table_off = VUF_META_TABLE;
	if (dev == VUF_DEV_SCSI) {
		f->status_off = VUF_SCSI_RESP_OFF +
				offsetof(struct virtio_scsi_cmd_resp, response);
		f->table_off = VUF_SCSI_TABLE_OFF;
		f->first_req_q = VUF_SCSI_FIRST_REQ_Q;
	}
}

struct vufront *vuf_alloc(enum vuf_device dev)
{
	struct vufront *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->sock = -1;
	for (unsigned int i = 0; i < VUF_MAX_REGIONS; i++)
		f->memfd[i] = -1;
	set_device(f, dev);
	return f;
}

int vufront_connect(const char *path, const struct vufront_opts *o,
		    struct vufront **out, char *err, size_t errlen)
{
	return vuf_connect(path, o, VUF_DEV_BLK, out, err, errlen);
}

int vuf_connect(const char *path, const struct vufront_opts *o,
		enum vuf_device dev, struct vufront **out, char *err,
		size_t errlen)
{
	struct vufront *f;
	bool fresh;
	int ret;

	for (int tries = 0;; tries++) {
		ret = vufront_attach(path, &f, err, errlen);
		if (ret)
			return ret;
		set_device(f, dev);
		ret = vufront_setup(f, o, err, errlen);
		if (!ret) {
			*out = f;
			return 0;
		}
		fresh = !f->answered;
		vufront_close(f);
		if (ret != -ECONNRESET || !fresh || tries == CONNECT_RETRIES)
			break;
		usleep(CONNECT_RETRY_US);
	}
	{
		char tail[200];

		snprintf(tail, sizeof(tail), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tail);
	}
	return ret;
}

void vufront_close(struct vufront *f)
{
	if (!f)
		return;
	if (f->sock >= 0)
		close(f->sock);
	for (unsigned int i = 0; f->q && i < f->nq; i++) {
		struct vufront_queue *q = &f->q[i];

		close_eventfds(q);
		free(q->writable);
		free(q->busy);
		free(q->raw_pending);
		free(q->raw_done);
		free(q->ndescs);
	}
	free(f->q);
	free(f->scsi_config);
	if (f->mem)
		munmap(f->mem, f->mem_size);
	if (f->log)
		munmap(f->log, f->log_len);
	for (unsigned int i = 0; i < VUF_MAX_REGIONS; i++)
		if (f->memfd[i] >= 0)
			close(f->memfd[i]);
	free(f);
}

const struct vufront_info *vufront_info(const struct vufront *f)
{
	return &f->info;
}

struct vufront_queue *vufront_queue(struct vufront *f, unsigned int i)
{
	return f->q && i < f->nq ? &f->q[i] : NULL;
}

unsigned int vufront_queues(const struct vufront *f)
{
	return f->q ? f->nq : 0;
}

uint64_t vufront_gpa(const struct vufront *f, const void *p)
{
	return f->o.gpa_base + (uint64_t)((const uint8_t *)p - f->mem);
}

void *vufront_ptr(struct vufront *f, uint64_t gpa, uint64_t len)
{
	if (gpa < f->o.gpa_base || gpa - f->o.gpa_base > f->mem_size ||
	    len > f->mem_size - (gpa - f->o.gpa_base))
		return NULL;
	return f->mem + (gpa - f->o.gpa_base);
}

uint64_t vufront_mem_size(const struct vufront *f)
{
	return f->mem_size;
}

int vufront_memfd(const struct vufront *f, unsigned int i)
{
	return i < f->nregions ? f->memfd[i] : -1;
}
