/* SPDX-License-Identifier: MIT */
#include "fuzz_front.h"

#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#define QVA 0x7f0000000000ull
#define STALL_NS 2000000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void front_init(struct fuzz_front *f, struct vu_dev *vu)
{
	static const struct guest_region layout[2] = {
		{ 0, FRONT_R0_SIZE, QVA, 0 },
		{ FRONT_R0_SIZE, FRONT_R1_SIZE, QVA + FRONT_R0_SIZE, 0 },
	};

	f->vu = vu;
	f->link.sock = f->kick = -1;
	guest_regions_map(&f->mem, layout, 2);
	f->guest[0] = f->mem.hva[0];
	f->guest[1] = f->mem.hva[1];
}

void front_connect(struct fuzz_front *f, uint64_t features, bool inflight)
{
	struct vhost_user_mem_table t = { .nregions = 2 };

	inproc_connect(&f->link, f->vu);
	inproc_request(&f->link, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL);
	if (inflight) {
		features |= 1ull << VHOST_USER_F_PROTOCOL_FEATURES;
		inproc_u64(&f->link, VHOST_USER_SET_PROTOCOL_FEATURES,
			   1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD, -1);
	}
	inproc_u64(&f->link, VHOST_USER_SET_FEATURES, features, -1);
	for (unsigned int i = 0; i < 2; i++) {
		const struct guest_region *r = &f->mem.layout[i];

		t.regions[i] = (struct vhost_user_mem_region){
			r->gpa, r->size, r->qva, r->mmap_offset };
	}
	inproc_request(&f->link, VHOST_USER_SET_MEM_TABLE, &t,
		       8 + 2 * sizeof(t.regions[0]), f->mem.memfd, 2, NULL);
}

void front_log_start(struct fuzz_front *f, uint64_t features)
{
	struct vhost_user_log l = {
		.mmap_size = (FRONT_R0_SIZE + FRONT_R1_SIZE) / 4096 / 8 + 1,
	};
	int fd = memfd_create("fuzz-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	FUZZ_CHECK(fd >= 0 && ftruncate(fd, (off_t)l.mmap_size) == 0);
	FUZZ_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
	inproc_request(&f->link, VHOST_USER_SET_LOG_BASE, &l, sizeof(l), &fd, 1,
		       NULL);
	close(fd);
	inproc_u64(&f->link, VHOST_USER_SET_FEATURES,
		   features | (1ull << VHOST_F_LOG_ALL), -1);
}

void front_inflight(struct fuzz_front *f, unsigned int idx, uint16_t qsize)
{
	size_t qbytes = inflight_queue_bytes(qsize);
	struct vhost_user_inflight in = {
		.mmap_size = (idx + 1) * qbytes,
		.num_queues = (uint16_t)(idx + 1),
		.queue_size = qsize,
	};
	int fd = memfd_create("fuzz-inflight", MFD_CLOEXEC);

	FUZZ_CHECK(fd >= 0 && ftruncate(fd, (off_t)in.mmap_size) == 0);
	FUZZ_CHECK(pwrite(fd, f->guest[0] + FRONT_INFLIGHT_OFF, qbytes,
			  (off_t)(idx * qbytes)) == (ssize_t)qbytes);
	inproc_request(&f->link, VHOST_USER_SET_INFLIGHT_FD, &in, sizeof(in), &fd,
		       1, NULL);
	close(fd);
}

void front_ring_start(struct fuzz_front *f, unsigned int idx, uint16_t qsize,
		      bool call)
{
	struct vhost_user_vring_addr a = {
		.index = idx,
		.desc_user_addr = QVA,
		.avail_user_addr = QVA + FRONT_AVAIL_OFF,
		.used_user_addr = QVA + FRONT_USED_OFF,
	};
	int callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;

	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	FUZZ_CHECK(f->kick >= 0 && callfd >= 0);
	inproc_state(&f->link, VHOST_USER_SET_VRING_NUM, idx, qsize);
	inproc_state(&f->link, VHOST_USER_SET_VRING_BASE, idx, 0);
	inproc_request(&f->link, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL,
		       0, NULL);
	if (call)
		inproc_u64(&f->link, VHOST_USER_SET_VRING_CALL, idx, callfd);
	else
		inproc_u64(&f->link, VHOST_USER_SET_VRING_CALL,
			   idx | VHOST_USER_VRING_NOFD_MASK, -1);
	inproc_u64(&f->link, VHOST_USER_SET_VRING_KICK, idx, f->kick);
	close(callfd);
	FUZZ_CHECK(f->vu->vrings[idx].started);
	FUZZ_CHECK(write(f->kick, &one, sizeof(one)) == sizeof(one));
}

void front_wait_consumed(struct fuzz_front *f, unsigned int idx)
{
	const struct virtq *vq = &f->vu->vrings[idx].vq;
	const struct vring_avail *avail =
		(const void *)(f->guest[0] + FRONT_AVAIL_OFF);
	uint64_t deadline = now_ns() + STALL_NS;

	for (;;) {
		uint16_t popped = __atomic_load_n(&vq->last_avail_idx,
						  __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&vq->broken, __ATOMIC_ACQUIRE) ||
		    popped == __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE))
			return;
		FUZZ_CHECK(now_ns() < deadline); /* the queue stalled */
		usleep(20);
	}
}

void front_ring_stop(struct fuzz_front *f, unsigned int idx)
{
	inproc_state(&f->link, VHOST_USER_GET_VRING_BASE, idx, 0);
	FUZZ_CHECK(!f->vu->vrings[idx].started);
}

uint16_t front_used_idx(const struct fuzz_front *f)
{
	return ((const struct vring_used *)(f->guest[0] + FRONT_USED_OFF))->idx;
}

void front_check_used(struct fuzz_front *f, uint16_t qsize, uint16_t used_before)
{
	const struct vring_used *used =
		(const void *)(f->guest[0] + FRONT_USED_OFF);
	uint16_t n = (uint16_t)(used->idx - used_before);

	for (uint16_t i = 0; i < n && i < qsize; i++)
		FUZZ_CHECK(used->ring[(uint16_t)(used_before + i) & (qsize - 1)].id <
			   qsize);
}

void front_hang_up(struct fuzz_front *f)
{
	inproc_hang_up(&f->link);
	if (f->kick >= 0)
		close(f->kick);
	f->kick = -1;
}
