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
 * On a control thread that waits for drains, every step here took
 * SLOW_MS.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <cmocka.h>

#include "rpc/rpc.h"
#include "disk_front.h"
#include "vmiod_proc.h"

#define SLOW_MS 3000
#define FAST_MS 1000 /* generous: a loaded 2-core machine, sanitizers */

static char dir[64], slow_sock[128], fast_sock[128], rpc_sock[128];
static pid_t vmiod;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int group_setup(void **state)
{
	char slow[256], fast[256];

	snprintf(dir, sizeof(dir), "/tmp/vmio-slow-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(slow_sock, sizeof(slow_sock), "%s/slow.sock", dir);
	snprintf(fast_sock, sizeof(fast_sock), "%s/fast.sock", dir);
	snprintf(rpc_sock, sizeof(rpc_sock), "%s/rpc.sock", dir);
	snprintf(slow, sizeof(slow), "id=slow,backend=null,size=64M,socket=%s,"
		 "delay-us=%d", slow_sock, SLOW_MS * 1000);
	snprintf(fast, sizeof(fast), "id=fast,backend=null,size=64M,socket=%s",
		 fast_sock);
	{
		const char *args[] = { "--disk", slow, "--disk", fast, "--rpc",
				       rpc_sock, "-q", NULL };
		const char *socks[] = { slow_sock, fast_sock, rpc_sock, NULL };

		vmiod = vmiod_spawn(args, socks);
	}
	return vmiod > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	int status = vmiod_stop(vmiod);

	unlink(slow_sock);
	unlink(fast_sock);
	unlink(rpc_sock);
	rmdir(dir);
	return status == 0 ? 0 : -1;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_message_blocks_nobody),
		cmocka_unit_test(test_remove_answers_at_once),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
