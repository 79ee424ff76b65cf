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
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <cmocka.h>

#include "vu_client.h"

#define DISK_BYTES (8u << 20)
#define DATA_OFF 0x200000

static char dir[256], img[300], ro_img[300], sock0[300], sock1[300], sock2[300], sock3[300];
static pid_t vmiod;

static int group_setup(void **state)
{
	char d0[1024], d1[1024], d2[1024], d3[1024];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/vmio-it-XXXXXX");
	if (!mkdtemp(dir))
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
	snprintf(d1, sizeof(d1), "id=d1,backend=null,size=1G,socket=%s", sock1);
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

		vmiod = vc_spawn_vmiod(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vc_stop_vmiod(vmiod);
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return -1;
	/* SIGTERM must end vmiod cleanly. */
	return status == 0 ? 0 : -1;
}

/* The daemon survived and still serves another disk. */
static void assert_still_serving(void)
{
	struct vc c;
	uint64_t f;

	assert_true(vc_alive(vmiod));
	assert_int_equal(vc_connect(&c, sock1), 0);
	assert_int_equal(vc_get_u64(&c, VHOST_USER_GET_FEATURES, &f), 0);
	assert_true(f & (1ull << VIRTIO_F_VERSION_1));
	vc_close(&c);
}

static void test_negotiation_answers(void **state)
{
	struct vc c;
	uint64_t v;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_get_u64(&c, VHOST_USER_GET_FEATURES, &v), 0);
	assert_true(v & (1ull << VIRTIO_F_VERSION_1));
	assert_true(v & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	assert_true(v & (1ull << VIRTIO_RING_F_EVENT_IDX));
	assert_true(v & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	assert_true(v & (1ull << VIRTIO_BLK_F_MQ));
	assert_true(v & (1ull << VIRTIO_BLK_F_FLUSH));
	assert_true(v & (1ull << VIRTIO_BLK_F_DISCARD));
	assert_true(v & (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(v & (1ull << VIRTIO_BLK_F_RO));
	assert_int_equal(vc_get_u64(&c, VHOST_USER_GET_PROTOCOL_FEATURES, &v), 0);
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_MQ));
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	assert_true(v & (1ull << VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS));
	assert_int_equal(vc_get_u64(&c, VHOST_USER_GET_QUEUE_NUM, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(vc_get_u64(&c, VHOST_USER_GET_MAX_MEM_SLOTS, &v), 0);
	assert_int_equal(v, 509);
	vc_close(&c);
}

static void get_config(const char *sock, struct virtio_blk_config *cfg)
{
	struct vhost_user_config req = { .offset = 0, .size = sizeof(*cfg) };
	struct vhost_user_msg m;
	struct vc c;

	assert_int_equal(vc_connect(&c, sock), 0);
	assert_int_equal(vc_send(&c, VHOST_USER_GET_CONFIG, &req,
				 VHOST_USER_CONFIG_HDR_SIZE + sizeof(*cfg), NULL, 0), 0);
	assert_int_equal(vc_recv(&c, &m, 2000),
			 VHOST_USER_CONFIG_HDR_SIZE + sizeof(*cfg));
	memcpy(cfg, m.payload.config.payload, sizeof(*cfg));
	vc_close(&c);
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
	get_config(sock1, &cfg);
	assert_int_equal(cfg.capacity, (1ull << 30) / 512);
	get_config(sock2, &cfg);
	assert_int_equal(cfg.capacity, 256 * 4096 / 512);
}

static void test_write_then_read_reaches_the_file(void **state)
{
	uint8_t *data;
	char back[4096];
	struct vc c;
	int fd;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 2), 0);
	data = vc_ptr(&c, DATA_OFF);
	memset(data, 0x5a, 4096);
	memcpy(data, "vmio-integration", 16);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_OUT, 16, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(vc_blk_rw(&c, 1, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0),
			 VIRTIO_BLK_S_OK);
	memset(data, 0, 4096);
	assert_int_equal(vc_blk_rw(&c, 1, 3, VIRTIO_BLK_T_IN, 16, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(data, "vmio-integration", 16);
	assert_int_equal(data[4095], 0x5a);
	/* And the bytes are in the image file itself. */
	fd = open(img, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 16 * 512), 4096);
	close(fd);
	assert_memory_equal(back, "vmio-integration", 16);
	/* GET_ID returns the disk's id. */
	assert_int_equal(vc_blk_rw(&c, 0, 6, VIRTIO_BLK_T_GET_ID, 0, DATA_OFF, 20),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(data, "d0\0", 3);
	vc_close(&c);
}

/* A new call fd is signalled once: a completion published before it came
 * (with the old fd, or none yet, as when QEMU sends SET_VRING_KICK before
 * SET_VRING_CALL) must still reach the guest. Without it a virtio-scsi
 * guest's boot hung on its first INQUIRY. */
static void test_new_call_fd_is_signalled(void **state)
{
	struct pollfd pfd = { .events = POLLIN };
	uint64_t u = 0, n = 0;
	struct vc c;
	int fresh;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	fresh = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(fresh >= 0);
	assert_int_equal(vc_send(&c, VHOST_USER_SET_VRING_CALL, &u, 8, &fresh, 1),
			 0);
	pfd.fd = fresh;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(read(fresh, &n, sizeof(n)), (ssize_t)sizeof(n));
	assert_true(n >= 1);
	/* And the queue still serves, now calling the new fd. */
	assert_int_equal(vc_blk_rw(&c, 0, 3, VIRTIO_BLK_T_IN, 8, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	close(fresh);
	vc_close(&c);
}

static void test_bad_requests_get_error_status(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	/* Past the end, straddling the end, unaligned length, unknown type. */
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, DISK_BYTES / 512,
				   DATA_OFF, 512), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_OUT,
				   DISK_BYTES / 512 - 1, DATA_OFF, 1024),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, UINT64_MAX,
				   DATA_OFF, 512), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 100),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vc_blk_rw(&c, 0, 0, 77, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_UNSUPP);
	/* The queue still works afterwards. */
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_OK);
	vc_close(&c);
}

static void test_read_only_disk(void **state)
{
	uint8_t *data;
	struct vc c;
	uint64_t f;

	assert_int_equal(vc_connect(&c, sock2), 0);
	assert_int_equal(vc_get_u64(&c, VHOST_USER_GET_FEATURES, &f), 0);
	assert_true(f & (1ull << VIRTIO_BLK_F_RO));
	assert_int_equal(vc_setup(&c, 1), 0);
	data = vc_ptr(&c, DATA_OFF);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_OUT, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 8 * 3, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(data[0], 'D');
	assert_int_equal(data[4095], 'D');
	vc_close(&c);
}

static void test_slow_device_holds_completions(void **state)
{
	struct timespec a, b;
	struct vc c;
	double ms;

	assert_int_equal(vc_connect(&c, sock3), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	assert_true(ms >= 20.0);
	assert_true(ms < 1000.0);
	vc_close(&c);
}

static void test_chain_outside_memory_completes_empty(void **state)
{
	uint32_t id, len;
	struct vc c;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	/* A data buffer far outside guest memory. */
	vc_desc(&c, 0, 5, vc_gpa(0x100000), 16, VRING_DESC_F_NEXT, 6);
	vc_desc(&c, 0, 6, 0x1000, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 7);
	vc_desc(&c, 0, 7, vc_gpa(0x100020), 1, VRING_DESC_F_WRITE, 0);
	vc_avail(&c, 0, 5);
	assert_int_equal(vc_wait_used(&c, 0, &id, &len, 3000), 1);
	assert_int_equal(id, 5);
	assert_int_equal(len, 0);
	/* A looping chain. */
	vc_desc(&c, 0, 8, vc_gpa(0x100000), 16, VRING_DESC_F_NEXT, 9);
	vc_desc(&c, 0, 9, vc_gpa(0x100000), 16, VRING_DESC_F_NEXT, 8);
	vc_avail(&c, 0, 8);
	assert_int_equal(vc_wait_used(&c, 0, &id, &len, 3000), 1);
	assert_int_equal(id, 8);
	/* Good requests still work. */
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_OK);
	vc_close(&c);
	assert_still_serving();
}

static void test_corrupt_ring_stops_only_that_queue(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 2), 0);
	vc_set_avail_idx(&c, 0, VC_RING + 5);
	usleep(50000);
	/* Queue 1 of the same disk keeps working. */
	assert_int_equal(vc_blk_rw(&c, 1, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_OK);
	vc_close(&c);
	/* A new connection gets a clean device. */
	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_OK);
	vc_close(&c);
}

static void test_reset_device_keeps_memory(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_OK);
	/* A virtio reset: the rings go, memory and features stay (QEMU's
	 * vhost-user-scsi sends nothing else before starting rings again). */
	assert_int_equal(vc_send(&c, VHOST_USER_RESET_DEVICE, NULL, 0, NULL, 0), 0);
	assert_int_equal(vc_start_queue(&c, 0), 0);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_IN, 0, DATA_OFF, 512),
			 VIRTIO_BLK_S_OK);
	vc_close(&c);
}

/* Sends a memory-region message and waits for its ack, as QEMU does: the
 * next kick may reach a reactor before the control thread has read an
 * unacknowledged message. */
static void send_region_acked(struct vc *c, uint32_t req,
			      struct vhost_user_single_mem_region *reg, int *fd)
{
	struct vhost_user_msg m;

	assert_int_equal(vc_send_raw(c, req, VHOST_USER_VERSION |
				     VHOST_USER_NEED_REPLY_MASK, sizeof(*reg),
				     reg, sizeof(*reg), fd, fd ? 1 : 0), 0);
	assert_int_equal(vc_recv(c, &m, 3000), 8);
	assert_int_equal(m.hdr.request, req);
	assert_int_equal(m.payload.u64, 0);
}

/* A read whose data lies in region 2, into region 2's memory; returns
 * the used length (0: refused as outside guest memory) or -1. */
static int read_into(struct vc *c, uint64_t gpa, uint16_t head)
{
	uint8_t *status = vc_ptr(c, 0x100020);
	struct virtio_blk_outhdr *h = vc_ptr(c, 0x100000);
	uint32_t id, len;

	*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN, .sector = 16 };
	*status = 0xff;
	vc_desc(c, 0, head, vc_gpa(0x100000), 16, VRING_DESC_F_NEXT, head + 1);
	vc_desc(c, 0, head + 1, gpa, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
		head + 2);
	vc_desc(c, 0, head + 2, vc_gpa(0x100020), 1, VRING_DESC_F_WRITE, 0);
	vc_avail(c, 0, head);
	if (!vc_wait_used(c, 0, &id, &len, 3000) || id != head)
		return -1;
	return *status == VIRTIO_BLK_S_OK ? (int)len : 0;
}

/* Memory-table changes while the queues run: a region added later serves
 * I/O, a removed one no longer does, and the first one never stops. With
 * --fixed-buffers on (the vmiod_socket_fixed_buffers run) every change
 * re-registers the table, so this also checks the registrations follow
 * ADD_MEM_REG and REM_MEM_REG. */
static void test_memory_regions_added_and_removed(void **state)
{
	const uint64_t gpa2 = VC_GPA + 0x10000000, size2 = 1 << 20;
	struct vhost_user_single_mem_region reg = { 0 };
	uint8_t *mem2, *data;
	struct vc c;
	int fd2;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_setup(&c, 1), 0);
	data = vc_ptr(&c, DATA_OFF);
	memset(data, 0, 4096);
	memcpy(data, "region-one", 10);
	assert_int_equal(vc_blk_rw(&c, 0, 0, VIRTIO_BLK_T_OUT, 16, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);

	fd2 = memfd_create("vc-guest-2", MFD_CLOEXEC);
	assert_true(fd2 >= 0);
	assert_int_equal(ftruncate(fd2, (off_t)size2), 0);
	mem2 = mmap(NULL, size2, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	assert_true(mem2 != MAP_FAILED);
	reg.region = (struct vhost_user_mem_region){ gpa2, size2,
						     VC_QVA + 0x10000000, 0 };
	send_region_acked(&c, VHOST_USER_ADD_MEM_REG, &reg, &fd2);
	/* The new region takes the read; the bytes are the image's. */
	assert_int_equal(read_into(&c, gpa2 + 8192, 3), 4097);
	assert_memory_equal(mem2 + 8192, "region-one", 10);

	send_region_acked(&c, VHOST_USER_REM_MEM_REG, &reg, NULL);
	memset(mem2, 0, size2);
	/* Gone: the same read is refused, and nothing lands in it. */
	assert_int_equal(read_into(&c, gpa2 + 8192, 6), 0);
	assert_int_equal(mem2[8192], 0);
	/* Region one still serves. */
	memset(data, 0, 4096);
	assert_int_equal(vc_blk_rw(&c, 0, 9, VIRTIO_BLK_T_IN, 16, DATA_OFF, 4096),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(data, "region-one", 10);
	munmap(mem2, size2);
	close(fd2);
	vc_close(&c);
	assert_still_serving();
}

static void test_oversized_payload_closes_connection(void **state)
{
	struct vc c;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_send_raw(&c, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION,
				     0x7fffffff, NULL, 0, NULL, 0), 0);
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	assert_still_serving();
}

static void test_wrong_sizes_and_fds_close_connection(void **state)
{
	struct vhost_user_mem_table t = { .nregions = 2 };
	uint64_t u = 0;
	struct vc c;

	/* SET_FEATURES with 4 bytes instead of 8. */
	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_send(&c, VHOST_USER_SET_FEATURES, &u, 4, NULL, 0), 0);
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	/* A memory table naming two regions with no fds. */
	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_send(&c, VHOST_USER_SET_MEM_TABLE, &t,
				 8 + 2 * sizeof(t.regions[0]), NULL, 0), 0);
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	/* A vring index past the device's queues. */
	assert_int_equal(vc_connect(&c, sock0), 0);
	{
		struct vhost_user_vring_state st = { 9, 64 };

		assert_int_equal(vc_send(&c, VHOST_USER_SET_VRING_NUM, &st,
					 sizeof(st), NULL, 0), 0);
	}
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	/* A ring size that is not a power of two. */
	assert_int_equal(vc_connect(&c, sock0), 0);
	{
		struct vhost_user_vring_state st = { 0, 100 };

		assert_int_equal(vc_send(&c, VHOST_USER_SET_VRING_NUM, &st,
					 sizeof(st), NULL, 0), 0);
	}
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	/* A bad protocol version. */
	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_send_raw(&c, VHOST_USER_GET_FEATURES, 0x2, 0, NULL, 0,
				     NULL, 0), 0);
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	assert_still_serving();
}

static void test_unknown_request_is_refused_with_ack(void **state)
{
	uint64_t f = 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK;
	struct vhost_user_msg m;
	struct vc c;

	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_send(&c, VHOST_USER_SET_PROTOCOL_FEATURES, &f, 8,
				 NULL, 0), 0);
	assert_int_equal(vc_send_raw(&c, 99, VHOST_USER_VERSION |
				     VHOST_USER_NEED_REPLY_MASK, 0, NULL, 0,
				     NULL, 0), 0);
	assert_int_equal(vc_recv(&c, &m, 2000), 8);
	assert_int_not_equal(m.payload.u64, 0);
	/* A valid request acks 0, and the connection lives on. */
	f = 0;
	assert_int_equal(vc_send_raw(&c, VHOST_USER_SET_OWNER, VHOST_USER_VERSION |
				     VHOST_USER_NEED_REPLY_MASK, 0, NULL, 0,
				     NULL, 0), 0);
	assert_int_equal(vc_recv(&c, &m, 2000), 8);
	assert_int_equal(m.payload.u64, 0);
	/* Acking features that were never offered fails. */
	f = 1ull << 63;
	assert_int_equal(vc_send_raw(&c, VHOST_USER_SET_FEATURES, VHOST_USER_VERSION |
				     VHOST_USER_NEED_REPLY_MASK, 8, &f, 8,
				     NULL, 0), 0);
	assert_int_equal(vc_recv(&c, &m, 2000), 8);
	assert_int_not_equal(m.payload.u64, 0);
	vc_close(&c);
}

static void test_stalled_client_does_not_block_others(void **state)
{
	struct vc stalled;
	uint32_t partial = VHOST_USER_GET_FEATURES;

	assert_int_equal(vc_connect(&stalled, sock0), 0);
	/* Four bytes of a header, then silence. */
	assert_int_equal(send(stalled.fd, &partial, 4, 0), 4);
	assert_still_serving();
	vc_close(&stalled);
}

/* A front-end that connects, hangs up and connects again at once (a
 * start-up probe, then the real front-end) is served the second time,
 * not refused as a second front-end because vmiod had not yet read the
 * first one's hang-up. */
static void test_quick_reconnect_is_served(void **state)
{
	for (int i = 0; i < 200; i++) {
		struct vc probe, c;
		uint64_t f;

		assert_int_equal(vc_connect(&probe, sock1), 0);
		vc_close(&probe);
		assert_int_equal(vc_connect(&c, sock1), 0);
		if (vc_get_u64(&c, VHOST_USER_GET_FEATURES, &f) != 0)
			fail_msg("reconnection %d was refused", i);
		vc_close(&c);
	}
}

static void test_second_connection_is_refused(void **state)
{
	struct vc a, b;
	uint64_t f;

	assert_int_equal(vc_connect(&a, sock0), 0);
	assert_int_equal(vc_get_u64(&a, VHOST_USER_GET_FEATURES, &f), 0);
	assert_int_equal(vc_connect(&b, sock0), 0);
	assert_true(vc_closed_by_peer(&b, 2000));
	assert_int_equal(vc_get_u64(&a, VHOST_USER_GET_FEATURES, &f), 0);
	vc_close(&b);
	vc_close(&a);
}

static void test_many_fds_are_refused(void **state)
{
	int fds[12];
	struct vc c;

	for (int i = 0; i < 12; i++)
		fds[i] = dup(0);
	assert_int_equal(vc_connect(&c, sock0), 0);
	assert_int_equal(vc_send(&c, VHOST_USER_GET_FEATURES, NULL, 0, fds, 12), 0);
	assert_true(vc_closed_by_peer(&c, 2000));
	vc_close(&c);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
	assert_still_serving();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiation_answers),
		cmocka_unit_test(test_config_space),
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
