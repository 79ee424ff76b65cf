/* SPDX-License-Identifier: MIT */
/*
 * vmiod over its real unix sockets: negotiation, config space, the data
 * path to a real file, and hostile front-ends. After every hostile case
 * the daemon must still be alive and serving the other disks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <cmocka.h>

#include "disk_front.h"
#include "vmiod_proc.h"

#define DISK_BYTES (8u << 20)
/* Answers come at once; a loaded 2-core machine gets this long. */
#define ANSWER_MS 2000

static char dir[256], img[300], ro_img[300], sock0[300], sock1[300], sock2[300], sock3[300];
static pid_t vmiod;

static int group_setup(void **state)
{
	char d0[1024], d1[1024], d2[1024], d3[1024];
	int fd;

	if (scratch_make("it", dir, sizeof(dir)))
		return -1;
	snprintf(img, sizeof(img), "%s/d0.img", dir);
	snprintf(ro_img, sizeof(ro_img), "%s/ro.img", dir);
	snprintf(sock0, sizeof(sock0), "%s/d0.sock", dir);
	snprintf(sock1, sizeof(sock1), "%s/d1.sock", dir);
	snprintf(sock2, sizeof(sock2), "%s/d2.sock", dir);
	snprintf(sock3, sizeof(sock3), "%s/d3.sock", dir);
	/* The read-only image has a known byte pattern. */
	fd = open(ro_img, O_CREAT | O_WRONLY, 0600);
	for (int i = 0; i < 256; i++) {
		char block[4096];

		memset(block, 'A' + i % 26, sizeof(block));
		if (write(fd, block, sizeof(block)) != sizeof(block))
			return -1;
	}
	close(fd);
	snprintf(d0, sizeof(d0), "id=d0,path=%s,socket=%s,size=%u,queues=2", img,
		 sock0, DISK_BYTES);
	snprintf(d1, sizeof(d1), "id=d1,backend=null,size=1G,socket=%s,"
		 "discard-segs=2", sock1);
	snprintf(d2, sizeof(d2), "id=d2,path=%s,socket=%s,ro=on", ro_img, sock2);
	snprintf(d3, sizeof(d3), "id=d3,path=%s/d3.img,size=1M,socket=%s,"
		 "delay-us=20000", dir, sock3);
	{
		/* VMIOD_EXTRA_ARG: one more option word, so the suite runs
		 * again with it (meson registers a --fixed-buffers on run). */
		const char *extra = getenv("VMIOD_EXTRA_ARG");
		const char *args[] = { "--disk", d0, "--disk", d1, "--disk", d2,
				       "--disk", d3, "-q", extra, NULL };
		const char *socks[] = { sock0, sock1, sock2, sock3, NULL };

		vmiod = vmiod_spawn(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	if (scratch_remove(dir))
		return -1;
	/* SIGTERM must end vmiod cleanly. */
	return status == 0 ? 0 : -1;
}

/* A connection on which the test sends everything itself. */
static struct vufront *attach(const char *sock)
{
	struct vufront *f = NULL;
	char err[256];

	if (vufront_attach(sock, &f, err, sizeof(err)))
		fail_msg("%s", err);
	return f;
}

static struct vufront *set_up(const char *sock, unsigned int queues)
{
	struct vufront *f = disk_front(sock, queues);

	assert_non_null(f);
	return f;
}

/* The daemon survived and still serves another disk. */
static void assert_still_serving(void)
{
	struct vufront *c;
	uint64_t f;

	assert_true(vmiod_alive(vmiod));
	c = attach(sock1);
	assert_int_equal(vufront_get_u64(c, VHOST_USER_GET_FEATURES, &f), 0);
	assert_true(f & (1ull << VIRTIO_F_VERSION_1));
	vufront_close(c);
}

static void test_negotiation_answers(void **state)
{
	struct vufront *c = attach(sock0);
	uint64_t v;

	assert_int_equal(vufront_get_u64(c, VHOST_USER_GET_FEATURES, &v), 0);
	assert_true(v & (1ull << VIRTIO_F_VERSION_1));
	assert_true(v & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	assert_true(v & (1ull << VIRTIO_RING_F_EVENT_IDX));
	assert_true(v & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	assert_true(v & (1ull << VIRTIO_BLK_F_MQ));
	assert_true(v & (1ull << VIRTIO_BLK_F_FLUSH));
	assert_true(v & (1ull << VIRTIO_BLK_F_DISCARD));
	assert_true(v & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(v & (1ull << VIRTIO_BLK_F_RO));
	assert_int_equal(vufront_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &v), 0);
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_MQ));
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS));
	assert_int_equal(vufront_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(vufront_get_u64(c, VHOST_USER_GET_MAX_MEM_SLOTS, &v), 0);
	assert_int_equal(v, 509);
	vufront_close(c);
}

static void get_config(const char *sock, struct virtio_blk_config *cfg)
{
	struct vhost_user_config req = { .offset = 0, .size = sizeof(*cfg) };
	struct vufront *c = attach(sock);
	struct vhost_user_msg m;

	assert_int_equal(vufront_send_msg(c, VHOST_USER_GET_CONFIG, 0, &req,
					  VHOST_USER_CONFIG_HDR_SIZE + sizeof(*cfg),
					  NULL, 0), 0);
	assert_int_equal(vufront_recv_msg(c, &m, ANSWER_MS),
			 VHOST_USER_CONFIG_HDR_SIZE + sizeof(*cfg));
	memcpy(cfg, m.payload.config.payload, sizeof(*cfg));
	vufront_close(c);
}

static void test_config_space(void **state)
{
	struct virtio_blk_config cfg;

	get_config(sock0, &cfg);
	assert_int_equal(cfg.capacity, DISK_BYTES / 512);
	assert_int_equal(cfg.blk_size, 512);
	assert_int_equal(cfg.num_queues, 2);
	assert_true(cfg.seg_max >= 64);
	assert_int_equal(cfg.wce, 1);
	assert_true(cfg.max_discard_sectors > 0);
	assert_int_equal(cfg.max_discard_seg, 32);
	assert_int_equal(cfg.max_write_zeroes_seg, 32);
	get_config(sock1, &cfg);
	assert_int_equal(cfg.capacity, (1ull << 30) / 512);
	/* discard-segs=2 */
	assert_int_equal(cfg.max_discard_seg, 2);
	assert_int_equal(cfg.max_write_zeroes_seg, 2);
	get_config(sock2, &cfg);
	assert_int_equal(cfg.capacity, 256 * 4096 / 512);
}

/* A DISCARD or WRITE_ZEROES of n ranges (8 sectors each, 8 apart) on
 * slot 0; its status. */
static int ranges(struct vufront *f, uint32_t type, unsigned int n)
{
	struct virtio_blk_discard_write_zeroes *seg =
		(void *)disk_front_buf(f, 0, 0);

	for (unsigned int i = 0; i < n; i++)
		seg[i] = (struct virtio_blk_discard_write_zeroes){
			.sector = 16 * i, .num_sectors = 8 };
	return disk_front_io(f, 0, 0, type, 0, n * sizeof(*seg));
}

/* Up to the ranges the disk offers per request are served; one more is
 * refused (UNSUPP), as the driver was told it may not send it. */
static void test_discard_ranges_within_the_offer(void **state)
{
	struct vufront *f = set_up(sock1, 1);

	assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 2), VIRTIO_BLK_S_OK);
	assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 3), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 2), VIRTIO_BLK_S_OK);
	assert_int_equal(ranges(f, VIRTIO_BLK_T_WRITE_ZEROES, 3), VIRTIO_BLK_S_UNSUPP);
	vufront_close(f);
	f = set_up(sock0, 1);
	assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 32), VIRTIO_BLK_S_OK);
	assert_int_equal(ranges(f, VIRTIO_BLK_T_DISCARD, 33), VIRTIO_BLK_S_UNSUPP);
	vufront_close(f);
	assert_still_serving();
}

static void test_write_then_read_reaches_the_file(void **state)
{
	struct vufront *c = set_up(sock0, 2);
	uint8_t *out = disk_front_buf(c, 0, 0), *in = disk_front_buf(c, 1, 0);
	char back[4096];
	int fd;

	memset(out, 0x5a, 4096);
	memcpy(out, "vmio-integration", 16);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT, 16, 4096),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(disk_front_io(c, 1, 0, VIRTIO_BLK_T_FLUSH, 0, 0),
			 VIRTIO_BLK_S_OK);
	memset(in, 0, 4096);
	assert_int_equal(disk_front_io(c, 1, 0, VIRTIO_BLK_T_IN, 16, 4096),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(in, "vmio-integration", 16);
	assert_int_equal(in[4095], 0x5a);
	/* And the bytes are in the image file itself. */
	fd = open(img, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 16 * 512), 4096);
	close(fd);
	assert_memory_equal(back, "vmio-integration", 16);
	/* GET_ID returns the disk's id. */
	assert_int_equal(disk_front_io(c, 0, 2, VIRTIO_BLK_T_GET_ID, 0, 20),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(disk_front_buf(c, 0, 2), "d0\0", 3);
	vufront_close(c);
}

/* A new call fd is signalled once: a completion published before it came
 * (with the old fd, or none yet, as when QEMU sends SET_VRING_KICK before
 * SET_VRING_CALL) must still reach the guest. Without it a virtio-scsi
 * guest's boot hung on its first INQUIRY. */
static void test_new_call_fd_is_signalled(void **state)
{
	struct pollfd pfd = { .events = POLLIN };
	struct vufront *c = set_up(sock0, 1);
	uint64_t u = 0, n = 0;
	int fresh;

	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 4096),
			 VIRTIO_BLK_S_OK);
	fresh = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(fresh >= 0);
	assert_int_equal(vufront_send_msg(c, VHOST_USER_SET_VRING_CALL, 0, &u, 8,
					  &fresh, 1), 0);
	pfd.fd = fresh;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(read(fresh, &n, sizeof(n)), (ssize_t)sizeof(n));
	assert_true(n >= 1);
	/* And the queue still serves, now calling the new fd. */
	assert_int_equal(disk_front_io(c, 0, 1, VIRTIO_BLK_T_IN, 8, 4096),
			 VIRTIO_BLK_S_OK);
	close(fresh);
	vufront_close(c);
}

static void test_bad_requests_get_error_status(void **state)
{
	struct vufront *c = set_up(sock0, 1);

	/* Past the end, straddling the end, unaligned length, unknown type. */
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, DISK_BYTES / 512,
				       512), VIRTIO_BLK_S_IOERR);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT,
				       DISK_BYTES / 512 - 1, 1024),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, UINT64_MAX, 512),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 100),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(disk_front_io(c, 0, 0, 77, 0, 512), VIRTIO_BLK_S_UNSUPP);
	/* The queue still works afterwards. */
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 512),
			 VIRTIO_BLK_S_OK);
	vufront_close(c);
}

static void test_read_only_disk(void **state)
{
	struct vufront *c = set_up(sock2, 1);
	uint8_t *data = disk_front_buf(c, 0, 0);

	/* GET_FEATURES offered RO. */
	assert_true(vufront_info(c)->offered_features & (1ull << VIRTIO_BLK_F_RO));
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT, 0, 512),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 8 * 3, 4096),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(data[0], 'D');
	assert_int_equal(data[4095], 'D');
	vufront_close(c);
}

static void test_slow_device_holds_completions(void **state)
{
	struct vufront *c = set_up(sock3, 1);
	struct timespec a, b;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 4096),
			 VIRTIO_BLK_S_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	assert_true(ms >= 20.0);
	assert_true(ms < 1000.0);
	vufront_close(c);
}

/* A raw request's pieces on queue 0: its header and status byte in the
 * queue's scratch page (status 32 bytes in), descriptors from the first
 * raw one. */
struct raw_req {
	struct vufront_queue *q;
	struct vring_desc *d;
	uint16_t head;
	struct virtio_blk_outhdr *hdr;
	uint8_t *status;
	uint64_t hdr_gpa, status_gpa;
};

static struct raw_req raw_req(struct vufront *c)
{
	struct raw_req r = { .q = vufront_queue(c, 0) };

	r.d = vufront_desc(r.q);
	r.head = (uint16_t)vufront_raw_first(r.q);
	r.hdr = vufront_scratch(r.q, NULL);
	r.status = (uint8_t *)r.hdr + 32;
	r.hdr_gpa = vufront_gpa(c, r.hdr);
	r.status_gpa = vufront_gpa(c, r.status);
	return r;
}

/* Publishes head, kicks and waits for its completion. */
static struct vring_used_elem raw_run(struct raw_req *r, uint16_t head)
{
	struct vring_used_elem e = { .id = UINT32_MAX };

	vufront_raw_avail(r->q, head);
	vufront_kick_force(r->q);
	assert_int_equal(vufront_raw_wait(r->q, &e, 3000), 1);
	return e;
}

static void test_chain_outside_memory_completes_empty(void **state)
{
	struct vufront *c = set_up(sock0, 1);
	struct raw_req r = raw_req(c);
	uint16_t h = r.head;
	struct vring_used_elem e;

	/* A data buffer far outside guest memory (which starts at 1 GiB). */
	r.d[h] = (struct vring_desc){ r.hdr_gpa, 16, VRING_DESC_F_NEXT, h + 1 };
	r.d[h + 1] = (struct vring_desc){ 0x1000, 4096,
					  VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
					  h + 2 };
	r.d[h + 2] = (struct vring_desc){ r.status_gpa, 1, VRING_DESC_F_WRITE, 0 };
	e = raw_run(&r, h);
	assert_int_equal(e.id, h);
	assert_int_equal(e.len, 0);
	/* A looping chain. */
	r.d[h + 3] = (struct vring_desc){ r.hdr_gpa, 16, VRING_DESC_F_NEXT, h + 4 };
	r.d[h + 4] = (struct vring_desc){ r.hdr_gpa, 16, VRING_DESC_F_NEXT, h + 3 };
	e = raw_run(&r, h + 3);
	assert_int_equal(e.id, h + 3);
	/* Good requests still work. */
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 512),
			 VIRTIO_BLK_S_OK);
	vufront_close(c);
	assert_still_serving();
}

static void test_corrupt_ring_stops_only_that_queue(void **state)
{
	struct vufront *c = set_up(sock0, 2);
	struct vufront_queue *q0 = vufront_queue(c, 0);

	vufront_raw_set_avail_idx(q0, vufront_queue_size(q0) + 5);
	vufront_kick_force(q0);
	usleep(50000);
	/* Queue 1 of the same disk keeps working. */
	assert_int_equal(disk_front_io(c, 1, 0, VIRTIO_BLK_T_IN, 0, 512),
			 VIRTIO_BLK_S_OK);
	vufront_close(c);
	/* A new connection gets a clean device. */
	c = set_up(sock0, 1);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 512),
			 VIRTIO_BLK_S_OK);
	vufront_close(c);
}

static void test_reset_device_keeps_memory(void **state)
{
	struct vufront *c = set_up(sock0, 1);

	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 512),
			 VIRTIO_BLK_S_OK);
	/* A virtio reset: the rings go, memory and features stay (QEMU's
	 * vhost-user-scsi sends nothing else before starting rings again). */
	assert_int_equal(vufront_send_msg(c, VHOST_USER_RESET_DEVICE, 0, NULL, 0,
					  NULL, 0), 0);
	assert_int_equal(vufront_restart_queue(vufront_queue(c, 0)), 0);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 0, 512),
			 VIRTIO_BLK_S_OK);
	vufront_close(c);
}

/* Sends a memory-region message and waits for its ack, as QEMU does: the
 * next kick may reach a reactor before the control thread has read an
 * unacknowledged message. */
static void send_region_acked(struct vufront *c, uint32_t req,
			      struct vhost_user_single_mem_region *reg, int *fd)
{
	uint64_t status = UINT64_MAX;

	assert_int_equal(vufront_send_msg(c, req, VHOST_USER_NEED_REPLY_MASK,
					  reg, sizeof(*reg), fd, fd ? 1 : 0), 0);
	assert_int_equal(vufront_recv_ack(c, req, 3000, &status), 0);
	assert_int_equal(status, 0);
}

/* A read of sector 16 into gpa (4K) with descriptors from head on;
 * returns the used length (0: refused as outside guest memory). */
static int read_into(struct vufront *c, uint64_t gpa, uint16_t head)
{
	struct raw_req r = raw_req(c);
	struct vring_used_elem e;

	*r.hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = 16 };
	*r.status = 0xff;
	r.d[head] = (struct vring_desc){ r.hdr_gpa, 16, VRING_DESC_F_NEXT, head + 1 };
	r.d[head + 1] = (struct vring_desc){ gpa, 4096,
					     VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
					     head + 2 };
	r.d[head + 2] = (struct vring_desc){ r.status_gpa, 1, VRING_DESC_F_WRITE, 0 };
	e = raw_run(&r, head);
	assert_int_equal(e.id, head);
	return *r.status == VIRTIO_BLK_S_OK ? (int)e.len : 0;
}

/* Memory-table changes while the queues run: a region added later serves
 * I/O, a removed one no longer does, and the first one never stops. With
 * --fixed-buffers on (the vmiod_socket_fixed_buffers run) every change
 * re-registers the table, so this also checks the registrations follow
 * ADD_MEM_REG and REM_MEM_REG. */
static void test_memory_regions_added_and_removed(void **state)
{
	const uint64_t gpa2 = DISK_FRONT_GPA + 0x10000000, size2 = 1 << 20;
	struct vhost_user_single_mem_region reg = { 0 };
	struct vufront *c = set_up(sock0, 1);
	uint8_t *mem2, *data = disk_front_buf(c, 0, 0);
	uint16_t raw = (uint16_t)vufront_raw_first(vufront_queue(c, 0));
	int fd2;

	memset(data, 0, 4096);
	memcpy(data, "region-one", 10);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_OUT, 16, 4096),
			 VIRTIO_BLK_S_OK);

	fd2 = memfd_create("guest-region-2", MFD_CLOEXEC);
	assert_true(fd2 >= 0);
	assert_int_equal(ftruncate(fd2, (off_t)size2), 0);
	mem2 = mmap(NULL, size2, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	assert_true(mem2 != MAP_FAILED);
	reg.region = (struct vhost_user_mem_region){ gpa2, size2,
						     (uint64_t)(uintptr_t)mem2, 0 };
	send_region_acked(c, VHOST_USER_ADD_MEM_REG, &reg, &fd2);
	/* The new region takes the read; the bytes are the image's. */
	assert_int_equal(read_into(c, gpa2 + 8192, raw), 4097);
	assert_memory_equal(mem2 + 8192, "region-one", 10);

	send_region_acked(c, VHOST_USER_REM_MEM_REG, &reg, NULL);
	memset(mem2, 0, size2);
	/* Gone: the same read is refused, and nothing lands in it. */
	assert_int_equal(read_into(c, gpa2 + 8192, raw + 3), 0);
	assert_int_equal(mem2[8192], 0);
	/* Region one still serves. */
	memset(data, 0, 4096);
	assert_int_equal(disk_front_io(c, 0, 0, VIRTIO_BLK_T_IN, 16, 4096),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(data, "region-one", 10);
	munmap(mem2, size2);
	close(fd2);
	vufront_close(c);
	assert_still_serving();
}

/* A header as sent, whatever its size field claims. */
static void send_header(struct vufront *c, uint32_t req, uint32_t flags,
			uint32_t size)
{
	struct vhost_user_header h = { req, flags, size };

	assert_int_equal(vufront_raw_send(c, &h, sizeof(h), NULL, 0), 0);
}

static void test_oversized_payload_closes_connection(void **state)
{
	struct vufront *c = attach(sock0);

	send_header(c, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 0x7fffffff);
	assert_true(vufront_peer_closed(c, 2000));
	vufront_close(c);
	assert_still_serving();
}

/* One message on a fresh connection, which vmiod must close. */
static void closes_connection(uint32_t req, const void *payload,
			      uint32_t size)
{
	struct vufront *c = attach(sock0);

	assert_int_equal(vufront_send_msg(c, req, 0, payload, size, NULL, 0), 0);
	assert_true(vufront_peer_closed(c, 2000));
	vufront_close(c);
}

static void test_wrong_sizes_and_fds_close_connection(void **state)
{
	struct vhost_user_mem_table t = { .nregions = 2 };
	struct vhost_user_vring_state past_queues = { 9, 64 }, odd_size = { 0, 100 };
	struct vufront *c;
	uint64_t u = 0;

	/* SET_FEATURES with 4 bytes instead of 8. */
	closes_connection(VHOST_USER_SET_FEATURES, &u, 4);
	/* A memory table naming two regions with no fds. */
	closes_connection(VHOST_USER_SET_MEM_TABLE, &t,
			  8 + 2 * sizeof(t.regions[0]));
	/* A vring index past the device's queues. */
	closes_connection(VHOST_USER_SET_VRING_NUM, &past_queues,
			  sizeof(past_queues));
	/* A ring size that is not a power of two. */
	closes_connection(VHOST_USER_SET_VRING_NUM, &odd_size, sizeof(odd_size));
	/* A bad protocol version. */
	c = attach(sock0);
	send_header(c, VHOST_USER_GET_FEATURES, 0x2, 0);
	assert_true(vufront_peer_closed(c, 2000));
	vufront_close(c);
	assert_still_serving();
}

/* Sends req asking for an ack and returns the ack's status. */
static uint64_t acked(struct vufront *c, uint32_t req, const void *payload,
		      uint32_t size)
{
	uint64_t status = 0;

	assert_int_equal(vufront_send_msg(c, req, VHOST_USER_NEED_REPLY_MASK,
					  payload, size, NULL, 0), 0);
	assert_int_equal(vufront_recv_ack(c, req, ANSWER_MS, &status), 0);
	return status;
}

static void test_unknown_request_is_refused_with_ack(void **state)
{
	uint64_t f = 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK;
	struct vufront *c = attach(sock0);

	assert_int_equal(vufront_send_msg(c, VHOST_USER_SET_PROTOCOL_FEATURES, 0,
					  &f, 8, NULL, 0), 0);
	assert_int_not_equal(acked(c, 99, NULL, 0), 0);
	/* A valid request acks 0, and the connection lives on. */
	assert_int_equal(acked(c, VHOST_USER_SET_OWNER, NULL, 0), 0);
	/* Acking features that were never offered fails. */
	f = 1ull << 63;
	assert_int_not_equal(acked(c, VHOST_USER_SET_FEATURES, &f, 8), 0);
	vufront_close(c);
}

static void test_stalled_client_does_not_block_others(void **state)
{
	struct vufront *stalled = attach(sock0);
	uint32_t partial = VHOST_USER_GET_FEATURES;

	/* Four bytes of a header, then silence. */
	assert_int_equal(vufront_raw_send(stalled, &partial, 4, NULL, 0), 0);
	assert_still_serving();
	vufront_close(stalled);
}

/* A front-end that connects, hangs up and connects again at once (a
 * start-up probe, then the real front-end) is served the second time,
 * not refused as a second front-end because vmiod had not yet read the
 * first one's hang-up. (vufront_attach, unlike vufront_connect, does not
 * retry a refused connection.) */
static void test_quick_reconnect_is_served(void **state)
{
	for (int i = 0; i < 200; i++) {
		struct vufront *c;
		uint64_t f;

		vufront_close(attach(sock1));
		c = attach(sock1);
		if (vufront_get_u64(c, VHOST_USER_GET_FEATURES, &f) != 0)
			fail_msg("reconnection %d was refused", i);
		vufront_close(c);
	}
}

static void test_second_connection_is_refused(void **state)
{
	struct vufront *a = attach(sock0), *b;
	uint64_t f;

	assert_int_equal(vufront_get_u64(a, VHOST_USER_GET_FEATURES, &f), 0);
	b = attach(sock0);
	assert_true(vufront_peer_closed(b, 2000));
	assert_int_equal(vufront_get_u64(a, VHOST_USER_GET_FEATURES, &f), 0);
	vufront_close(b);
	vufront_close(a);
}

static void test_many_fds_are_refused(void **state)
{
	struct vufront *c;
	int fds[12];

	for (int i = 0; i < 12; i++)
		fds[i] = dup(0);
	c = attach(sock0);
	assert_int_equal(vufront_send_msg(c, VHOST_USER_GET_FEATURES, 0, NULL, 0,
					  fds, 12), 0);
	assert_true(vufront_peer_closed(c, 2000));
	vufront_close(c);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
	assert_still_serving();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation_answers),
		cmocka_unit_test(test_config_space),
		cmocka_unit_test(test_discard_ranges_within_the_offer),
		cmocka_unit_test(test_write_then_read_reaches_the_file),
		cmocka_unit_test(test_new_call_fd_is_signalled),
		cmocka_unit_test(test_bad_requests_get_error_status),
		cmocka_unit_test(test_read_only_disk),
		cmocka_unit_test(test_slow_device_holds_completions),
		cmocka_unit_test(test_chain_outside_memory_completes_empty),
		cmocka_unit_test(test_corrupt_ring_stops_only_that_queue),
		cmocka_unit_test(test_reset_device_keeps_memory),
		cmocka_unit_test(test_memory_regions_added_and_removed),
		cmocka_unit_test(test_oversized_payload_closes_connection),
		cmocka_unit_test(test_wrong_sizes_and_fds_close_connection),
		cmocka_unit_test(test_unknown_request_is_refused_with_ack),
		cmocka_unit_test(test_stalled_client_does_not_block_others),
		cmocka_unit_test(test_quick_reconnect_is_served),
		cmocka_unit_test(test_second_connection_is_refused),
		cmocka_unit_test(test_many_fds_are_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
