/* SPDX-License-Identifier: MIT */
/*
 * The virtio-scsi device over a real vhost-user socket, driven by vufront
 * with requests laid out by hand (raw descriptors): config space, SCSI commands on two
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

#include "vmiod_proc.h"
#include "vufront/vufront_scsi.h"

#define IMG_BYTES (8u << 20)
#define CTRLQ 0
#define EVENTQ 1
#define REQ0 2
#define REQ1 3
/* In a front's guest memory: headers from HDR (request queue 0's scratch
 * page: request at 0, response at 0x100, event at 0x800) and data at
 * DATA (the buffer of its slot 0, which no slot request uses). */
#define HDR(f) ((uint8_t *)vufront_scratch(vufront_queue((f), REQ0), NULL))
#define DATA(f) ((uint8_t *)vufront_buf(vufront_queue((f), REQ0), 0))

static char dir[256], img0[300], img1[300], img2[300], sock[300], rosock[300];
static pid_t target, rotarget;
static struct vufront *vf;
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
	return vmiod_spawn(args, socks);
}

/* A front with request queues (plus control and event) of 64 entries,
 * one slot each (raw descriptors from 3 up), and no EVENT_IDX: the
 * target's interrupts and kicks are plain. */
static struct vufront *connect_front(const char *path, unsigned int queues)
{
	struct vufront_opts o = { .queues = queues, .queue_size = 64,
				  .max_inflight = 1, .max_io = 64 << 10,
				  .no_event_idx = true, .want_irq = true };
	struct vufront *f;
	char err[256];

	if (vufront_scsi_connect(path, &o, 0, &f, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return f;
}

/* Guest-physical address of byte off of f's headers. */
static uint64_t hdr_gpa(struct vufront *f, size_t off)
{
	return vufront_gpa(f, HDR(f) + off);
}

/* Raw descriptor i of vring q (counted from the first one slots never
 * use; so is next). */
static void desc(struct vufront *f, unsigned int q, uint16_t i, uint64_t gpa,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	struct vufront_queue *vq = vufront_queue(f, q);
	uint16_t base = (uint16_t)vufront_raw_first(vq);

	vufront_desc(vq)[base + i] = (struct vring_desc){ gpa, len, flags,
							  (uint16_t)(base + next) };
}

/* Makes the chain at raw descriptor 0 of vring q available, kicks and
 * waits up to timeout_ms for a completion: 1 with its id (counted as in
 * desc) and used length, 0 on timeout. */
static int run_chain(struct vufront *f, unsigned int q, uint32_t *id,
		     uint32_t *len, int timeout_ms)
{
	struct vufront_queue *vq = vufront_queue(f, q);
	uint16_t base = (uint16_t)vufront_raw_first(vq);
	struct vring_used_elem e;

	vufront_raw_avail(vq, base);
	vufront_kick_force(vq);
	if (vufront_raw_wait(vq, &e, timeout_ms) != 1)
		return 0;
	*id = e.id - base;
	*len = e.len;
	return 1;
}

static int group_setup(void **state)
{
	char opts[1024], ro[1024], hp[400];

	if (scratch_make("scsi", dir, sizeof(dir)))
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
	vf = connect_front(sock, 2);
	return vf ? 0 : -1;
}

static int group_teardown(void **state)
{
	int st0, st1;

	vufront_close(vf);
	st0 = vmiod_stop(target);
	st1 = vmiod_stop(rotarget);
	if (scratch_remove(dir))
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
static struct scsi_result cmd_on(struct vufront *c, unsigned int q,
				 unsigned int lun, const uint8_t *cdb,
				 size_t cdb_len, uint32_t dout, uint32_t din)
{
	struct virtio_scsi_cmd_req *req = (void *)HDR(c);
	struct virtio_scsi_cmd_resp *resp = (void *)(HDR(c) + 0x100);
	uint64_t data = vufront_gpa(c, DATA(c));
	struct scsi_result r = { .used = -1 };
	uint16_t d = 0;
	uint32_t id, len;

	memset(req, 0, sizeof(*req));
	memset(resp, 0xee, sizeof(*resp));
	lun_addr(req->lun, 0, lun);
	req->tag = 0x1234;
	memcpy(req->cdb, cdb, cdb_len);
	desc(c, q, d, hdr_gpa(c, 0), sizeof(*req), VRING_DESC_F_NEXT, d + 1);
	d++;
	if (dout) {
		desc(c, q, d, data, dout, VRING_DESC_F_NEXT, d + 1);
		d++;
	}
	desc(c, q, d, hdr_gpa(c, 0x100), sizeof(*resp),
	     VRING_DESC_F_WRITE | (din ? VRING_DESC_F_NEXT : 0), d + 1);
	d++;
	if (din)
		desc(c, q, d, data, din, VRING_DESC_F_WRITE, 0);
	if (run_chain(c, q, &id, &len, 5000) && id == 0) {
		r.used = (int)len;
		r.resp = *resp;
	}
	return r;
}

static struct scsi_result cmd(unsigned int lun, const uint8_t *cdb,
			      size_t cdb_len, uint32_t dout, uint32_t din)
{
	return cmd_on(vf, REQ0, lun, cdb, cdb_len, dout, din);
}

static uint8_t *data(void)
{
	return DATA(vf);
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

	const struct vufront_info *i = vufront_info(vf);

	assert_true(i->offered_features & (1ull << VIRTIO_SCSI_F_HOTPLUG));
	assert_true(i->offered_features & (1ull << VIRTIO_F_VERSION_1));
	assert_int_equal(vufront_send_msg(vf, VHOST_USER_GET_CONFIG, 0, &cfg,
					  12 + 36, NULL, 0), 0);
	assert_int_equal(vufront_recv_msg(vf, &m, 2000), 12 + 36);
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
	r = cmd_on(vf, REQ1, 1, r16, 16, 0, 4096);  /* the other queue */
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
	struct vufront *ro = connect_front(rosock, 1);
	uint8_t w10[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct scsi_result r;

	assert_non_null(ro);
	r = cmd_on(ro, REQ0, 0, w10, 10, 512, 0);
	assert_check(&r, 7, 0x27);     /* DATA PROTECT, WRITE PROTECTED */
	r = cmd_on(ro, REQ0, 0, r10, 10, 0, 512);
	assert_good(&r);
	assert_int_equal(DATA(ro)[0], 'C');
	vufront_close(ro);
}

static void test_hostile_requests(void **s)
{
	uint8_t tur[6] = { 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8 };
	struct virtio_scsi_cmd_resp *resp = (void *)(HDR(vf) + 0x100);
	uint32_t id, len;
	struct scsi_result r;

	/* Another target. */
	{
		struct virtio_scsi_cmd_req *req = (void *)HDR(vf);

		r = cmd(0, tur, 6, 0, 0);
		assert_good(&r);
		memset(req, 0, sizeof(*req));
		lun_addr(req->lun, 5, 0);
		desc(vf, REQ0, 0, hdr_gpa(vf, 0), sizeof(*req), VRING_DESC_F_NEXT, 1);
		desc(vf, REQ0, 1, hdr_gpa(vf, 0x100), sizeof(*resp),
		     VRING_DESC_F_WRITE, 0);
		assert_int_equal(run_chain(vf, REQ0, &id, &len, 3000), 1);
		assert_int_equal(resp->response, VIRTIO_SCSI_S_BAD_TARGET);
	}
	/* A request header cut short: FAILURE, not a crash. */
	desc(vf, REQ0, 0, hdr_gpa(vf, 0), 10, VRING_DESC_F_NEXT, 1);
	desc(vf, REQ0, 1, hdr_gpa(vf, 0x100), sizeof(*resp),
	     VRING_DESC_F_WRITE, 0);
	assert_int_equal(run_chain(vf, REQ0, &id, &len, 3000), 1);
	assert_int_equal(resp->response, VIRTIO_SCSI_S_FAILURE);
	/* No room for a response: handed back empty. */
	desc(vf, REQ0, 0, hdr_gpa(vf, 0), 51, VRING_DESC_F_NEXT, 1);
	desc(vf, REQ0, 1, hdr_gpa(vf, 0x100), 20, VRING_DESC_F_WRITE, 0);
	assert_int_equal(run_chain(vf, REQ0, &id, &len, 3000), 1);
	assert_int_equal(len, 0);
	/* A descriptor pointing outside guest memory. */
	desc(vf, REQ0, 0, 0xdead00000000ull, 51, 0, 0);
	assert_int_equal(run_chain(vf, REQ0, &id, &len, 3000), 1);
	assert_int_equal(len, 0);
	/* A read into a buffer too small for it. */
	r = cmd(0, r10, 10, 0, 512);
	assert_check(&r, 5, 0x24);
	/* Response header split over three descriptors, still answered. */
	{
		struct virtio_scsi_cmd_req *req = (void *)HDR(vf);

		memset(req, 0, sizeof(*req));
		lun_addr(req->lun, 0, 0);
		req->cdb[0] = 0x12;
		req->cdb[4] = 36;
		desc(vf, REQ0, 0, hdr_gpa(vf, 0), 20, VRING_DESC_F_NEXT, 1);
		desc(vf, REQ0, 1, hdr_gpa(vf, 20), 31, VRING_DESC_F_NEXT, 2);
		desc(vf, REQ0, 2, hdr_gpa(vf, 0x100), 5,
		     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
		desc(vf, REQ0, 3, hdr_gpa(vf, 0x105), 100,
		     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
		desc(vf, REQ0, 4, hdr_gpa(vf, 0x169), 3 + 36,
		     VRING_DESC_F_WRITE, 0);
		assert_int_equal(run_chain(vf, REQ0, &id, &len, 3000), 1);
		assert_int_equal(len, sizeof(*resp) + 36);
		assert_int_equal(resp->response, 0);
		assert_int_equal(resp->status, 0);
		assert_memory_equal(HDR(vf) + 0x100 + sizeof(*resp) + 8,
				    "VMIO", 4);
	}
	assert_true(vmiod_alive(target));
}

/* A control request: out bytes at HDR, in bytes at HDR + 0x100. */
static int ctrl(const void *req, uint32_t len, uint32_t in_len)
{
	uint32_t id, used;

	memcpy(HDR(vf), req, len);
	memset(HDR(vf) + 0x100, 0xee, 16);
	desc(vf, CTRLQ, 0, hdr_gpa(vf, 0), len, VRING_DESC_F_NEXT, 1);
	desc(vf, CTRLQ, 1, hdr_gpa(vf, 0x100), in_len, VRING_DESC_F_WRITE, 0);
	if (!run_chain(vf, CTRLQ, &id, &used, 3000))
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
	uint8_t *in = HDR(vf) + 0x100;
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
	assert_true(vmiod_alive(target));
}

/* Parks one event buffer and waits for it to be filled. */
static int wait_event(struct virtio_scsi_event *ev, int sig)
{
	struct vufront_queue *q = vufront_queue(vf, EVENTQ);
	struct vring_used_elem e;

	memset(HDR(vf) + 0x800, 0, sizeof(*ev));
	desc(vf, EVENTQ, 0, hdr_gpa(vf, 0x800), sizeof(*ev), VRING_DESC_F_WRITE, 0);
	vufront_raw_avail(q, (uint16_t)vufront_raw_first(q));
	vufront_kick_force(q);
	if (target <= 0)
		return -1;
	kill(target, sig);
	if (vufront_raw_wait(q, &e, 5000) != 1)
		return -1;
	memcpy(ev, HDR(vf) + 0x800, sizeof(*ev));
	return (int)e.len;
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
	r = cmd_on(vf, REQ1, 2, r10, 10, 0, 512);
	assert_good(&r);
	assert_int_equal(data()[0], 'C');
	assert_int_equal(wait_event(&ev, SIGUSR2), sizeof(ev));
	assert_int_equal(ev.reason, VIRTIO_SCSI_EVT_RESET_REMOVED);
	assert_int_equal(ev.lun[2] << 8 | ev.lun[3], 2);
	r = cmd_on(vf, REQ1, 2, r10, 10, 0, 512);
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
