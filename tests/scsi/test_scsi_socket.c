/* SPDX-License-Identifier: MIT */
/*
 * The virtio-scsi device over a real vhost-user socket, driven by the
 * test front-end in tests/integration: config space, SCSI commands on two
 * request queues reaching the image files, UNMAP punching holes, task
 * management, hotplug events, and hostile requests. The target must answer
 * each and stay alive.
 *
 * Usage: test_scsi_socket TARGET_BINARY
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_scsi.h>
#include <cmocka.h>

#include "vu_client.h"

#define IMG_BYTES (8u << 20)
#define CTRLQ 0
#define EVENTQ 1
#define REQ0 2
#define REQ1 3
/* Guest memory: headers at HDR, data at DATA (rings sit below 1 MiB). */
#define HDR 0x100000
#define DATA 0x200000

static char dir[256], img0[300], img1[300], img2[300], sock[300], rosock[300];
static pid_t target, rotarget;
static struct vc vc;
static const char *target_bin;

struct scsi_result {
	int used;               /* used length, -1 on timeout */
	struct virtio_scsi_cmd_resp resp;
};

static int make_image(const char *path, uint32_t bytes, char fill)
{
	char buf[4096];
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	memset(buf, fill, sizeof(buf));
	for (uint32_t off = 0; off < bytes; off += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return -1;
	return close(fd);
}

static pid_t spawn(const char *opts, const char *s, const char *hotplug)
{
	const char *args[] = { "--scsi", opts, "--reactors", "2", "--hotplug",
			       hotplug, NULL };
	const char *socks[] = { s, NULL };

	setenv("VMIOD", target_bin, 1);
	return vc_spawn_vmiod(args, socks);
}

static int group_setup(void **state)
{
	char opts[1024], ro[1024], hp[400];

	snprintf(dir, sizeof(dir), "/tmp/vmio-scsi-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(img0, sizeof(img0), "%s/lun0.img", dir);
	snprintf(img1, sizeof(img1), "%s/lun1.img", dir);
	snprintf(img2, sizeof(img2), "%s/lun2.img", dir);
	snprintf(sock, sizeof(sock), "%s/scsi.sock", dir);
	snprintf(rosock, sizeof(rosock), "%s/ro.sock", dir);
	if (make_image(img0, IMG_BYTES, 'A') || make_image(img1, IMG_BYTES, 'B') ||
	    make_image(img2, IMG_BYTES / 2, 'C'))
		return -1;
	snprintf(opts, sizeof(opts), "id=s0,socket=%s,queues=2,lun0=%s,lun1=%s,"
		 "direct=off", sock, img0, img1);
	snprintf(ro, sizeof(ro), "id=r0,socket=%s,lun0=%s,ro=on", rosock, img2);
	snprintf(hp, sizeof(hp), "2=%s", img2);
	target = spawn(opts, sock, hp);
	rotarget = spawn(ro, rosock, hp);
	if (target <= 0 || rotarget <= 0)
		return -1;
	if (vc_connect(&vc, sock) || vc_setup(&vc, 4))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[300];
	int st0, st1;

	vc_close(&vc);
	st0 = vc_stop_vmiod(target);
	st1 = vc_stop_vmiod(rotarget);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return -1;
	return st0 == 0 && st1 == 0 ? 0 : -1;
}

static void lun_addr(uint8_t *l, unsigned int target_id, unsigned int lun)
{
	memset(l, 0, 8);
	l[0] = 1;
	l[1] = (uint8_t)target_id;
	l[2] = 0x40 | (lun >> 8);
	l[3] = lun & 0xff;
}

/*
 * One command: request header, optional data-out, response header,
 * optional data-in, as separate descriptors from `base`. dout/din are
 * lengths of data at DATA (only one may be non-zero).
 */
static struct scsi_result cmd_on(struct vc *c, unsigned int q, unsigned int lun,
				 const uint8_t *cdb, size_t cdb_len,
				 uint32_t dout, uint32_t din)
{
	struct virtio_scsi_cmd_req *req = vc_ptr(c, HDR);
	struct virtio_scsi_cmd_resp *resp = vc_ptr(c, HDR + 0x100);
	struct scsi_result r = { .used = -1 };
	uint16_t d = 0;
	uint32_t id, len;

	memset(req, 0, sizeof(*req));
	memset(resp, 0xee, sizeof(*resp));
	lun_addr(req->lun, 0, lun);
	req->tag = 0x1234;
	memcpy(req->cdb, cdb, cdb_len);
	vc_desc(c, q, d, vc_gpa(HDR), sizeof(*req), VRING_DESC_F_NEXT, d + 1);
	d++;
	if (dout) {
		vc_desc(c, q, d, vc_gpa(DATA), dout, VRING_DESC_F_NEXT, d + 1);
		d++;
	}
	vc_desc(c, q, d, vc_gpa(HDR + 0x100), sizeof(*resp),
		VRING_DESC_F_WRITE | (din ? VRING_DESC_F_NEXT : 0), d + 1);
	d++;
	if (din)
		vc_desc(c, q, d, vc_gpa(DATA), din, VRING_DESC_F_WRITE, 0);
	vc_avail(c, q, 0);
	if (vc_wait_used(c, q, &id, &len, 5000) && id == 0) {
		r.used = (int)len;
		r.resp = *resp;
	}
	return r;
}

static struct scsi_result cmd(unsigned int lun, const uint8_t *cdb,
			      size_t cdb_len, uint32_t dout, uint32_t din)
{
	return cmd_on(&vc, REQ0, lun, cdb, cdb_len, dout, din);
}

static uint8_t *data(void)
{
	return vc_ptr(&vc, DATA);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void assert_good(const struct scsi_result *r)
{
	assert_true(r->used >= (int)sizeof(r->resp));
	assert_int_equal(r->resp.response, VIRTIO_SCSI_S_OK);
	assert_int_equal(r->resp.status, 0);
	assert_int_equal(r->resp.sense_len, 0);
}

static void assert_check(const struct scsi_result *r, uint8_t key, uint8_t asc)
{
	assert_int_equal(r->resp.response, VIRTIO_SCSI_S_OK);
	assert_int_equal(r->resp.status, 2);
	assert_int_equal(r->resp.sense_len, 18);
	assert_int_equal(r->resp.sense[2] & 0x0f, key);
	assert_int_equal(r->resp.sense[12], asc);
}

static void test_config(void **s)
{
	struct vhost_user_msg m;
	struct vhost_user_config cfg = { .offset = 0, .size = 36 };
	struct virtio_scsi_config *c;

	assert_true(vc.features & (1ull << VIRTIO_SCSI_F_HOTPLUG));
	assert_true(vc.features & (1ull << VIRTIO_F_VERSION_1));
	assert_int_equal(vc_send(&vc, VHOST_USER_GET_CONFIG, &cfg, 12 + 36,
				 NULL, 0), 0);
	assert_int_equal(vc_recv(&vc, &m, 2000), 12 + 36);
	c = (struct virtio_scsi_config *)m.payload.config.payload;
	assert_int_equal(c->num_queues, 2);
	assert_int_equal(c->sense_size, 96);
	assert_int_equal(c->cdb_size, 32);
	assert_int_equal(c->max_target, 0);
	assert_int_equal(c->event_info_size, 16);
	assert_true(c->max_lun >= 1);
}

static void test_inquiry_and_luns(void **s)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96 };
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct scsi_result r = cmd(0, inq, 6, 0, 96);

	assert_good(&r);
	assert_int_equal(r.used, sizeof(r.resp) + 36);
	assert_int_equal(r.resp.resid, 96 - 36);
	assert_int_equal(data()[0], 0);
	assert_memory_equal(data() + 8, "VMIO    ", 8);
	r = cmd(0, rl, 12, 0, 256);
	assert_good(&r);
	assert_int_equal(data()[3], 16);           /* two LUNs */
	assert_int_equal(data()[9], 0);
	assert_int_equal(data()[17], 1);
	/* A LUN that does not exist: qualifier 3, and TUR fails. */
	r = cmd(7, inq, 6, 0, 96);
	assert_good(&r);
	assert_int_equal(data()[0], 0x7f);
	inq[0] = 0;
	r = cmd(7, inq, 6, 0, 0);
	assert_check(&r, 5, 0x25);
}

static void test_read_write(void **s)
{
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 16, 0, 0, 8 };   /* LBA 16, 8 */
	uint8_t r16[16] = { 0x88 };
	uint8_t rc16[16] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32 };
	uint8_t file[4096];
	struct scsi_result r;
	int fd;

	r = cmd(1, rc16, 16, 0, 32);
	assert_good(&r);
	assert_int_equal(data()[7] | data()[6] << 8, IMG_BYTES / 512 - 1);
	assert_int_equal(data()[14] & 0x80, 0x80);  /* LBPME */
	for (int i = 0; i < 4096; i++)
		data()[i] = (uint8_t)(i * 7);
	r = cmd(1, w10, 10, 4096, 0);
	assert_good(&r);
	/* It reached LUN 1's file, not LUN 0's. */
	fd = open(img1, O_RDONLY);
	assert_int_equal(pread(fd, file, 4096, 16 * 512), 4096);
	close(fd);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(file[i], (uint8_t)(i * 7));
	memset(data(), 0, 4096);
	r16[9] = 16;
	r16[13] = 8;
	r = cmd_on(&vc, REQ1, 1, r16, 16, 0, 4096);  /* the other queue */
	assert_good(&r);
	assert_int_equal(r.used, sizeof(r.resp) + 4096);
	assert_int_equal(r.resp.resid, 0);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(data()[i], (uint8_t)(i * 7));
	r = cmd(0, r16, 16, 0, 4096);
	assert_good(&r);
	assert_int_equal(data()[0], 'A');
	/* Past the end. */
	put32(r16 + 6, 0x10000);
	r = cmd(0, r16, 16, 0, 4096);
	assert_check(&r, 5, 0x21);
}

static uint64_t allocated(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static void test_unmap_punches_holes(void **s)
{
	uint8_t unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0x08, 0, 0, 0, 8 };   /* LBA 2048 */
	uint8_t *p = data();
	uint64_t before = allocated(img0), after;
	struct scsi_result r;

	/* One descriptor: 1 MiB from LBA 2048. */
	memset(p, 0, 24);
	p[1] = 22;
	p[3] = 16;
	p[8 + 6] = 0x08;              /* LBA 2048 */
	put32(p + 16, 2048);          /* 2048 blocks */
	r = cmd(0, unmap, 10, 24, 0);
	assert_good(&r);
	after = allocated(img0);
	assert_true(after <= before - (1u << 20));
	/* It reads back as zeroes (LBPRZ). */
	memset(p, 0xff, 4096);
	r = cmd(0, r10, 10, 0, 4096);
	assert_good(&r);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0);
	/* WRITE SAME(16) with UNMAP, zero block. */
	{
		uint8_t ws[16] = { 0x93, 0x08 };

		memset(p, 0, 512);
		ws[8] = 0x20;          /* LBA 0x2000 */
		put32(ws + 10, 2048);
		before = after;
		r = cmd(0, ws, 16, 512, 0);
		assert_good(&r);
		assert_true(allocated(img0) <= before - (1u << 20));
	}
}

static void test_read_only(void **s)
{
	struct vc ro;
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct scsi_result r;

	assert_int_equal(vc_connect(&ro, rosock), 0);
	assert_int_equal(vc_setup(&ro, 3), 0);
	r = cmd_on(&ro, REQ0, 0, w10, 10, 512, 0);
	assert_check(&r, 7, 0x27);     /* DATA PROTECT, WRITE PROTECTED */
	r = cmd_on(&ro, REQ0, 0, r10, 10, 0, 512);
	assert_good(&r);
	assert_int_equal(*(uint8_t *)vc_ptr(&ro, DATA), 'C');
	vc_close(&ro);
}

static void test_hostile_requests(void **s)
{
	uint8_t tur[6] = { 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8 };
	struct virtio_scsi_cmd_resp *resp = vc_ptr(&vc, HDR + 0x100);
	uint32_t id, len;
	struct scsi_result r;

	/* Another target. */
	{
		struct virtio_scsi_cmd_req *req = vc_ptr(&vc, HDR);

		r = cmd(0, tur, 6, 0, 0);
		assert_good(&r);
		memset(req, 0, sizeof(*req));
		lun_addr(req->lun, 5, 0);
		vc_desc(&vc, REQ0, 0, vc_gpa(HDR), sizeof(*req), VRING_DESC_F_NEXT, 1);
		vc_desc(&vc, REQ0, 1, vc_gpa(HDR + 0x100), sizeof(*resp),
			VRING_DESC_F_WRITE, 0);
		vc_avail(&vc, REQ0, 0);
		assert_int_equal(vc_wait_used(&vc, REQ0, &id, &len, 3000), 1);
		assert_int_equal(resp->response, VIRTIO_SCSI_S_BAD_TARGET);
	}
	/* A request header cut short: FAILURE, not a crash. */
	vc_desc(&vc, REQ0, 0, vc_gpa(HDR), 10, VRING_DESC_F_NEXT, 1);
	vc_desc(&vc, REQ0, 1, vc_gpa(HDR + 0x100), sizeof(*resp),
		VRING_DESC_F_WRITE, 0);
	vc_avail(&vc, REQ0, 0);
	assert_int_equal(vc_wait_used(&vc, REQ0, &id, &len, 3000), 1);
	assert_int_equal(resp->response, VIRTIO_SCSI_S_FAILURE);
	/* No room for a response: handed back empty. */
	vc_desc(&vc, REQ0, 0, vc_gpa(HDR), 51, VRING_DESC_F_NEXT, 1);
	vc_desc(&vc, REQ0, 1, vc_gpa(HDR + 0x100), 20, VRING_DESC_F_WRITE, 0);
	vc_avail(&vc, REQ0, 0);
	assert_int_equal(vc_wait_used(&vc, REQ0, &id, &len, 3000), 1);
	assert_int_equal(len, 0);
	/* A descriptor pointing outside guest memory. */
	vc_desc(&vc, REQ0, 0, 0xdead00000000ull, 51, 0, 0);
	vc_avail(&vc, REQ0, 0);
	assert_int_equal(vc_wait_used(&vc, REQ0, &id, &len, 3000), 1);
	assert_int_equal(len, 0);
	/* A read into a buffer too small for it. */
	r = cmd(0, r10, 10, 0, 512);
	assert_check(&r, 5, 0x24);
	/* Response header split over three descriptors, still answered. */
	{
		struct virtio_scsi_cmd_req *req = vc_ptr(&vc, HDR);

		memset(req, 0, sizeof(*req));
		lun_addr(req->lun, 0, 0);
		req->cdb[0] = 0x12;
		req->cdb[4] = 36;
		vc_desc(&vc, REQ0, 0, vc_gpa(HDR), 20, VRING_DESC_F_NEXT, 1);
		vc_desc(&vc, REQ0, 1, vc_gpa(HDR + 20), 31, VRING_DESC_F_NEXT, 2);
		vc_desc(&vc, REQ0, 2, vc_gpa(HDR + 0x100), 5,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
		vc_desc(&vc, REQ0, 3, vc_gpa(HDR + 0x105), 100,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
		vc_desc(&vc, REQ0, 4, vc_gpa(HDR + 0x169), 3 + 36,
			VRING_DESC_F_WRITE, 0);
		vc_avail(&vc, REQ0, 0);
		assert_int_equal(vc_wait_used(&vc, REQ0, &id, &len, 3000), 1);
		assert_int_equal(len, sizeof(*resp) + 36);
		assert_int_equal(resp->response, 0);
		assert_int_equal(resp->status, 0);
		assert_memory_equal(vc_ptr(&vc, HDR + 0x100 + sizeof(*resp) + 8),
				    "VMIO", 4);
	}
	assert_true(vc_alive(target));
}

/* A control request: out bytes at HDR, in bytes at HDR + 0x100. */
static int ctrl(const void *req, uint32_t len, uint32_t in_len)
{
	uint32_t id, used;

	memcpy(vc_ptr(&vc, HDR), req, len);
	memset(vc_ptr(&vc, HDR + 0x100), 0xee, 16);
	vc_desc(&vc, CTRLQ, 0, vc_gpa(HDR), len, VRING_DESC_F_NEXT, 1);
	vc_desc(&vc, CTRLQ, 1, vc_gpa(HDR + 0x100), in_len, VRING_DESC_F_WRITE, 0);
	vc_avail(&vc, CTRLQ, 0);
	if (!vc_wait_used(&vc, CTRLQ, &id, &used, 3000))
		return -1;
	return (int)used;
}

static void test_task_management(void **s)
{
	struct virtio_scsi_ctrl_tmf_req tmf = {
		.type = VIRTIO_SCSI_T_TMF,
		.subtype = VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET,
	};
	struct virtio_scsi_ctrl_an_req an = { .type = VIRTIO_SCSI_T_AN_QUERY,
					      .event_requested = 0xff };
	uint8_t *in = vc_ptr(&vc, HDR + 0x100);
	uint32_t bad = 77;

	lun_addr(tmf.lun, 0, 1);
	assert_int_equal(ctrl(&tmf, sizeof(tmf), 1), 1);
	assert_int_equal(in[0], VIRTIO_SCSI_S_OK);
	tmf.subtype = VIRTIO_SCSI_T_TMF_ABORT_TASK;
	tmf.tag = 99;
	assert_int_equal(ctrl(&tmf, sizeof(tmf), 1), 1);
	assert_int_equal(in[0], VIRTIO_SCSI_S_OK);
	tmf.subtype = VIRTIO_SCSI_T_TMF_QUERY_TASK;
	assert_int_equal(ctrl(&tmf, sizeof(tmf), 1), 1);
	assert_int_equal(in[0], VIRTIO_SCSI_S_OK);
	tmf.subtype = VIRTIO_SCSI_T_TMF_CLEAR_ACA;
	assert_int_equal(ctrl(&tmf, sizeof(tmf), 1), 1);
	assert_int_equal(in[0], VIRTIO_SCSI_S_FUNCTION_REJECTED);
	tmf.subtype = VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET;
	lun_addr(tmf.lun, 0, 9);
	assert_int_equal(ctrl(&tmf, sizeof(tmf), 1), 1);
	assert_int_equal(in[0], VIRTIO_SCSI_S_INCORRECT_LUN);
	lun_addr(tmf.lun, 3, 0);
	assert_int_equal(ctrl(&tmf, sizeof(tmf), 1), 1);
	assert_int_equal(in[0], VIRTIO_SCSI_S_BAD_TARGET);
	/* Asynchronous notification: none granted. */
	lun_addr(an.lun, 0, 0);
	assert_int_equal(ctrl(&an, sizeof(an), 5), 5);
	assert_int_equal(in[4], VIRTIO_SCSI_S_OK);
	assert_int_equal(in[0] | in[1] | in[2] | in[3], 0);
	/* An unknown type and a truncated TMF are handed back empty. */
	assert_int_equal(ctrl(&bad, 4, 1), 0);
	assert_int_equal(ctrl(&tmf, 10, 1), 0);
	assert_true(vc_alive(target));
}

/* Parks one event buffer and waits for it to be filled. */
static int wait_event(struct virtio_scsi_event *ev, int sig)
{
	uint32_t id, len;

	memset(vc_ptr(&vc, HDR + 0x800), 0, sizeof(*ev));
	vc_desc(&vc, EVENTQ, 0, vc_gpa(HDR + 0x800), sizeof(*ev),
		VRING_DESC_F_WRITE, 0);
	vc_avail(&vc, EVENTQ, 0);
	if (target <= 0)
		return -1;
	kill(target, sig);
	if (!vc_wait_used(&vc, EVENTQ, &id, &len, 5000))
		return -1;
	memcpy(ev, vc_ptr(&vc, HDR + 0x800), sizeof(*ev));
	return (int)len;
}

static void test_hotplug_events(void **s)
{
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct virtio_scsi_event ev;
	struct scsi_result r;

	assert_int_equal(wait_event(&ev, SIGUSR1), sizeof(ev));
	assert_int_equal(ev.event, VIRTIO_SCSI_T_TRANSPORT_RESET);
	assert_int_equal(ev.reason, VIRTIO_SCSI_EVT_RESET_RESCAN);
	assert_int_equal(ev.lun[0], 1);
	/* The guest reads the LUN as lun[2] << 8 | lun[3] (Linux's
	 * virtscsi_get_lun): no flat-space flag below 256. */
	assert_int_equal(ev.lun[2] << 8 | ev.lun[3], 2);
	r = cmd(0, rl, 12, 0, 256);
	assert_int_equal(data()[3], 24);           /* three LUNs now */
	r = cmd_on(&vc, REQ1, 2, r10, 10, 0, 512);
	assert_good(&r);
	assert_int_equal(data()[0], 'C');
	assert_int_equal(wait_event(&ev, SIGUSR2), sizeof(ev));
	assert_int_equal(ev.reason, VIRTIO_SCSI_EVT_RESET_REMOVED);
	assert_int_equal(ev.lun[2] << 8 | ev.lun[3], 2);
	r = cmd_on(&vc, REQ1, 2, r10, 10, 0, 512);
	assert_check(&r, 5, 0x25);
	r = cmd(0, rl, 12, 0, 256);
	assert_int_equal(data()[3], 16);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_inquiry_and_luns),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_unmap_punches_holes),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_hostile_requests),
		cmocka_unit_test(test_task_management),
		cmocka_unit_test(test_hotplug_events),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s SCSI_TARGET\n", argv[0]);
		return 2;
	}
	target_bin = argv[1];
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
