/* SPDX-License-Identifier: MIT */
/*
 * One slow disk stalls nobody else. vmiod serves two disks: "slow", whose
 * backend holds every request SLOW_MS, and "fast". With a request in
 * flight on slow, its front-end asks for the ring's base (GET_VRING_BASE,
 * which must wait for that request): meanwhile a front-end connects to
 * fast, negotiates and does I/O, and the control socket answers, each
 * within FAST_MS; the held message is answered once the request is done,
 * with the base that covers it. Removing the slow disk with a request in
 * flight answers at once too, and the disk goes when the request is done.
 * So does removing a LUN of a slow virtio-scsi target: the guest is told
 * (TRANSPORT_RESET/REMOVED) only once the LUN's command is done. On a
 * control thread that waits for drains, every step here took SLOW_MS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_scsi.h>
#include <cmocka.h>

#include "rpc/rpc.h"
#include "disk_front.h"
#include "vmiod_proc.h"
#include "vufront/vufront_scsi.h"

#define SLOW_MS 3000
#define FAST_MS 1000 /* generous: a loaded 2-core machine, sanitizers */

static char dir[64], slow_sock[128], fast_sock[128], rpc_sock[128];
static char scsi_sock[128];
static pid_t vmiod;

static int group_setup(void **state)
{
	char slow[256], fast[256], scsi[256];

	if (scratch_make("slow", dir, sizeof(dir)))
		return -1;
	snprintf(slow_sock, sizeof(slow_sock), "%s/slow.sock", dir);
	snprintf(fast_sock, sizeof(fast_sock), "%s/fast.sock", dir);
	snprintf(rpc_sock, sizeof(rpc_sock), "%s/rpc.sock", dir);
	snprintf(scsi_sock, sizeof(scsi_sock), "%s/scsi.sock", dir);
	snprintf(scsi, sizeof(scsi), "id=slowt,socket=%s,lun0=null:64M,"
		 "lun1=null:64M,delay-us=%d", scsi_sock, SLOW_MS * 1000);
	snprintf(slow, sizeof(slow), "id=slow,backend=null,size=64M,socket=%s,"
		 "delay-us=%d", slow_sock, SLOW_MS * 1000);
	snprintf(fast, sizeof(fast), "id=fast,backend=null,size=64M,socket=%s",
		 fast_sock);
	{
		const char *args[] = { "--disk", slow, "--disk", fast, "--scsi",
				       scsi, "--rpc", rpc_sock, "-q", NULL };
		const char *socks[] = { slow_sock, fast_sock, scsi_sock,
					rpc_sock, NULL };

		vmiod = vmiod_spawn(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	return scratch_remove(dir) == 0 && status == 0 ? 0 : -1;
}

static struct vufront *set_up(const char *sock)
{
	struct vufront *f = disk_front(sock, 1);

	assert_non_null(f);
	return f;
}

/* A read of 4K at sector 0 on queue 0, not waited for (a raw request:
 * the test reaps it itself after the ring was stopped); returns its
 * head. */
static uint16_t post_read(struct vufront *c)
{
	struct vufront_queue *q = vufront_queue(c, 0);
	struct vring_desc *d = vufront_desc(q);
	uint16_t h = (uint16_t)vufront_raw_first(q);
	uint8_t *hdr = vufront_scratch(q, NULL);

	d[h] = (struct vring_desc){ vufront_gpa(c, hdr), 16, VRING_DESC_F_NEXT,
				    h + 1 };
	d[h + 1] = (struct vring_desc){ vufront_gpa(c, disk_front_buf(c, 0, 0)),
					4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
					h + 2 };
	d[h + 2] = (struct vring_desc){ vufront_gpa(c, hdr + 32), 1,
					VRING_DESC_F_WRITE, 0 };
	memset(hdr, 0, 16); /* type IN, sector 0 */
	vufront_raw_avail(q, h);
	vufront_kick_force(q);
	return h;
}

/* The fast disk and the control socket answer within FAST_MS. */
static void others_are_served(void)
{
	double t0 = now_ms();
	struct vufront *f = set_up(fast_sock);
	json_t *result = NULL;
	char err[256];
	int code;

	assert_int_equal(disk_front_io(f, 0, 0, VIRTIO_BLK_T_IN, 8, 4096),
			 VIRTIO_BLK_S_OK);
	vufront_close(f);
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, FAST_MS, &result,
				  &code, err, sizeof(err)), 0);
	json_decref(result);
	printf("fast disk connected, did I/O, and the RPC answered in %.0f ms\n",
	       now_ms() - t0);
	assert_true(now_ms() - t0 < FAST_MS);
}

static void test_held_message_blocks_nobody(void **state)
{
	struct vhost_user_vring_state s = { 0, 0 };
	struct vufront *c = set_up(slow_sock);
	struct vring_used_elem e;
	struct vhost_user_msg m;
	uint16_t head;
	double t0;

	head = post_read(c);
	usleep(200000); /* the request reaches the slow backend */
	t0 = now_ms();
	assert_int_equal(vufront_send_msg(c, VHOST_USER_GET_VRING_BASE, 0, &s,
					  sizeof(s), NULL, 0), 0);
	others_are_served();
	/* The held message is answered once the request is done. */
	assert_int_equal(vufront_recv_msg(c, &m, SLOW_MS * 3), (int)sizeof(s));
	printf("GET_VRING_BASE answered after %.0f ms with base %u\n",
	       now_ms() - t0, m.payload.state.num);
	assert_true(now_ms() - t0 > SLOW_MS / 2);
	assert_int_equal(m.payload.state.num, 1);
	assert_int_equal(vufront_raw_wait(vufront_queue(c, 0), &e, 100), 1);
	assert_int_equal(e.id, head);
	vufront_close(c);
}

static void test_remove_answers_at_once(void **state)
{
	json_t *params, *result = NULL, *disks;
	char err[256];
	struct vufront *c = set_up(slow_sock);
	double t0;
	int code;

	post_read(c);
	usleep(200000);
	t0 = now_ms();
	params = json_pack("{s:s}", "id", "slow");
	assert_int_equal(rpc_call(rpc_sock, "disk_remove", params, FAST_MS,
				  &result, &code, err, sizeof(err)), 0);
	printf("disk_remove answered in %.0f ms: %s\n", now_ms() - t0,
	       json_is_true(json_object_get(result, "removed")) ?
		       "removed" : "draining");
	assert_true(now_ms() - t0 < FAST_MS);
	assert_false(json_is_true(json_object_get(result, "removed")));
	json_decref(result);
	/* Gone from the list at once; its front-end was dropped. */
	assert_true(vufront_peer_closed(c, FAST_MS));
	assert_int_equal(rpc_call(rpc_sock, "disk_list", NULL, FAST_MS, &result,
				  &code, err, sizeof(err)), 0);
	disks = json_object_get(result, "disks");
	if (!disks)
		disks = result;
	assert_int_equal(json_array_size(disks), 1);
	json_decref(result);
	others_are_served();
	/* Once the request is done, the socket goes with the disk. */
	for (int i = 0; i < SLOW_MS * 3 / 100 && access(slow_sock, F_OK) == 0; i++)
		usleep(100000);
	assert_int_not_equal(access(slow_sock, F_OK), 0);
	vufront_close(c);
}

/* A scsi_* call on the RPC, answered within FAST_MS; returns its result
 * (NULL on an error, whose message goes to err). */
static json_t *scsi_rpc(const char *method, json_t *params, char *err,
			size_t len)
{
	json_t *result = NULL;
	double t0 = now_ms();
	int code;

	if (rpc_call(rpc_sock, method, params, FAST_MS, &result, &code, err,
		     len))
		result = NULL;
	printf("%s answered in %.0f ms\n", method, now_ms() - t0);
	assert_true(now_ms() - t0 < FAST_MS);
	return result;
}

/* Parks one buffer on the event queue (vring 1); its id is returned. */
static uint16_t park_event_buffer(struct vufront *f)
{
	struct vufront_queue *q = vufront_queue(f, 1);
	uint16_t h = (uint16_t)vufront_raw_first(q);
	uint8_t *ev = vufront_scratch(q, NULL);

	memset(ev, 0, sizeof(struct virtio_scsi_event));
	vufront_desc(q)[h] = (struct vring_desc){
		vufront_gpa(f, ev), sizeof(struct virtio_scsi_event),
		VRING_DESC_F_WRITE, 0 };
	vufront_raw_avail(q, h);
	vufront_kick_force(q);
	return h;
}

static void test_scsi_lun_remove_answers_at_once(void **state)
{
	struct vufront_opts o = { .queues = 1, .queue_size = 64,
				  .max_inflight = 2, .max_io = 64 << 10 };
	struct vufront_scsi_completion c;
	const struct virtio_scsi_event *ev;
	struct vring_used_elem e;
	struct vufront_queue *q;
	json_t *r, *removing;
	struct vufront *f;
	char err[512];
	double t0;
	int n;

	assert_int_equal(vufront_scsi_connect(scsi_sock, &o, 0, &f, err,
					      sizeof(err)), 0);
	park_event_buffer(f);
	q = vufront_scsi_queue(f, 0);
	vufront_scsi_submit_rw(q, 0, 1, false, 0, 8, 4096);
	vufront_kick_force(q);
	usleep(200000); /* the read reaches LUN 1's slow backend */
	t0 = now_ms();

	r = scsi_rpc("scsi_lun_remove", json_pack("{s:s,s:i}", "id", "slowt",
						  "lun", 1), err, sizeof(err));
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "removed")));
	/* Gone from the LUN list at once, listed as removing. */
	assert_int_equal(json_array_size(json_object_get(r, "luns")), 1);
	removing = json_object_get(r, "removing");
	assert_int_equal(json_array_size(removing), 1);
	assert_int_equal(json_integer_value(json_array_get(removing, 0)), 1);
	json_decref(r);
	/* Asked again while it drains: the same answer. */
	r = scsi_rpc("scsi_lun_remove", json_pack("{s:s,s:i}", "id", "slowt",
						  "lun", 1), err, sizeof(err));
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "removed")));
	json_decref(r);
	/* Its number cannot be taken again until it is gone. */
	r = scsi_rpc("scsi_lun_add", json_pack("{s:s,s:i,s:s,s:s}", "id",
					       "slowt", "lun", 1, "backend",
					       "null", "size", "16M"),
		     err, sizeof(err));
	assert_null(r);
	printf("scsi_lun_add while it drains: %s\n", err);
	assert_non_null(strstr(err, "still being removed"));
	others_are_served();
	/* The guest hears of the removal only once the read is done. */
	assert_int_equal(vufront_raw_reap(vufront_queue(f, 1), &e, 1), 0);
	while ((n = vufront_scsi_reap(q, &c, 1)) == 0 &&
	       now_ms() - t0 < SLOW_MS * 3)
		usleep(1000);
	assert_int_equal(n, 1);
	assert_true(vufront_scsi_good(&c));
	assert_int_equal(vufront_raw_wait(vufront_queue(f, 1), &e, FAST_MS), 1);
	printf("read done and REMOVED event after %.0f ms\n", now_ms() - t0);
	assert_true(now_ms() - t0 > SLOW_MS / 2);
	ev = vufront_scratch(vufront_queue(f, 1), NULL);
	assert_int_equal(ev->event, VIRTIO_SCSI_T_TRANSPORT_RESET);
	assert_int_equal(ev->reason, VIRTIO_SCSI_EVT_RESET_REMOVED);
	assert_int_equal(ev->lun[2] << 8 | ev->lun[3], 1);
	/* Now the number is free again. */
	r = scsi_rpc("scsi_info", json_pack("{s:s}", "id", "slowt"), err,
		     sizeof(err));
	assert_non_null(r);
	assert_int_equal(json_array_size(json_object_get(r, "removing")), 0);
	json_decref(r);
	r = scsi_rpc("scsi_lun_add", json_pack("{s:s,s:i,s:s,s:s}", "id",
					       "slowt", "lun", 1, "backend",
					       "null", "size", "16M"),
		     err, sizeof(err));
	if (!r)
		printf("scsi_lun_add: %s\n", err);
	assert_non_null(r);
	assert_int_equal(json_array_size(json_object_get(r, "luns")), 2);
	json_decref(r);
	vufront_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_message_blocks_nobody),
		cmocka_unit_test(test_remove_answers_at_once),
		cmocka_unit_test(test_scsi_lun_remove_answers_at_once),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
